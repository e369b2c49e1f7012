"""Dates as 2026-11-22 14:05 and thousands grouped by commas, in Chinese and in English."""

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import Context, Template
from django.utils import formats, timezone, translation


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_are_iso_with_minutes(language):
    moment = timezone.make_aware(datetime(2026, 11, 22, 14, 5, 33))
    with translation.override(language):
        assert formats.date_format(moment, "DATETIME_FORMAT") == "2026-11-22 14:05"
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "2026-11-22 14:05"
        assert formats.date_format(date(2026, 11, 2), "DATE_FORMAT") == "2026-11-02"
        assert formats.localize(moment) == "2026-11-22 14:05"
        assert Template("{{ d|date }}").render(Context({"d": moment})) == "2026-11-22"
        # The admin's calendar widget writes the first input format.
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_thousands_are_grouped_by_three_with_commas(language):
    with translation.override(language):
        assert intcomma(1234567) == "1,234,567"
        assert intcomma(Decimal("12345.6700")) == "12,345.6700"
        assert formats.number_format(Decimal("1234.5"), 2, force_grouping=True) == "1,234.50"


@pytest.mark.django_db
def test_admin_pages_load_the_portal_stylesheet(admin_client_zh):
    page = admin_client_zh.get("/admin/").text
    assert "/static/wdtportal/admin.css" in page
    assert "/static/wdtportal/dashboard.css" in page


@pytest.mark.parametrize(("value", "money", "quantity"), [
    ("12.0000", "12.00", "12"),
    ("29.1000", "29.10", "29.1"),
    ("1.2345", "1.2345", "1.2345"),
    ("1234567.5", "1,234,567.50", "1,234,567.5"),
    ("0", "0.00", "0"),
    ("0.0500", "0.05", "0.05"),
    ("1E+3", "1,000.00", "1,000"),
])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_money_has_two_decimals_or_more_and_quantities_no_trailing_zeros(language, value, money, quantity):
    from wdtportal.documents import numbers

    with translation.override(language):
        assert numbers.money(Decimal(value)) == money
        assert numbers.quantity(Decimal(value)) == quantity
        # Form inputs: the same figures without grouping, so that they save back unchanged.
        assert numbers.money(Decimal(value), grouping=False) == money.replace(",", "")
        assert numbers.quantity(Decimal(value), grouping=False) == quantity.replace(",", "")
    assert numbers.money(None) == numbers.quantity(None) == ""


def test_prices_and_fees_are_money_and_the_rest_quantities():
    from wdtportal.documents import numbers

    assert {name for name in ("price", "post_cost", "post_fee", "other_fee", "total_amount", "num", "settle_num",
                              "tax_rate", "total_quantity") if numbers.kind_of(name) == numbers.MONEY} == {
        "price", "post_cost", "post_fee", "other_fee", "total_amount"}
    assert numbers.amount(Decimal("1.5"), Decimal("0.3333")) == Decimal("0.5000")  # 0.49995, half up
    assert numbers.amount(Decimal("2"), None) is None


@pytest.mark.django_db
def test_the_same_figures_on_the_list_the_document_page_and_a_read_only_document(admin_client_zh):
    from tests.factories import make_draft, make_return
    from wdtportal.documents.states import DocumentState

    lines = [{"spec_no": "SKU-A", "num": Decimal("2.0000"), "price": Decimal("12.0000")},
             {"spec_no": "SKU-B", "num": Decimal("1.5"), "price": Decimal("1234.5")}]
    purchase_return = make_return("CR2026112277", post_cost=Decimal("12"), id=12345, lines=lines)
    page = admin_client_zh.get("/admin/returns/purchasereturn/").text
    assert '<td class="field-quantity_shown">3.5</td>' in page
    assert '<td class="field-amount_shown">1,875.75</td>' in page
    # Identifiers in links and forms are never grouped.
    assert 'href="/admin/returns/purchasereturn/12345/change/' in page
    assert 'value="12345"' in page and "12,345" not in page

    change = admin_client_zh.get(f"/admin/returns/purchasereturn/{purchase_return.pk}/change/").text
    # Inputs hold what the pages show, without grouping, so that they save back unchanged.
    assert 'name="post_cost" value="12.00"' in change
    assert 'name="lines-0-num" value="2"' in change and 'name="lines-0-price" value="12.00"' in change
    assert 'name="lines-1-price" value="1234.50"' in change
    assert "12.0000" not in change and "2.0000" not in change and "12,345" not in change

    purchase_return.outbound_state = DocumentState.DONE
    purchase_return.save()
    done = admin_client_zh.get(f"/admin/returns/purchasereturn/{purchase_return.pk}/change/").text
    shown = re.sub(r"\s+", "", done)
    assert '<divclass="readonly">12.00</div>' in shown
    assert '<tdclass="field-num_shown"><p>2</p></td>' in shown
    assert '<tdclass="field-price_shown"><p>1,234.50</p>' in shown
    assert "0000" not in done.replace("12345", "")
    assert 'name="_save"' not in done  # read-only: no save buttons

    draft = make_draft("CR2026112278", post_fee=Decimal("5"),
                       lines=[{"spec_no": "SKU-A", "settle_num": Decimal("3"), "price": Decimal("0.3333"),
                               "tax_rate": Decimal("0.1300")}])
    drafts = admin_client_zh.get("/admin/settlements/settlementdraft/").text
    assert '<td class="field-quantity_shown">3</td>' in drafts
    assert '<td class="field-amount_shown">0.9999</td>' in drafts  # more decimals only when the value has them
    form = admin_client_zh.get(f"/admin/settlements/settlementdraft/{draft.pk}/change/").text
    assert 'name="lines-0-tax_rate" value="0.13"' in form and 'name="lines-0-price" value="0.3333"' in form
