"""Settings for the test suite: the production settings with the sandbox on and a throwaway key."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("WDT_SANDBOX", "1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

from wdtportal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WDT_RETRY_BACKOFF = 0.01

# SQLite tests use a file, not memory: worker threads and `manage.py db_worker` subprocesses open their own
# connections to the test database. (PostgreSQL: Django creates test_<name> itself.)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_SQLITE_PATH", str(BASE_DIR / "test-db.sqlite3"))}  # noqa: F405
# Recovery within seconds rather than the production default of 20.
JOBS_STALE_AFTER = float(os.environ.get("JOBS_STALE_AFTER", "4"))
