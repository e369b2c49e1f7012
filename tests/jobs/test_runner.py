"""Jobs run by the real db_worker: every document is processed once, counted once, and a dead runner's work goes on.

These tests use a job kind whose "send" only moves states, to test the job machinery on its own; the jobs that
send to the sandbox through the services are tested in test_sending.py.
"""

import threading
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from returns.models import OutboundLine, PurchaseReturn
from wdtportal.documents.models import StateChange
from wdtportal.documents.states import DocumentState as S
from wdtportal.documents.transitions import move
from wdtportal.jobs import kinds
from wdtportal.jobs.kinds import IMPORT as IMPORT_KIND
from wdtportal.jobs.models import ItemState, Job, JobItem, JobRunner
from wdtportal.jobs.progress import job_progress
from wdtportal.jobs.recovery import job_recover
from wdtportal.jobs.services import job_start

pytestmark = pytest.mark.django_db(transaction=True)

KIND = "test_mark_done"
sent: list[int] = []
sent_lock = threading.Lock()


@dataclass
class Result:
    document: object
    outcome: str
    message: str = ""


def _mark(documents, user):
    results = []
    for doc in documents:
        with sent_lock:
            sent.append(doc.pk)
        move(doc, "outbound_state", S.SENDING, user=user)
        if doc.return_no.endswith("-bad"):
            move(doc, "outbound_state", S.FAILED, user=user, reason="refused")
            results.append(Result(doc, "failed", "旺店通拒绝：商家编码不存在"))
        else:
            move(doc, "outbound_state", S.DONE, user=user)
            results.append(Result(doc, "done", "ok"))
    return results


@pytest.fixture(autouse=True)
def test_kind(monkeypatch):
    sent.clear()
    spec = kinds.KindSpec(KIND, "test", "returns.PurchaseReturn", "outbound_state", _mark, batch_size=3)
    monkeypatch.setitem(kinds.KINDS, KIND, spec)
    return spec


@pytest.fixture
def user():
    return get_user_model().objects.create_user("boss", password="x", is_staff=True, is_superuser=True)


def make_returns(n: int, *, state: str = S.READY, suffix: str = "") -> list[PurchaseReturn]:
    docs = []
    for i in range(n):
        doc = PurchaseReturn.objects.create(return_no=f"CR{i:05d}{suffix}", outbound_state=state)
        OutboundLine.objects.create(purchase_return=doc, spec_no="SKU1", num=Decimal("1"))
        docs.append(doc)
    return docs


def test_job_start_queues_sendable_documents_and_skips_the_rest_with_a_reason(user):
    ready = make_returns(3)
    done = make_returns(1, state=S.DONE, suffix="-done")
    unknown = make_returns(1, state=S.UNKNOWN, suffix="-unknown")
    job = job_start(kind=KIND, documents=[*ready, *done, *unknown], user=user)

    assert job.total == 5 and job.skipped == 2
    assert set(PurchaseReturn.objects.filter(pk__in=[d.pk for d in ready]).values_list("outbound_state", flat=True)) \
        == {S.QUEUED}
    change = StateChange.objects.filter(object_id=ready[0].pk, to_state=S.QUEUED).get()
    assert change.user == user and f"#{job.pk}" in change.reason
    skipped = {i.label: i.message for i in job.items.filter(state=ItemState.SKIPPED)}
    assert "无需再发送" in skipped["CR00000-done"]
    assert "不会自动重发" in skipped["CR00000-unknown"]
    # The runners wait in the database queue (and nothing else: recovery is the workers' maintenance).
    assert DBTaskResult.objects.filter(task_path="wdtportal.jobs.tasks.job_run", status="READY").count() == 3
    assert DBTaskResult.objects.count() == 3


def test_the_worker_processes_every_document_once_and_counts_each_outcome(user, worker, settings):
    settings.JOBS_THREADS = 3
    docs = [*make_returns(20), *make_returns(2, suffix="-bad")]
    job = job_start(kind=KIND, documents=docs, user=user)
    worker()

    job.refresh_from_db()
    assert job.finished_at is not None and job.started_at is not None
    assert (job.total, job.done, job.failed, job.unknown, job.skipped) == (22, 20, 2, 0, 0)
    assert sorted(sent) == sorted(d.pk for d in docs)  # each exactly once
    assert not JobItem.objects.filter(job=job, state=ItemState.PENDING).exists()
    progress = job_progress(job=job)
    assert progress["percent"] == 100.0 and progress["status"] == "finished"
    failed = job_progress(job=job, state="failed")["items"]
    assert [(p["label"], p["message"]) for p in failed] == [
        ("CR00000-bad", "旺店通拒绝：商家编码不存在"), ("CR00001-bad", "旺店通拒绝：商家编码不存在")]
    assert set(DBTaskResult.objects.filter(task_path="wdtportal.jobs.tasks.job_run").values_list(
        "status", flat=True)) == {"SUCCESSFUL"}


def test_documents_of_a_dead_runner_are_finished_without_sending_twice(user, worker, settings):
    """A worker died mid-batch: one document it had sent (done), one it left in sending, one it never reached."""
    docs = make_returns(6)
    job = job_start(kind=KIND, documents=docs, user=user)
    DBTaskResult.objects.all().delete()  # the runners' tasks were claimed by the worker that died
    dead = JobRunner.objects.create(job=job, token="dead", worker="gone:1",
                                    heartbeat_at=timezone.now() - timedelta(minutes=5))
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now())
    first_three = list(job.items.order_by("position")[:3])
    JobItem.objects.filter(pk__in=[i.pk for i in first_three]).update(claimed_by="dead", attempts=1)
    sent_doc, sending_doc, _untouched = (PurchaseReturn.objects.get(pk=i.object_id) for i in first_three)
    move(sent_doc, "outbound_state", S.SENDING)
    move(sent_doc, "outbound_state", S.DONE)
    move(sending_doc, "outbound_state", S.SENDING)

    assert job_recover(job=job) is True  # the maintenance's check: dead runner found, runners enqueued
    dead.refresh_from_db()
    assert dead.lost and dead.finished_at
    worker()

    job.refresh_from_db()
    assert job.finished_at
    assert (job.done, job.unknown, job.failed) == (5, 1, 0)
    assert sent_doc.pk not in sent and sending_doc.pk not in sent
    assert sorted(sent) == sorted(d.pk for d in docs if d.pk not in (sent_doc.pk, sending_doc.pk))
    item = job.items.get(object_id=sending_doc.pk)
    # The outbound order is deduplicated by WDT: once swept to unknown, the workers send it again themselves.
    assert item.state == ItemState.UNKNOWN and "之后系统会自动重新发送" in item.message
    assert PurchaseReturn.objects.get(pk=sending_doc.pk).outbound_state == S.SENDING  # for the sweep


def test_a_document_the_service_skips_gets_its_state_back(user, worker, test_kind, monkeypatch):
    def skip_all(documents, user):
        return [Result(d, "skipped", "校验未通过") for d in documents]

    monkeypatch.setitem(kinds.KINDS, KIND, kinds.KindSpec(KIND, "test", "returns.PurchaseReturn", "outbound_state",
                                                          skip_all))
    draft = make_returns(1, state=S.DRAFT)[0]
    job = job_start(kind=KIND, documents=[draft], user=user)
    worker()
    draft.refresh_from_db()
    assert draft.outbound_state == S.DRAFT
    job.refresh_from_db()
    assert job.skipped == 1 and job.items.get().message == "校验未通过"


def test_a_service_error_fails_the_document_and_returns_it_to_its_state(user, worker, monkeypatch):
    def broken(documents, user):
        raise RuntimeError("boom")

    monkeypatch.setitem(kinds.KINDS, KIND, kinds.KindSpec(KIND, "test", "returns.PurchaseReturn", "outbound_state",
                                                          broken))
    doc = make_returns(1)[0]
    job = job_start(kind=KIND, documents=[doc], user=user)
    worker()
    doc.refresh_from_db()
    job.refresh_from_db()
    assert doc.outbound_state == S.READY
    assert job.failed == 1 and "boom" in job.items.get().message and job.finished_at


def test_the_progress_page_and_its_json(user, worker, client):
    docs = [*make_returns(4), *make_returns(1, suffix="-bad")]
    job = job_start(kind=KIND, documents=docs, user=user)
    client.force_login(user)
    page = client.get(f"/admin/jobs/job/{job.pk}/progress/")
    assert page.status_code == 200
    assert f"/admin/jobs/job/{job.pk}/progress.json" in page.content.decode()
    before = client.get(f"/admin/jobs/job/{job.pk}/progress.json").json()
    assert before["status"] == "queued" and before["processed"] == 0

    worker()
    after = client.get(f"/admin/jobs/job/{job.pk}/progress.json").json()
    assert after["status"] == "finished"
    assert (after["done"], after["failed"], after["processed"], after["total"]) == (4, 1, 5, 5)
    assert [(i["label"], i["state"], i["message"]) for i in after["items"]] == [
        *((f"CR{n:05d}", "done", "ok") for n in range(4)), ("CR00000-bad", "failed", "旺店通拒绝：商家编码不存在")]
    listing = client.get("/admin/jobs/job/")
    assert listing.status_code == 200 and f"/admin/jobs/job/{job.pk}/progress/" in listing.content.decode()


def test_a_clerk_cannot_watch_someone_elses_job(user, client):
    job = job_start(kind=KIND, documents=make_returns(1), user=user)
    clerk = get_user_model().objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(f"/admin/jobs/job/{job.pk}/progress.json").status_code == 403


def import_like(*, job, rows: int, fail: bool = False) -> None:
    """Stands in for a large Excel import run as a job (see job_start_call)."""
    from wdtportal.jobs.bookkeeping import job_report

    for done in range(0, rows + 1, 10):
        job_report(job=job, done=done)
    if fail:
        raise ValueError("第3行：退货数量必须大于0")
    job_report(job=job, message="导入完成")


def test_a_large_import_runs_as_a_job_and_reports_progress(user, worker):
    from wdtportal.jobs.services import job_start_call

    job = job_start_call(kind=IMPORT_KIND, call_path="tests.jobs.test_runner.import_like",
                         call_kwargs={"rows": 40}, user=user, total=40, label="returns.xlsx")
    worker()
    job.refresh_from_db()
    assert (job.done, job.total, job.message) == (40, 40, "导入完成") and job.finished_at
    failing = job_start_call(kind=IMPORT_KIND, call_path="tests.jobs.test_runner.import_like",
                             call_kwargs={"rows": 20, "fail": True}, user=user, total=20)
    worker()
    failing.refresh_from_db()
    assert failing.finished_at and "退货数量必须大于0" in failing.message


def report_language(*, job) -> None:
    from django.utils import translation

    from wdtportal.jobs.bookkeeping import job_report

    job_report(job=job, message=translation.get_language())


def test_a_call_job_runs_in_the_language_of_the_person_who_started_it(user, worker):
    from django.utils import translation

    from wdtportal.jobs.services import job_start_call

    with translation.override("en"):
        english = job_start_call(kind=IMPORT_KIND, call_path="tests.jobs.test_runner.report_language",
                                 call_kwargs={}, user=user)
    chinese = job_start_call(kind=IMPORT_KIND, call_path="tests.jobs.test_runner.report_language",
                             call_kwargs={}, user=user, language="zh-hans")
    worker()
    english.refresh_from_db()
    chinese.refresh_from_db()
    assert (english.language, english.message) == ("en", "en")
    assert (chinese.language, chinese.message) == ("zh-hans", "zh-hans")
