"""The console of `make demo` (DEBUG on) and of production: a refused request is one line, every warning is printed
once, and /favicon.ico is the portal's icon rather than a 404 on every page."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LOG_SOME_THINGS = """
import logging, warnings
import django
django.setup()
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseForbidden
from django.test import RequestFactory
from django.utils.log import log_response

request = RequestFactory().get("/admin/jobs/job/add/")
try:
    raise PermissionDenied
except PermissionDenied as exc:  # as Django's handler logs a 403
    log_response("Forbidden (Permission denied): %s", request.path, response=HttpResponseForbidden(),
                 request=request, exception=exc)
try:
    raise ValueError("a bug")
except ValueError as exc:  # as Django's handler logs a 500
    log_response("Internal Server Error: %s", "/boom/", response=HttpResponse(status=500), request=request,
                 exception=exc)
logging.getLogger("django.security.csrf").warning("a security warning")
logging.getLogger("wdtportal.jobs").warning("a portal warning")
warnings.warn("a python warning", stacklevel=1)
"""


@pytest.mark.parametrize("debug", ["1", "0"])
def test_a_refusal_is_one_line_and_every_warning_is_printed_once(debug):
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "wdtportal.settings", "DEBUG": debug,
           "SECRET_KEY": "s" * 60, "DATABASE_URL": "sqlite:////tmp/unused.sqlite3", "PYTHONWARNINGS": "default"}
    result = subprocess.run([sys.executable, "-c", LOG_SOME_THINGS], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    err = result.stderr
    for text in ("Forbidden (Permission denied): /admin/jobs/job/add/", "Internal Server Error: /boom/",
                 "a security warning", "a portal warning", "a python warning"):
        assert err.count(text) == 1, (text, err)
    # The 403 without its traceback; the 500 with it (that one is a bug to fix).
    assert err.count("Traceback") == 1 and "PermissionDenied" not in err and "ValueError: a bug" in err


@pytest.mark.django_db
def test_favicon_is_served_and_every_page_links_it(admin_client, client):
    response = admin_client.get("/favicon.ico")
    assert response.status_code == 302 and response.headers["location"].endswith("/static/wdtportal/favicon.ico")
    icon = admin_client.get(response.headers["location"])
    assert icon.status_code == 200 and b"".join(icon.streaming_content).startswith(b"\x00\x00\x01\x00")
    assert '<link rel="icon" href="/static/wdtportal/favicon.ico">' in admin_client.get("/admin/").text
    assert '<link rel="icon"' in client.get("/admin/login/").text
