"""Two-factor for supervisors (django-otp): enrolment at the first login with a QR code and a code computed as an
authenticator app computes it (pyotp), recovery codes shown once, the code asked at each later login, and no admin
page for a supervisor who has not given it. Clerks log in with the password alone."""

import base64
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns import job_kinds as returns_kinds
from tests.factories import make_return
from wdtportal.jobs.models import Job
from wdtportal.jobs.services import job_start

from .conftest import login_form
from .policy import assert_strict_policy, inline_code

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ENROL, VERIFY = "/admin/two-factor/enrol/", "/admin/two-factor/verify/"


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.REQUIRE_2FA_SUPERVISORS = True


def secret_on(html: str) -> str:
    return re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")


def enrol(client, username: str = "boss1") -> tuple[pyotp.TOTP, list[str]]:
    """Log in with the password, scan (read) the secret, answer with the app's code; the app and the recovery codes."""
    assert login_form(client, username).status_code == 302
    start = client.get("/admin/")
    assert start.status_code == 302 and start.url.startswith(ENROL)
    app = pyotp.TOTP(secret_on(client.get(start.url).text))
    done = client.post(start.url, {"code": app.now(), "next": "/admin/"})
    assert done.status_code == 200
    return app, re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.text)


def next_code(app: pyotp.TOTP) -> str:
    # The code of the next 30-second step: the current one was used (a code is accepted once), the next is
    # within the tolerance of one step.
    return app.at(time.time() + 30)


def test_a_supervisor_enrols_at_the_first_login_with_a_qr_code(client, supervisor):
    login_form(client, "boss1")
    start = client.get("/admin/")
    assert start.status_code == 302 and start.url == f"{ENROL}?next=%2Fadmin%2F"
    page = client.get(start.url)
    assert page.status_code == 200 and "设置两步验证" in page.text
    qr = re.search(r'<div class="two-factor-qr"[^>]*>(.*?)</div>', page.text, re.S).group(1)
    assert qr.lstrip().startswith("<svg") and "<path" in qr  # drawn inline: no image request, nothing for CSP
    assert_strict_policy(page)
    assert inline_code(page.text) == {}
    app = pyotp.TOTP(secret_on(page.text))
    device = TOTPDevice.objects.get(user=supervisor)
    assert not device.confirmed and base64.b32decode(app.secret + "=" * (-len(app.secret) % 8)) == device.bin_key
    # The QR code holds the device's otpauth URL: the same secret, and the portal's name for the app to show.
    assert f"secret={app.secret}" in device.config_url and "issuer=%E6%97%BA" in device.config_url

    wrong = client.post(start.url, {"code": "000000" if app.now() != "000000" else "111111", "next": "/admin/"})
    assert wrong.status_code == 200 and "验证码不对" in wrong.text
    assert not TOTPDevice.objects.get(user=supervisor).confirmed

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    done = client.post(start.url, {"code": app.now(), "next": "/admin/"})
    assert done.status_code == 200 and "只显示这一次" in done.text
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sorted(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)) == sorted(codes)
    assert "no-store" in done.headers["Cache-Control"]
    assert inline_code(done.text) == {}
    assert TOTPDevice.objects.get(user=supervisor).confirmed
    assert client.get("/admin/").status_code == 200
    # Shown once: the enrolment page does not come back and never shows the codes again.
    again = client.get(ENROL)
    assert again.status_code == 302 and not any(code in client.get("/admin/").text for code in codes)


def test_until_the_code_is_given_a_supervisor_reaches_no_admin_page(client, supervisor):
    purchase_return = make_return("CR-2FA-1")
    job = job_start(kind=returns_kinds.PUSH_OUTBOUND, documents=[purchase_return], user=supervisor)
    login_form(client, "boss1")
    pages = ["/admin/", "/admin/returns/", reverse("admin:returns_purchasereturn_changelist"),
             reverse("admin:returns_purchasereturn_change", args=[purchase_return.pk]),
             reverse("admin:returns_purchasereturn_payload", args=[purchase_return.pk]),
             reverse("admin:returns_purchasereturn_import"), reverse("admin:settlements_settlementdraft_changelist"),
             reverse("admin:jobs_job_progress", args=[job.pk]), reverse("admin:wdt_wdtcall_changelist"),
             reverse("admin:password_change")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(ENROL), url
    poll = client.get(reverse("admin:jobs_job_progress_json", args=[job.pk]), headers={"accept": "application/json"})
    assert poll.status_code == 403 and poll.json()["two_factor_required"] is True
    send = client.post(reverse("admin:returns_purchasereturn_changelist"),
                       {"action": "stop_waiting", ACTION_CHECKBOX_NAME: [purchase_return.pk], "index": "0"})
    assert send.status_code == 302 and send.url.startswith(ENROL)
    assert Job.objects.count() == 1  # nothing queued
    assert client.get(ENROL).status_code == 200
    assert client.post("/admin/logout/").status_code == 200


def test_the_next_login_asks_for_the_apps_code(client, supervisor):
    app, _codes = enrol(client)
    client.post("/admin/logout/")
    login_form(client, "boss1")
    start = client.get(reverse("admin:returns_purchasereturn_changelist"))
    assert start.status_code == 302 and start.url.startswith(VERIFY)
    page = client.get(start.url)
    assert page.status_code == 200 and "两步验证" in page.text
    assert_strict_policy(page)
    assert inline_code(page.text) == {}
    # The code the enrolment used is spent: a code read over a shoulder cannot be replayed.
    replay = client.post(start.url, {"code": app.now(), "next": "/admin/returns/purchasereturn/"})
    assert replay.status_code == 200 and "验证码不对或已用过" in replay.text
    TOTPDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    verified = client.post(start.url, {"code": next_code(app), "next": "/admin/returns/purchasereturn/"})
    assert verified.status_code == 302 and verified.url == "/admin/returns/purchasereturn/"
    assert client.get(verified.url).status_code == 200


def test_wrong_codes_make_the_next_try_wait(client, supervisor):
    app, _codes = enrol(client)
    client.post("/admin/logout/")
    login_form(client, "boss1")
    for _ in range(3):
        client.post(VERIFY, {"code": "123456" if next_code(app) != "123456" else "654321"})
    waiting = client.post(VERIFY, {"code": next_code(app)})
    assert waiting.status_code == 200 and "错误次数过多" in waiting.text
    TOTPDevice.objects.update(throttling_failure_timestamp=timezone.now() - timedelta(minutes=5))
    assert client.post(VERIFY, {"code": next_code(app)}).status_code == 302


def test_a_recovery_code_logs_in_once(client, supervisor):
    _app, codes = enrol(client)
    client.post("/admin/logout/")
    login_form(client, "boss1")
    used = client.post(VERIFY, {"code": codes[0].upper()[:4] + " " + codes[0].upper()[4:], "next": "/admin/"},
                       follow=True)
    assert used.status_code == 200 and "还剩 9 个" in used.text
    assert StaticToken.objects.filter(device__user=supervisor).count() == 9
    client.post("/admin/logout/")
    login_form(client, "boss1")
    again = client.post(VERIFY, {"code": codes[0], "next": "/admin/"})
    assert again.status_code == 200 and "验证码不对或已用过" in again.text


def test_the_superuser_resets_a_lost_phone_and_the_next_login_enrols_again(client, supervisor, superuser):
    enrol(client)
    client.post("/admin/logout/")
    admin = client.__class__()
    admin.force_login(superuser)
    devices = admin.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert devices.status_code == 200 and "boss1" in devices.text
    device = TOTPDevice.objects.get(user=supervisor)
    assert device.key not in admin.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).text
    admin.post(reverse("admin:otp_totp_totpdevice_changelist"),
               {"action": "delete_selected", ACTION_CHECKBOX_NAME: [device.pk], "post": "yes"})
    login_form(client, "boss1")
    assert client.get("/admin/").url.startswith(ENROL)


def test_a_next_address_elsewhere_is_not_followed(client, supervisor):
    app, _codes = enrol(client)
    client.post("/admin/logout/")
    login_form(client, "boss1")
    answer = client.post(VERIFY, {"code": next_code(app), "next": "https://evil.example/"})
    assert answer.status_code == 302 and answer.url == "/admin/"


def test_clerks_log_in_with_the_password_alone(client, clerk):
    login_form(client, "clerk1")
    assert client.get("/admin/").status_code == 200


def test_with_the_setting_off_supervisors_log_in_with_the_password_alone(client, supervisor, settings):
    settings.REQUIRE_2FA_SUPERVISORS = False
    login_form(client, "boss1")
    assert client.get("/admin/").status_code == 200


def _setting(**env: str) -> str:
    ours = ("WDT_", "DEBUG", "SECRET_KEY", "DJANGO_", "REQUIRE_2FA", "DATABASE_URL")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                             "print(settings.REQUIRE_2FA_SUPERVISORS)"], cwd=ROOT, capture_output=True, text=True,
                            env=clean | {"DJANGO_SETTINGS_MODULE": "wdtportal.settings", "SECRET_KEY": "k" * 50,
                                         **env}, timeout=120, check=True)
    return result.stdout.strip()


def test_on_by_default_in_production_off_with_debug_and_in_make_demo():
    assert _setting(DEBUG="0") == "True"
    assert _setting(DEBUG="1") == "False"
    assert _setting(DEBUG="1", REQUIRE_2FA_SUPERVISORS="1") == "True"
    # `make demo` turns it off explicitly, whatever a .env says: make's database of the demo target.
    database = subprocess.run(["make", "-pq", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"^demo: export REQUIRE_2FA_SUPERVISORS = 0$|^demo: REQUIRE_2FA_SUPERVISORS = 0$",
                     database, re.M), "make demo must export REQUIRE_2FA_SUPERVISORS = 0"


def test_the_two_factor_pages_in_english(client, supervisor):
    from tests.ui.test_english_everywhere import leftover_chinese

    english = {"accept-language": "en"}
    login_form(client, "boss1")
    enrol_page = client.get(ENROL, headers=english)
    assert "Set up two-factor" in enrol_page.text
    assert leftover_chinese(enrol_page.text) == {"腾讯身份验证器"}  # the app's own name, beside its English one
    app = pyotp.TOTP(secret_on(enrol_page.text))
    codes_page = client.post(ENROL, {"code": app.now(), "next": "/admin/"}, headers=english)
    assert "shown this once only" in codes_page.text and leftover_chinese(codes_page.text) == set()
    client.post("/admin/logout/")
    login_form(client, "boss1")
    verify_page = client.get(VERIFY, headers=english)
    assert "Two-factor verification" in verify_page.text and leftover_chinese(verify_page.text) == set()
