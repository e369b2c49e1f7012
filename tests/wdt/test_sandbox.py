"""The sandbox behaves like WDT: it verifies what WDT verifies, answers in the vendor's shapes, keeps state."""

import io
import threading
import time
from decimal import Decimal

import pytest
import requests
from django.conf import settings

from wdtportal.wdt import signing
from wdtportal.wdt.client import EnterpriseClient, QjbClient
from wdtportal.wdt.errors import WdtApiError
from wdtportal.wdt.models import WdtCall
from wdtportal.wdt.sandbox import state
from wdtportal.wdt.sandbox.models import SandboxReturn

PENDING = "purchase.PurchaseReturn.pending"
UPLOAD = "finance.settle.PurchaseReturn.upload"
PUSH = "purchase_return_order_push.php"
LINES = [{"spec_no": "SKU-A", "num": "3", "price": "9.5"}, {"spec_no": "SKU-B", "num": "1", "batch_no": "B1"}]


def qjb_post(sandbox, method, args=None, *, client=None, now=None, body=None, tamper=None):
    """One raw flagship request, signed as the client signs it; returns the decoded answer."""
    client = client or sandbox.qjb_client()
    body = signing.dumps(args) if body is None else body
    query = client.signed_query(method, body, now=now)
    if tamper:
        query.update(tamper)
    response = requests.post(f"{sandbox.url}/openapi", params=query, data=body.encode("utf-8"),
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 200
    return response.json()


def ent_post(sandbox, info, *, client=None, now=None, tamper=None, raw_info=None):
    client = client or sandbox.enterprise_client()
    form = client.signed_fields({"purchase_return_info": info if raw_info is None else raw_info}, now=now)
    if tamper:
        form.update(tamper)
    response = requests.post(f"{sandbox.url}/openapi2/{PUSH}", data=form, timeout=10)
    assert response.status_code == 200
    return response.json()


def outbound(return_no="CR1", outer_no="OUT-1", **extra):
    return {"return_no": return_no, "outer_no": outer_no,
            "detail_list": [{"spec_no": "SKU-A", "num": "3", "price": "9.5"}]} | extra


# --- verification ----------------------------------------------------------------------------------

def test_flagship_refuses_a_wrong_sign(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    answer = qjb_post(wdt_sandbox, PENDING, [["CR1"]], tamper={"sign": "0" * 32})
    assert answer["status"] == 100 and "签名" in answer["message"]
    forged = QjbClient(wdt_sandbox.url, settings.WDT_QJB_SID, settings.WDT_QJB_APPKEY, "other-secret:sandbox-salt")
    answer = qjb_post(wdt_sandbox, PENDING, [["CR1"]], client=forged)
    assert answer == {"status": 100, "message": answer["message"]} and "签名" in answer["message"]
    assert SandboxReturn.objects.get(return_no="CR1").waiting, "a refused request must change nothing"


def test_flagship_refuses_a_signed_body_that_was_changed(wdt_sandbox):
    client = wdt_sandbox.qjb_client()
    query = client.signed_query(PENDING, '[["CR1"]]')
    response = requests.post(f"{wdt_sandbox.url}/openapi", params=query, data=b'[["CR2"]]', timeout=10)
    assert "签名" in response.json()["message"]


def test_flagship_refuses_a_stale_timestamp_but_accepts_one_inside_the_window(wdt_sandbox):
    answer = qjb_post(wdt_sandbox, PENDING, [["CR1"]], now=time.time() - 200)
    assert answer["status"] == 100 and "时间戳" in answer["message"]
    answer = qjb_post(wdt_sandbox, PENDING, [["CR1"]], now=time.time() + 200)
    assert "时间戳" in answer["message"]
    assert qjb_post(wdt_sandbox, PENDING, [["CR1"]], now=time.time() - 100)["status"] == 0


def test_flagship_refuses_a_wrong_salt_sid_or_appkey(wdt_sandbox):
    secret = settings.WDT_QJB_APPSECRET.split(":")[0]
    wrong_salt = QjbClient(wdt_sandbox.url, settings.WDT_QJB_SID, settings.WDT_QJB_APPKEY, f"{secret}:not-the-salt")
    answer = qjb_post(wdt_sandbox, PENDING, [["CR1"]], client=wrong_salt)
    assert answer["status"] == 100 and "salt" in answer["message"]
    wrong_sid = QjbClient(wdt_sandbox.url, "other-sid", settings.WDT_QJB_APPKEY, settings.WDT_QJB_APPSECRET)
    assert "sid" in qjb_post(wdt_sandbox, PENDING, [["CR1"]], client=wrong_sid)["message"]
    wrong_key = QjbClient(wdt_sandbox.url, settings.WDT_QJB_SID, "other-key", settings.WDT_QJB_APPSECRET)
    assert "key" in qjb_post(wdt_sandbox, PENDING, [["CR1"]], client=wrong_key)["message"]


def test_flagship_refuses_an_unknown_method(wdt_sandbox):
    answer = qjb_post(wdt_sandbox, "purchase.PurchaseReturn.delete", [["CR1"]])
    assert answer["status"] == 100 and "purchase.PurchaseReturn.delete" in answer["message"]


def test_enterprise_refuses_wrong_sign_stale_timestamp_and_wrong_credentials(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    answer = ent_post(wdt_sandbox, outbound(), tamper={"sign": "f" * 32})
    assert answer["code"] == "9" and "签名" in answer["message"]
    answer = ent_post(wdt_sandbox, outbound(), now=time.time() - 301)
    assert answer["code"] == "9" and "时间戳" in answer["message"]
    assert ent_post(wdt_sandbox, outbound(), now=time.time() - 250) == {"code": 0, "message": "succeed"}
    wrong_secret = EnterpriseClient(wdt_sandbox.url, settings.WDT_ENT_SID, settings.WDT_ENT_APPKEY, "nope")
    assert "签名" in ent_post(wdt_sandbox, outbound(outer_no="OUT-2"), client=wrong_secret)["message"]
    wrong_appkey = EnterpriseClient(wdt_sandbox.url, settings.WDT_ENT_SID, "nope", settings.WDT_ENT_APPSECRET)
    assert "appkey" in ent_post(wdt_sandbox, outbound(outer_no="OUT-2"), client=wrong_appkey)["message"]
    assert wdt_sandbox.outbounds().count() == 1


# --- field rules -----------------------------------------------------------------------------------

def test_pending_refuses_501_numbers_and_accepts_500(wdt_sandbox):
    answer = qjb_post(wdt_sandbox, PENDING, [[f"CR{i}" for i in range(501)]])
    assert answer["status"] == 100 and "500" in answer["message"]
    answer = qjb_post(wdt_sandbox, PENDING, [[f"CR{i}" for i in range(500)]])
    assert answer["status"] == 0 and len(answer["data"]["error_info"]) == 500


def test_enterprise_missing_or_flat_detail_list_gets_the_vendors_answer(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    info = outbound()
    del info["detail_list"]
    assert ent_post(wdt_sandbox, info) == {"code": "9", "message": "请求的detail_list参数不是二维数组"}
    assert ent_post(wdt_sandbox, outbound(detail_list={"spec_no": "SKU-A", "num": 1})) == {
        "code": "9", "message": "请求的detail_list参数不是二维数组"}
    assert wdt_sandbox.outbounds().count() == 0


def test_settlement_missing_detail_list_is_refused(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    answer = qjb_post(wdt_sandbox, UPLOAD, [{"return_no": "CR1"}])
    assert answer == {"status": 100, "message": "请求的detail_list参数不是二维数组"}
    assert wdt_sandbox.settlements().count() == 0


@pytest.mark.parametrize(("field", "value", "words"), [
    ("return_no", "", "return_no"),
    ("return_no", "C" * 41, "40"),
    ("remark", "退" * 256, "255"),
    ("invoice_type", 5, "invoice_type"),
    ("invoice_type", "x", "invoice_type"),
    ("is_check", "maybe", "is_check"),
    ("post_fee", "1234567890123456", "post_fee"),
    ("post_fee", "1.23456", "post_fee"),
    ("other_fee", "abc", "other_fee"),
])
def test_settlement_field_rules(wdt_sandbox, field, value, words):
    wdt_sandbox.seed_return("CR1", LINES)
    order = {"return_no": "CR1"} | {field: value}
    answer = qjb_post(wdt_sandbox, UPLOAD, [order, [{"spec_no": "SKU-A", "settle_num": "1"}]])
    assert answer["status"] == 100 and words in answer["message"]
    assert wdt_sandbox.settlements().count() == 0


def test_settlement_accepts_the_limits_exactly(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    order = {"return_no": "CR1", "remark": "退" * 255, "invoice_type": 4, "is_check": True,
             "post_fee": "123456789012345.1234", "other_fee": 7}
    answer = qjb_post(wdt_sandbox, UPLOAD, [order, [{"spec_no": "SKU-A", "settle_num": Decimal("0.0001")}]])
    assert answer["status"] == 0, answer


@pytest.mark.parametrize(("line", "words"), [
    ({"num": "1"}, "spec_no"),
    ({"spec_no": "SKU-A"}, "num"),
    ({"spec_no": "SKU-A", "num": "0"}, "num"),
    ({"spec_no": "SKU-A", "num": "1", "position_no": "P" * 21}, "position_no"),
    ({"spec_no": "SKU-A", "num": "1", "price": "1.00001"}, "price"),
])
def test_outbound_line_rules(wdt_sandbox, line, words):
    wdt_sandbox.seed_return("CR1", LINES)
    answer = ent_post(wdt_sandbox, outbound(detail_list=[line]))
    assert answer["code"] == "9" and words in answer["message"] and "第1行" in answer["message"]


def test_outbound_order_rules(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    assert "outer_no" in ent_post(wdt_sandbox, outbound(outer_no=""))["message"]
    assert "is_check" in ent_post(wdt_sandbox, outbound(is_check=2))["message"]
    assert "logistics_code" in ent_post(wdt_sandbox, outbound(logistics_code="L" * 21))["message"]
    assert "JSON" in ent_post(wdt_sandbox, None, raw_info="{not json")["message"]
    assert wdt_sandbox.outbounds().count() == 0


# --- state -----------------------------------------------------------------------------------------

def test_pending_stops_known_returns_and_reports_unknown_ones(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    wdt_sandbox.seed_return("CR2", LINES)
    answer = qjb_post(wdt_sandbox, PENDING, [["CR1", "NOPE"]])
    assert answer == {"status": 0, "data": {"error_info": [{"order_no": "NOPE", "message": "采购退货单号不存在"}],
                                            "status": 0}}
    assert list(wdt_sandbox.returns().filter(waiting=True).values_list("return_no", flat=True)) == ["CR2"]
    # Stopping again is not an error: a retry after a lost answer must not fail.
    assert qjb_post(wdt_sandbox, PENDING, [["CR1"]])["data"]["error_info"] == []


def test_outbound_is_created_once_per_outer_no(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    assert ent_post(wdt_sandbox, outbound()) == {"code": 0, "message": "succeed"}
    assert ent_post(wdt_sandbox, outbound()) == {"code": 0, "message": "succeed"}
    assert ent_post(wdt_sandbox, outbound(outer_no="OUT-2")) == {"code": 0, "message": "succeed"}
    assert sorted(wdt_sandbox.outbounds().values_list("outer_no", flat=True)) == ["OUT-1", "OUT-2"]
    stored = wdt_sandbox.outbounds().get(outer_no="OUT-1").payload
    assert stored["detail_list"][0]["price"] == "9.5"


def test_outbound_for_an_unknown_return_or_spec_is_refused(wdt_sandbox):
    answer = ent_post(wdt_sandbox, outbound(return_no="CR404"))
    assert answer["code"] == "9" and "采购退货单号不存在" in answer["message"]
    wdt_sandbox.seed_return("CR1", LINES)
    answer = ent_post(wdt_sandbox, outbound(detail_list=[{"spec_no": "SKU-Z", "num": 1}]))
    assert answer["code"] == "9" and "SKU-Z" in answer["message"]
    assert wdt_sandbox.outbounds().count() == 0


def test_settlement_numbers_are_js_date_and_sequence(wdt_sandbox):
    from django.utils import timezone

    wdt_sandbox.seed_return("CR1", LINES)
    lines = [{"spec_no": "SKU-A", "settle_num": "1"}]
    first = qjb_post(wdt_sandbox, UPLOAD, [{"return_no": "CR1"}, lines])["data"]["order_no"]
    second = qjb_post(wdt_sandbox, UPLOAD, [{"return_no": "CR1"}, lines])["data"]["order_no"]
    today = timezone.localdate().strftime("%Y%m%d")
    assert (first, second) == (f"JS{today}0001", f"JS{today}0002")
    assert wdt_sandbox.settlements().count() == 2, "the upload has no idempotency key: each call creates one"


def test_settlement_for_an_unknown_return_is_refused(wdt_sandbox):
    answer = qjb_post(wdt_sandbox, UPLOAD, [{"return_no": "CR404"}, [{"spec_no": "A", "settle_num": "1"}]])
    assert answer["status"] == 100 and "采购退货单号不存在" in answer["message"]


def test_fuzzy_settlement_needs_exactly_one_match(wdt_sandbox):
    wdt_sandbox.seed_return("CR2026110001", LINES)
    wdt_sandbox.seed_return("CR2026110002", LINES)
    lines = [{"spec_no": "SKU-A", "settle_num": "1"}]
    for needle in ("CR20261100", "nothing"):
        answer = qjb_post(wdt_sandbox, UPLOAD, [{"return_no": needle, "fuzzy_query": "1"}, lines])
        assert answer == {"status": 100, "message": "模糊搜索无匹配或有多条匹配"}
    answer = qjb_post(wdt_sandbox, UPLOAD, [{"return_no": "cr2026110002", "fuzzy_query": True}, lines])
    assert answer["status"] == 0
    assert wdt_sandbox.settlements().get().return_no == "CR2026110002"


def test_concurrent_settlements_get_distinct_numbers(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    numbers, errors = [], []

    def upload():
        try:
            for _ in range(3):
                answer = qjb_post(wdt_sandbox, UPLOAD, [{"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": 1}]])
                numbers.append(answer["data"]["order_no"])
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(numbers) == len(set(numbers)) == 24
    assert wdt_sandbox.settlements().count() == 24


def test_demo_set_is_documented_and_idempotent(wdt_sandbox):
    state.seed_demo_set()
    assert qjb_post(wdt_sandbox, PENDING, [["CR2026110003"]])["data"]["error_info"] == []
    state.seed_demo_set()
    assert wdt_sandbox.returns().count() == 40
    assert not wdt_sandbox.returns().get(return_no="CR2026110003").waiting, "a second seeding keeps the state"
    first = wdt_sandbox.returns().get(return_no="CR2026110001")
    assert [(line.spec_no, line.num, line.price) for line in first.lines.all()] == [
        ("SKU001-1", Decimal("2"), Decimal("11.25")), ("SKU001-2", Decimal("4"), Decimal("11.50"))]
    fifth = wdt_sandbox.returns().get(return_no="CR2026110005")
    assert {line.batch_no for line in fifth.lines.all()} == {"B005"}
    assert wdt_sandbox.returns().get(return_no="CR2026110040").lines.count() == 1
    state.reset()
    assert wdt_sandbox.returns().count() == 0


def test_a_get_is_not_the_protocol(wdt_sandbox):
    assert requests.get(f"{wdt_sandbox.url}/openapi", timeout=10).status_code == 405


def test_load_demo_seeds_the_sandbox_demo_set(db):
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    assert SandboxReturn.objects.filter(return_no__startswith="CR20261100").count() == 40


@pytest.mark.parametrize("body", [
    "", "{}", "[1", "null", '"text"', "[[]]", "[[1, 2]]", '[[""]]', '[["CR1"], ["CR2"]]', "[{}]",
])
def test_malformed_pending_bodies_are_refused_never_a_500(wdt_sandbox, body):
    answer = qjb_post(wdt_sandbox, PENDING, body=body)
    assert answer["status"] == 100 and answer["message"]


@pytest.mark.parametrize("args", [
    [], [None, []], ["CR1", []], [{"return_no": "CR1"}, "x"], [{"return_no": "CR1"}, [1]],
    [{"return_no": ["CR1"]}, [{"spec_no": "SKU-A", "settle_num": 1}]],
    [{"return_no": "CR1"}, [{"spec_no": {"a": 1}, "settle_num": 1}]],
    [{"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": True}]],
    [{"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": "1e400"}]],
    [{"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": "NaN"}]],
    [{"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": 1}], "extra"],
])
def test_malformed_settlement_arguments_are_refused_never_a_500(wdt_sandbox, args):
    wdt_sandbox.seed_return("CR1", LINES)
    answer = qjb_post(wdt_sandbox, UPLOAD, body=signing.dumps(args))
    assert answer["status"] == 100 and answer["message"]
    assert wdt_sandbox.settlements().count() == 0


@pytest.mark.parametrize("raw", [
    "[]", "null", "12", '"CR1"', '{"return_no": "CR1", "outer_no": "O", "detail_list": [[]]}',
])
def test_malformed_outbound_info_is_refused_never_a_500(wdt_sandbox, raw):
    wdt_sandbox.seed_return("CR1", LINES)
    answer = ent_post(wdt_sandbox, None, raw_info=raw)
    assert answer["code"] == "9" and answer["message"]


def test_invalid_utf8_body_is_refused(wdt_sandbox):
    client = wdt_sandbox.qjb_client()
    query = client.signed_query(PENDING, "x")
    response = requests.post(f"{wdt_sandbox.url}/openapi", params=query, data=b"\xff\xfe", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == 100


def test_flagship_refuses_a_version_other_than_1_0(wdt_sandbox):
    wdt_sandbox.seed_return("CR1", LINES)
    body = '[["CR1"]]'
    query = wdt_sandbox.qjb_client().signed_query(PENDING, body) | {"v": "2.0"}
    query["sign"] = signing.qjb_sign(query, body, settings.WDT_QJB_APPSECRET.split(":")[0])  # signed as sent
    answer = requests.post(f"{wdt_sandbox.url}/openapi", params=query, data=body, timeout=10).json()
    assert answer["status"] == 100 and "版本号v" in answer["message"]
    assert SandboxReturn.objects.get(return_no="CR1").waiting


def test_an_unknown_enterprise_endpoint_is_a_refusal_in_the_gateways_shape(wdt_sandbox):
    with pytest.raises(WdtApiError) as caught:
        wdt_sandbox.enterprise_client().call("purchase_return_order_delete.php", purchase_return_info={"a": "1"})
    assert caught.value.code == "9" and "purchase_return_order_delete.php" in caught.value.message
    assert WdtCall.objects.get().outcome == "refused", "a refusal, not an unknown outcome"
