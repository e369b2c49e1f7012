"""Fixtures of the security tests: the people, and logging in through the real login form (django-axes and the
session timeout see the login only there; force_login bypasses both)."""

from typing import Any

import pytest

from tests.factories import clerk, supervisor  # noqa: F401

PASSWORD = "pw-for-tests-only"


def login_form(client: Any, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    """POST the admin's login form, as a browser does."""
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password,
                                                      "next": "/admin/"}, **extra)


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-2026")
