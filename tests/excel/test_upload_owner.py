"""A pending upload belongs to the person who uploaded it: a colleague who posts its temporary name (or the whole
confirm form) gets a 403, and nothing is imported or sent; the uploader can still confirm it."""

import pytest
from django.test import Client
from django.urls import reverse

from returns.models import PurchaseReturn
from tests.excel.files import return_row, xlsx
from tests.excel.test_admin_flow import PROCESS, STOP_WAITING, confirm, upload, uploads_waiting
from tests.factories import make_return, make_user
from wdtportal.documents.models import ImportBatch
from wdtportal.jobs.models import Job

pytestmark = pytest.mark.django_db


def logged_in(username: str, group: str) -> Client:
    client = Client()
    client.force_login(make_user(username, group))
    return client


def test_another_clerk_cannot_confirm_my_upload(upload_folder):
    mine, theirs = logged_in("clerk-a", "财务专员"), logged_in("clerk-b", "财务专员")
    preview = upload(mine, xlsx([return_row("CR-OWN-1")]))
    form = preview.context["confirm_form"].initial
    stolen = theirs.post(reverse(PROCESS), {**form, "confirm": "1"})
    assert stolen.status_code == 403
    assert not PurchaseReturn.objects.exists() and not ImportBatch.objects.exists()
    # Only the temporary name, as the review did it: the same.
    bare = theirs.post(reverse(PROCESS), {"import_file_name": form["import_file_name"], "original_file_name": "x.xlsx",
                                          "format": form["format"], "resource": form.get("resource", "0"),
                                          "confirm": "1"})
    assert bare.status_code == 403 and not PurchaseReturn.objects.exists()
    assert uploads_waiting() == {form["import_file_name"]}  # still there for its owner
    done = confirm(mine, preview)
    assert done.status_code == 302 and PurchaseReturn.objects.filter(return_no="CR-OWN-1").exists()


def test_another_supervisor_cannot_send_my_stop_waiting_list(upload_folder):
    make_return("CR-OWN-2")
    mine, theirs = logged_in("boss-a", "财务主管"), logged_in("boss-b", "财务主管")
    preview = upload(mine, b"CR-OWN-2\n", "清单.csv", resource=STOP_WAITING)
    stolen = theirs.post(reverse(PROCESS), {**preview.context["confirm_form"].initial, "confirm": "1"})
    assert stolen.status_code == 403 and not Job.objects.exists()
