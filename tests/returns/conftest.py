"""Fixtures of the returns tests."""

from tests.factories import clerk, supervisor  # noqa: F401
