"""Each validation rule of a settlement draft gives the clerk a Chinese sentence; a valid draft becomes ready."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from settlements.models import SettlementDraft, SettlementLine
from settlements.services import draft_errors, settlement_validate
from tests.factories import make_draft
from wdtportal.documents.services import document_errors
from wdtportal.documents.states import DocumentState

pytestmark = pytest.mark.django_db


def errors_of(header: dict | None = None, lines: list[dict] | None = None) -> list[str]:
    draft = SettlementDraft(**{"return_no": "CR2026119999", **(header or {})})
    if lines is None:
        lines = [{"spec_no": "SKU-A", "settle_num": Decimal("1")}]
    return document_errors(draft, [SettlementLine(**line) for line in lines], line_exclude=["draft"])


def test_a_complete_draft_has_no_errors():
    assert errors_of({"invoice_type": 4, "post_fee": Decimal("0"), "other_fee": Decimal("1.5")},
                     [{"spec_no": "A", "settle_num": Decimal("1"), "tax_rate": Decimal("0.13"),
                       "expire_date": datetime.date(2027, 1, 31)}]) == []


def test_a_draft_without_lines_is_refused():
    assert any("至少需要一行明细" in e for e in errors_of(lines=[]))


@pytest.mark.parametrize(("field", "limit"), [("return_no", 40), ("logistics_company_no", 20), ("logistics_no", 100),
                                              ("invoice_no", 100), ("remark", 255)])
def test_header_text_longer_than_the_vendor_allows_is_refused(field, limit):
    assert errors_of({field: "x" * limit}) == []
    label = str(SettlementDraft._meta.get_field(field).verbose_name)
    assert any(e.startswith(f"{label}：") for e in errors_of({field: "x" * (limit + 1)}))


@pytest.mark.parametrize(("field", "limit"), [("spec_no", 40), ("remark", 255)])
def test_line_text_longer_than_the_vendor_allows_is_refused(field, limit):
    assert errors_of(lines=[{"spec_no": "A", "settle_num": Decimal("1"), field: "y" * limit}]) == []
    assert any(e.startswith("第1行") for e in errors_of(lines=[{"spec_no": "A", "settle_num": Decimal("1"),
                                                                  field: "y" * (limit + 1)}]))


@pytest.mark.parametrize("invoice_type", [5, 99])
def test_only_the_five_documented_invoice_types_are_accepted(invoice_type):
    assert any(e.startswith("发票类型：") for e in errors_of({"invoice_type": invoice_type}))


@pytest.mark.parametrize("settle_num", [Decimal("0"), Decimal("-2")])
def test_settle_num_must_be_greater_than_zero(settle_num):
    assert any("必须大于0" in e for e in errors_of(lines=[{"spec_no": "A", "settle_num": settle_num}]))


@pytest.mark.parametrize("field", ["post_fee", "other_fee"])
def test_fees_cannot_be_negative(field):
    assert any("不能小于0" in e for e in errors_of({field: Decimal("-1")}))


@pytest.mark.parametrize(("tax_rate", "ok"), [(Decimal("0"), True), (Decimal("1"), True), (Decimal("0.13"), True),
                                              (Decimal("1.01"), False), (Decimal("-0.01"), False),
                                              (Decimal("13"), False)])
def test_tax_rate_is_a_fraction_from_zero_to_one(tax_rate, ok):
    errors = errors_of(lines=[{"spec_no": "A", "settle_num": Decimal("1"), "tax_rate": tax_rate}])
    assert (errors == []) is ok, errors


def test_the_same_spec_and_batch_twice_is_refused():
    errors = errors_of(lines=[{"spec_no": "A", "settle_num": Decimal("1")},
                              {"spec_no": "A", "settle_num": Decimal("2")}])
    assert any("第1行与第2行" in e for e in errors), errors


def test_a_draft_without_return_no_is_refused():
    assert errors_of({"return_no": ""}) == ["采购退货单号：此字段不能为空。"]


def test_a_line_without_spec_no_is_refused():
    assert errors_of(lines=[{"spec_no": "", "settle_num": Decimal("1")}]) == ["第1行 商家编码：此字段不能为空。"]


def test_a_negative_line_price_is_refused():
    errors = errors_of(lines=[{"spec_no": "A", "settle_num": Decimal("1"), "price": Decimal("-0.0001")}])
    assert errors == ["第1行 A 单价：不能小于0"]


def test_a_return_number_that_already_has_a_draft_is_refused():
    make_draft("CR2026119999")
    assert errors_of() == ["采购退货单号：具有 采购退货单号 的 结算单草稿 已存在。"]


LARGEST = Decimal("999999999999999.9999")  # decimal(19,4): 15 digits before the point, 4 after
TOO_LARGE = Decimal("1000000000000000")
TOO_PRECISE = Decimal("1.00001")


@pytest.mark.parametrize("field", ["post_fee", "other_fee"])
def test_fees_are_decimal_19_4(field):
    label = str(SettlementDraft._meta.get_field(field).verbose_name)
    assert errors_of({field: LARGEST}) == []
    [error] = errors_of({field: TOO_LARGE})
    assert error.startswith(f"{label}：") and "不超过 15 位" in error
    [error] = errors_of({field: TOO_PRECISE})
    assert error.startswith(f"{label}：") and "不超过 4 位" in error


@pytest.mark.parametrize("field", ["settle_num", "price"])
def test_line_quantities_and_prices_are_decimal_19_4(field):
    label = str(SettlementLine._meta.get_field(field).verbose_name)
    line = {"spec_no": "A", "settle_num": Decimal("1")}
    assert errors_of(lines=[{**line, field: LARGEST}]) == []
    [error] = errors_of(lines=[{**line, field: TOO_LARGE}])
    assert error.startswith(f"第1行 A {label}：") and "不超过 15 位" in error
    [error] = errors_of(lines=[{**line, field: TOO_PRECISE}])
    assert error.startswith(f"第1行 A {label}：") and "不超过 4 位" in error


def test_a_tax_rate_has_at_most_four_decimals():
    assert errors_of(lines=[{"spec_no": "A", "settle_num": Decimal("1"), "tax_rate": Decimal("0.1234")}]) == []
    [error] = errors_of(lines=[{"spec_no": "A", "settle_num": Decimal("1"), "tax_rate": Decimal("0.12345")}])
    assert error.startswith("第1行 A 税率：") and "不超过 4 位" in error


@pytest.mark.parametrize("line", [
    {"spec_no": "Z", "settle_num": Decimal("0")},
    {"spec_no": "Z", "settle_num": Decimal("-1")},
    {"spec_no": "Z", "settle_num": Decimal("1"), "price": Decimal("-0.0001")},
    {"spec_no": "Z", "settle_num": Decimal("1"), "tax_rate": Decimal("1.0001")},
    {"spec_no": "Z", "settle_num": Decimal("1"), "tax_rate": Decimal("-0.0001")},
    {"spec_no": "SKU-A", "settle_num": Decimal("1"), "batch_no": "B1"},  # the same spec_no and batch_no again
], ids=["settle-num-zero", "settle-num-negative", "price-negative", "tax-rate-above-one", "tax-rate-negative",
        "spec-batch-twice"])
def test_the_database_refuses_a_line_validation_refuses(line):
    draft = make_draft("CR2026119003", lines=[{"spec_no": "SKU-A", "settle_num": Decimal("1"), "batch_no": "B1"}])
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementLine.objects.create(draft=draft, **line)
    assert draft.lines.count() == 1


@pytest.mark.parametrize("header", [
    {"return_no": "CR2026119003"},
    {"return_no": "CR2026119004", "js_order_no": "JS-TAKEN"},
    {"return_no": "CR2026119004", "post_fee": Decimal("-0.01")},
    {"return_no": "CR2026119004", "other_fee": Decimal("-0.01")},
    {"return_no": "CR2026119004", "invoice_type": 5},
], ids=["return-no-twice", "js-order-no-twice", "post-fee-negative", "other-fee-negative", "invoice-type-unknown"])
def test_the_database_refuses_a_draft_validation_refuses(header):
    make_draft("CR2026119003", js_order_no="JS-TAKEN")
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementDraft.objects.create(**header)
    assert SettlementDraft.objects.count() == 1


def test_validating_a_valid_draft_makes_it_ready(clerk):
    draft = make_draft()
    assert settlement_validate(draft=draft, user=clerk) == []
    draft.refresh_from_db()
    assert draft.state == DocumentState.READY
    assert draft_errors(draft) == []


def test_an_empty_js_number_is_stored_as_null_so_many_drafts_can_have_none():
    make_draft("CR2026119001", js_order_no="")
    make_draft("CR2026119002", js_order_no="")
    assert SettlementDraft.objects.filter(js_order_no__isnull=True).count() == 2
