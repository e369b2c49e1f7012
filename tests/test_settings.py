"""Production settings: `check --deploy` is clean, and the portal refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    ours = ("WDT_", "DEBUG", "SECRET_KEY", "DJANGO_", "SECURE_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    clean |= {"DJANGO_SETTINGS_MODULE": "wdtportal.settings", "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env,
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
