"""Fixtures of the documents core tests."""

from tests.factories import clerk, supervisor  # noqa: F401
