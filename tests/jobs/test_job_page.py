"""The job's page reports every document: done ones too, each linked to its page, a page of 100 at a time."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from returns.models import OutboundLine
from tests.jobs.test_runner import KIND, make_returns, test_kind, user  # noqa: F401 - fixtures
from tests.worker import run_worker_until_idle
from wdtportal.documents.totals import document_recount
from wdtportal.jobs.models import Job, JobItem
from wdtportal.jobs.services import job_start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def finished_job(user):  # noqa: F811
    docs = [*make_returns(248), *make_returns(2, suffix="-bad")]
    job = job_start(kind=KIND, documents=docs, user=user)
    run_worker_until_idle()
    job.refresh_from_db()
    assert (job.total, job.done, job.failed) == (250, 248, 2)
    return job


def test_the_json_lists_every_document_with_its_outcome_and_link_a_page_at_a_time(client, user, finished_job):  # noqa: F811
    client.force_login(user)
    url = reverse("admin:jobs_job_progress_json", args=[finished_job.pk])
    first = client.get(url).json()
    assert (first["page"], first["pages"], first["items_count"], len(first["items"])) == (1, 3, 250, 100)
    assert first["items_span"] == "第 1–100 条，共 250 条"
    item = first["items"][0]
    doc = JobItem.objects.get(job=finished_job, position=0)
    assert (item["position"], item["label"], item["state"], item["message"]) == (1, doc.label, "done", "ok")
    assert item["url"] == reverse("admin:returns_purchasereturn_change", args=[doc.object_id])

    last = client.get(url, {"page": 3}).json()
    assert last["items_span"] == "第 201–250 条，共 250 条" and len(last["items"]) == 50
    assert [i["state"] for i in last["items"][-2:]] == ["failed", "failed"]
    # Every document appears exactly once across the pages.
    labels = [i["label"] for p in (1, 2, 3) for i in client.get(url, {"page": p}).json()["items"]]
    assert len(labels) == len(set(labels)) == 250

    failed = client.get(url, {"state": "failed"}).json()
    assert failed["items_span"] == "第 1–2 条，共 2 条" and {i["state"] for i in failed["items"]} == {"failed"}
    assert client.get(url, {"page": "99"}).json()["page"] == 3  # past the end: the last page
    assert client.get(url, {"page": "x", "state": "nonsense"}).json()["items_count"] == 250


def test_the_page_links_each_document_and_pages_through_them(client, user, finished_job):  # noqa: F811
    client.force_login(user)
    url = reverse("admin:jobs_job_progress", args=[finished_job.pk])
    html = client.get(url).content.decode()
    assert html.count('class="job-item-done"') == 100
    first = JobItem.objects.get(job=finished_job, position=0)
    assert f'href="{reverse("admin:returns_purchasereturn_change", args=[first.object_id])}"' in html
    assert "第 1–100 条，共 250 条" in html
    assert 'id="job-next" href="?page=2"' in html and 'id="job-prev" href="?page=0" hidden' in html
    page3 = client.get(url, {"page": 3}).content.decode()
    assert "第 201–250 条，共 250 条" in page3 and page3.count('class="job-item-failed"') == 2
    failed = client.get(url, {"state": "failed"}).content.decode()
    assert failed.count('class="job-item-') == 2 and "CR00000-bad" in failed


def test_ids_are_not_grouped_like_amounts_and_counts_are(client, user):  # noqa: F811
    job = Job.objects.create(pk=12345, kind=KIND, created_by=user, total=1201, done=1200, failed=1)
    client.force_login(user)
    html = client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
    assert "#12345" in html and "12,345" not in html
    assert re.search(r'id="job-total">1,201<', html) and re.search(r'id="job-done">1,200<', html)
    listing = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "#12345" in listing and "12,345" not in listing
    assert re.search(r'<td class="field-total">1,201</td>', listing)
    change = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert reverse("admin:jobs_job_progress", args=[job.pk]) in change


def test_someone_elses_job_page_stays_closed_to_a_clerk(client, user):  # noqa: F811
    job = job_start(kind=KIND, documents=make_returns(1), user=user)
    clerk = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(reverse("admin:jobs_job_progress", args=[job.pk])).status_code == 403


def test_the_page_says_what_the_documents_are_worth_and_how_much_of_it_was_done(client, user):  # noqa: F811
    good, bad = make_returns(3), make_returns(1, suffix="-bad")
    OutboundLine.objects.filter(purchase_return__in=good).update(num=Decimal("2"), price=Decimal("10.25"))
    OutboundLine.objects.filter(purchase_return__in=bad).update(num=Decimal("1.5"), price=Decimal("1000"))
    for document in (*good, *bad):  # the lines changed behind the document's back: its stored totals follow
        document_recount(document)
    job = job_start(kind=KIND, documents=[*good, *bad], user=user)
    client.force_login(user)
    page = reverse("admin:jobs_job_progress", args=[job.pk])
    json_url = reverse("admin:jobs_job_progress_json", args=[job.pk])
    html = client.get(page).content.decode()
    assert 'id="job-amount">1,561.50<' in html and 'id="job-amount-done">0.00<' in html
    assert "amount" not in client.get(json_url).json()  # not summed on every poll while it runs

    run_worker_until_idle()
    finished = client.get(json_url).json()
    assert (finished["amount"], finished["amount_done"]) == ("1,561.50", "61.50")
    assert 'id="job-amount-done">61.50<' in client.get(page).content.decode()
    # Times in the portal's time zone, as every time it shows.
    assert finished["finished_at"].endswith("+08:00")


def test_a_job_that_is_not_documents_shows_no_amount(client, user):  # noqa: F811
    job = Job.objects.create(kind="import", created_by=user, total=1)
    client.force_login(user)
    assert 'id="job-amount"' not in client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
