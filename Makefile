# The two commands a fresh machine needs: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= wdtportal.settings

.PHONY: install demo test lint audit serve migrate messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Compiled translations are build output (*.mo is ignored by git). Any settings do for compiling; the test settings
# need no SECRET_KEY, so `make messages` works on its own.
messages: export DJANGO_SETTINGS_MODULE = wdtportal.settings_test
messages: install
	@if ! ls locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then echo "no translations to compile"; \
	elif command -v msgfmt >/dev/null 2>&1; then $(PY) manage.py compilemessages -v 0 --ignore=.venv; \
	else echo "msgfmt (Debian package gettext) not found: the interface stays in Chinese only"; fi

# Portal + sandbox (+ worker) on http://$(HOST):$(PORT)/ with SQLite and demo data.
demo: export DEBUG = 1
demo: export WDT_SANDBOX = 1
# The demo's supervisor logs in with the password alone, whatever a .env says (two-factor: docs/operations.md, Security).
demo: export REQUIRE_2FA_SUPERVISORS = 0
demo: export WDT_SANDBOX_TRAINING ?= 1
demo: install messages
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py load_demo
	$(PY) manage.py rundemo --host $(HOST) --port $(PORT)

test: export DJANGO_SETTINGS_MODULE = wdtportal.settings_test
test: install messages
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run -v 0
	@if [ -x "$${CHROMIUM:-/usr/bin/chromium}" ]; then echo "e2e: browser tests run in $${CHROMIUM:-/usr/bin/chromium}"; \
	else echo "e2e: SKIPPED - no Chromium at $${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium fonts-wqy-microhei, or set CHROMIUM=/path)"; fi
	$(VENV)/bin/pytest -m "not postgres"
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== PostgreSQL: the database tests again, and the multi-worker tests, on $${TEST_DATABASE_URL##*@}"; \
	  DATABASE_URL="$$TEST_DATABASE_URL" $(VENV)/bin/pytest -m "not e2e"; \
	else \
	  echo "!! TEST_DATABASE_URL is not set: the PostgreSQL tests did NOT run."; \
	  echo "!! Set it (e.g. postgres://portal:portal@127.0.0.1:5432/portal; see docs/operations.md) to run them, as CI does."; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# Known vulnerabilities of the installed packages (pip-audit). Needs PyPI's JSON API or OSV; where neither can be
# reached it says NOT AUDITED and exits 2 (see .ci/audit.py).
audit: install
	$(PY) .ci/audit.py

# Production server (set SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS first; see docs/operations.md).
serve: install
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py migrate --no-input -v 0
	$(VENV)/bin/gunicorn wdtportal.wsgi -c gunicorn.conf.py --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-3}

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
