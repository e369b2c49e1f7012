"""Every big list makes the same number of queries (at most MAX) whether it holds 3 rows or 300: no query per row
(the settlement column, the people, the batches), and none that grows with the table."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.lists.conftest import fill, return_no

pytestmark = pytest.mark.django_db

MAX = 20
RETURNS = "admin:returns_purchasereturn_changelist"
DRAFTS = "admin:settlements_settlementdraft_changelist"
CALLS = "admin:wdt_wdtcall_changelist"
JOBS = "admin:jobs_job_changelist"
ITEMS = "admin:jobs_jobitem_changelist"

PAGES = [
    ("returns", RETURNS, {}),
    ("returns, page 2", RETURNS, {"p": "2"}),
    ("returns sorted by amount", RETURNS, {"o": "-6"}),
    ("returns failed", RETURNS, {"outbound_state__exact": "failed"}),
    ("returns by clerk", RETURNS, {"created_by__id__exact": "CREATOR"}),
    ("returns of a batch", RETURNS, {"import_batch__id__exact": "BATCH"}),
    ("returns, a number", RETURNS, {"q": return_no(2)}),
    ("returns, a day's numbers", RETURNS, {"q": "CR20261201"}),
    ("returns, a spec_no", RETURNS, {"q": "SPEC"}),
    ("returns, a remark", RETURNS, {"q": "破损"}),
    ("settlements", DRAFTS, {}),
    ("settlements, a number", DRAFTS, {"q": "JS"}),
    ("settlements failed", DRAFTS, {"state__exact": "draft"}),
    ("call log", CALLS, {}),
    ("call log, a number", CALLS, {"q": return_no(1)}),
    ("call log, an error", CALLS, {"q": "库存不足"}),
    ("call log by method", CALLS, {"method": "purchase_return_order_push.php"}),
    ("jobs", JOBS, {}),
    ("jobs, a document", JOBS, {"q": return_no(2)}),
    ("job items", ITEMS, {}),
    ("job items, failed", ITEMS, {"state__exact": "failed"}),
]


def queries(client: Any, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.content[:500])
    assert "?e=1" not in response.get("Location", "")
    return len(captured)


@pytest.mark.parametrize(("name", "url_name", "params"), PAGES, ids=[p[0] for p in PAGES])
def test_a_list_page_makes_the_same_queries_for_3_rows_as_for_300(client, supervisor, admin_user,
                                                                  django_assert_max_num_queries, name, url_name,
                                                                  params):
    from wdtportal.documents.models import ImportBatch

    # A 财务主管, as the benchmark; the items of every job are an administrator's page.
    client.force_login(admin_user if url_name == ITEMS else supervisor)
    url = reverse(url_name)
    fill(1, 4, creator=supervisor)
    batch = ImportBatch.objects.order_by("pk").first()
    params = {k: {"CREATOR": str(supervisor.pk), "BATCH": str(batch.pk)}.get(v, v) for k, v in params.items()}
    with django_assert_max_num_queries(MAX):
        few = queries(client, url, params)
    fill(4, 301, creator=supervisor)
    with django_assert_max_num_queries(MAX):
        many = queries(client, url, params)
    assert few == many, f"{name}: {few} queries for 3 rows, {many} for 300"
    print(f"{name}: {many} queries")
