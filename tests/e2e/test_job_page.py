"""The job's page in Chromium: it keeps itself current while the worker runs, figures grouped as the server
groups them (1,201 and not 1201), every document listed with a link, a page of 100 at a time."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from returns.models import OutboundLine, PurchaseReturn
from tests.factories import make_user
from tests.jobs.test_runner import KIND, test_kind  # noqa: F401 - the fixture: a kind that only moves states
from tests.worker import run_worker_until_idle
from wdtportal.jobs.services import job_start

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_job_page_updates_itself_with_grouped_figures_and_lists_every_document(
        page, live_server, e2e_settings, test_kind):  # noqa: F811
    boss = make_user("boss1", "财务主管")
    numbers = [f"CRE{i:05d}" for i in range(1201)]
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=f"W{no}") for no in numbers])
    returns = list(PurchaseReturn.objects.order_by("return_no"))
    OutboundLine.objects.bulk_create([OutboundLine(purchase_return=r, line_no=1, spec_no="SKU-A", num=Decimal("1"))
                                      for r in returns])
    job = job_start(kind=KIND, documents=returns, user=boss)

    login(page, live_server.url, "boss1", "pw-for-tests-only")
    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/progress/")
    expect(page.locator("#job-total")).to_have_text("1,201")
    expect(page.locator("#job-status")).to_have_text("排队中")
    expect(page.locator("#job-items tr.job-item-pending")).to_have_count(100)

    run_worker_until_idle()
    # Written by the page's script from progress.json, without a reload.
    expect(page.locator("#job-status")).to_have_text("已结束", timeout=10_000)
    expect(page.locator("#job-done")).to_have_text("1,201")
    expect(page.locator("#job-processed")).to_have_text("1,201")
    expect(page.locator("#job-percent")).to_have_text("100")
    expect(page.locator("#job-span")).to_have_text("第 1–100 条，共 1,201 条")
    expect(page.locator("#job-items tr.job-item-done")).to_have_count(100)
    first = page.locator("#job-items tr").first
    expect(first.locator("td.docno a")).to_have_text("CRE00000")
    expect(first.locator("td.docno a")).to_have_attribute(
        "href", re.compile(rf"/admin/returns/purchasereturn/{returns[0].pk}/change/$"))
    assert first.locator("td.docno").evaluate("td => getComputedStyle(td).whiteSpace") == "nowrap"
    assert first.locator("td.num").evaluate("td => getComputedStyle(td).textAlign") == "right"

    page.locator("#job-next").click()
    expect(page.locator("#job-span")).to_have_text("第 101–200 条，共 1,201 条")
    expect(page.locator("#job-items tr").first.locator("td.num")).to_have_text("101")
    page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/progress/?page=13")
    expect(page.locator("#job-span")).to_have_text("第 1,201–1,201 条，共 1,201 条")
    expect(page.locator("#job-next")).to_be_hidden()
