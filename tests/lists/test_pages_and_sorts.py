"""Pages and sorts of the big lists: a deep page shows the same rows, in the same order, as a plain OFFSET would;
every sortable column, in both directions, is read from an index (no sort of the table); counts are exact when
cheap and estimated ("约 N") on PostgreSQL when not, and an estimated list still pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from wdtportal.lists import paginator as list_paginator
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db

RETURNS = "admin:returns_purchasereturn_changelist"


def many_returns(n: int) -> None:
    PurchaseReturn.objects.bulk_create([
        PurchaseReturn(return_no=f"CR2026121{i:06d}", outer_no=f"WPPAGE{i:06d}", total_amount=Decimal(i % 7),
                       line_count=i % 3) for i in range(n)], batch_size=500)


def shown(client: Any, **params: str) -> list[int]:
    response = client.get(reverse(RETURNS), params)
    assert response.status_code == 200 and "e" not in response.get("Location", "")
    return [obj.pk for obj in response.context["cl"].result_list]


def test_a_deep_page_shows_the_rows_an_offset_would_in_the_same_order(client, clerk):
    many_returns(1250)
    client.force_login(clerk)
    newest_first = list(PurchaseReturn.objects.order_by("-pk").values_list("pk", flat=True))
    assert shown(client, p="24") == newest_first[1150:1200]  # past DEFERRED_FROM: the ids first
    assert shown(client, p="25") == newest_first[1200:1250]  # the last page
    by_amount = list(PurchaseReturn.objects.order_by("total_amount", "pk").values_list("pk", flat=True))
    assert shown(client, p="23", o="5") == by_amount[1100:1150]  # ties broken by the id, the same way
    by_amount_desc = list(PurchaseReturn.objects.order_by("-total_amount", "-pk").values_list("pk", flat=True))
    assert shown(client, p="23", o="-5") == by_amount_desc[1100:1150]


def _plan_sorts(sql: str, params: Any) -> bool:
    """Whether the database sorts rows for this query rather than reading them in an index's order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With sorting priced out, a plan still sorts only where no index gives the order.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return any("Sort" in row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return any("TEMP B-TREE FOR ORDER BY" in str(row[-1]) for row in cursor.fetchall())


@pytest.mark.parametrize("model", [PurchaseReturn, SettlementDraft, WdtCall], ids=lambda m: m._meta.model_name)
def test_every_sortable_column_is_read_from_an_index_in_both_directions(model, admin_user):
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/")
    request.user = admin_user
    list_display = list(model_admin.get_list_display(request))
    offset = 1 if model_admin.get_actions(request) else 0
    checked = []
    for name in model_admin.sortable_by:
        for prefix in ("", "-"):
            request = RequestFactory().get("/", {"o": f"{prefix}{list_display.index(name) + offset}"})
            request.user = admin_user
            changelist = model_admin.get_changelist_instance(request)
            sql, params = changelist.queryset[:50].query.sql_with_params()
            assert not _plan_sorts(sql, params), f"{model._meta.label} sorted by {prefix}{name}: {sql}"
            checked.append(name)
    request = RequestFactory().get("/")
    request.user = admin_user
    sql, params = model_admin.get_changelist_instance(request).queryset[:50].query.sql_with_params()
    assert not _plan_sorts(sql, params), f"{model._meta.label}, the default order: {sql}"
    assert len(checked) >= 2 * 4


def test_counts_are_exact_on_a_small_list(client, clerk):
    many_returns(60)
    client.force_login(clerk)
    page = client.get(reverse(RETURNS))
    assert page.context["cl"].result_count == 60 and not page.context["cl"].paginator.estimated
    assert "约" not in page.content.decode().split('class="paginator"')[1][:400]


@pytest.mark.postgres
def test_on_postgresql_an_expensive_count_is_the_planners_estimate_and_the_list_still_pages(client, clerk,
                                                                                           monkeypatch):
    many_returns(120)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE returns_purchasereturn")
    monkeypatch.setattr(list_paginator, "EXACT_COST", 0.0)  # as if the table were a million rows
    client.force_login(clerk)
    # Costly to count, but few: counted up to SURE_BELOW, hence exactly.
    few = client.get(reverse(RETURNS), {"q": "CR2026121000007"}).context["cl"]
    assert not few.paginator.estimated and few.result_count == 1
    monkeypatch.setattr(list_paginator, "SURE_BELOW", 50)  # as if the list held more than 1,000
    page = client.get(reverse(RETURNS))
    changelist = page.context["cl"]
    assert changelist.paginator.estimated
    assert 60 <= changelist.result_count <= 240  # the planner's figure, from the table's statistics
    assert f"约 {changelist.result_count}" in page.content.decode().replace(",", "")
    assert len(changelist.result_list) == 50
    assert len(shown(client, p="3")) == 20
    assert shown(client, p="9") == []  # past the real end: an empty page, not an error


@pytest.mark.postgres
def test_on_postgresql_an_estimate_far_too_low_still_shows_one_page_and_never_all(client, clerk, monkeypatch):
    many_returns(120)
    monkeypatch.setattr(list_paginator, "planner_estimate", lambda queryset: (10, 1e9))  # "10 rows, costly"
    monkeypatch.setattr(list_paginator, "SURE_BELOW", 30)  # counted up to 30: more than that
    client.force_login(clerk)
    page = client.get(reverse(RETURNS))
    changelist = page.context["cl"]
    assert changelist.paginator.estimated and changelist.result_count == 30  # the planner's 10 was too low
    assert len(changelist.result_list) == 50  # a page, not the 120 rows the estimate hid
    assert not changelist.can_show_all and 'class="showall"' not in page.content.decode()
    assert len(shown(client, p="3")) == 20
