"""The dashboard on the admin's front page: figures for data the test creates, links to the filtered lists."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.utils import timezone

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from wdtportal import dashboard
from wdtportal.admin_site import PortalAdminSite
from wdtportal.documents.states import DocumentState as S
from wdtportal.wdt.models import Outcome, WdtCall

pytestmark = pytest.mark.django_db

PUSH = "purchase_return_order_push.php"
PENDING = "purchase.PurchaseReturn.pending"
UPLOAD = "finance.settle.PurchaseReturn.upload"


def make_return(no: str, outbound: str = S.DRAFT, waiting: str = S.DRAFT, message: str = "") -> PurchaseReturn:
    return PurchaseReturn.objects.create(return_no=no, outbound_state=outbound, waiting_state=waiting,
                                         last_message=message, post_cost=Decimal("1.5"))


def make_draft(no: str, state: str = S.DRAFT, message: str = "") -> SettlementDraft:
    return SettlementDraft.objects.create(return_no=no, state=state, last_message=message)


def make_call(method: str, outcome: str, at: datetime, message: str = "", payload: Any = None,
              answer: Any = None) -> WdtCall:
    call = WdtCall.objects.create(gateway="qjb", method=method, outcome=outcome, error_message=message,
                                  request_payload=[["CR-1"]] if payload is None and method == PENDING else payload,
                                  answer=answer)
    WdtCall.objects.filter(pk=call.pk).update(created_at=at)  # created_at is auto_now_add
    return call


@pytest.fixture
def documents():
    make_return("CR-D1"), make_return("CR-D2"), make_return("CR-D3")
    make_return("CR-F1", S.FAILED, message="商家编码不存在")
    make_return("CR-F2", S.FAILED, message="商家编码不存在")
    make_return("CR-F3", S.FAILED, message="退货数量超过可退数量")
    make_return("CR-U1", S.UNKNOWN)
    make_return("CR-OK1", S.DONE, S.UNKNOWN)
    make_return("CR-OK2", S.DONE, S.DONE)
    make_draft("CR-OK2", S.DONE)
    make_draft("CR-F1", S.FAILED, message="采购退货单不存在")
    make_draft("CR-U1", S.UNKNOWN)
    make_draft("CR-D1", S.UNKNOWN)
    make_draft("CR-D2", S.READY)


def counts(table: dashboard.StateTable) -> dict[str, int]:
    return {row.state: row.count for row in table.rows if row.count}


def test_dashboard_counts_documents_by_state_and_links_each_to_the_filtered_list(
        admin_client_zh, documents):
    response = admin_client_zh.get("/admin/")
    assert response.status_code == 200
    board = response.context["dashboard"]
    outbound, waiting, settlements = board.states
    assert counts(outbound) == {"draft": 3, "failed": 3, "unknown": 1, "done": 2}
    assert outbound.total == 9
    assert counts(waiting) == {"draft": 7, "unknown": 1, "done": 1}
    assert counts(settlements) == {"done": 1, "failed": 1, "unknown": 2, "ready": 1}
    failed_row = next(r for r in outbound.rows if r.state == "failed")
    assert failed_row.url == "/admin/returns/purchasereturn/?outbound_state__exact=failed"
    assert 'href="/admin/returns/purchasereturn/?outbound_state__exact=failed">3</a>' in response.text
    assert 'href="/admin/returns/purchasereturn/?waiting_state__exact=unknown">1</a>' in response.text
    assert 'href="/admin/settlements/settlementdraft/?state__exact=ready">1</a>' in response.text
    # The link leads to exactly those documents.
    listed = admin_client_zh.get(failed_row.url)
    assert listed.context["cl"].result_count == 3


def test_dashboard_lists_unknowns_waiting_for_a_person_with_links(admin_client_zh, documents):
    board = admin_client_zh.get("/admin/").context["dashboard"]
    assert [(c.state, c.count) for c in board.unknown_counts] == [
        ("outbound_state", 1), ("waiting_state", 1), ("state", 2)]
    assert board.unknown_counts[2].url == "/admin/settlements/settlementdraft/?state__exact=unknown"
    labels = sorted(d.label for d in board.unknown_documents)
    assert labels == ["CR-D1", "CR-OK1", "CR-U1", "CR-U1"]
    draft = SettlementDraft.objects.get(return_no="CR-D1")
    assert f"/admin/settlements/settlementdraft/{draft.pk}/change/" in [d.url for d in board.unknown_documents]


def test_dashboard_groups_failures_by_wdt_message(admin_client_zh, documents):
    response = admin_client_zh.get("/admin/")
    groups = [(g.heading, g.message, g.count) for g in response.context["dashboard"].failures]
    assert groups == [
        ("采购退货 · 出库单", "商家编码不存在", 2),
        ("结算单草稿", "采购退货单不存在", 1),
        ("采购退货 · 出库单", "退货数量超过可退数量", 1),
    ]
    link = response.context["dashboard"].failures[0].url
    listed = admin_client_zh.get(link)
    assert sorted(str(o) for o in listed.context["cl"].result_list) == ["CR-F1", "CR-F2"]


def test_sends_today_and_this_week_count_requests_that_reached_wdt(admin_client_zh):
    now = timezone.now()
    make_call(PUSH, Outcome.OK, now)
    make_call(PUSH, Outcome.OK, now)
    make_call(PUSH, Outcome.REFUSED, now, "商家编码不存在")
    make_call(PUSH, Outcome.RATE_LIMITED, now)  # retried by the client: not a send
    make_call(PUSH, Outcome.NO_ANSWER, now)  # never left: not a send
    make_call(UPLOAD, Outcome.UNKNOWN, now)
    make_call(UPLOAD, Outcome.OK, now - timedelta(days=8))  # last week
    make_call("some.query.method", Outcome.OK, now)  # not one of the three sending methods
    board = admin_client_zh.get("/admin/").context["dashboard"]
    by_method = {f.method: f for f in board.sends}
    assert (by_method[PUSH].today, by_method[PUSH].today_failed) == (3, 1)
    assert (by_method[UPLOAD].today, by_method[UPLOAD].today_failed) == (1, 1)
    assert (by_method[PENDING].today, by_method[PENDING].week) == (0, 0)
    assert (board.sends_total.today, board.sends_total.today_failed) == (4, 2)
    assert (board.sends_total.week, board.sends_total.week_failed) == (4, 2)


def test_this_week_starts_on_monday_local_time():
    tz = timezone.get_current_timezone()
    wednesday_noon = timezone.make_aware(datetime(2026, 11, 18, 12, 0), tz)
    monday_early = timezone.make_aware(datetime(2026, 11, 16, 0, 30), tz)
    sunday_late = timezone.make_aware(datetime(2026, 11, 15, 23, 30), tz)
    make_call(PENDING, Outcome.OK, wednesday_noon - timedelta(hours=1))
    make_call(PENDING, Outcome.REFUSED, monday_early)
    make_call(PENDING, Outcome.OK, sunday_late)
    figures, total = dashboard.send_figures(now=wednesday_noon)
    pending = next(f for f in figures if f.method == PENDING)
    assert (pending.today, pending.week, pending.week_failed) == (1, 2, 1)
    assert total.week == 2


def test_stop_waiting_counts_returns_not_requests(admin_client_zh):
    now = timezone.now()
    numbers = [f"CR-{i}" for i in range(500)]
    # One request for 500 returns, two of which WDT refused by name; one refused whole; one for 3, unknown.
    make_call(PENDING, Outcome.OK, now, payload=[numbers],
              answer={"status": 0, "data": {"error_info": [{"order_no": "CR-1", "message": "采购退货单号不存在"},
                                                           {"order_no": "CR-2", "message": "采购退货单号不存在"}]}})
    make_call(PENDING, Outcome.REFUSED, now, payload=[numbers[:20]], answer={"status": 100, "message": "x"})
    make_call(PENDING, Outcome.UNKNOWN, now, payload=[numbers[:3]])
    make_call(PENDING, Outcome.OK, now, payload=[numbers[:7]], answer={"status": 0, "data": {"error_info": []}})
    make_call(PENDING, Outcome.OK, now, payload="not a list", answer={"status": 0, "data": "odd"})  # counts none
    board = admin_client_zh.get("/admin/").context["dashboard"]
    pending = next(f for f in board.sends if f.method == PENDING)
    assert (pending.today, pending.today_failed, pending.week, pending.week_failed) == (530, 25, 530, 25)


def test_validated_documents_wait_for_the_supervisor_and_both_roles_see_how_many(client, documents):
    from tests.factories import make_user

    make_return("CR-R1", S.READY), make_return("CR-R2", S.READY)
    for username, group, can_send, says in (("clerk9", "财务专员", False, "校验通过的单据由财务主管发送到旺店通"),
                                            ("boss9", "财务主管", True, "专员校验通过的单据由你发送")):
        client.force_login(make_user(username, group))
        response = client.get("/admin/")
        board = response.context["dashboard"]
        assert [(row.heading, row.count, row.can_send) for row in board.handover] == [
            ("采购退货 · 出库单", 2, can_send), ("结算单草稿", 1, can_send)]
        assert board.handover[0].url == "/admin/returns/purchasereturn/?outbound_state__exact=ready"
        assert "已校验，等待财务主管发送" in response.text and says in response.text


def test_chart_has_thirty_days_of_sends_and_failures_ending_today():
    tz = timezone.get_current_timezone()
    now = timezone.make_aware(datetime(2026, 11, 22, 14, 5), tz)
    make_call(PUSH, Outcome.OK, now - timedelta(hours=1))
    make_call(PUSH, Outcome.REFUSED, now - timedelta(days=3))
    make_call(UPLOAD, Outcome.UNKNOWN, now - timedelta(days=3))
    make_call(UPLOAD, Outcome.OK, now - timedelta(days=29))
    make_call(UPLOAD, Outcome.OK, now - timedelta(days=30))  # outside the window
    days = dashboard.daily_sends(now=now)
    assert len(days) == 30
    assert days[-1].day.isoformat() == "2026-11-22" and days[0].day.isoformat() == "2026-10-24"
    by_day = {d.day.isoformat(): (d.ok, d.refused, d.unknown) for d in days if d.sends}
    assert by_day == {"2026-11-22": (1, 0, 0), "2026-11-19": (0, 1, 1), "2026-10-24": (1, 0, 0)}


def test_chart_is_drawn_inline_without_external_assets(admin_client_zh):
    make_call(PUSH, Outcome.REFUSED, timezone.now() - timedelta(days=2))
    make_call(PUSH, Outcome.OK, timezone.now() - timedelta(days=2))
    response = admin_client_zh.get("/admin/")
    html = response.text
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert f'data-day="{day}" data-sends="2" data-failed="1"' in html
    assert html.count('<g class="bar"') == 30
    assert 'class="seg-refused"' in html
    assert "合计发送 2 次，其中失败 1 次" in html
    assert "http://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")


def test_dashboard_shows_no_links_to_lists_the_user_may_not_see(client, django_user_model, documents):
    clerk = django_user_model.objects.create_user("nobody", password="pw-nobody-2026", is_staff=True)
    client.force_login(clerk)
    board = client.get("/admin/").context["dashboard"]
    assert all(row.url is None for table in board.states for row in table.rows)
    assert all(doc.url is None for doc in board.unknown_documents)


def test_admin_front_page_is_the_portal_site():
    assert isinstance(admin.site, PortalAdminSite)
    assert admin.site.index_template == "admin/dashboard.html"


def test_large_counts_have_thousands_separators(admin_client_zh):
    WdtCall.objects.bulk_create(
        [WdtCall(gateway="qjb", method=PENDING, outcome=Outcome.OK, request_payload=[["CR-1"]]) for _ in range(1234)])
    response = admin_client_zh.get("/admin/")
    assert '<td class="num">1,234</td>' in response.text


def test_dashboard_links_background_jobs_still_running(admin_client_zh):
    from wdtportal.jobs.models import Job

    running = Job.objects.create(kind="settlement_submit", total=10, done=3, failed=1,
                                 started_at=timezone.now())
    Job.objects.create(kind="settlement_submit", total=5, done=5, started_at=timezone.now(),
                       finished_at=timezone.now())
    response = admin_client_zh.get("/admin/")
    jobs = response.context["dashboard"].open_jobs
    assert [(j.processed, j.total, j.url) for j in jobs] == [(4, 10, f"/admin/jobs/job/{running.pk}/progress/")]
    assert f'href="/admin/jobs/job/{running.pk}/progress/"' in response.text


def test_chart_days_are_local_days_across_midnight_and_daylight_saving_without_a_function_per_row(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TIME_ZONE = "Europe/Berlin"  # summer time ended on 2026-10-25 at 03:00: that day had 25 hours
    with timezone.override("Europe/Berlin"):
        tz = timezone.get_current_timezone()
        now = timezone.make_aware(datetime(2026, 10, 27, 12, 0), tz)
        make_call(PUSH, Outcome.OK, timezone.make_aware(datetime(2026, 10, 25, 23, 59), tz))
        make_call(PUSH, Outcome.OK, timezone.make_aware(datetime(2026, 10, 26, 0, 1), tz))
        make_call(PUSH, Outcome.REFUSED, timezone.make_aware(datetime(2026, 10, 25, 0, 30), tz))
        make_call(PUSH, Outcome.OK, timezone.make_aware(datetime(2026, 10, 24, 23, 30), tz))
        with CaptureQueriesContext(connection) as captured:
            days = dashboard.daily_sends(now=now)
    by_day = {d.day.isoformat(): (d.ok, d.refused) for d in days if d.sends}
    assert by_day == {"2026-10-24": (1, 0), "2026-10-25": (1, 1), "2026-10-26": (1, 0)}
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "django_" not in sql  # no Python function registered by Django's SQLite backend, called per row


def test_failures_are_grouped_from_the_most_recent_failed_documents_only(admin_client_zh, monkeypatch):
    monkeypatch.setattr(dashboard, "FAILURE_SAMPLE", 2)
    make_return("CR-OLD", S.FAILED, message="很久以前的错误")
    make_return("CR-NEW1", S.FAILED, message="商家编码不存在")
    make_return("CR-NEW2", S.FAILED, message="商家编码不存在")
    board = admin_client_zh.get("/admin/").context["dashboard"]
    assert [(g.message, g.count) for g in board.failures] == [("商家编码不存在", 2)]
    assert board.states[0].rows[[r.state for r in board.states[0].rows].index("failed")].count == 3
