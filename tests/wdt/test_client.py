"""Every path of both clients against the sandbox over real HTTP, and the call-log row each one leaves."""

import json
import logging
import socket
import time
import traceback
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import OperationalError
from django.forms.models import model_to_dict

from wdtportal.wdt.calllog import call_context, record_call
from wdtportal.wdt.errors import (
    RATE_LIMIT_MESSAGES,
    WdtApiError,
    WdtProtocolError,
    WdtRateLimited,
    WdtRedirected,
    WdtTransportError,
)
from wdtportal.wdt.models import WdtCall

UPLOAD = "finance.settle.PurchaseReturn.upload"
PUSH = "purchase_return_order_push.php"
LINES = [{"spec_no": "SKU-A", "num": "3", "price": "9.5"}]


@dataclass
class Gateway:
    """What a test needs to drive one gateway through a call that creates something."""

    name: str
    method: str
    refusal_code: Any

    def client(self, sandbox, **overrides):
        return sandbox.qjb_client(**overrides) if self.name == "qjb" else sandbox.enterprise_client(**overrides)

    def create(self, client, return_no="CR1", outer_no="OUT-1"):
        if self.name == "qjb":
            return client.call(UPLOAD, {"return_no": return_no, "post_fee": Decimal("12.50")},
                               [{"spec_no": "SKU-A", "settle_num": Decimal("1"), "price": Decimal("20")}])
        return client.call(PUSH, purchase_return_info={
            "return_no": return_no, "outer_no": outer_no, "post_cost": Decimal("0.01"), "remark": "退货出库 备注",
            "detail_list": [{"spec_no": "SKU-A", "num": 2, "price": Decimal("0.01")}]})

    def created(self, sandbox) -> int:
        return sandbox.settlements().count() if self.name == "qjb" else sandbox.outbounds().count()


QJB = Gateway("qjb", UPLOAD, 100)
ENTERPRISE = Gateway("enterprise", PUSH, "9")
both = pytest.mark.parametrize("gw", [QJB, ENTERPRISE], ids=["qjb", "enterprise"])


@pytest.fixture
def sandbox(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    return wdt_sandbox


def rows():
    return list(WdtCall.objects.order_by("id"))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@both
def test_success_returns_the_answer_and_logs_ok(sandbox, gw):
    answer = gw.create(gw.client(sandbox))
    if gw is QJB:
        assert answer["order_no"].startswith("JS")
    else:
        assert answer == {"code": 0, "message": "succeed"}
    assert gw.created(sandbox) == 1
    [row] = rows()
    assert (row.gateway, row.method, row.outcome, row.http_status, row.attempts) == (gw.name, gw.method, "ok", 200, 1)
    assert row.answer["status" if gw is QJB else "code"] == 0
    payload = json.dumps(row.request_payload, ensure_ascii=False)
    assert "SKU-A" in payload and "CR1" in payload
    assert row.duration_ms >= 0 and row.error_message == ""


@both
def test_refusal_keeps_wdts_code_and_message_and_logs_refused(sandbox, gw):
    with pytest.raises(WdtApiError) as caught:
        gw.create(gw.client(sandbox), return_no="CR404")
    assert not isinstance(caught.value, WdtRateLimited)
    assert caught.value.code == gw.refusal_code
    assert caught.value.message == "采购退货单号不存在：CR404"
    [row] = rows()
    assert (row.outcome, row.error_code) == ("refused", str(gw.refusal_code))
    assert row.error_message == "采购退货单号不存在：CR404"
    assert row.http_status == 200 and row.attempts == 1
    key = "status" if gw is QJB else "code"
    assert row.answer == {key: gw.refusal_code, "message": "采购退货单号不存在：CR404"}, "the gateway's own answer"


@both
def test_rate_limit_then_success_is_retried_by_the_client(sandbox, gw):
    sandbox.faults(rate_limit_rate=1, max_faults=1)
    gw.create(gw.client(sandbox))
    assert gw.created(sandbox) == 1
    first, second = rows()
    assert (first.outcome, first.attempts, first.error_message) == ("rate_limited", 1, RATE_LIMIT_MESSAGES[0])
    assert first.answer["message"] == RATE_LIMIT_MESSAGES[0] and first.answer["status" if gw is QJB else "code"]
    assert (second.outcome, second.attempts) == ("ok", 2)


@both
def test_rate_limit_that_persists_gives_up_after_the_retry_cap(sandbox, gw):
    sandbox.faults(rate_limit_rate=1)
    with pytest.raises(WdtRateLimited) as caught:
        gw.create(gw.client(sandbox, max_retries=2))
    assert caught.value.message == RATE_LIMIT_MESSAGES[0]
    assert [r.outcome for r in rows()] == ["rate_limited"] * 3
    assert gw.created(sandbox) == 0


@both
def test_http_503_is_an_unknown_outcome_and_not_retried(sandbox, gw):
    sandbox.faults(error_rate=1)
    with pytest.raises(WdtTransportError) as caught:
        gw.create(gw.client(sandbox))
    assert caught.value.may_have_reached and caught.value.outcome_unknown
    [row] = rows()
    assert (row.outcome, row.http_status) == ("unknown", 503)
    assert gw.created(sandbox) == 0


@both
def test_connection_refused_was_never_sent_and_is_retried(sandbox, gw, settings):
    url = f"http://127.0.0.1:{closed_port()}/sandbox"
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = url
    with pytest.raises(WdtTransportError) as caught:
        gw.create(gw.client(sandbox, max_retries=2))
    assert not caught.value.may_have_reached and not caught.value.outcome_unknown
    assert [(r.outcome, r.attempts, r.http_status) for r in rows()] == [("no_answer", n, None) for n in (1, 2, 3)]


@both
def test_lost_answer_after_commit_is_unknown_not_retried_and_the_work_was_done(sandbox, gw):
    sandbox.faults(lost_answer_rate=1)
    with pytest.raises(WdtTransportError) as caught:
        gw.create(gw.client(sandbox))
    assert caught.value.may_have_reached and caught.value.outcome_unknown
    assert "timeout" not in caught.value.message, "the socket was dropped, not left to time out"
    assert gw.created(sandbox) == 1, "the sandbox committed the work before dropping the connection"
    [row] = rows()
    assert row.outcome == "unknown" and row.http_status is None


@both
def test_read_timeout_is_unknown_and_not_retried(sandbox, gw):
    sandbox.faults(latency_ms=1500)
    with pytest.raises(WdtTransportError) as caught:
        gw.create(gw.client(sandbox, timeout=(2, 0.5)))
    assert caught.value.may_have_reached
    assert "read timeout" in caught.value.message and caught.value.timed_out
    assert [r.outcome for r in rows()] == ["unknown"]
    # The sandbox is still working on it: it does the work after the client gave up (and the test waits, so that
    # this request does not outlive the test).
    deadline = time.monotonic() + 10
    while gw.created(sandbox) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gw.created(sandbox) == 1


@both
def test_an_answer_that_is_not_json_is_a_protocol_error(sandbox, gw, live_server, settings):
    # The portal itself answers /openapi with an HTML "not found" page: a stand-in for a proxy's error page.
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = live_server.url
    with pytest.raises(WdtProtocolError) as caught:
        gw.create(gw.client(sandbox))
    assert caught.value.http_status == 404 and caught.value.outcome_unknown
    [row] = rows()
    assert (row.outcome, row.http_status) == ("unknown", 404)
    assert "<" in row.answer_text and row.answer is None


def test_qjb_pending_returns_data_with_error_info(sandbox):
    data = sandbox.qjb_client().call("purchase.PurchaseReturn.pending", ["CR1", "CR404"])
    assert data == {"error_info": [{"order_no": "CR404", "message": "采购退货单号不存在"}], "status": 0}
    assert rows()[0].outcome == "ok"


def test_the_log_row_records_who_and_which_document(sandbox, admin_user):
    document = sandbox.returns().get(return_no="CR1")
    with call_context(user=admin_user, document=document):
        QJB.create(sandbox.qjb_client())
    [row] = rows()
    assert row.user == admin_user
    assert (row.document_type, row.document_id, row.document_label) == (
        "wdt_sandbox.sandboxreturn", str(document.pk), "CR1")


def test_no_secret_salt_or_sign_reaches_the_call_log(sandbox):
    sent = []
    secret, salt = settings.WDT_QJB_APPSECRET.split(":")
    for gw in (QJB, ENTERPRISE):
        client = gw.client(sandbox)
        client.session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(response.request))
        gw.create(client)
        with pytest.raises(WdtApiError):
            gw.create(client, return_no="CR404", outer_no="OUT-2")
        sandbox.faults(rate_limit_rate=1, max_faults=1)
        gw.create(client, outer_no="OUT-3")
        sandbox.faults()
    signs = []
    for request in sent:
        signs += parse_qs(urlsplit(request.url).query).get("sign", [])
        if isinstance(request.body, str) and "sign=" in request.body:
            signs += parse_qs(request.body)["sign"]
    assert len(signs) == len(sent) == 8
    secrets = [secret, salt, settings.WDT_ENT_APPSECRET, *signs]
    logged = rows()
    assert len(logged) == 8
    for row in logged:
        text = json.dumps(model_to_dict(row), ensure_ascii=False, default=str)
        for value in secrets:
            assert value not in text, f"a secret reached the call log ({row.method} {row.outcome})"


def test_faults_from_settings_apply_until_the_fault_page_is_saved(sandbox, settings):
    from wdtportal.wdt.sandbox import faults

    faults.clear()
    settings.WDT_SANDBOX_ERROR_RATE = 1
    with pytest.raises(WdtTransportError):
        QJB.create(sandbox.qjb_client())
    sandbox.faults()  # a saved row, everything off, overrides the settings
    QJB.create(sandbox.qjb_client())
    assert [r.outcome for r in rows()] == ["unknown", "ok"]


def test_faults_can_target_one_method(sandbox):
    sandbox.faults(error_rate=1, methods=PUSH)
    QJB.create(sandbox.qjb_client())
    with pytest.raises(WdtTransportError):
        ENTERPRISE.create(sandbox.enterprise_client())
    assert [(r.gateway, r.outcome) for r in rows()] == [("qjb", "ok"), ("enterprise", "unknown")]


@both
def test_a_call_log_that_cannot_be_written_loses_neither_wdts_answer_nor_the_retries(sandbox, gw, caplog):
    def broken_log(**fields):
        raise OperationalError("database is locked: " + json.dumps(fields["request_payload"]))

    sandbox.faults(rate_limit_rate=1, max_faults=1)
    with caplog.at_level(logging.WARNING, logger="wdtportal.wdt.client"):
        answer = gw.create(gw.client(sandbox, recorder=broken_log))
    if gw is QJB:
        assert answer["order_no"].startswith("JS"), "the settlement's number reaches the caller"
    else:
        assert answer == {"code": 0, "message": "succeed"}
    assert gw.created(sandbox) == 1, "rate-limited once, then retried and done"
    warnings = [r.getMessage() for r in caplog.records if r.name == "wdtportal.wdt.client"]
    assert len(warnings) == 2 and all("OperationalError" in w and gw.method in w for w in warnings)
    assert not any("SKU-A" in w or "CR1" in w for w in warnings), "no payload in the warning"


def test_the_call_log_cuts_long_values_to_its_columns(db):
    row = record_call(gateway="enterprise", method="m" * 150, outcome="refused", error_code="E" * 100,
                      error_message="x" * 5000, http_status=200)
    row.refresh_from_db()
    assert (len(row.method), len(row.error_code), len(row.error_message)) == (100, 40, 5000)


@both
def test_a_redirect_is_not_followed_and_means_not_executed(sandbox, gw, fake_gateway, live_server, settings):
    # A 307 keeps the method and body: followed, it would re-send the signed request to the sandbox and create there.
    fake_gateway.answer = lambda path: (307, {"Location": live_server.url + path}, b"")
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = fake_gateway.url
    with pytest.raises(WdtProtocolError) as caught:
        gw.create(gw.client(sandbox))
    assert isinstance(caught.value, WdtRedirected)
    assert caught.value.http_status == 307 and not caught.value.outcome_unknown
    assert f"redirect to {live_server.url}/sandbox/openapi" in caught.value.message
    assert "salt" not in caught.value.message and "sign" not in caught.value.message, "the query is not quoted"
    assert gw.created(sandbox) == 0 and len(fake_gateway.paths) == 1
    [row] = rows()
    assert (row.outcome, row.http_status) == ("no_answer", 307)


@both
def test_no_secret_salt_or_sign_reaches_a_transport_errors_traceback(sandbox, gw, settings):
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = f"http://127.0.0.1:{closed_port()}/sandbox"
    with pytest.raises(WdtTransportError) as caught:
        gw.create(gw.client(sandbox, max_retries=0))
    text = "".join(traceback.format_exception(caught.value))
    secret, salt = settings.WDT_QJB_APPSECRET.split(":")
    for value in (secret, salt, settings.WDT_ENT_APPSECRET, "salt=", "sign="):
        assert value not in text
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    assert "no answer from WDT (ConnectionError: NewConnectionError); the request was not sent" in text, "the kind"


@both
@pytest.mark.parametrize("body", ["OK", "<html>网关</html>", "", '"just a string"'])
def test_http_200_that_is_not_a_json_object_is_a_protocol_error(sandbox, gw, fake_gateway, settings, body):
    fake_gateway.answers(200, body, {"Content-Type": "text/html; charset=utf-8"})
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = fake_gateway.url
    with pytest.raises(WdtProtocolError) as caught:
        gw.create(gw.client(sandbox))
    assert caught.value.http_status == 200 and caught.value.outcome_unknown
    assert len(fake_gateway.paths) == 1, "an answer that may follow an execution is never retried"
    [row] = rows()
    assert (row.outcome, row.http_status, row.answer_text) == ("unknown", 200, body)


@both
@pytest.mark.parametrize("answer", [{}, {"message": "succeed"}, {"data": {"order_no": "JS1"}}])
def test_json_without_status_or_code_is_a_protocol_error(sandbox, gw, fake_gateway, settings, answer):
    fake_gateway.answers(200, json.dumps(answer))
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = fake_gateway.url
    with pytest.raises(WdtProtocolError) as caught:
        gw.create(gw.client(sandbox))
    assert caught.value.outcome_unknown and ("status" if gw is QJB else "code") in caught.value.message
    assert [r.outcome for r in rows()] == ["unknown"]


@pytest.mark.parametrize("answer", [{"status": 0}, {"status": 0, "data": None}, {"status": "0", "message": ""}])
def test_flagship_status_0_without_data_is_a_protocol_error(sandbox, fake_gateway, settings, answer):
    fake_gateway.answers(200, json.dumps(answer))
    settings.WDT_QJB_URL = fake_gateway.url
    with pytest.raises(WdtProtocolError) as caught:
        QJB.create(sandbox.qjb_client())
    assert caught.value.outcome_unknown and "no data" in caught.value.message
    [row] = rows()
    assert (row.outcome, json.loads(row.answer_text)) == ("unknown", answer)


@both
@pytest.mark.parametrize("message", [*RATE_LIMIT_MESSAGES, "超过每分钟最大调用频率限制",
                                     "超过每分钟最大调用次数(600)限制，请稍后重试"])
def test_rate_limit_messages_worded_otherwise_are_still_a_rate_limit(sandbox, gw, fake_gateway, settings, message):
    fake_gateway.answers(200, json.dumps({"status" if gw is QJB else "code": gw.refusal_code, "message": message}))
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = fake_gateway.url
    with pytest.raises(WdtRateLimited):
        gw.create(gw.client(sandbox, max_retries=1))
    assert [r.outcome for r in rows()] == ["rate_limited"] * 2 and len(fake_gateway.paths) == 2, "retried once"


@both
def test_other_refusals_mentioning_limits_are_not_a_rate_limit(sandbox, gw, fake_gateway, settings):
    fake_gateway.answers(200, json.dumps({"status" if gw is QJB else "code": gw.refusal_code,
                                          "message": "单据数量超过最大限制"}))
    settings.WDT_QJB_URL = settings.WDT_ENT_URL = fake_gateway.url
    with pytest.raises(WdtApiError) as caught:
        gw.create(gw.client(sandbox))
    assert not isinstance(caught.value, WdtRateLimited) and len(fake_gateway.paths) == 1
