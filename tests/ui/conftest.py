"""Fixtures for the interface tests: a logged-in superuser."""

import pytest

from tests.factories import clerk, supervisor  # noqa: F401


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-2026")


@pytest.fixture
def admin_client_zh(client, superuser):
    client.force_login(superuser)
    return client
