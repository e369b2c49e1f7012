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
