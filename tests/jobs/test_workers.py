"""Real `manage.py db_worker` processes against the sandbox over HTTP.

A worker killed with kill -9 mid-job loses nothing and sends nothing twice; one killed while it expands a "select
all" into the job's documents leaves each of them queued once, and the next worker finishes the expansion; three
workers on PostgreSQL send 1,000 settlements through a sandbox with every fault on, each draft ending done or
unknown and no order created twice.
"""

import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from tests.bulk import seed_settlement_drafts
from tests.worker import start_worker_process
from wdtportal.documents.models import StateChange
from wdtportal.documents.states import DocumentState
from wdtportal.documents.sweep import documents_sweep_sending
from wdtportal.jobs.models import ItemState, Job, JobItem, JobRunner
from wdtportal.wdt.models import GatewayPace, WdtCall

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, timeout: float, what: str, workers=(), every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        dead = [w for w in workers if w.poll() is not None]
        assert not dead, f"a worker exited with {dead[0].returncode} while waiting for {what}"
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop(workers) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=20)
        except Exception:
            w.kill()
            w.wait()


def submit_in_admin(client, user, drafts) -> Job:
    """The supervisor ticks "select all N" on the list (select_across) and runs 在旺店通创建结算单."""
    client.force_login(user)
    page = client.post(reverse("admin:settlements_settlementdraft_changelist"),
                       {"action": "submit", "select_across": "1", ACTION_CHECKBOX_NAME: [drafts[0].pk], "index": 0})
    assert page.status_code == 302, page.content[:500]
    return Job.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))


def assert_sent_at_most_once(wdt_sandbox) -> Counter:
    """Every done draft has exactly its one order in the sandbox; no return has two orders."""
    orders = dict(wdt_sandbox.settlements().values_list("return_no").annotate(n=Count("pk")))
    assert max(orders.values(), default=1) == 1, [no for no, n in orders.items() if n > 1][:10]
    states = Counter()
    by_return = dict(wdt_sandbox.settlements().values_list("return_no", "order_no"))
    for draft in SettlementDraft.objects.all():
        states[draft.state] += 1
        if draft.state == DocumentState.DONE:
            assert by_return.get(draft.return_no) == draft.js_order_no, draft.return_no
    return states


def kill_9_after(job: Job, processed: int, sandbox_url: str, name: str, pacing: dict[str, str]) -> None:
    """Start a worker and kill it with SIGKILL once the job has `processed` documents."""
    worker = start_worker_process(sandbox_url, name, **pacing)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).processed >= processed, 60, "the first documents", [worker])
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    finally:
        stop([worker])


def test_a_worker_killed_with_kill_9_mid_job_loses_nothing_and_sends_nothing_twice(
        client, wdt_sandbox, supervisor, settings):
    drafts = seed_settlement_drafts(60, prefix="CRK")
    wdt_sandbox.faults(latency_ms=150)
    job = submit_in_admin(client, supervisor, drafts)
    pacing = {"WDT_QJB_RATE": "30", "WDT_QJB_CONCURRENCY": "4", "JOBS_THREADS": "2", "JOBS_RUNNERS": "2"}

    kill_9_after(job, 10, wdt_sandbox.url, "doomed", pacing)
    job.refresh_from_db()
    assert job.finished_at is None and job.processed < 60
    in_flight = set(SettlementDraft.objects.filter(state=DocumentState.SENDING).values_list("pk", flat=True))

    second = start_worker_process(wdt_sandbox.url, "survivor", **pacing)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).finished_at is not None, 90, "the job to finish", [second])
    finally:
        stop([second])

    job.refresh_from_db()
    assert job.total == 60 and job.done + job.unknown == 60 and job.failed == job.skipped == 0
    assert not SettlementDraft.objects.filter(state=DocumentState.QUEUED).exists()
    assert JobRunner.objects.filter(job=job, lost=True).count() >= 1
    # What the killed worker had in flight stays unknown (never resent); the sweep marks it for a supervisor.
    for pk in in_flight:
        assert JobItem.objects.get(job=job, object_id=pk).state == ItemState.UNKNOWN
    documents_sweep_sending(timeout_seconds=0)
    states = assert_sent_at_most_once(wdt_sandbox)
    assert set(states) <= {DocumentState.DONE, DocumentState.UNKNOWN}
    assert states[DocumentState.DONE] == job.done
    calls = WdtCall.objects.filter(method="finance.settle.PurchaseReturn.upload")
    assert calls.values("document_id").distinct().count() == calls.count() <= 60


def test_a_lone_worker_killed_mid_job_is_revived_by_the_next_worker_at_start(
        client, wdt_sandbox, supervisor, settings):
    """One runner per job, and its worker killed: nothing is left in the queue that would revive the job. The next
    worker's own maintenance must (nobody opens the job's page, and the page does not recover jobs anyway)."""
    from django_tasks_db.models import DBTaskResult

    settings.JOBS_RUNNERS = 1
    drafts = seed_settlement_drafts(30, prefix="CRL")
    wdt_sandbox.faults(latency_ms=150)
    job = submit_in_admin(client, supervisor, drafts)
    pacing = {"WDT_QJB_RATE": "30", "WDT_QJB_CONCURRENCY": "2", "JOBS_THREADS": "2", "JOBS_RUNNERS": "1",
              "WDT_SENDING_TIMEOUT": "3"}

    kill_9_after(job, 5, wdt_sandbox.url, "lone", pacing)
    assert not DBTaskResult.objects.filter(status="READY").exists()
    job.refresh_from_db()
    assert job.finished_at is None and job.processed < 30

    second = start_worker_process(wdt_sandbox.url, "next", **pacing)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).finished_at is not None, 90, "the job to finish", [second])
        # The same worker's maintenance sweeps what the killed one left in sending (WDT_SENDING_TIMEOUT=3 s).
        wait_for(lambda: not SettlementDraft.objects.filter(state=DocumentState.SENDING).exists(), 30,
                 "the sweep", [second])
    finally:
        stop([second])

    job.refresh_from_db()
    assert job.total == 30 and job.done + job.unknown == 30 and job.failed == job.skipped == 0
    assert JobRunner.objects.filter(job=job, lost=True).count() == 1
    states = assert_sent_at_most_once(wdt_sandbox)
    assert set(states) <= {DocumentState.DONE, DocumentState.UNKNOWN}
    assert states[DocumentState.DONE] == job.done
    # Recovery enqueued one new runner, never a pile of them.
    assert DBTaskResult.objects.filter(task_path="wdtportal.jobs.tasks.job_run").count() == 2


def test_a_worker_killed_while_expanding_a_select_all_leaves_every_return_queued_once(
        client, wdt_sandbox, supervisor, settings):
    settings.JOBS_RUNNERS = 1  # the killed runner is the job's only one: recovery alone can finish the job
    n = 3000
    numbers = [f"CRK{i:05d}" for i in range(n)]
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=f"WP{no}") for no in numbers],
                                       batch_size=1000)
    ids = sorted(PurchaseReturn.objects.values_list("pk", flat=True))
    client.force_login(supervisor)
    page = client.post(reverse("admin:returns_purchasereturn_changelist") + "?q=CRK",
                       {"action": "stop_waiting", "select_across": "1", ACTION_CHECKBOX_NAME: [ids[0]], "index": 0})
    job = Job.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))
    pacing = {"JOBS_RUNNERS": "1", "JOBS_THREADS": "2"}

    doomed = start_worker_process(wdt_sandbox.url, "expanding", **pacing)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).total >= 500, 60, "the expansion to start", [doomed],
                 every=0.02)
        with transaction.atomic():
            # Holding the job's lock (SQLite: the write lock) stops the worker at its next chunk: killed there.
            held = Job.objects.select_for_update().get(pk=job.pk)
            assert held.prepared_at is None and 0 < held.total < n, held.total
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait()
    finally:
        stop([doomed])
    job.refresh_from_db()
    assert job.preparing and 0 < job.total < n
    assert job.items.count() == job.total  # whole chunks only: each one commits or not at all

    second = start_worker_process(wdt_sandbox.url, "finishing", **pacing)
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).finished_at is not None, 180, "the job to finish", [second])
        wait_for(lambda: JobRunner.objects.filter(job=job, lost=True).exists(), 30, "the killed runner marked lost",
                 [second])
    finally:
        stop([second])
    job.refresh_from_db()
    assert job.prepared_at and job.total == n and job.processed == n
    assert list(job.items.order_by("position").values_list("object_id", flat=True)) == ids
    assert sorted(job.items.values_list("position", flat=True)) == list(range(n))
    assert JobRunner.objects.filter(job=job, lost=True).count() >= 1  # the killed one (a starved heartbeat: more)
    moves = Counter(StateChange.objects.filter(to_state=DocumentState.QUEUED, reason__endswith=f"#{job.pk}")
                    .values_list("object_id", flat=True))
    assert set(moves) == set(ids) and set(moves.values()) == {1}
    assert not PurchaseReturn.objects.filter(waiting_state=DocumentState.QUEUED).exists()


@pytest.mark.postgres
def test_three_workers_on_postgresql_send_1000_settlements_through_every_fault_at_most_once(
        client, wdt_sandbox, supervisor):
    drafts = seed_settlement_drafts(1000, prefix="CRP")
    wdt_sandbox.faults(latency_ms=20, error_rate=0.02, rate_limit_rate=0.02, lost_answer_rate=0.02)
    rate = 80
    pacing = {"WDT_QJB_RATE": str(rate), "WDT_QJB_CONCURRENCY": "8", "JOBS_THREADS": "4", "JOBS_RUNNERS": "3",
              "WDT_MAX_RETRIES": "5"}
    started = time.monotonic()
    job = submit_in_admin(client, supervisor, drafts)
    workers = [start_worker_process(wdt_sandbox.url, f"pg-{n}", **pacing) for n in range(3)]
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).finished_at is not None, 150, "1,000 settlements", workers)
    finally:
        stop(workers)
    elapsed = time.monotonic() - started

    job.refresh_from_db()
    assert (job.total, job.done + job.unknown, job.failed, job.skipped) == (1000, 1000, 0, 0)
    assert job.unknown > 0  # the faults did fire: 5xx and lost answers leave drafts unknown
    states = assert_sent_at_most_once(wdt_sandbox)
    assert states == {DocumentState.DONE: job.done, DocumentState.UNKNOWN: job.unknown}
    # All three workers took part, and together they stayed under the rate limit.
    workers_seen = set(JobRunner.objects.filter(job=job).values_list("worker", flat=True))
    assert len(workers_seen) == 3
    assert GatewayPace.objects.get(gateway="qjb").rate_limited_count > 0
    # Each attempt's log row is written as its answer arrives: answers bunch a little behind their even sends.
    answered = sorted(WdtCall.objects.filter(method="finance.settle.PurchaseReturn.upload")
                      .values_list("created_at", flat=True))
    busiest = max(sum(1 for t in answered[i:i + 2 * rate] if t - answered[i] < timedelta(seconds=1))
                  for i in range(len(answered)))
    assert busiest <= rate * 1.1
    print(f"\n1,000 settlements by 3 workers with faults: {elapsed:.1f} s, done {job.done}, unknown {job.unknown}, "
          f"busiest second at the sandbox {busiest} (limit {rate}/s)")
