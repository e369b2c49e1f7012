"""The admin's send actions run as jobs: the worker sends through the services to the sandbox over HTTP."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from returns.models import OutboundLine, PurchaseReturn
from tests.worker import run_worker_until_idle
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.models import Job
from wdtportal.wdt.models import GatewayPace, WdtCall
from wdtportal.wdt.sandbox.models import SandboxReturn, SandboxReturnLine

pytestmark = pytest.mark.django_db(transaction=True)

RETURNS = "admin:returns_purchasereturn_changelist"


def seed_returns(n: int, *, known_to_wdt: int | None = None) -> list[PurchaseReturn]:
    numbers = [f"CRS{i:05d}" for i in range(n)]
    known = SandboxReturn.objects.bulk_create([SandboxReturn(return_no=no) for no in numbers[:known_to_wdt]])
    SandboxReturnLine.objects.bulk_create([SandboxReturnLine(purchase_return=r, spec_no="SKU-A", num=Decimal("1"))
                                           for r in SandboxReturn.objects.filter(pk__in=[r.pk for r in known])])
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=f"WPS{no}") for no in numbers])
    returns = list(PurchaseReturn.objects.filter(return_no__in=numbers).order_by("return_no"))
    OutboundLine.objects.bulk_create([OutboundLine(purchase_return=r, line_no=1, spec_no="SKU-A", num=Decimal("1"))
                                      for r in returns])
    return returns


def run_action(client, user, action: str, documents) -> Job:
    client.force_login(user)
    page = client.post(reverse(RETURNS), {"action": action, "select_across": "1",
                                          ACTION_CHECKBOX_NAME: [documents[0].pk], "index": 0})
    assert page.status_code == 302 and page.url.endswith("/progress/")
    assert client.get(page.url).status_code == 200
    run_worker_until_idle()
    return Job.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))


def pending_calls() -> list[int]:
    """How many return numbers each stop-waiting request that reached the sandbox carried."""
    calls = WdtCall.objects.filter(method="purchase.PurchaseReturn.pending").order_by("pk")
    return sorted((len(c.request_payload[0]) for c in calls), reverse=True)


def test_stop_waiting_250_returns_as_a_job_goes_in_one_request_and_maps_each_error_back(
        client, wdt_sandbox, supervisor):
    returns = seed_returns(250, known_to_wdt=249)
    job = run_action(client, supervisor, "stop_waiting", returns)
    job.refresh_from_db()
    assert (job.total, job.done, job.failed, job.unknown) == (250, 249, 1, 0)
    assert pending_calls() == [250]
    assert job.items.get(state="failed").label == "CRS00249"
    assert "采购退货单号不存在" in job.items.get(state="failed").message
    assert not SandboxReturn.objects.filter(waiting=True).exists()
    assert PurchaseReturn.objects.filter(waiting_state=DocumentState.DONE).count() == 249


def test_stop_waiting_1201_returns_through_the_worker_takes_three_requests_to_the_sandbox(
        client, wdt_sandbox, supervisor):
    returns = seed_returns(1201, known_to_wdt=1200)
    job = run_action(client, supervisor, "stop_waiting", returns)
    job.refresh_from_db()
    assert (job.total, job.done, job.failed, job.unknown, job.skipped) == (1201, 1200, 1, 0, 0)
    assert pending_calls() == [500, 500, 201]  # the vendor's limit per request, and no more requests than needed
    assert job.items.get(state="failed").label == "CRS01200"
    assert not SandboxReturn.objects.filter(waiting=True).exists()


def test_push_outbound_as_a_job_is_paced_and_a_rate_limit_slows_every_worker(client, wdt_sandbox, supervisor):
    returns = seed_returns(5)
    wdt_sandbox.faults(rate_limit_rate=1, max_faults=2)
    job = run_action(client, supervisor, "push_outbound", returns)
    job.refresh_from_db()
    assert (job.done, job.failed, job.unknown) == (5, 0, 0)
    assert wdt_sandbox.outbounds().count() == 5
    pace = GatewayPace.objects.get(gateway="enterprise")
    assert pace.rate_limited_count == 2 and pace.slow_factor < 1
    assert WdtCall.objects.filter(outcome="rate_limited").count() == 2


def test_the_job_page_updates_from_its_json_while_the_worker_runs(client, wdt_sandbox, supervisor):
    returns = seed_returns(3)
    client.force_login(supervisor)
    page = client.post(reverse(RETURNS), {"action": "push_outbound", ACTION_CHECKBOX_NAME: [r.pk for r in returns],
                                          "index": 0})
    html = client.get(page.url).content.decode()
    assert 'id="job-bar"' in html and "progress.json" in html and "wdtportal/job_progress.js" in html
    json_url = page.url.replace("/progress/", "/progress.json")
    assert client.get(json_url).json()["processed"] == 0
    run_worker_until_idle()
    progress = client.get(json_url).json()
    assert (progress["status"], progress["done"], progress["percent"]) == ("finished", 3, 100.0)


def test_a_job_started_from_an_english_page_writes_its_messages_in_english(client, wdt_sandbox, supervisor):
    """The worker's default language is Chinese; the job runs in the language of the person who started it."""
    returns = seed_returns(6)
    client.force_login(supervisor)
    page = client.post(reverse(RETURNS), {"action": "stop_waiting", ACTION_CHECKBOX_NAME: [r.pk for r in returns[:3]],
                                          "index": 0}, headers={"accept-language": "en"})
    job = Job.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))
    assert job.language == "en"
    run_worker_until_idle()
    assert set(job.items.values_list("message", flat=True)) == {"Stopped waiting"}
    returns[0].refresh_from_db()
    assert returns[0].last_message == "Stopped waiting"

    chinese = client.post(reverse(RETURNS), {"action": "stop_waiting", "index": 0,
                                             ACTION_CHECKBOX_NAME: [r.pk for r in returns[3:]]},
                          headers={"accept-language": "zh-hans"})
    job = Job.objects.get(pk=int(chinese.url.rstrip("/").split("/")[-2]))
    run_worker_until_idle()
    assert job.language == "zh-hans" and set(job.items.values_list("message", flat=True)) == {"已停止等待"}
