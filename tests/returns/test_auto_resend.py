"""Outbound orders and stop-waiting left unknown are sent again by the workers' maintenance, against the sandbox over
HTTP: done without a person, each attempt in the history and the call log, never a second order; a settlement
with a lost answer is never sent again. (Real `db_worker` processes: tests/jobs/test_auto_resend_workers.py.)"""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from django.utils import formats, timezone

from returns.models import PurchaseReturn
from returns.services import return_push_outbound, returns_push_outbound, returns_stop_waiting
from settlements.services import settlement_submit
from tests.factories import make_draft, make_return
from tests.threads import at_once
from wdtportal.documents.models import AutoResend
from wdtportal.documents.resending import documents_resend_due
from wdtportal.documents.results import Outcome
from wdtportal.documents.states import DocumentState as S
from wdtportal.documents.sweep import documents_sweep_sending
from wdtportal.documents.transitions import move
from wdtportal.jobs.recovery import jobs_maintenance
from wdtportal.wdt.models import WdtCall
from wdtportal.wdt.sandbox.models import SandboxReturn

PUSH = "purchase_return_order_push.php"
PENDING = "purchase.PurchaseReturn.pending"
UPLOAD = "finance.settle.PurchaseReturn.upload"
LINES = [{"spec_no": "SKU-A", "num": Decimal("2"), "price": Decimal("10.5")}]


def known_return(wdt_sandbox, return_no: str = "CR2026141001") -> PurchaseReturn:
    wdt_sandbox.seed_return(return_no, [{"spec_no": "SKU-A", "num": "2", "price": "10.5"}])
    return make_return(return_no, lines=LINES)


def fresh(document):
    return type(document).objects.get(pk=document.pk)


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def test_an_outbound_order_whose_answer_was_lost_is_sent_again_after_the_delay_and_ends_done(
        wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = [60, 300, 1800]
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    assert return_push_outbound(purchase_return=purchase_return, user=supervisor).outcome == Outcome.UNKNOWN
    row = AutoResend.objects.get()
    assert (row.object_id, row.field, row.attempts) == (purchase_return.pk, "outbound_state", 0)
    assert later(55) < row.next_at < later(61)
    wdt_sandbox.faults()

    assert documents_resend_due() == 0  # not due yet: nothing sent
    assert WdtCall.objects.filter(method=PUSH).count() == 1
    assert documents_resend_due(now=later(61)) == 1

    purchase_return = fresh(purchase_return)
    assert purchase_return.outbound_state == S.DONE and purchase_return.last_message == "出库单已创建"
    assert not AutoResend.objects.exists()
    # One order in WDT for the return's outer_no, two calls in the log, the automatic one by nobody.
    assert list(wdt_sandbox.outbounds().values_list("outer_no", flat=True)) == [purchase_return.outer_no]
    calls = list(WdtCall.objects.filter(method=PUSH).order_by("id"))
    assert [c.outcome for c in calls] == ["unknown", "ok"]
    assert (calls[1].user, calls[1].document_id) == (None, str(purchase_return.pk))
    history = [(c.from_state, c.to_state, c.user, c.reason) for c in purchase_return.state_changes.order_by("id")]
    assert history[-2:] == [("unknown", "sending", None, "自动重新发送（第1次，共3次）"),
                            ("sending", "done", None, "出库单已创建")]


def test_the_workers_maintenance_sends_a_5xx_stop_waiting_again_without_a_person(wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = [0]
    wdt_sandbox.seed_return("CR2026141002")
    purchase_return = make_return("CR2026141002")
    wdt_sandbox.faults(error_rate=1, max_faults=1)  # a 503: nothing was done
    [answer] = returns_stop_waiting(purchase_returns=[purchase_return], user=supervisor)
    assert answer.outcome == Outcome.UNKNOWN
    assert SandboxReturn.objects.get(return_no="CR2026141002").waiting

    assert jobs_maintenance()["resent"] == 1
    assert fresh(purchase_return).waiting_state == S.DONE
    assert not SandboxReturn.objects.get(return_no="CR2026141002").waiting
    assert list(WdtCall.objects.filter(method=PENDING).order_by("id").values_list("outcome", flat=True)) == [
        "unknown", "ok"]
    assert not AutoResend.objects.exists()


def test_an_outbound_order_left_in_sending_by_a_killed_worker_is_swept_then_sent_again(
        wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = [0]
    purchase_return = known_return(wdt_sandbox)
    move(purchase_return, "outbound_state", S.SENDING)  # the worker died here, before or after calling WDT
    assert len(documents_sweep_sending(timeout_seconds=0)) == 1
    assert AutoResend.objects.filter(object_id=purchase_return.pk).exists()
    assert documents_resend_due() == 1
    assert fresh(purchase_return).outbound_state == S.DONE
    assert wdt_sandbox.outbounds().count() == 1


def test_a_resend_wdt_refuses_fails_the_return_with_wdts_message(wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = [0, 0]
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(error_rate=1)
    return_push_outbound(purchase_return=purchase_return, user=supervisor)
    wdt_sandbox.faults()
    SandboxReturn.objects.filter(return_no=purchase_return.return_no).delete()  # WDT no longer knows it

    assert documents_resend_due() == 1
    purchase_return = fresh(purchase_return)
    assert purchase_return.outbound_state == S.FAILED
    assert "采购退货单号不存在" in purchase_return.last_message
    assert not AutoResend.objects.exists()
    assert documents_resend_due() == 0


def test_after_the_last_attempt_it_stays_unknown_for_a_supervisor_and_nothing_more_is_sent(
        wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = [0, 0]
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(error_rate=1)
    return_push_outbound(purchase_return=purchase_return, user=supervisor)
    assert documents_resend_due() == 1
    assert AutoResend.objects.get().attempts == 1 and AutoResend.objects.get().next_at is not None
    assert documents_resend_due() == 1
    row = AutoResend.objects.get()
    assert (row.attempts, row.next_at) == (2, None)
    assert documents_resend_due(now=later(3600)) == 0
    assert WdtCall.objects.filter(method=PUSH).count() == 3
    assert fresh(purchase_return).outbound_state == S.UNKNOWN
    reasons = list(fresh(purchase_return).state_changes.filter(to_state=S.SENDING).values_list("reason", flat=True))
    assert reasons == ["推送出库单", "自动重新发送（第1次，共2次）", "自动重新发送（第2次，共2次）"]
    # An ordinary send still refuses it, and says that the automatic attempts are used up.
    [again] = returns_push_outbound(purchase_returns=[purchase_return], user=supervisor)
    assert again.outcome == Outcome.SKIPPED and "已自动重新发送2次，结果仍未知" in again.message


def test_a_supervisor_who_resolves_it_first_leaves_nothing_to_resend(wdt_sandbox, supervisor, settings):
    from returns.services import return_resolve_unknown

    settings.WDT_AUTO_RESEND_DELAYS = [0]
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    return_push_outbound(purchase_return=purchase_return, user=supervisor)
    return_resolve_unknown(purchase_return=fresh(purchase_return), user=supervisor, action="mark_done")
    assert not AutoResend.objects.exists()
    assert documents_resend_due() == 0
    assert WdtCall.objects.filter(method=PUSH).count() == 1


def test_a_settlement_with_a_lost_answer_stays_unknown_and_is_sent_once(wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = [0]
    wdt_sandbox.seed_return("CR2026141003", [{"spec_no": "SKU-A", "num": "2", "price": "10.5"}])
    draft = make_draft("CR2026141003")
    wdt_sandbox.faults(lost_answer_rate=1)
    assert settlement_submit(draft=draft, user=supervisor).outcome == Outcome.UNKNOWN
    wdt_sandbox.faults()
    assert not AutoResend.objects.exists()
    assert jobs_maintenance()["resent"] == 0
    assert fresh(draft).state == S.UNKNOWN
    assert WdtCall.objects.filter(method=UPLOAD).count() == 1 and wdt_sandbox.settlements().count() == 1


@pytest.mark.django_db(transaction=True)
def test_stopping_a_return_wdt_says_is_stopped_already_counts_as_done(fake_gateway, supervisor, settings):
    settings.WDT_QJB_URL = fake_gateway.url
    purchase_return = make_return("CR2026141004")
    fake_gateway.answers_json({"status": 0, "data": {"status": 0, "error_info": [
        {"order_no": "CR2026141004", "message": "采购退货单已停止等待"}]}})
    [answer] = returns_stop_waiting(purchase_returns=[purchase_return], user=supervisor)
    assert answer.outcome == Outcome.DONE and fresh(purchase_return).waiting_state == S.DONE


def test_two_workers_maintenance_at_the_same_moment_send_a_document_once(wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = [0]
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    return_push_outbound(purchase_return=purchase_return, user=supervisor)
    wdt_sandbox.faults(latency_ms=300)
    sent = at_once(3, documents_resend_due)
    assert sorted(sent) == [0, 0, 1]
    assert WdtCall.objects.filter(method=PUSH).count() == 2
    assert fresh(purchase_return).outbound_state == S.DONE


def local_hhmm(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "H:i")


def test_the_dashboard_and_the_job_page_say_when_it_is_sent_again_in_local_time(
        wdt_sandbox, supervisor, settings, client):
    from returns import job_kinds
    from tests.worker import run_worker_until_idle
    from wdtportal.jobs.services import job_start

    settings.WDT_AUTO_RESEND_DELAYS = [300, 1800]
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    job = job_start(kind=job_kinds.PUSH_OUTBOUND, documents=[purchase_return], user=supervisor)
    run_worker_until_idle()
    row = AutoResend.objects.get()
    note = f"将于 {local_hhmm(row.next_at)} 自动重新发送（第1次，共2次）"
    assert local_hhmm(row.next_at) != row.next_at.astimezone(UTC).strftime("%H:%M")  # Shanghai, not UTC

    client.force_login(supervisor)
    page = client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
    assert note in page
    data = client.get(reverse("admin:jobs_job_progress_json", args=[job.pk])).json()
    assert note in data["items"][0]["message"]
    front = client.get(reverse("admin:index")).content.decode()
    assert note in front
    assert f"1 张单据等待自动重新发送，最近一次于 {local_hhmm(row.next_at)}" in front
    resolve = client.get(reverse("admin:returns_purchasereturn_resolve", args=[purchase_return.pk]))
    assert note in resolve.content.decode()  # the supervisor may simply wait

    # The re-send made it done: the job's page, which recorded unknown, says what it is now.
    wdt_sandbox.faults()
    assert documents_resend_due(now=later(301)) == 1
    assert fresh(purchase_return).outbound_state == S.DONE
    data = client.get(reverse("admin:jobs_job_progress_json", args=[job.pk])).json()
    assert data["items"][0]["state"] == "unknown" and "现在的状态：已完成" in data["items"][0]["message"]


def test_a_resend_taken_by_a_worker_that_died_before_sending_is_due_again_after_its_lease(
        wdt_sandbox, supervisor, settings, monkeypatch):
    settings.WDT_AUTO_RESEND_DELAYS = [0, 0]
    settings.WDT_SENDING_TIMEOUT = 30
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    return_push_outbound(purchase_return=purchase_return, user=supervisor)
    wdt_sandbox.faults()

    from wdtportal.documents import registry

    def dies(*args, **kwargs):
        raise SystemExit("killed between taking the row and the claim")

    monkeypatch.setattr(registry, "resender", lambda model, field: dies)
    with pytest.raises(SystemExit):
        documents_resend_due()
    monkeypatch.undo()
    row = AutoResend.objects.get()
    assert row.attempts == 1 and later(85) < row.next_at < later(91)  # the sweep's 30 s and a minute
    assert documents_resend_due() == 0  # leased: another worker leaves it alone
    assert fresh(purchase_return).outbound_state == S.UNKNOWN

    assert documents_resend_due(now=later(91)) == 1
    assert fresh(purchase_return).outbound_state == S.DONE
    assert wdt_sandbox.outbounds().count() == 1


def test_the_dashboard_makes_the_same_queries_for_one_waiting_document_as_for_many(
        wdt_sandbox, supervisor, settings, client, django_assert_num_queries):
    settings.WDT_AUTO_RESEND_DELAYS = [300]
    content_type = ContentType.objects.get_for_model(PurchaseReturn)

    def unknown_returns(first: int, n: int) -> None:
        for i in range(first, first + n):
            r = PurchaseReturn.objects.create(return_no=f"CR20261419{i:02d}", outbound_state=S.UNKNOWN)
            AutoResend.objects.create(content_type=content_type, object_id=r.pk, field="outbound_state",
                                      next_at=later(300))

    client.force_login(supervisor)
    unknown_returns(0, 1)
    client.get(reverse("admin:index"))  # warm the caches (content types, permissions)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("admin:index")).status_code == 200
    unknown_returns(1, 15)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("admin:index")).content.decode()
    assert "16 张单据等待自动重新发送" in page


def test_a_send_job_skips_a_return_waiting_for_its_automatic_resend_and_says_when(wdt_sandbox, supervisor, settings):
    from returns import job_kinds
    from wdtportal.jobs.services import job_start

    settings.WDT_AUTO_RESEND_DELAYS = [300]
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    return_push_outbound(purchase_return=purchase_return, user=supervisor)
    job = job_start(kind=job_kinds.PUSH_OUTBOUND, documents=[fresh(purchase_return)], user=supervisor)
    item = job.items.get()
    assert item.state == "skipped"
    assert item.message == (f"上次发送结果未知：将于 {local_hhmm(AutoResend.objects.get().next_at)} "
                            "自动重新发送（第1次，共1次）")


def test_the_clerk_reads_why_no_answer_came_in_her_language_and_the_call_log_keeps_the_technical_text(
        wdt_sandbox, supervisor, settings):
    settings.WDT_AUTO_RESEND_DELAYS = []
    lost, failed = known_return(wdt_sandbox), known_return(wdt_sandbox, "CR2026141099")
    wdt_sandbox.faults(lost_answer_rate=1)
    return_push_outbound(purchase_return=lost, user=supervisor)
    wdt_sandbox.faults(error_rate=1)
    return_push_outbound(purchase_return=failed, user=supervisor)

    assert fresh(lost).last_message == "请求可能已到达旺店通，但没有收到回答（连接中断）。请在旺店通核对后由主管处理"
    assert fresh(failed).last_message == (
        "请求可能已到达旺店通，但没有收到回答（旺店通返回 HTTP 503）。请在旺店通核对后由主管处理")
    assert "no answer from WDT" in WdtCall.objects.filter(document_id=str(lost.pk)).get().error_message
