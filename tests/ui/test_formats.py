"""Dates as 2026-11-22 14:05 and thousands grouped by commas, in Chinese and in English."""

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


@pytest.mark.django_db
def test_change_list_shows_money_with_thousands_and_all_decimals(admin_client_zh):
    from tests.factories import make_return

    purchase_return = make_return("CR2026112277", post_cost=Decimal("1234.5"), id=12345)
    page = admin_client_zh.get("/admin/returns/purchasereturn/").text
    assert '<td class="field-post_cost">1,234.5000</td>' in page
    # Identifiers in links and forms are never grouped.
    assert 'href="/admin/returns/purchasereturn/12345/change/' in page
    assert 'value="12345"' in page and "12,345" not in page
    change = admin_client_zh.get(f"/admin/returns/purchasereturn/{purchase_return.pk}/change/").text
    assert 'value="1234.5000"' in change  # the form input stays plain, so it saves back unchanged
    assert "12,345" not in change
