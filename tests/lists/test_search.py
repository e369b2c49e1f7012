"""Searching the lists: numbers exact or by their start (a return's, its tracking number, a line's spec_no, a draft's
settlement number), words in remarks and error messages; each word must match; never a join with DISTINCT."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from returns.models import PurchaseReturn
from tests.factories import make_draft, make_return
from wdtportal.jobs.models import Job, JobItem
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db

RETURNS = "admin:returns_purchasereturn_changelist"
DRAFTS = "admin:settlements_settlementdraft_changelist"


@pytest.fixture
def returns(db: Any) -> dict[str, PurchaseReturn]:
    made = {
        "a": make_return("CR2026120100001", logistics_code="SF", logistics_no="SF1234567890",
                         remark="外包装破损，供应商同意退回",
                         lines=[{"spec_no": "SKU-RED-1", "num": 1}, {"spec_no": "SKU-RED-2", "num": 1}]),
        "b": make_return("CR2026120100002", logistics_code="ZTO", logistics_no="ZT9876543210", remark="质量问题退货",
                         lines=[{"spec_no": "SKU-BLUE", "num": 1}]),
        "c": make_return("CR2026120200001", logistics_code="SF", logistics_no="SF5550001", remark="临期商品 破损",
                         outer_no="WPOUTER0001", lines=[{"spec_no": "SKU-RED-9", "num": 1}]),
    }
    make_draft("CR2026120100002", purchase_return=made["b"], js_order_no="JS20261201001")
    return made


def found(client: Any, url_name: str, term: str, **params: str) -> set[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(url_name), {"q": term, **params})
    assert response.status_code == 200
    listed = response.context["cl"].result_list
    sql = " ".join(q["sql"] for q in captured.captured_queries).upper()
    assert "DISTINCT" not in sql  # a subquery per related number, never a join to de-duplicate
    assert 'JOIN "RETURNS_OUTBOUNDLINE"' not in sql and 'JOIN "SETTLEMENTS_SETTLEMENTLINE"' not in sql
    return {str(obj) for obj in listed}


@pytest.mark.parametrize(("term", "expected"), [
    ("CR2026120100001", {"CR2026120100001"}),  # a return number, exact
    ("cr2026120100001", {"CR2026120100001"}),  # typed in lower case
    ("CR20261201", {"CR2026120100001", "CR2026120100002"}),  # the start: a day's returns
    ("WPOUTER0001", {"CR2026120200001"}),  # WDT's outer_no
    ("SF1234567890", {"CR2026120100001"}),  # a tracking number (物流单号)
    ("ZT98765", {"CR2026120100002"}),  # …or its start
    ("ZTO", {"CR2026120100002"}),  # a logistics company
    ("SKU-RED", {"CR2026120100001", "CR2026120200001"}),  # lines' spec_no: each return once
    ("SKU-BLUE", {"CR2026120100002"}),
    ("JS20261201001", {"CR2026120100002"}),  # its settlement draft's number (added by the settlements app)
    ("破损", {"CR2026120100001", "CR2026120200001"}),  # a word of a remark (two characters: bigrams on PostgreSQL)
    ("损，", {"CR2026120100001"}),  # any two characters, punctuation too
    ("临期商品", {"CR2026120200001"}),  # four characters: trigrams on PostgreSQL
    ("供应商同意", {"CR2026120100001"}),
    ("破损 临期", {"CR2026120200001"}),  # every word must match
    ("SF 破损", {"CR2026120100001", "CR2026120200001"}),  # a company and a remark word
    ("NOSUCHNUMBER", set()),
    ("没有这样的备注", set()),
    ("没有", set()),
])
def test_the_returns_list_finds_numbers_tracking_numbers_companies_and_remarks(client, clerk, returns, term,
                                                                               expected):
    client.force_login(clerk)
    assert found(client, RETURNS, term) == expected


def test_a_number_like_word_that_starts_no_number_is_looked_for_in_the_remarks(client, clerk, returns):
    make_return("CR2026120300001", remark="换货单 RMA-77 作废")
    client.force_login(clerk)
    assert found(client, RETURNS, "RMA-77") == {"CR2026120300001"}


@pytest.mark.parametrize(("term", "expected"), [
    ("JS20261201001", {"CR2026120100002"}),
    ("CR2026120100002", {"CR2026120100002"}),
    ("SKU-A", {"CR2026120100002"}),  # the draft's own line (the factory's default)
])
def test_the_settlement_list_finds_its_numbers(client, clerk, returns, term, expected):
    client.force_login(clerk)
    assert found(client, DRAFTS, term) == expected


def test_the_search_box_says_what_it_searches(client, clerk, returns):
    client.force_login(clerk)
    page = client.get(reverse(RETURNS)).content.decode()
    assert "按编号搜索（完整或开头）：退货单号、外部单号、物流单号、物流公司编号、商家编码、结算单号" in page
    assert "按文字搜索（包含）：备注" in page


def test_the_call_log_finds_a_batch_by_its_first_number_and_an_error_by_its_words(admin_client, db):
    WdtCall.objects.create(gateway="qjb", method="purchase.PurchaseReturn.pending", outcome="ok",
                           document_label="CR2026120100001 等10张")
    WdtCall.objects.create(gateway="enterprise", method="purchase_return_order_push.php", outcome="refused",
                           document_label="CR2026120100009", error_message="库存不足，无法出库")
    url = "admin:wdt_wdtcall_changelist"
    assert found(admin_client, url, "CR2026120100001") == {f"{c}" for c in WdtCall.objects.filter(
        document_label__startswith="CR2026120100001")}
    refused = WdtCall.objects.get(outcome="refused")
    assert found(admin_client, url, "库存不足") == {str(refused)}
    # A method is chosen from its filter (its values read by hopping through the method index).
    page = admin_client.get(reverse(url), {"method": "purchase.PurchaseReturn.pending"})
    assert [str(c) for c in page.context["cl"].result_list] == [str(WdtCall.objects.get(outcome="ok"))]
    assert "purchase_return_order_push.php" in page.content.decode()  # offered in the filter


def test_a_job_is_found_by_a_document_it_covers(admin_client, db):
    job = Job.objects.create(kind="return_push_outbound", label="创建出库单", total=1)
    Job.objects.create(kind="return_push_outbound", label="创建出库单", total=1)
    JobItem.objects.create(job=job, position=0, object_id=1, label="CR2026120100001")
    assert found(admin_client, "admin:jobs_job_changelist", "CR2026120100001") == {str(job)}
