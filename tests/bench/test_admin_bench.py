"""bench/admin_bench.py cannot rot: its fixture builder and its measurement run here at a tiny volume.

The figures themselves are the benchmark's (printed, never asserted); this checks that the builder makes exactly
the volume asked for, that the cases cover every list filter and sortable column the admins have, and that every
page answers as it should through the same child-process measurement the benchmark uses.
"""

import pytest
from django.contrib import admin
from django.test import Client

from bench.admin_fixture import Volume, build_fixture
from bench.admin_pages import Anchors, bulk_cases, filter_queries, measure, page_cases, sort_queries
from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from wdtportal.wdt.models import WdtCall

# The measurement forks: the child reads what this test committed.
pytestmark = pytest.mark.django_db(transaction=True)

RETURNS = 50


def test_the_fixture_has_the_volume_asked_and_every_admin_page_and_bulk_action_answers():
    counts = build_fixture(returns=RETURNS)

    assert counts == Volume(RETURNS).expected()
    assert (counts["returns_purchasereturn"], counts["returns_outboundline"], counts["settlements_settlementdraft"],
            counts["wdt_wdtcall"], counts["returns_statechange"], counts["returns_importbatch"]) == (
        50, 150, 15, 100, 115, 1)
    assert set(PurchaseReturn.objects.values_list("outbound_state", flat=True)) >= {"done", "failed", "ready"}
    assert SettlementDraft.objects.filter(purchase_return__isnull=False).count() == 15
    assert WdtCall.objects.filter(request_payload__purchase_return_info__return_no__startswith="CR").exists()

    anchors = Anchors.find(returns=RETURNS)
    cases = page_cases(anchors)
    names = {case.name for case in cases}
    for label, model in (("returns", PurchaseReturn), ("settlements", SettlementDraft), ("call log", WdtCall)):
        model_admin = admin.site.get_model_admin(model)
        filters = [name for name, _query in filter_queries(model_admin, {})] if model is WdtCall else None
        assert len(list(sort_queries(model_admin, anchors.supervisor))) >= 4  # the indexed ones (sortable_by)
        for name, _query in sort_queries(model_admin, anchors.supervisor):
            assert f"{label}: sort by {name}" in names
        assert sum(name.startswith(f"{label}: filter ") for name in names) == len(model_admin.list_filter)
        assert filters is None or len(filters) == len(model_admin.list_filter)

    client = Client()
    client.force_login(anchors.supervisor)
    results = list(measure(cases + bulk_cases(anchors), client=client, runs=1, timeout=120, budget=5))

    assert [(r.case.name, r.status, r.error, r.timed_out) for r in results if not r.ok] == []
    assert all(r.queries and len(r.times) == 1 for r in results)
    found = {r.case.name: r.rows for r in results}
    assert found["returns: list, page 1"] == 50
    assert found["returns: search return_no (exact)"] == 1
    assert found["settlements: list, page 1"] == 15
    assert found["call log: list, page 1"] == 100
    bulk = {r.case.name: r for r in results if r.case.bulk}
    assert bulk["export 25 filtered returns (export button)"].detail.startswith("xlsx")
    assert bulk["select all 5 -> export form"].detail == "5 hidden inputs"
    assert bulk["select all 5 -> export download"].detail.startswith("xlsx")
    assert bulk["send 25 selected returns -> job"].detail.startswith("/admin/jobs/job/")
    assert all(r.peak_mb for r in bulk.values())
