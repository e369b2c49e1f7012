"""`manage.py db_worker`: django-tasks-db's worker, which also looks after the portal's jobs and stuck documents.

This command replaces the library's own `db_worker` (the jobs app is listed before `django_tasks_db` in
INSTALLED_APPS, as `whitenoise.runserver_nostatic` does for `runserver`): same options, same loop. In addition, when
it starts and then every JOBS_MAINTENANCE_INTERVAL seconds, a thread of the worker

- puts back to work every unfinished job whose runners died (`job_recover_all`, wdtportal/jobs/recovery.py): this
  is the only place a job is recovered, so every deployment runs it simply by running workers;
- moves documents left in sending longer than WDT_SENDING_TIMEOUT to unknown (`documents_sweep_sending`, the same
  as `manage.py sweep_sending`), so that a deployment without cron, such as `make demo`, sweeps too;
- removes the files of exports older than JOBS_EXPORT_KEEP_HOURS (`job_files_prune`, wdtportal/jobs/files.py).

Every worker on every machine does this; the job's row lock makes them agree (one set of runners).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from wdtportal.jobs.recovery import jobs_maintenance

logger = logging.getLogger("wdtportal.jobs")


class Maintenance:
    """A daemon thread running `jobs_maintenance()` now and then every `interval` seconds until stopped."""

    def __init__(self, interval: float):
        self.interval = max(interval, 0.5)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="jobs-maintenance", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _loop(self) -> None:
        try:
            while not self.stopped.is_set():
                try:
                    jobs_maintenance()
                except Exception:
                    logger.exception("jobs maintenance failed; trying again in %.0f s", self.interval)
                finally:
                    close_old_connections()
                self.stopped.wait(self.interval)
        finally:
            connection.close()


class Command(db_worker.Command):
    help = (
        "Run a database background worker (django-tasks-db). It also restarts unfinished jobs whose workers died "
        "and sweeps documents stuck in sending, at start and every JOBS_MAINTENANCE_INTERVAL seconds."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the parent process only watches files; the child (which runs the worker) maintains.
        reloading = options.get("reload") and not options.get("batch")
        maintenance = None
        if not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            if options.get("batch"):
                jobs_maintenance()  # once, before the batch: the process ends when the queue is empty
            else:
                maintenance = Maintenance(settings.JOBS_MAINTENANCE_INTERVAL)
                maintenance.start()
        try:
            super().handle(*args, **options)
        finally:
            if maintenance:
                maintenance.stop()
