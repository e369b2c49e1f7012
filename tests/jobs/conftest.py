"""Fixtures for the jobs tests: a real django-tasks-db worker run in this process until the queue is empty."""

import pytest

from tests.factories import clerk, supervisor  # noqa: F401
from tests.worker import run_worker_until_idle


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
