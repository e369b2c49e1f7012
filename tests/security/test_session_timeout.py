"""Sessions end: after 30 minutes without a page opened (activity extends it; the job page's polling does not), and
12 hours after the login whatever happens. The clock of the middleware is moved forward; everything else is real."""

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from returns import job_kinds as returns_kinds
from tests.factories import make_return
from wdtportal.jobs.services import job_start
from wdtportal.security import session_timeout

from .conftest import login_form

pytestmark = pytest.mark.django_db

MINUTE = 60


class Clock:
    """Stands in for the `time` module inside session_timeout."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def forward(self, minutes: float) -> None:
        self.now += minutes * MINUTE


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(session_timeout, "time", clock)
    return clock


def test_the_defaults_are_thirty_minutes_idle_and_twelve_hours_in_all():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * MINUTE
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 3600 == settings.SESSION_COOKIE_AGE


def test_thirty_minutes_without_a_page_log_out_with_a_message(client, clerk, clock):
    login_form(client, "clerk1")
    clock.forward(29)
    assert client.get("/admin/").status_code == 200
    clock.forward(31)
    answer = client.get("/admin/returns/purchasereturn/?outbound_state__exact=draft")
    assert answer.status_code == 302
    assert answer.url == "/admin/login/?next=/admin/returns/purchasereturn/%3Foutbound_state__exact%3Ddraft"
    page = client.get(answer.url)
    assert "超过 30 分钟没有操作，已自动退出。请重新登录。" in page.text
    assert client.get("/admin/").status_code == 302  # logged out for good, not just redirected once


def test_activity_extends_the_session(client, clerk, clock):
    login_form(client, "clerk1")
    for _ in range(8):  # four hours, a page every 29 minutes
        clock.forward(29)
        assert client.get("/admin/").status_code == 200


def test_twelve_hours_after_the_login_the_session_ends_even_with_activity(client, clerk, clock):
    login_form(client, "clerk1")
    for _ in range(12 * 60 // 20):
        clock.forward(20)
        assert client.get("/admin/").status_code == 200
    clock.forward(20)
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer.url.startswith("/admin/login/")
    assert [str(m) for m in get_messages(answer.wsgi_request)] == ["登录已超过 12 小时，已自动退出。请重新登录。"]


def test_the_job_pages_polling_keeps_nobody_logged_in(client, supervisor, clock):
    job = job_start(kind=returns_kinds.PUSH_OUTBOUND, documents=[make_return("CR-IDLE-1")], user=supervisor)
    login_form(client, "boss1")
    url = reverse("admin:jobs_job_progress_json", args=[job.pk])
    poll = {"accept": "application/json", "x-portal-poll": "1"}
    for _ in range(30):
        clock.forward(1)
        assert client.get(url, headers=poll).status_code == 200
    clock.forward(1)
    answer = client.get(url, headers=poll)
    assert answer.status_code == 401
    assert answer.json() == {"logged_out": True, "message": "超过 30 分钟没有操作，已自动退出。请重新登录。"}


def test_the_progress_page_script_sends_the_poll_header_and_shows_the_message():
    script = (settings.BASE_DIR / "static" / "wdtportal" / "job_progress.js").read_text()
    assert '"X-Portal-Poll": "1"' in script and "answer.message" in script


def test_the_message_in_english(client, clerk, clock):
    login_form(client, "clerk1")
    clock.forward(31)
    answer = client.get("/admin/", headers={"accept-language": "en"})
    messages = [str(m) for m in get_messages(answer.wsgi_request)]
    assert messages == ["No activity for 30 minutes: you have been logged out. Please log in again."]
