"""Each validation rule of a purchase return gives the clerk a Chinese sentence; a valid draft becomes ready."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from returns.models import OutboundLine, PurchaseReturn
from returns.services import return_validate
from tests.factories import make_return
from wdtportal.documents.services import document_errors
from wdtportal.documents.states import DocumentState

pytestmark = pytest.mark.django_db


def errors_of(header: dict | None = None, lines: list[dict] | None = None) -> list[str]:
    document = PurchaseReturn(**{"return_no": "CR2026119999", **(header or {})})
    if lines is None:
        lines = [{"spec_no": "SKU-A", "num": Decimal("1")}]
    return document_errors(document, [OutboundLine(**line) for line in lines], line_exclude=["purchase_return"])


def test_a_complete_return_has_no_errors():
    assert errors_of({"post_cost": Decimal("0"), "logistics_code": "SF"},
                     [{"spec_no": "A", "num": Decimal("0.0001"), "price": Decimal("0")}]) == []


def test_a_return_without_lines_is_refused():
    assert any("至少需要一行明细" in e for e in errors_of(lines=[]))


@pytest.mark.parametrize(("field", "limit"), [("return_no", 40), ("outer_no", 40), ("logistics_code", 20),
                                              ("logistics_no", 40), ("remark", 255)])
def test_header_text_longer_than_the_vendor_allows_is_refused(field, limit):
    assert errors_of({field: "x" * limit}) == []
    errors = errors_of({field: "x" * (limit + 1)})
    label = str(PurchaseReturn._meta.get_field(field).verbose_name)
    assert any(e.startswith(f"{label}：") for e in errors), errors


@pytest.mark.parametrize(("field", "limit"), [("spec_no", 40), ("position_no", 20), ("batch_no", 20),
                                              ("remark", 255)])
def test_line_text_longer_than_the_vendor_allows_is_refused(field, limit):
    assert errors_of(lines=[{"spec_no": "A", "num": Decimal("1"), field: "y" * limit}]) == []
    errors = errors_of(lines=[{"spec_no": "A", "num": Decimal("1"), field: "y" * (limit + 1)}])
    assert any(e.startswith("第1行") for e in errors), errors


def test_a_line_without_spec_no_is_refused():
    assert errors_of(lines=[{"spec_no": "", "num": Decimal("1")}]) == ["第1行 商家编码：此字段不能为空。"]


def test_a_return_without_return_no_is_refused():
    assert errors_of({"return_no": ""}) == ["退货单号：此字段不能为空。"]


@pytest.mark.parametrize("num", [Decimal("0"), Decimal("-1")])
def test_quantity_must_be_greater_than_zero(num):
    assert any("必须大于0" in e for e in errors_of(lines=[{"spec_no": "A", "num": num}]))


def test_negative_price_and_post_cost_are_refused():
    errors = errors_of({"post_cost": Decimal("-0.01")}, [{"spec_no": "A", "num": Decimal("1"), "price": Decimal("-1")}])
    assert any(e.startswith("邮资：") and "不能小于0" in e for e in errors), errors
    assert any(e.startswith("第1行") and "不能小于0" in e for e in errors), errors


def test_decimal_19_4_allows_fifteen_integer_digits_and_four_decimals():
    assert errors_of({"post_cost": Decimal("999999999999999.9999")}) == []
    assert errors_of({"post_cost": Decimal("1000000000000000")})
    assert errors_of(lines=[{"spec_no": "A", "num": Decimal("1.00001")}])


def test_the_same_spec_and_batch_twice_is_refused_and_names_both_lines():
    errors = errors_of(lines=[{"spec_no": "A", "num": Decimal("1"), "batch_no": "B1"},
                              {"spec_no": "A", "num": Decimal("2"), "batch_no": "B2"},
                              {"spec_no": "A", "num": Decimal("3"), "batch_no": "B1"}])
    assert any("第1行与第3行" in e for e in errors), errors


def test_a_return_number_already_in_the_portal_is_refused():
    make_return("CR2026119999")
    assert errors_of() == ["退货单号：具有 退货单号 的 采购退货单 已存在。"]


@pytest.mark.parametrize("line", [
    {"spec_no": "Z", "num": Decimal("0")},
    {"spec_no": "Z", "num": Decimal("-1")},
    {"spec_no": "Z", "num": Decimal("1"), "price": Decimal("-0.0001")},
    {"spec_no": "SKU-A", "num": Decimal("1")},  # the same spec_no and (empty) batch_no as the existing line
], ids=["num-zero", "num-negative", "price-negative", "spec-batch-twice"])
def test_the_database_refuses_a_line_validation_refuses(line):
    purchase_return = make_return("CR2026119002")
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundLine.objects.create(purchase_return=purchase_return, **line)
    assert purchase_return.lines.count() == 1


@pytest.mark.parametrize("header", [
    {"return_no": "CR2026119002"},
    {"return_no": "CR2026119003", "outer_no": "OUT-TAKEN"},
    {"return_no": "CR2026119003", "post_cost": Decimal("-0.01")},
], ids=["return-no-twice", "outer-no-twice", "post-cost-negative"])
def test_the_database_refuses_a_return_validation_refuses(header):
    make_return("CR2026119002", outer_no="OUT-TAKEN")
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchaseReturn.objects.create(**header)
    assert PurchaseReturn.objects.count() == 1


def test_validating_a_valid_draft_makes_it_ready_and_records_who(clerk):
    purchase_return = make_return()
    assert return_validate(purchase_return=purchase_return, user=clerk) == []
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == DocumentState.READY
    change = purchase_return.state_changes.get()
    assert (change.from_state, change.to_state, change.user) == ("draft", "ready", clerk)


def test_validating_an_invalid_ready_return_sends_it_back_to_draft(clerk):
    purchase_return = make_return(lines=[])
    purchase_return.outbound_state = DocumentState.READY
    purchase_return.save()
    assert return_validate(purchase_return=purchase_return, user=clerk)
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == DocumentState.DRAFT


@pytest.mark.parametrize("state", [DocumentState.DONE, DocumentState.SENDING, DocumentState.UNKNOWN])
def test_validation_never_moves_a_document_that_is_sent_or_in_flight(clerk, state):
    purchase_return = make_return(outbound_state=state)
    assert return_validate(purchase_return=purchase_return, user=clerk) == []
    purchase_return.refresh_from_db()
    assert purchase_return.outbound_state == state
    assert not purchase_return.state_changes.exists()


def test_outer_no_is_generated_once_and_kept():
    purchase_return = make_return()
    first = purchase_return.outer_no
    assert first
    purchase_return.remark = "changed"
    purchase_return.save()
    purchase_return.refresh_from_db()
    assert purchase_return.outer_no == first


def test_an_outer_no_cleared_on_an_existing_return_comes_back_unchanged(client, clerk):
    purchase_return = make_return(outer_no="OUT-KEPT")
    purchase_return.outer_no = ""
    purchase_return.save()
    purchase_return.refresh_from_db()
    assert purchase_return.outer_no == "OUT-KEPT"
    purchase_return.outer_no = ""
    purchase_return.save(update_fields=["outer_no"])
    purchase_return.refresh_from_db()
    assert purchase_return.outer_no == "OUT-KEPT"

    # The clerk empties the field in the admin: the stored number stays.
    line = purchase_return.lines.get()
    client.force_login(clerk)
    response = client.post(reverse("admin:returns_purchasereturn_change", args=[purchase_return.pk]), {
        "return_no": purchase_return.return_no, "outer_no": "", "remark": "清空外部单号", "is_check": "on",
        "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 1, "lines-MIN_NUM_FORMS": 0, "lines-MAX_NUM_FORMS": 1000,
        "lines-0-id": line.pk, "lines-0-purchase_return": purchase_return.pk, "lines-0-line_no": 1,
        "lines-0-spec_no": "SKU-A", "lines-0-num": "2",
        "documents-statechange-content_type-object_id-TOTAL_FORMS": 0,
        "documents-statechange-content_type-object_id-INITIAL_FORMS": 0})
    assert response.status_code == 302, response.content.decode()[:2000]
    purchase_return.refresh_from_db()
    assert (purchase_return.outer_no, purchase_return.remark) == ("OUT-KEPT", "清空外部单号")


def test_a_new_return_without_outer_no_gets_one_generated():
    first, second = make_return("CR2026119011"), make_return("CR2026119012")
    assert first.outer_no.startswith("WP") and second.outer_no.startswith("WP") and first.outer_no != second.outer_no
