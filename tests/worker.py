"""Running the real django-tasks-db worker inside a test, until the queue is empty."""

from django_tasks_db.management.commands.db_worker import Worker


def run_worker_until_idle(worker_id: str = "test-worker") -> None:
    """The db_worker loop itself (claims with SKIP LOCKED, runs, records results) in batch mode, without the
    signal handlers the command installs."""
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=None,
           worker_id=worker_id, excluded_queue_names=[]).run()


def database_url() -> str:
    """A DATABASE_URL for the test database this test process uses, for worker subprocesses."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker_process(sandbox_url: str, worker_id: str, **env: str):
    """`manage.py db_worker` as a real subprocess on the test database, its gateways pointed at `sandbox_url`."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wdtportal.settings_test",
        "DATABASE_URL": database_url(),
        "WDT_QJB_URL": sandbox_url,
        "WDT_ENT_URL": sandbox_url,
        "WDT_TIMEOUT": "2,5",
        "JOBS_STALE_AFTER": str(settings.JOBS_STALE_AFTER),
        "LOG_LEVEL": "WARNING",
        **env,
    }
    log = open(Path(settings.BASE_DIR) / "tmp" / f"worker-{worker_id}.log", "w")  # noqa: SIM115 - lives with it
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2",
         "--queue-name", "*", "--worker-id", worker_id, "--verbosity", "0"],
        cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
