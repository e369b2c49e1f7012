"""Production settings: `check --deploy` is clean, and the portal refuses to start without a secret key."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _clean_env() -> dict[str, str]:
    ours = ("WDT_", "DEBUG", "SECRET_KEY", "DJANGO_", "SECURE_", "JOBS_", "DATABASE_URL")
    return {k: v for k, v in os.environ.items() if not k.startswith(ours)}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = _clean_env() | {"DJANGO_SETTINGS_MODULE": "wdtportal.settings",
                            "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env,
                          capture_output=True, text=True, timeout=120)


def _manage_python(script: str, **env: str) -> subprocess.CompletedProcess:
    """`python -c script` in the project, with none of our settings in the environment but `env`."""
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=_clean_env() | env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG",
                     SECRET_KEY="k" * 20 + "production-like-secret-key-0123456789-abcdefghijklmnop",
                     DEBUG="0", ALLOWED_HOSTS="portal.example.com")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_with_debug_off_names_the_setting():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_sandbox_is_not_mounted_by_default():
    result = _manage("shell", "-c", "from django.urls import resolve; resolve('/sandbox/openapi')",
                     SECRET_KEY="x" * 60, DEBUG="0")
    assert result.returncode != 0
    assert "Resolver404" in result.stderr


# Runs Django as if `.env.example` had been copied to `.env`: settings.py reads the example in its place.
AS_IF_COPIED = """
import environ
_read = environ.Env.read_env.__func__
environ.Env.read_env = classmethod(lambda cls, env_file=None, **kw: _read(cls, "{root}/.env.example", **kw))
import django
django.setup()
from django.conf import settings
from wdtportal.wdt.client import enterprise_client_from_settings, qjb_client_from_settings
qjb, ent = qjb_client_from_settings(), enterprise_client_from_settings()
print(qjb.sid, qjb.appkey, qjb.salt, ent.sid, ent.appkey, qjb.base_url, settings.JOBS_STALE_AFTER)
"""


def test_a_copied_env_example_keeps_the_demo_credentials_and_the_test_settings():
    script = AS_IF_COPIED.format(root=ROOT)
    demo = _manage_python(script, DJANGO_SETTINGS_MODULE="wdtportal.settings", DEBUG="1", WDT_SANDBOX="1")
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.split() == ["sandbox-sid", "sandbox-appkey", "sandbox-salt", "sandbox-sid", "sandbox-appkey",
                                   "http://127.0.0.1:8000/sandbox", "20.0"]
    tests = _manage_python(script, DJANGO_SETTINGS_MODULE="wdtportal.settings_test")
    assert tests.returncode == 0, tests.stderr
    assert tests.stdout.split()[:3] == ["sandbox-sid", "sandbox-appkey", "sandbox-salt"]
    assert tests.stdout.split()[-1] == "4.0", "the test settings' quick job recovery survives a copied .env"


def test_empty_wdt_values_count_as_unset():
    result = _manage_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.WDT_QJB_SID, s.WDT_ENT_APPSECRET, s.WDT_MAX_RETRIES, s.WDT_TIMEOUT, s.WDT_QJB_RATE)",
        DJANGO_SETTINGS_MODULE="wdtportal.settings", DEBUG="1", WDT_SANDBOX="1", WDT_QJB_SID="",
        WDT_ENT_APPSECRET=" ", WDT_MAX_RETRIES="", WDT_TIMEOUT="", WDT_QJB_RATE="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sandbox-sid", "sandbox-secret", "3", "5,30", "10.0"]


def _settings_read() -> set[str]:
    """Every environment variable settings.py reads."""
    source = (ROOT / "wdtportal" / "settings.py").read_text()
    names = set(re.findall(r'env\.\w+\("([A-Z][A-Z0-9_]+)"', source))
    names |= {f"WDT_{n}" for n in re.findall(r'_wdt_setting\("([A-Z][A-Z0-9_]+)"\)', source)}
    return names


def test_every_setting_is_documented_in_the_operations_guide_and_env_example():
    names = _settings_read() | {"WEB_CONCURRENCY"}  # the Makefile's, for gunicorn
    assert {"DATABASE_URL", "WDT_QJB_APPSECRET", "WDT_MAX_RETRIES", "LOG_LEVEL"} <= names
    readme = (ROOT / "docs" / "operations.md").read_text()
    table = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    documented = {name for row in table.splitlines() if row.startswith("| `")
                  for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split(" | ")[0])}
    assert names - documented == set(), "missing from the Settings table of docs/operations.md"
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert names - listed == set(), "missing from .env.example"


def test_env_example_sets_no_database_other_than_the_default():
    example = (ROOT / ".env.example").read_text()
    assert not re.search(r"^DATABASE_URL=", example, re.MULTILINE), "a relative sqlite path would depend on the cwd"


def test_empty_values_count_as_unset_for_every_setting():
    result = _manage_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.JOBS_RUNNERS, s.IMPORT_MAX_ROWS, s.JOBS_STALE_AFTER, s.ALLOWED_HOSTS[0], "
        "s.DATABASES['default']['ENGINE'])",
        DJANGO_SETTINGS_MODULE="wdtportal.settings", DEBUG="1", JOBS_RUNNERS="", IMPORT_MAX_ROWS=" ",
        JOBS_STALE_AFTER="", ALLOWED_HOSTS="", DATABASE_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "200000", "20.0", "127.0.0.1", "django.db.backends.sqlite3"]


def test_a_required_setting_left_blank_is_reported_as_not_set():
    result = _manage_python("import django; django.setup()", DJANGO_SETTINGS_MODULE="wdtportal.settings",
                            DEBUG="0", SECRET_KEY="  ")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
