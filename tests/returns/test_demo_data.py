"""`manage.py load_demo` creates a clerk and a supervisor in their groups and demo documents the sandbox knows."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from wdtportal.wdt.sandbox.models import SandboxReturn

pytestmark = pytest.mark.django_db


def test_load_demo_makes_one_user_per_group_and_demo_documents_the_sandbox_knows(capsys):
    call_command("load_demo")
    call_command("load_demo")  # idempotent
    output = capsys.readouterr().out
    assert "clerk / " in output and "supervisor / " in output
    users = get_user_model().objects
    assert users.get(username="clerk").has_perm("returns.change_purchasereturn")
    assert not users.get(username="clerk").has_perm("returns.send_purchasereturn")
    assert users.get(username="supervisor").has_perm("settlements.resolve_settlementdraft")
    assert PurchaseReturn.objects.count() == 12 and SettlementDraft.objects.count() == 3
    portal = set(PurchaseReturn.objects.values_list("return_no", flat=True))
    assert portal <= set(SandboxReturn.objects.values_list("return_no", flat=True))
    first = PurchaseReturn.objects.get(return_no="CR2026110001")
    assert [(x.spec_no, x.num) for x in first.lines.all()] == [("SKU001-1", 2), ("SKU001-2", 4)]


def test_the_demo_people_may_look_at_what_the_sandbox_holds_as_they_would_check_wdt(client):
    call_command("load_demo")
    client.force_login(get_user_model().objects.get(username="supervisor"))
    page = client.get("/admin/wdt_sandbox/")
    assert page.status_code == 200 and "/admin/wdt_sandbox/sandboxreturn/" in page.content.decode()
    assert client.get("/admin/wdt_sandbox/sandboxreturn/").status_code == 200
    assert not get_user_model().objects.get(username="clerk").has_perm("wdt_sandbox.change_faultsettings")

