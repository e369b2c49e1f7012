"""The task of Django's Tasks API that workers (`manage.py db_worker`) run for a job: one of its runners."""

from typing import Any

from django_tasks import TaskContext, task

from .runner import run_job


@task(takes_context=True)
def job_run(context: TaskContext, job_id: int) -> dict[str, Any]:
    """Work on a job until none of its documents is left unclaimed."""
    return run_job(job_id, task_id=str(context.task_result.id))
