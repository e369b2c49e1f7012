"""Putting jobs back to work after their worker died: one set of runners and one watchdog, however many look.

The job's page, its watchdog task and every worker's periodic maintenance all call `job_recover`; here they do so
again and again, and at the same moment, against a job whose worker was killed. The real worker processes are in
test_workers.py.
"""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks import TaskContext, default_task_backend
from django_tasks_db.models import DBTaskResult

from returns.states import DocumentState as S
from returns.states import move
from tests.jobs.test_runner import KIND, make_returns, test_kind, user  # noqa: F401 - fixtures
from wdtportal.jobs.models import Job, JobKind, JobRunner
from wdtportal.jobs.services import job_recover, job_recover_all, job_start, job_start_call, jobs_maintenance
from wdtportal.jobs.tasks import job_watch

pytestmark = pytest.mark.django_db(transaction=True)

RUN = "wdtportal.jobs.tasks.job_run"
WATCH = "wdtportal.jobs.tasks.job_watch"


def ready(path: str) -> int:
    return DBTaskResult.objects.filter(task_path=path, status="READY").count()


def kill_the_worker_of(job: Job, *, watch_too: bool = False) -> None:
    """What kill -9 leaves behind: the runner tasks it had claimed RUNNING for ever, one runner whose heartbeat
    stopped (with documents claimed), and, if it had claimed the watchdog too, that task RUNNING as well."""
    long_ago = timezone.now() - timedelta(minutes=5)
    paths = [RUN, WATCH] if watch_too else [RUN]
    DBTaskResult.objects.filter(task_path__in=paths, status="READY").update(
        status="RUNNING", started_at=long_ago, worker_ids=["killed"])
    task_id = str(DBTaskResult.objects.filter(task_path=RUN).values_list("id", flat=True).first())
    runner = JobRunner.objects.create(job=job, token="killed", worker="gone:1", task_id=task_id,
                                      started_at=long_ago, heartbeat_at=long_ago)
    job.items.filter(pk__in=list(job.items.order_by("position").values_list("pk", flat=True)[:2])).update(
        claimed_by=runner.token, attempts=1)
    Job.objects.filter(pk=job.pk).update(started_at=long_ago, runners_enqueued_at=long_ago)
    job.refresh_from_db()


def test_recovering_again_and_again_enqueues_one_set_of_runners_and_keeps_one_watch(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 3
    job = job_start(kind=KIND, documents=make_returns(6), user=user)
    assert (ready(RUN), ready(WATCH)) == (3, 1)
    # Runners still waiting for a worker: nothing to do, however often the page polls.
    for _ in range(3):
        assert job_recover(job=job) is False
    assert (ready(RUN), ready(WATCH)) == (3, 1)

    kill_the_worker_of(job)
    assert job_recover(job=job) is True
    assert job_recover(job=job) is False
    assert job_recover_all() == 0
    assert JobRunner.objects.get(token="killed").lost
    # Three new runners; the watchdog that was already waiting goes on alone (no second chain).
    assert (ready(RUN), ready(WATCH)) == (3, 1)
    assert job.items.filter(claimed_by="killed").count() == 0


def test_a_watch_killed_with_its_worker_is_replaced_and_a_replaced_watch_ends_its_chain(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 1
    job = job_start(kind=KIND, documents=make_returns(3), user=user)
    first_watch = job.__class__.objects.get(pk=job.pk).watch_task_id
    kill_the_worker_of(job, watch_too=True)
    assert (ready(RUN), ready(WATCH)) == (0, 0)  # nothing left in the queue would ever revive the job

    assert job_recover_all() == 1
    job.refresh_from_db()
    assert (ready(RUN), ready(WATCH)) == (1, 1)
    assert job.watch_task_id != first_watch
    assert DBTaskResult.objects.get(pk=first_watch).status == "FAILED"

    # Were the old watch to run after all (its worker only slow), it would see it was replaced and stop there.
    old = default_task_backend.get_result(first_watch)
    job_watch.call(TaskContext(task_result=old), job.pk)
    assert ready(WATCH) == 1
    # The current watch schedules its successor, which replaces it.
    current = default_task_backend.get_result(job.watch_task_id)
    job_watch.call(TaskContext(task_result=current), job.pk)
    job.refresh_from_db()
    assert ready(WATCH) == 2 and job.watch_task_id != current.id
    job_watch.call(TaskContext(task_result=current), job.pk)
    assert ready(WATCH) == 2


def test_a_job_that_is_one_call_is_restarted_with_one_runner_whatever_the_setting(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 3
    job = job_start_call(kind=JobKind.IMPORT, call_path="tests.jobs.test_runner.import_like",
                         call_kwargs={"rows": 10}, user=user, total=10)
    assert ready(RUN) == 1
    long_ago = timezone.now() - timedelta(minutes=5)
    DBTaskResult.objects.filter(task_path=RUN).update(status="RUNNING", started_at=long_ago)
    JobRunner.objects.create(job=job, token="killed", heartbeat_at=long_ago,
                             task_id=str(DBTaskResult.objects.get(task_path=RUN).id))
    Job.objects.filter(pk=job.pk).update(started_at=long_ago, runners_enqueued_at=long_ago)
    assert job_recover(job=job) is True
    assert ready(RUN) == 1  # an import run twice at once would import twice


def test_pages_and_workers_recovering_at_the_same_moment_enqueue_one_set_of_runners(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 2
    job = job_start(kind=KIND, documents=make_returns(4), user=user)
    kill_the_worker_of(job, watch_too=True)
    start = threading.Barrier(4)
    errors = []

    def recover() -> None:
        try:
            start.wait()
            job_recover(job=Job.objects.get(pk=job.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=recover) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert (ready(RUN), ready(WATCH)) == (2, 1)


def test_the_workers_maintenance_sweeps_documents_stuck_in_sending(user, settings):  # noqa: F811
    from returns.models import PurchaseReturn, StateChange

    settings.WDT_SENDING_TIMEOUT = 60
    stuck, recent = make_returns(2)
    for doc in (stuck, recent):
        move(doc, "outbound_state", S.QUEUED)
        move(doc, "outbound_state", S.SENDING)
    StateChange.objects.filter(object_id=stuck.pk, to_state=S.SENDING).update(
        at=timezone.now() - timedelta(minutes=5))
    assert jobs_maintenance() == {"restarted": 0, "swept": 1}
    assert PurchaseReturn.objects.get(pk=stuck.pk).outbound_state == S.UNKNOWN
    assert PurchaseReturn.objects.get(pk=recent.pk).outbound_state == S.SENDING


def test_manage_py_db_worker_is_the_portals_worker_with_its_maintenance():
    """`make demo`, the deployment and the tests start `manage.py db_worker`: it must be the portal's, which
    recovers jobs and sweeps (the jobs app listed before django_tasks_db), not the library's plain loop."""
    from django.core.management import get_commands, load_command_class
    from django_tasks_db.management.commands.db_worker import Command as LibraryCommand

    from wdtportal.jobs.management.commands.db_worker import Command

    assert get_commands()["db_worker"] == "wdtportal.jobs"
    command = load_command_class(get_commands()["db_worker"], "db_worker")
    assert isinstance(command, Command) and isinstance(command, LibraryCommand)
