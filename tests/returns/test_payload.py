"""What will be sent: the exact `purchase_return_info` and settlement arguments, decimals as strings."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from returns.models import PurchaseReturn
from returns.services import build_outbound_payload
from settlements.models import InvoiceType
from settlements.services import build_settlement_args
from tests.factories import make_draft, make_return
from wdtportal.documents.services import decimal_text
from wdtportal.wdt import signing

pytestmark = pytest.mark.django_db


def test_outbound_payload_has_the_api_names_decimals_as_strings_and_only_filled_fields():
    purchase_return = make_return(
        "CR2026119101", outer_no="OUT-1", logistics_code="SF", logistics_no="SF123", post_cost=Decimal("12.5000"),
        remark="退货 备注", is_check=False,
        lines=[{"spec_no": "SKU-A", "num": Decimal("2.0000"), "price": Decimal("0.0100"), "position_no": "A1",
                "batch_no": "B1", "remark": "行备注"},
               {"spec_no": "SKU-B", "num": Decimal("1")}])
    assert build_outbound_payload(purchase_return) == {
        "return_no": "CR2026119101", "outer_no": "OUT-1", "logistics_code": "SF", "logistics_no": "SF123",
        "post_cost": "12.5", "remark": "退货 备注", "is_check": 0,
        "detail_list": [
            {"spec_no": "SKU-A", "num": "2", "price": "0.01", "position_no": "A1", "batch_no": "B1",
             "remark": "行备注"},
            {"spec_no": "SKU-B", "num": "1"},
        ],
    }


def test_outer_no_in_the_payload_is_the_same_every_time():
    purchase_return = make_return()
    first = build_outbound_payload(purchase_return)["outer_no"]
    purchase_return.refresh_from_db()
    assert first and build_outbound_payload(purchase_return)["outer_no"] == first


def test_settlement_args_are_order_then_lines():
    draft = make_draft("CR2026119102", logistics_company_no="ZTO", logistics_no="L1",
                       invoice_type=InvoiceType.E_VAT_SPECIAL,
                       invoice_no="INV9", post_fee=Decimal("12"), other_fee=Decimal("0.5"), remark="r", is_check=True,
                       lines=[{"spec_no": "zx1", "settle_num": Decimal("1"), "price": Decimal("20"),
                               "tax_rate": Decimal("0.1300"), "batch_no": "B", "remark": "512023",
                               "expire_date": datetime.date(2027, 3, 1)}])
    order, lines = build_settlement_args(draft)
    assert order == {"return_no": "CR2026119102", "logistics_company_no": "ZTO", "logistics_no": "L1",
                     "invoice_type": 3, "invoice_no": "INV9", "post_fee": "12", "other_fee": "0.5", "remark": "r",
                     "is_check": 1, "fuzzy_query": 0}
    assert lines == [{"spec_no": "zx1", "settle_num": "1", "price": "20", "tax_rate": "0.13", "remark": "512023",
                      "batch_no": "B", "expire_date": "2027-03-01"}]
    signing.dumps([order, lines])  # no float anywhere (dumps refuses floats)


@pytest.mark.parametrize(("value", "text"), [(Decimal("100"), "100"), (Decimal("1E+2"), "100"),
                                             (Decimal("0.0000"), "0"), (Decimal("999999999999999.9999"),
                                                                        "999999999999999.9999")])
def test_decimals_are_plain_strings(value, text):
    assert decimal_text(value) == text
    assert json.loads(signing.dumps({"v": decimal_text(value)}))["v"] == text


def test_the_what_will_be_sent_page_writes_nothing(client, clerk):
    purchase_return = make_return("CR2026119103", outer_no="OUT-3")
    PurchaseReturn.objects.filter(pk=purchase_return.pk).update(outer_no="")  # a row stored without its number
    draft = make_draft("CR2026119103")
    client.force_login(clerk)
    for name, obj in (("returns_purchasereturn", purchase_return), ("settlements_settlementdraft", draft)):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse(f"admin:{name}_payload", args=[obj.pk]))
        assert page.status_code == 200 and b"CR2026119103" in page.content
        writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
        assert writes == [], writes
    assert PurchaseReturn.objects.get(pk=purchase_return.pk).outer_no == ""
