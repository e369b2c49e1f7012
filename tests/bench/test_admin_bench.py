"""bench/admin_bench.py cannot rot: its fixture builder and its measurement run here at a tiny volume.

The figures themselves are the benchmark's (printed, never asserted); this checks that the builder makes exactly
the volume asked for, that the cases cover every list filter and sortable column the admins have, and that every
page answers as it should through the same child-process measurement the benchmark uses.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import Client

from bench.admin_fixture import Volume, build_fixture
from bench.admin_pages import Anchors, bulk_cases, filter_queries, measure, page_cases, sort_queries
from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from wdtportal.wdt.models import WdtCall

ROOT = Path(__file__).resolve().parents[2]
RETURNS = 50


def test_the_command_builds_the_volume_once_then_measures_a_copy_of_it(tmp_path):
    """The script end to end on SQLite: it builds the cache (forced here), copies it, measures and prints the
    table; run again, it reuses the copy instead of building."""
    command = [sys.executable, str(ROOT / "bench" / "admin_bench.py"), "--database-url",
               f"sqlite:///{tmp_path / 'bench.sqlite3'}", "--returns", "20", "--runs", "1", "--only", "^dashboard$",
               "--no-bulk"]
    first = subprocess.run([*command, "--rebuild"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "building the fixture (20 returns)" in first.stderr
    assert "20 returns, purchasereturn 20, outboundline 60," in first.stdout
    assert re.search(r"^\| dashboard \| 200 \| \d+ \| [\d.]+ m?s \|", first.stdout, re.MULTILINE)

    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "building" not in again.stderr
    assert "reusing the benchmark database" in again.stderr
    assert "| dashboard | 200 |" in again.stdout


# The measurement forks: the child reads what this test committed.
@pytest.mark.django_db(transaction=True)


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
    # Each page once (its warm-up request only), each bulk action once: what the benchmark does, without the repeats.
    results = list(measure(cases + bulk_cases(anchors), client=client, runs=0, timeout=120, budget=0))

    assert [(r.case.name, r.status, r.error, r.timed_out) for r in results if not r.ok] == []
    assert len(results) == len(cases) + len(bulk_cases(anchors))
    assert all(r.queries for r in results)
    assert all(len(r.times) == (1 if r.case.bulk else 0) for r in results)
    found = {r.case.name: r.rows for r in results}
    assert found["returns: list, page 1"] == 50
    assert found["returns: search return_no (exact)"] == 1
    assert found["settlements: list, page 1"] == 15
    assert found["call log: list, page 1"] == 100
    bulk = {r.case.name: r for r in results if r.case.bulk}
    assert bulk["export 25 filtered returns (export button)"].detail.startswith("xlsx")
    # The form carries the list's filters, not one hidden input per document (issue 11: no POST carries N ids).
    assert bulk["select all 5 -> export form"].detail == "0 hidden inputs"
    assert bulk["select all 5 -> export download"].detail.startswith("xlsx")
    assert bulk["send 25 selected returns -> job"].detail.startswith("/admin/jobs/job/")
    assert all(r.peak_mb for r in bulk.values())
