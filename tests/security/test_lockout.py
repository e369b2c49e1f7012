"""Login lockout (django-axes): 5 wrong passwords for one username from one address lock that pair for 15 minutes,
with a Chinese page saying until when; the lockout ends by itself; the superuser sees it in the admin and unlocks."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .conftest import PASSWORD, login_form

pytestmark = pytest.mark.django_db


def fail(client, username: str, times: int, **extra):
    return [login_form(client, username, "wrong-password", **extra) for _ in range(times)]


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_settings_are_five_failures_and_fifteen_minutes_per_username_and_address():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_five_wrong_passwords_lock_the_username_and_the_right_one_is_refused_then(client, clerk):
    answers = fail(client, "clerk1", 5)
    assert [a.status_code for a in answers[:4]] == [200] * 4  # the login form again, with its error
    locked = answers[4]
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.text and "连续 5 次登录失败" in locked.text and "clerk1" in locked.text
    until = timezone.localtime(AccessAttempt.objects.get().attempt_time + timedelta(minutes=15))
    assert f"请在 {until:%Y-%m-%d %H:%M} 之后再试" in locked.text and "约 15 分钟后" in locked.text
    # The right password changes nothing while the lockout lasts.
    right = login_form(client, "clerk1", PASSWORD)
    assert right.status_code == 429 and not logged_in(client)


def test_the_lockout_page_in_english(client, clerk):
    locked = fail(client, "clerk1", 5, headers={"accept-language": "en"})[-1]
    assert locked.status_code == 429 and "Login temporarily locked" in locked.text and "try again after" in locked.text


def test_the_lockout_is_for_this_username_from_this_address_only(client, clerk, supervisor):
    fail(client, "clerk1", 5)
    assert login_form(client, "boss1").status_code == 302 and logged_in(client)  # another person, same address
    client.logout()
    assert login_form(client, "clerk1", REMOTE_ADDR="10.9.8.7").status_code == 302  # same person, elsewhere


def test_the_lockout_ends_fifteen_minutes_after_the_last_failure(client, clerk):
    fail(client, "clerk1", 5)
    attempt = AccessAttempt.objects.get()
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert login_form(client, "clerk1").status_code == 429  # 14 minutes: still locked
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=5))
    assert login_form(client, "clerk1").status_code == 302 and logged_in(client)
    assert not AccessAttempt.objects.exists()  # a successful login resets the count


def test_trying_again_while_locked_does_not_move_the_time_on_the_page(client, clerk):
    fail(client, "clerk1", 5)
    first_until = AccessAttempt.objects.get().attempt_time
    fail(client, "clerk1", 3)
    assert AccessAttempt.objects.get().attempt_time == first_until


def test_failures_are_recorded_without_the_password(client, clerk):
    fail(client, "clerk1", 2)
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 2
    assert "wrong-password" not in attempt.post_data and PASSWORD not in attempt.post_data
    assert AccessFailureLog.objects.count() == 2


def test_the_superuser_sees_the_lockout_in_the_admin_and_unlocks_it(client, clerk, superuser):
    fail(client, "clerk1", 5)
    attempt = AccessAttempt.objects.get()
    admin = client.__class__()
    admin.force_login(superuser)
    listing = admin.get(reverse("admin:axes_accessattempt_changelist") + "?locked_out=yes")
    assert listing.status_code == 200 and "clerk1" in listing.text
    failures = admin.get(reverse("admin:axes_accessfailurelog_changelist"))
    assert failures.status_code == 200 and failures.text.count("clerk1") >= 5
    # Unlock: delete the attempt, as the list's delete action does.
    admin.post(reverse("admin:axes_accessattempt_changelist"),
               {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"})
    assert not AccessAttempt.objects.exists()
    assert login_form(client, "clerk1").status_code == 302 and logged_in(client)


def test_clerks_do_not_see_login_attempts(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def test_a_forwarded_for_header_is_ignored_unless_the_proxy_is_trusted(client, clerk):
    # Without AXES_CLIENT_IP_HEADER a client cannot escape the count by inventing addresses.
    for n in range(5):
        answer = login_form(client, "clerk1", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert answer.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_address_it_appended_counts(client, clerk, settings):
    settings.AXES_CLIENT_IP_HEADER = "X-Forwarded-For"
    # The proxy appends the address it saw; what the client put before it is ignored.
    for n in range(5):
        answer = login_form(client, "clerk1", "wrong", REMOTE_ADDR="10.0.0.2",
                            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7")
    assert answer.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    # Another client behind the same proxy is not locked.
    assert login_form(client, "clerk1", REMOTE_ADDR="10.0.0.2",
                      HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_a_malformed_proxy_header_falls_back_to_the_connections_address(client, clerk, settings):
    settings.AXES_CLIENT_IP_HEADER = "X-Real-IP"
    login_form(client, "clerk1", "wrong", REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="not-an-address")
    assert AccessAttempt.objects.get().ip_address == "10.0.0.2"
