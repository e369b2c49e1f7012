"""Settings for the test suite: the production settings with the sandbox on and a throwaway key."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("WDT_SANDBOX", "1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
# Two-factor is on by default with DEBUG off; the tests that exercise it turn it on themselves.
os.environ.setdefault("REQUIRE_2FA_SUPERVISORS", "0")
# The pacer runs in every test, at limits that do not slow the suite down (its own tests set theirs).
os.environ.setdefault("WDT_QJB_RATE", "500")
os.environ.setdefault("WDT_ENT_RATE", "500")

from wdtportal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tests serve static files through the finders (no collectstatic); whitenoise would warn that STATIC_ROOT is missing.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = BASE_DIR / "tmp" / "staticfiles"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WDT_RETRY_BACKOFF = 0.01

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the live server's threads then get their own connections, as real processes would,
    # so tests see real locking and transactions. One file per test process, under tmp/ (ignored by git).
    _test_db_dir = BASE_DIR / "tmp"  # noqa: F405
    _test_db_dir.mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db_dir / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# The live server keeps HTTP/1.1 connections alive in their own threads; with persistent database connections
# each such thread would hold a session open past the test, and PostgreSQL could not drop the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Job recovery within seconds rather than the production default of 20.
JOBS_STALE_AFTER = float(os.environ.get("JOBS_STALE_AFTER", "4"))
JOBS_MAINTENANCE_INTERVAL = float(os.environ.get("JOBS_MAINTENANCE_INTERVAL", JOBS_STALE_AFTER / 2))
# The sandbox refuses returns it does not know, as WDT does; the tests of its training mode switch it on.
WDT_SANDBOX_TRAINING = False
