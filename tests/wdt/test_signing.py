"""The signing rules of shared/wdt-api/README.md, checked against its worked examples."""

from decimal import Decimal

import pytest

from wdtportal.wdt import signing

QJB_QUERY = {"sid": "wdtapi3", "key": "appkey1", "salt": "testsalt", "v": "1.0", "timestamp": "470040027"}


def test_qjb_pending_worked_example():
    query = QJB_QUERY | {"method": "purchase.PurchaseReturn.pending"}
    body = signing.dumps([["CR202006290001", "CR202006230007"]])
    assert body == '[["CR202006290001","CR202006230007"]]'
    assert signing.qjb_sign(query, body, "testsecret") == "a1fe5e8cf2b81cdc3bb70115186f0b32"


def test_qjb_upload_worked_example_with_chinese_body():
    query = QJB_QUERY | {"method": "finance.settle.PurchaseReturn.upload"}
    body = signing.dumps([
        {"return_no": "CR202410240004", "remark": "退货备注 test", "post_fee": Decimal("12")},
        [{"spec_no": "zx1", "settle_num": Decimal("1"), "price": Decimal("20")}],
    ])
    assert signing.qjb_sign(query, body, "testsecret") == "5a4beaac9267367e7c794078637ccd7e"


def test_enterprise_worked_example():
    info = ('{"return_no":"CR201610110002","outer_no":"ghsf23","post_cost":"0.01","logistics_code":"TT",'
            '"logistics_no":"212123434354","remark":"退货出库 备注","detail_list":[{"spec_no":"kangxiwen1",'
            '"num":2,"position_no":"A121","price":"0.01"}]}')
    fields = {"sid": "apidevnew2", "appkey": "testkey", "timestamp": "1700000000", "purchase_return_info": info}
    assert signing.enterprise_sign(fields, "testsecret") == "6f14e5e5cc255516b10fe32b247d444b"


def test_enterprise_lengths_count_characters_not_bytes():
    # "退货" is 2 characters (6 bytes in UTF-8): the prefix must say 0002.
    fields = {"a": "退货"}
    import hashlib

    expected = hashlib.md5("01-a:0002-退货s".encode()).hexdigest()
    assert signing.enterprise_sign(fields, "s") == expected


def test_sign_ignores_key_order_and_sign_field():
    query = QJB_QUERY | {"method": "m"}
    reordered = dict(reversed(list(query.items())))
    assert signing.qjb_sign(query, "[]", "x") == signing.qjb_sign(reordered | {"sign": "old"}, "[]", "x")
    fields = {"b": "2", "a": "1"}
    assert signing.enterprise_sign(fields, "x") == signing.enterprise_sign({"a": "1", "b": "2", "sign": "z"}, "x")


def test_empty_values_are_signed_as_empty_strings():
    import hashlib

    assert signing.enterprise_sign({"a": ""}, "s") == hashlib.md5(b"01-a:0000-s").hexdigest()
    assert signing.qjb_sign({"a": ""}, "", "s") == hashlib.md5(b"sabodys").hexdigest()


def test_decimals_are_strings_and_floats_are_refused():
    assert signing.dumps({"n": Decimal("1.2300")}) == '{"n":"1.2300"}'
    assert signing.dumps({"n": Decimal("1E+2")}) == '{"n":"100"}'
    with pytest.raises(TypeError):
        signing.dumps({"n": 1.5})


def test_appsecret_without_colon_is_a_configuration_error():
    assert signing.split_appsecret("sec:re:t") == ("sec", "re:t")
    with pytest.raises(ValueError):
        signing.split_appsecret("nocolon")


def test_timestamps():
    assert signing.qjb_timestamp(1325347200 + 5) == 5
    assert signing.enterprise_timestamp(1700000000.9) == 1700000000


def test_enterprise_form_fields_write_decimals_in_full_and_other_values_as_json():
    from wdtportal.wdt.client import EnterpriseClient

    client = EnterpriseClient("http://unused", "sid1", "key1", "secret1")
    form = client.signed_fields({"post_cost": Decimal("1E+2"), "price": Decimal("0.0100"), "is_check": True,
                                 "num": 2, "info": {"a": Decimal("1E+1")}, "remark": "备注"}, now=1700000000)
    assert {k: form[k] for k in ("post_cost", "price", "is_check", "num", "info", "remark")} == {
        "post_cost": "100", "price": "0.0100", "is_check": "true", "num": "2", "info": '{"a":"10"}', "remark": "备注"}
    assert form["sign"] == signing.enterprise_sign(form, "secret1")
    with pytest.raises(TypeError, match="floats"):
        client.signed_fields({"post_cost": 0.1})
