"""Fixtures for the interface tests: an admin login and the document models reachable in the admin."""

import importlib

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import clear_url_caches

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft


def _reload_urlconf() -> None:
    clear_url_caches()
    importlib.reload(importlib.import_module(settings.ROOT_URLCONF))


@pytest.fixture
def documents_in_admin():
    """The returns and settlements change lists exist (registered by returns/ and settlements/ admin modules).

    While those modules are not on main yet, a plain registration stands in for the duration of the test, so the
    dashboard's links can be checked; once they are, this fixture changes nothing.
    """
    added = [model for model in (PurchaseReturn, SettlementDraft) if not admin.site.is_registered(model)]
    for model in added:
        admin.site.register(model)
    if added:
        _reload_urlconf()
    yield
    for model in added:
        admin.site.unregister(model)
    if added:
        _reload_urlconf()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-2026")


@pytest.fixture
def admin_client_zh(client, superuser):
    client.force_login(superuser)
    return client
