"""Send actions on "select all N": the request records the list's filters (never N ids, never N documents read) and
the job's runners expand them 500 documents a transaction, with job_start's rules: documents move to queued in
their history, states that may not be queued are skipped with the reason, a send-again queues only unknown ones,
a document is never in two jobs, messages are in the starter's language; a cut expansion resumes where it stopped.
The kill -9 of a real worker mid-expansion is in test_workers.py."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from returns import job_kinds
from returns.models import OutboundLine, PurchaseReturn
from tests.factories import supervisor  # noqa: F401
from tests.threads import at_once
from tests.worker import run_worker_until_idle
from wdtportal.documents.models import StateChange
from wdtportal.documents.states import DocumentState as S
from wdtportal.jobs import expansion
from wdtportal.jobs.expansion import job_expand
from wdtportal.jobs.kinds import get_kind
from wdtportal.jobs.models import ItemState, Job, JobItem
from wdtportal.jobs.progress import job_progress
from wdtportal.jobs.services import job_start_selection
from wdtportal.wdt.models import WdtCall
from wdtportal.wdt.sandbox.models import SandboxReturn, SandboxReturnLine

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "admin:returns_purchasereturn_changelist"


def seed_returns(n: int, *, prefix: str, known_to_wdt: bool = False, **fields) -> list[int]:
    """`n` returns with one line each, in bulk (and, if asked, known to the sandbox); their ids in number order."""
    numbers = [f"{prefix}{i:05d}" for i in range(n)]
    if known_to_wdt:
        SandboxReturn.objects.bulk_create([SandboxReturn(return_no=no) for no in numbers], batch_size=500)
        SandboxReturnLine.objects.bulk_create(
            [SandboxReturnLine(purchase_return=r, spec_no="SKU-A", num=Decimal("5"))
             for r in SandboxReturn.objects.filter(return_no__in=numbers)], batch_size=500)
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=f"WP{no}", **fields) for no in numbers],
                                       batch_size=500)
    ids = dict(PurchaseReturn.objects.filter(return_no__in=numbers).values_list("return_no", "pk"))
    OutboundLine.objects.bulk_create([OutboundLine(purchase_return_id=ids[no], line_no=1, spec_no="SKU-A",
                                                   num=Decimal("1")) for no in numbers], batch_size=500)
    return [ids[no] for no in numbers]


def select_all(client, action: str, query: str, first_id: int, **headers):
    """The supervisor filters the list, ticks "select all N" and runs `action`."""
    return client.post(reverse(CHANGELIST) + query, {"action": action, "select_across": "1", "index": 0,
                                                     ACTION_CHECKBOX_NAME: [first_id]}, headers=headers)


def job_of(response) -> Job:
    assert response.status_code == 302 and response.url.endswith("/progress/"), response.content[:300]
    return Job.objects.get(pk=int(response.url.rstrip("/").split("/")[-2]))


def queued_history(job: Job) -> Counter:
    """How many times each return moved to queued for `job`."""
    changes = StateChange.objects.filter(content_type=ContentType.objects.get_for_model(PurchaseReturn),
                                         to_state=S.QUEUED, reason__endswith=f"#{job.pk}")
    return Counter(changes.values_list("object_id", flat=True))


def test_select_all_1200_returns_and_stop_waiting_records_the_filter_and_the_worker_sends_them(
        client, wdt_sandbox, supervisor):  # noqa: F811
    ids = seed_returns(1200, prefix="CRW", known_to_wdt=True)
    seed_returns(5, prefix="CRO", known_to_wdt=True)  # outside the search
    client.force_login(supervisor)

    small = seed_returns(3, prefix="QQS")
    with CaptureQueriesContext(connection) as few:
        first_response = select_all(client, "stop_waiting", "?q=QQS", small[0])
    job_of(first_response)
    with CaptureQueriesContext(connection) as many:
        response = select_all(client, "stop_waiting", "?q=CRW", ids[0])
    # The request records the filter and nothing else: it builds no list page and reads no return (the session,
    # the permissions, the job and its tasks), whether 3 returns are selected or 1,200.
    assert len(many.captured_queries) == len(few.captured_queries) <= 15
    for captured in (few, many):
        sql = [q["sql"] for q in captured.captured_queries]
        assert not [q for q in sql if '"returns_' in q or '"jobs_jobitem"' in q], sql  # no such table
    job = job_of(response)
    assert job.selection == {"query": "q=CRW"} and job.preparing and job.total == 0
    assert not JobItem.objects.filter(job=job).exists()
    assert not PurchaseReturn.objects.filter(pk__in=ids).exclude(waiting_state=S.DRAFT).exists()
    page = client.get(response.url).content.decode()
    assert "正在准备所选的全部单据" in page  # the message of the start

    run_worker_until_idle()
    job.refresh_from_db()
    assert job.prepared_at and job.finished_at
    assert (job.total, job.done, job.failed, job.unknown, job.skipped) == (1200, 1200, 0, 0, 0)
    assert sorted(job.items.values_list("object_id", flat=True)) == ids
    assert list(job.items.order_by("position").values_list("object_id", flat=True)) == ids
    assert PurchaseReturn.objects.filter(pk__in=ids, waiting_state=S.DONE).count() == 1200
    assert not PurchaseReturn.objects.filter(return_no__startswith="CRO").exclude(waiting_state=S.DRAFT).exists()
    history = queued_history(job)
    assert set(history) == set(ids) and set(history.values()) == {1}
    sizes = sorted((len(c.request_payload[0]) for c in WdtCall.objects.filter(
        method="purchase.PurchaseReturn.pending", request_payload__icontains="CRW")), reverse=True)
    assert sizes == [500, 500, 200]


def test_the_expansion_follows_the_filter_and_skips_in_the_starters_language_what_it_may_not_queue(
        client, wdt_sandbox, supervisor):  # noqa: F811
    ready = seed_returns(4, prefix="CRE", known_to_wdt=True, outbound_state=S.READY)
    failed = seed_returns(2, prefix="CRF", known_to_wdt=True, outbound_state=S.FAILED)
    done = seed_returns(2, prefix="CRD", outbound_state=S.DONE)
    unknown = seed_returns(1, prefix="CRU", outbound_state=S.UNKNOWN)
    other = seed_returns(3, prefix="CRX", outbound_state=S.READY, waiting_state=S.DONE)  # filtered out
    busy = seed_returns(2, prefix="CRB", known_to_wdt=True, outbound_state=S.READY)
    earlier = job_start_selection(kind=job_kinds.PUSH_OUTBOUND, selection={"ids": busy}, user=supervisor)
    job_expand(job=earlier)  # queued by another job, not yet sent (its worker is busy elsewhere):
    DBTaskResult.objects.all().delete()
    client.force_login(supervisor)

    response = select_all(client, "push_outbound", "?waiting_state__exact=draft&q=CR", ready[0],
                          **{"accept-language": "en"})
    job = job_of(response)
    assert job.language == "en"
    run_worker_until_idle()
    job.refresh_from_db()
    items = {i.object_id: i for i in job.items.all()}
    assert set(items) == {*ready, *failed, *done, *unknown, *busy}
    assert not set(other) & set(items)
    for pk in [*ready, *failed]:
        assert items[pk].state == ItemState.DONE, items[pk].message
    for pk in done:
        assert (items[pk].state, items[pk].previous_state) == (ItemState.SKIPPED, S.DONE)
        assert items[pk].message == "WDT has accepted it; there is nothing more to send"
    assert "never resent automatically" in items[unknown[0]].message
    for pk in busy:
        assert items[pk].message == "Already queued in another background job; this job does not send it"
    assert (job.total, job.done, job.skipped) == (11, 6, 5)
    # Sent documents moved to queued once, in their history, for this job; the skipped ones never.
    assert set(queued_history(job)) == {*ready, *failed}
    assert PurchaseReturn.objects.get(pk=unknown[0]).outbound_state == S.UNKNOWN


def test_a_send_again_selection_queues_only_the_documents_in_unknown(supervisor):  # noqa: F811
    unknown = seed_returns(3, prefix="CRU", outbound_state=S.UNKNOWN)
    failed = seed_returns(2, prefix="CRF", outbound_state=S.FAILED)
    job = job_start_selection(kind=job_kinds.OUTBOUND_SEND_AGAIN, selection={"ids": [*unknown, *failed]},
                              user=supervisor)
    assert job_expand(job=job)
    states = dict(PurchaseReturn.objects.values_list("pk", "outbound_state"))
    assert {pk: states[pk] for pk in unknown} == dict.fromkeys(unknown, S.QUEUED)
    assert {pk: states[pk] for pk in failed} == dict.fromkeys(failed, S.FAILED)
    skipped = job.items.filter(state=ItemState.SKIPPED)
    assert sorted(skipped.values_list("object_id", flat=True)) == failed
    assert set(skipped.values_list("message", flat=True)) == {"状态不是“结果未知”，无需处理"}
    assert all("主管确认后重新发送" in r for r in StateChange.objects.filter(to_state=S.QUEUED)
               .values_list("reason", flat=True))


def test_two_jobs_over_the_same_filter_never_hold_one_document_twice(supervisor):  # noqa: F811
    ids = seed_returns(6, prefix="CRT", outbound_state=S.READY)
    first = job_start_selection(kind=job_kinds.PUSH_OUTBOUND, selection={"query": "q=CRT"}, user=supervisor)
    second = job_start_selection(kind=job_kinds.PUSH_OUTBOUND, selection={"query": "q=CRT"}, user=supervisor)
    job_expand(job=first)
    job_expand(job=second)
    assert first.items.filter(state=ItemState.PENDING).count() == 6
    assert second.items.filter(state=ItemState.SKIPPED).count() == 6
    assert set(second.items.values_list("message", flat=True)) == {"已在另一个后台任务中排队，本任务不再发送"}
    assert sum(queued_history(first).values()) == 6 and not queued_history(second)
    assert PurchaseReturn.objects.filter(pk__in=ids, outbound_state=S.QUEUED).count() == 6


def test_a_cut_expansion_resumes_and_two_runners_expanding_at_once_add_each_document_once(
        supervisor, monkeypatch):  # noqa: F811
    monkeypatch.setattr(expansion, "CHUNK", 7)
    ids = seed_returns(60, prefix="CRC", outbound_state=S.READY)
    done = seed_returns(5, prefix="CRCD", outbound_state=S.DONE)
    job = job_start_selection(kind=job_kinds.PUSH_OUTBOUND, selection={"query": "q=CRC"}, user=supervisor)
    stop = threading.Event()
    # A runner started and was cut after two chunks (killed, or asked to stop): the job says how far it got.
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now())
    for chunk in (ids[:7], ids[7:14]):
        assert expansion._expand_chunk(job, get_kind(job_kinds.PUSH_OUTBOUND), chunk)
    job.refresh_from_db()
    assert job.preparing and job.total == 14 and job.message == "正在准备：已加入 14 张…"
    progress = job_progress(job=job)
    assert progress["status"] == "preparing" and progress["status_display"] == "准备中"

    assert at_once(2, lambda: job_expand(job=Job.objects.get(pk=job.pk), stop=stop)) == [True, True]
    job.refresh_from_db()
    assert job.prepared_at and job.message == "" and (job.total, job.skipped) == (65, 5)
    assert sorted(job.items.values_list("position", flat=True)) == list(range(65))
    assert list(job.items.order_by("position").values_list("object_id", flat=True)) == [*ids, *done]
    history = queued_history(job)
    assert set(history) == set(ids) and set(history.values()) == {1}


def test_an_empty_selection_ends_the_job_with_a_message(client, supervisor):  # noqa: F811
    ids = seed_returns(1, prefix="CRN")
    client.force_login(supervisor)
    job = job_of(select_all(client, "push_outbound", "?q=NOTHING-MATCHES", ids[0]))
    run_worker_until_idle()
    job.refresh_from_db()
    assert job.finished_at and job.total == 0 and job.message == "所选范围内没有单据，没有发送任何内容。"



def test_a_filter_that_no_longer_applies_ends_the_preparation_with_the_reason(client, supervisor):  # noqa: F811
    ids = seed_returns(2, prefix="CRQ")
    client.force_login(supervisor)
    job = job_of(select_all(client, "push_outbound", "?no_such_field__exact=1", ids[0]))
    run_worker_until_idle()
    job.refresh_from_db()
    assert job.finished_at and job.total == 0
    assert job.message.startswith("读取所选单据时出错，已停止加入单据（已加入 0 张，将照常发送）")
    assert not PurchaseReturn.objects.exclude(outbound_state=S.DRAFT).exists()


def test_the_job_list_and_page_show_a_job_being_prepared(client, supervisor):  # noqa: F811
    ids = seed_returns(3, prefix="CRP")
    client.force_login(supervisor)
    job = job_of(select_all(client, "push_outbound", "?q=CRP", ids[0]))
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now(), message="正在准备：已加入 500 张…")
    listing = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "准备中" in listing and 'value="0"' in listing  # not 100 % of nothing
    page = client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
    assert "准备中" in page and "正在准备：已加入 500 张…" in page
