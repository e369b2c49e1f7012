"""The tasks of Django's Tasks API that workers (`manage.py db_worker`) run: a job's runners and its watchdog."""

from typing import Any

from django_tasks import TaskContext, task

from .models import Job


@task(takes_context=True)
def job_run(context: TaskContext, job_id: int) -> dict[str, Any]:
    """Work on a job until none of its documents is left unclaimed."""
    from .runner import run_job

    return run_job(job_id, task_id=str(context.task_result.id))


@task(takes_context=True)
def job_watch(context: TaskContext, job_id: int) -> None:
    """Every JOBS_STALE_AFTER / 2 seconds while the job is unfinished: put it back to work if its runners died.

    Only the job's current watch goes on: a watch that another one replaced (see `ensure_watch`) ends its chain.
    """
    from .services import job_recover, schedule_watch

    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.finished_at:
        return
    if job.watch_task_id and job.watch_task_id != str(context.task_result.id):
        return
    # Schedule the next look first, so that a worker killed during this one does not end the watch. (If it is
    # killed before even that, the workers' periodic recovery starts a new watch: see `ensure_watch`.)
    schedule_watch(job_id)
    job_recover(job=job)
