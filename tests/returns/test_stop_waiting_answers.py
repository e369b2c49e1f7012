"""Stop waiting when WDT's answer is not the plain one: status 0 without a readable `data`, or `error_info` entries
that name no return of the request. Over real HTTP, through the real client (see `fake_gateway`)."""

import logging

import pytest

from returns.models import PurchaseReturn
from returns.services import returns_stop_waiting
from tests.factories import make_return
from wdtportal.documents.results import Outcome
from wdtportal.documents.states import DocumentState
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def odd_wdt(fake_gateway, settings):
    """The flagship gateway answering what the test sets with `.answers_json(...)`."""
    settings.WDT_QJB_URL = fake_gateway.url
    return fake_gateway


# Several answers per test: each test flushes the database, which costs seconds; the returns differ per answer.
UNREADABLE = [{"status": 0}, {"status": 0, "data": None}, {"status": 0, "data": "ok"}, {"status": 0, "data": [1]},
              {"status": 0, "data": {"error_info": "x"}}, {"status": 0, "data": {"error_info": ["CR2026119801"]}}]
NO_ERRORS = [{}, {"status": 0}, {"error_info": None, "status": 0}, {"error_info": []}]


def two_returns(case: int = 0) -> list[PurchaseReturn]:
    return [make_return(f"CR20261198{case}1"), make_return(f"CR20261198{case}2")]


def states(returns: list[PurchaseReturn]) -> list[str]:
    return [PurchaseReturn.objects.get(pk=r.pk).waiting_state for r in returns]


def test_a_success_without_a_readable_data_object_leaves_the_chunk_unknown(odd_wdt, supervisor):
    for case, answer in enumerate(UNREADABLE):
        odd_wdt.answers_json(answer)
        returns = two_returns(case)
        answers = returns_stop_waiting(purchase_returns=returns, user=supervisor)
        assert [a.outcome for a in answers] == [Outcome.UNKNOWN, Outcome.UNKNOWN], answer
        assert "主管" in answers[0].message
        assert states(returns) == [DocumentState.UNKNOWN, DocumentState.UNKNOWN], answer


def test_a_data_object_without_errors_means_every_return_stopped(odd_wdt, supervisor):
    for case, data in enumerate(NO_ERRORS):
        odd_wdt.answers_json({"status": 0, "data": data})
        returns = two_returns(case)
        answers = returns_stop_waiting(purchase_returns=returns, user=supervisor)
        assert [(a.outcome, a.message) for a in answers] == [(Outcome.DONE, "已停止等待")] * 2, data
        assert states(returns) == [DocumentState.DONE, DocumentState.DONE], data


def test_an_error_naming_no_return_of_the_request_is_logged_and_shown_not_dropped(odd_wdt, supervisor, caplog):
    odd_wdt.answers_json({"status": 0, "data": {"status": 0, "error_info": [
        {"order_no": "CR2026119802", "message": "采购退货单号不存在"},
        {"order_no": "cr2026119801 ", "message": "单据状态不正确"}]}})
    with caplog.at_level(logging.WARNING, logger="returns.services"):
        answers = returns_stop_waiting(purchase_returns=two_returns(), user=supervisor)
    first, second = answers
    assert (second.outcome, second.message) == (Outcome.FAILED, "采购退货单号不存在")
    assert first.outcome == Outcome.DONE
    assert "对应不到本批退货单" in first.message and "cr2026119801：单据状态不正确" in first.message
    assert PurchaseReturn.objects.get(return_no="CR2026119801").last_message == first.message
    [record] = [r for r in caplog.records if "name no return" in r.getMessage()]
    assert "cr2026119801：单据状态不正确" in record.getMessage()
    assert "secret" not in record.getMessage().lower()
    call = WdtCall.objects.get()
    assert call.answer["data"]["error_info"][1]["order_no"] == "cr2026119801 "  # the call log keeps it whole
