"""Documents and people for the returns and settlements tests: each test makes its own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from returns.models import OutboundLine, PurchaseReturn
from settlements.models import SettlementDraft, SettlementLine
from wdtportal.documents.groups import CLERK, SUPERVISOR, sync_groups
from wdtportal.documents.totals import document_recount


def make_user(username: str, group: str) -> Any:
    if not Group.objects.filter(name=group).exists():
        sync_groups(django_apps)  # a live-server test flushed the database, groups of the data migration too
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def clerk(db: Any) -> Any:
    return make_user("clerk1", CLERK)


@pytest.fixture
def supervisor(db: Any) -> Any:
    return make_user("boss1", SUPERVISOR)


def make_return(return_no: str = "CR2026119001", *, lines: list[dict] | None = None, **fields: Any) -> PurchaseReturn:
    purchase_return = PurchaseReturn.objects.create(return_no=return_no, **fields)
    if lines is None:
        lines = [{"spec_no": "SKU-A", "num": Decimal("2"), "price": Decimal("10.5")}]
    for index, line in enumerate(lines, start=1):
        OutboundLine.objects.create(purchase_return=purchase_return, line_no=index, **line)
    document_recount(purchase_return)
    return purchase_return


def make_draft(return_no: str = "CR2026119001", *, lines: list[dict] | None = None,
               **fields: Any) -> SettlementDraft:
    draft = SettlementDraft.objects.create(return_no=return_no, **fields)
    if lines is None:
        lines = [{"spec_no": "SKU-A", "settle_num": Decimal("2"), "price": Decimal("10.5")}]
    for index, line in enumerate(lines, start=1):
        SettlementLine.objects.create(draft=draft, line_no=index, **line)
    document_recount(draft)
    return draft
