"""Putting jobs back to work after their worker died: one set of runners, however many workers look.

Every worker's periodic maintenance calls `job_recover` (the only place a job is recovered); here it does so again
and again, and at the same moment, against a job whose worker was killed. The real worker processes are in
test_workers.py.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.jobs.test_runner import KIND, make_returns, test_kind, user  # noqa: F401 - fixtures
from tests.threads import at_once
from wdtportal.documents.states import DocumentState as S
from wdtportal.documents.transitions import move
from wdtportal.jobs.kinds import IMPORT as IMPORT_KIND
from wdtportal.jobs.models import Job, JobRunner
from wdtportal.jobs.recovery import job_recover, job_recover_all, jobs_maintenance
from wdtportal.jobs.services import job_start, job_start_call

pytestmark = pytest.mark.django_db(transaction=True)

RUN = "wdtportal.jobs.tasks.job_run"


def ready(path: str) -> int:
    return DBTaskResult.objects.filter(task_path=path, status="READY").count()


def kill_the_worker_of(job: Job) -> None:
    """What kill -9 leaves behind: the runner tasks it had claimed RUNNING for ever, and one runner whose heartbeat
    stopped (with documents claimed)."""
    long_ago = timezone.now() - timedelta(minutes=5)
    DBTaskResult.objects.filter(task_path=RUN, status="READY").update(
        status="RUNNING", started_at=long_ago, worker_ids=["killed"])
    task_id = str(DBTaskResult.objects.filter(task_path=RUN).values_list("id", flat=True).first())
    runner = JobRunner.objects.create(job=job, token="killed", worker="gone:1", task_id=task_id,
                                      started_at=long_ago, heartbeat_at=long_ago)
    job.items.filter(pk__in=list(job.items.order_by("position").values_list("pk", flat=True)[:2])).update(
        claimed_by=runner.token, attempts=1)
    Job.objects.filter(pk=job.pk).update(started_at=long_ago, runners_enqueued_at=long_ago)
    job.refresh_from_db()


def test_recovering_again_and_again_enqueues_one_set_of_runners(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 3
    job = job_start(kind=KIND, documents=make_returns(6), user=user)
    assert ready(RUN) == 3
    # Runners still waiting for a worker: nothing to do, however often the workers look.
    for _ in range(3):
        assert job_recover(job=job) is False
    assert ready(RUN) == 3

    kill_the_worker_of(job)
    assert job_recover(job=job) is True
    assert job_recover(job=job) is False
    assert job_recover_all() == 0
    assert JobRunner.objects.get(token="killed").lost
    assert ready(RUN) == 3
    assert job.items.filter(claimed_by="killed").count() == 0


def test_a_job_whose_worker_died_with_every_runner_is_restarted_by_the_maintenance_alone(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 1
    job = job_start(kind=KIND, documents=make_returns(3), user=user)
    killed_task = str(DBTaskResult.objects.get(task_path=RUN).pk)
    kill_the_worker_of(job)
    assert ready(RUN) == 0  # nothing left in the queue would ever revive the job

    assert jobs_maintenance() == {"restarted": 1, "swept": 0, "resent": 0, "files_removed": 0, "pruned": 0, "folded": 0}
    assert ready(RUN) == 1
    # The task the dead worker held no longer shows as running in the task list.
    assert DBTaskResult.objects.get(pk=killed_task).status == "FAILED"


def test_a_dead_runner_of_a_job_the_others_finished_is_marked_lost_all_the_same(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 1
    job = job_start(kind=KIND, documents=make_returns(2), user=user)
    kill_the_worker_of(job)
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now())  # the other runners finished the job

    assert job_recover_all() == 0
    runner = JobRunner.objects.get(token="killed")
    assert runner.lost and runner.finished_at is not None


def test_a_job_that_is_one_call_is_restarted_with_one_runner_whatever_the_setting(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 3
    job = job_start_call(kind=IMPORT_KIND, call_path="tests.jobs.test_runner.import_like",
                         call_kwargs={"rows": 10}, user=user, total=10)
    assert ready(RUN) == 1
    long_ago = timezone.now() - timedelta(minutes=5)
    DBTaskResult.objects.filter(task_path=RUN).update(status="RUNNING", started_at=long_ago)
    JobRunner.objects.create(job=job, token="killed", heartbeat_at=long_ago,
                             task_id=str(DBTaskResult.objects.get(task_path=RUN).id))
    Job.objects.filter(pk=job.pk).update(started_at=long_ago, runners_enqueued_at=long_ago)
    assert job_recover(job=job) is True
    assert ready(RUN) == 1  # an import run twice at once would import twice


def test_workers_recovering_at_the_same_moment_enqueue_one_set_of_runners(user, settings):  # noqa: F811
    settings.JOBS_RUNNERS = 2
    job = job_start(kind=KIND, documents=make_returns(4), user=user)
    kill_the_worker_of(job)
    at_once(4, lambda: job_recover(job=Job.objects.get(pk=job.pk)))
    assert ready(RUN) == 2


def test_the_workers_maintenance_sweeps_documents_stuck_in_sending(user, settings):  # noqa: F811
    from returns.models import PurchaseReturn
    from wdtportal.documents.models import StateChange

    settings.WDT_SENDING_TIMEOUT = 60
    stuck, recent = make_returns(2)
    for doc in (stuck, recent):
        move(doc, "outbound_state", S.QUEUED)
        move(doc, "outbound_state", S.SENDING)
    StateChange.objects.filter(object_id=stuck.pk, to_state=S.SENDING).update(
        at=timezone.now() - timedelta(minutes=5))
    assert jobs_maintenance() == {"restarted": 0, "swept": 1, "resent": 0, "files_removed": 0, "pruned": 0, "folded": 0}
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
