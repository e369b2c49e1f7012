"""Pushing outbound orders and stopping waiting, end to end against the sandbox over HTTP."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from returns import services
from returns.models import PurchaseReturn
from returns.services import return_push_outbound, return_resolve_unknown, returns_push_outbound, returns_stop_waiting
from tests.factories import make_return
from wdtportal.documents import sending
from wdtportal.documents.results import Outcome
from wdtportal.documents.states import DocumentState
from wdtportal.wdt.models import WdtCall
from wdtportal.wdt.sandbox.models import SandboxReturn

LINES = [{"spec_no": "SKU-A", "num": Decimal("2"), "price": Decimal("10.5")}]


def known_return(wdt_sandbox, return_no: str = "CR2026119401") -> PurchaseReturn:
    wdt_sandbox.seed_return(return_no, [{"spec_no": "SKU-A", "num": "2", "price": "10.5"}])
    return make_return(return_no, lines=LINES, logistics_code="SF", post_cost=Decimal("8"))


def pushes() -> int:
    return WdtCall.objects.filter(method="purchase_return_order_push.php").count()


def test_pushing_an_outbound_order_creates_it_in_wdt_and_marks_the_return_done(wdt_sandbox, supervisor):
    purchase_return = known_return(wdt_sandbox)
    answer = return_push_outbound(purchase_return=purchase_return, user=supervisor)
    assert answer.outcome == Outcome.DONE, answer.message
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == DocumentState.DONE
    # Our words in the clerk's language, never WDT's English "succeed".
    assert (purchase_return.sent_by, purchase_return.last_message) == (supervisor, "出库单已创建")
    outbound = wdt_sandbox.outbounds().get()
    assert outbound.outer_no == purchase_return.outer_no
    assert outbound.payload["post_cost"] == "8" and outbound.payload["detail_list"][0]["num"] == "2"
    call = WdtCall.objects.get()
    assert (call.outcome, call.user, call.document_id) == ("ok", supervisor, str(purchase_return.pk))
    assert [(c.from_state, c.to_state) for c in purchase_return.state_changes.all()] == [
        ("draft", "sending"), ("sending", "done")]


def test_a_refusal_keeps_wdts_message_and_the_return_can_be_fixed_and_sent_again(wdt_sandbox, supervisor):
    purchase_return = make_return("CR2026119402", lines=LINES)
    answer = return_push_outbound(purchase_return=purchase_return, user=supervisor)
    assert answer.outcome == Outcome.FAILED
    assert "采购退货单号不存在" in answer.message
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == DocumentState.FAILED and purchase_return.is_editable
    assert "采购退货单号不存在" in purchase_return.last_message

    wdt_sandbox.seed_return("CR2026119402", [{"spec_no": "SKU-A", "num": "2"}])
    assert return_push_outbound(purchase_return=purchase_return, user=supervisor).outcome == Outcome.DONE


def test_a_rate_limit_refusal_is_retried_and_then_succeeds(wdt_sandbox, supervisor):
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(rate_limit_rate=1, max_faults=1)
    assert return_push_outbound(purchase_return=purchase_return, user=supervisor).outcome == Outcome.DONE
    assert list(WdtCall.objects.order_by("id").values_list("outcome", flat=True)) == ["rate_limited", "ok"]


def test_a_rate_limit_that_does_not_end_fails_the_send_safely_as_not_executed(wdt_sandbox, supervisor, settings):
    settings.WDT_MAX_RETRIES = 1
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(rate_limit_rate=1)
    answer = return_push_outbound(purchase_return=purchase_return, user=supervisor)
    assert answer.outcome == Outcome.FAILED and "限流" in answer.message
    assert wdt_sandbox.outbounds().count() == 0


def test_a_5xx_makes_the_outcome_unknown_and_an_ordinary_send_does_not_send_it_again(wdt_sandbox, supervisor):
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(error_rate=1)
    answer = return_push_outbound(purchase_return=purchase_return, user=supervisor)
    assert answer.outcome == Outcome.UNKNOWN
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == DocumentState.UNKNOWN
    wdt_sandbox.faults()
    again = return_push_outbound(purchase_return=purchase_return, user=supervisor)
    # Only the automatic re-send does (tests/returns/test_auto_resend.py), and the refusal says when.
    assert again.outcome == Outcome.SKIPPED and "将于" in again.message and "自动重新发送（第1次" in again.message
    assert pushes() == 1


def test_a_lost_answer_after_commit_becomes_unknown_and_sending_again_makes_no_second_call(wdt_sandbox, supervisor):
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    assert return_push_outbound(purchase_return=purchase_return, user=supervisor).outcome == Outcome.UNKNOWN
    assert wdt_sandbox.outbounds().count() == 1  # WDT did it; we just never heard
    wdt_sandbox.faults()
    answers = returns_push_outbound(purchase_returns=[purchase_return], user=supervisor)
    assert [a.outcome for a in answers] == [Outcome.SKIPPED]
    assert pushes() == 1

    # The supervisor sends again on purpose: the unchanged outer_no makes WDT create nothing new.
    resolved = return_resolve_unknown(purchase_return=purchase_return, user=supervisor, action="send_again")
    assert resolved.outcome == Outcome.DONE
    assert pushes() == 2 and wdt_sandbox.outbounds().count() == 1


def test_a_supervisor_marks_an_unknown_push_done_without_calling_wdt(wdt_sandbox, supervisor):
    purchase_return = known_return(wdt_sandbox)
    wdt_sandbox.faults(lost_answer_rate=1)
    return_push_outbound(purchase_return=purchase_return, user=supervisor)
    answer = return_resolve_unknown(purchase_return=purchase_return, user=supervisor, action="mark_done")
    assert answer.outcome == Outcome.DONE
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == DocumentState.DONE
    last = purchase_return.state_changes.order_by("-id").first()
    assert (last.from_state, last.to_state, last.user) == ("unknown", "done", supervisor)
    assert pushes() == 1


def test_two_concurrent_sends_of_one_return_reach_wdt_once(wdt_sandbox, supervisor, monkeypatch):
    """Both sends enter the claim at the same moment. The first one to lock the row then waits inside the claim (in
    its check) for the other to join it there: with the row lock the other cannot, the wait times out, and the
    other finds the return sending. Without the lock both would be inside at once. Runs on SQLite and PostgreSQL."""
    purchase_return = known_return(wdt_sandbox)
    at_claim = threading.Barrier(2, timeout=20)
    both_inside = threading.Barrier(2)
    guard = threading.Lock()
    inside = {"now": 0, "most": 0}
    claim, check = sending.claim, services.return_errors

    def claim_together(*args, **kwargs):
        at_claim.wait()
        return claim(*args, **kwargs)

    def check_waiting_for_the_other(document):
        with guard:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
        try:
            both_inside.wait(timeout=1.5)
        except threading.BrokenBarrierError:
            pass  # alone in the claim: what the row lock is for
        finally:
            with guard:
                inside["now"] -= 1
        return check(document)

    monkeypatch.setattr(sending, "claim", claim_together)
    monkeypatch.setattr(services, "return_errors", check_waiting_for_the_other)
    answers, errors = [], []

    def send() -> None:
        try:
            answers.append(return_push_outbound(purchase_return=PurchaseReturn.objects.get(pk=purchase_return.pk),
                                                user=supervisor))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and not at_claim.broken
    assert inside["most"] == 1 and both_inside.broken
    assert sorted(a.outcome for a in answers) == [Outcome.DONE, Outcome.SKIPPED]
    skipped = next(a.message for a in answers if a.outcome == Outcome.SKIPPED)
    assert skipped in (sending.refusal_reason(DocumentState.SENDING), sending.refusal_reason(DocumentState.DONE))
    assert pushes() == 1 and wdt_sandbox.outbounds().count() == 1


def test_a_return_stored_without_outer_no_gets_one_when_sent_and_keeps_it(wdt_sandbox, supervisor):
    purchase_return = known_return(wdt_sandbox)
    PurchaseReturn.objects.filter(pk=purchase_return.pk).update(outer_no="")  # inserted without save()
    assert return_push_outbound(purchase_return=purchase_return, user=supervisor).outcome == Outcome.DONE
    purchase_return.refresh_from_db()
    assert purchase_return.outer_no.startswith("WP")
    assert wdt_sandbox.outbounds().get().outer_no == purchase_return.outer_no


def test_an_invalid_return_is_not_sent(wdt_sandbox, supervisor):
    purchase_return = make_return("CR2026119403", lines=[])
    answer = return_push_outbound(purchase_return=purchase_return, user=supervisor)
    assert answer.outcome == Outcome.SKIPPED and "至少需要一行明细" in answer.message
    assert pushes() == 0


def test_a_clerk_cannot_send_through_the_service_either(wdt_sandbox, clerk):
    from django.core.exceptions import PermissionDenied

    purchase_return = known_return(wdt_sandbox)
    with pytest.raises(PermissionDenied):
        return_push_outbound(purchase_return=purchase_return, user=clerk)
    assert pushes() == 0


def test_stop_waiting_on_1201_returns_goes_in_three_requests_and_maps_each_error_back(wdt_sandbox, supervisor):
    numbers = [f"CR20261{i:05d}" for i in range(1, 1202)]
    PurchaseReturn.objects.bulk_create(PurchaseReturn(return_no=no, outer_no=f"OUT{no}") for no in numbers)
    missing = {numbers[3], numbers[600], numbers[1200]}  # one in each request
    SandboxReturn.objects.bulk_create(SandboxReturn(return_no=no, waiting=True) for no in numbers if no not in missing)
    selection = list(PurchaseReturn.objects.order_by("return_no"))

    answers = returns_stop_waiting(purchase_returns=selection, user=supervisor)

    calls = list(WdtCall.objects.filter(method="purchase.PurchaseReturn.pending").order_by("id"))
    assert [len(c.request_payload[0]) for c in calls] == [500, 500, 201]
    assert [a.document.return_no for a in answers] == numbers
    failed = {a.document.return_no: a.message for a in answers if a.outcome == Outcome.FAILED}
    assert set(failed) == missing and all(m == "采购退货单号不存在" for m in failed.values())
    assert sum(a.outcome == Outcome.DONE for a in answers) == 1198
    assert PurchaseReturn.objects.filter(waiting_state=DocumentState.DONE).count() == 1198
    assert set(PurchaseReturn.objects.filter(waiting_state=DocumentState.FAILED)
               .values_list("return_no", flat=True)) == missing
    assert SandboxReturn.objects.filter(waiting=False).count() == 1198


def test_stop_waiting_skips_returns_already_stopped_or_unknown(wdt_sandbox, supervisor):
    wdt_sandbox.seed_return("CR2026119404")
    waiting = make_return("CR2026119404")
    stopped = make_return("CR2026119405", waiting_state=DocumentState.DONE)
    unknown = make_return("CR2026119406", waiting_state=DocumentState.UNKNOWN)
    answers = returns_stop_waiting(purchase_returns=[waiting, stopped, unknown], user=supervisor)
    assert [(a.document.return_no, a.outcome) for a in answers] == [
        ("CR2026119404", "done"), ("CR2026119405", "skipped"), ("CR2026119406", "skipped")]
    call = WdtCall.objects.get()
    assert call.request_payload == [["CR2026119404"]]


def test_a_lost_stop_waiting_answer_leaves_the_chunk_unknown(wdt_sandbox, supervisor):
    wdt_sandbox.seed_return("CR2026119407")
    purchase_return = make_return("CR2026119407")
    wdt_sandbox.faults(lost_answer_rate=1)
    [answer] = returns_stop_waiting(purchase_returns=[purchase_return], user=supervisor)
    assert answer.outcome == Outcome.UNKNOWN
    wdt_sandbox.faults()
    assert returns_stop_waiting(purchase_returns=[purchase_return], user=supervisor)[0].outcome == Outcome.SKIPPED
    resolved = return_resolve_unknown(purchase_return=purchase_return, user=supervisor, action="send_again",
                                      field="waiting_state")
    assert resolved.outcome == Outcome.DONE


def test_a_redirect_fails_the_send_since_wdt_did_not_execute_it():
    """A redirect is never followed (wdtportal/wdt/client.py): nothing was done, so the document may be sent again
    once the gateway's address is corrected; it is not held as unknown."""
    from wdtportal.documents.sending import outcome_of_error
    from wdtportal.wdt.errors import WdtRedirected

    outcome, message = outcome_of_error(WdtRedirected("WDT answered HTTP 301, a redirect to https://x/openapi",
                                                      http_status=301))
    assert outcome == Outcome.FAILED
    assert message.startswith("旺店通网关地址返回了重定向，请求没有执行") and "https://x/openapi" in message
