"""Fixtures of the settlements tests."""

from typing import Any

import pytest
from django.utils import translation

from tests.factories import clerk, supervisor  # noqa: F401


@pytest.fixture(autouse=True)
def chinese() -> Any:
    """These tests read the Chinese source strings: make them the active language, whatever an earlier test (a
    client request in English) left active in this thread."""
    with translation.override("zh-hans"):
        yield
