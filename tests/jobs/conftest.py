"""Fixtures for the jobs tests: run a real django-tasks-db worker in this process until the queue is empty."""

import pytest
from django_tasks_db.management.commands.db_worker import Worker


def run_worker_until_idle(worker_id: str = "test-worker") -> None:
    """The real db_worker loop (claims with SKIP LOCKED, runs, marks results), in batch mode, without signals."""
    Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False, max_tasks=None,
           worker_id=worker_id, excluded_queue_names=[]).run()


@pytest.fixture
def worker():
    return run_worker_until_idle


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL: on another database they are deselected, and said so."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    keep = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
