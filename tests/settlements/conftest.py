"""Fixtures of the settlements tests."""

from tests.factories import clerk, supervisor  # noqa: F401
