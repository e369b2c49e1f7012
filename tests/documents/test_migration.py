"""Moving the shared models from `returns` to the documents core loses nothing.

A database is taken back to the migrations before the move (returns 0003, settlements 0001, jobs 0005), filled
through the historical models with what a company has (returns with lines, drafts, state history, import batches
and an upload, a job with items and a runner), migrated forward to today's layout, and read with today's models.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from returns.models import PurchaseReturn
from settlements.models import SettlementDraft
from wdtportal.documents.groups import CLERK
from wdtportal.documents.models import ImportBatch, ImportUpload, StateChange
from wdtportal.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("returns", "0003_excel_import_upload"), ("settlements", "0001_initial"), ("jobs", "0005_job_language"),
          ("documents", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def fill_the_old_layout(apps) -> dict:
    """What a company had before the move, written with the models as they were then."""
    User = apps.get_model("auth", "User")
    ContentTypeThen = apps.get_model("contenttypes", "ContentType")
    ImportBatchThen = apps.get_model("returns", "ImportBatch")
    ImportUploadThen = apps.get_model("returns", "ImportUpload")
    StateChangeThen = apps.get_model("returns", "StateChange")
    Return = apps.get_model("returns", "PurchaseReturn")
    Line = apps.get_model("returns", "OutboundLine")
    Draft = apps.get_model("settlements", "SettlementDraft")
    DraftLine = apps.get_model("settlements", "SettlementLine")
    JobThen = apps.get_model("jobs", "Job")
    Item = apps.get_model("jobs", "JobItem")
    Runner = apps.get_model("jobs", "JobRunner")

    clerk = User.objects.create(username="clerk-then")
    batch = ImportBatchThen.objects.create(kind="returns", file_name="十一月退货.xlsx", created_by=clerk, rows=3,
                                           documents=2, created=2)
    upload = ImportUploadThen.objects.create(kind="settlements", file_name="结算.xlsx", data=b"PK\x03\x04",
                                             rows=12, created_by=clerk)
    returns = []
    for n in range(2):
        r = Return.objects.create(return_no=f"CR-MIG-{n}", outer_no=f"WPMIG{n}", import_batch=batch,
                                  created_by=clerk, outbound_state="done", waiting_state="ready",
                                  last_message="出库单已创建")
        Line.objects.create(purchase_return=r, line_no=1, spec_no="SKU-1", num=Decimal("2.5"),
                            price=Decimal("10.25"))
        returns.append(r)
    draft = Draft.objects.create(return_no="CR-MIG-0", purchase_return=returns[0], import_batch=batch,
                                 state="done", js_order_no="JS202612020001")
    DraftLine.objects.create(draft=draft, line_no=1, spec_no="SKU-1", settle_num=Decimal("2.5"))
    return_type = ContentTypeThen.objects.get_or_create(app_label="returns", model="purchasereturn")[0]
    draft_type = ContentTypeThen.objects.get_or_create(app_label="settlements", model="settlementdraft")[0]
    history = [
        StateChangeThen.objects.create(content_type=return_type, object_id=returns[0].pk, field="outbound_state",
                                       from_state="sending", to_state="done", user=clerk, reason="出库单已创建"),
        StateChangeThen.objects.create(content_type=draft_type, object_id=draft.pk, field="state",
                                       from_state="sending", to_state="done", reason="结算单已创建"),
    ]
    job = JobThen.objects.create(kind="settlement_submit", label="创建结算单", created_by=clerk, total=1, done=1,
                                 finished_at=timezone.now(), watch_task_id="watch-1")
    Item.objects.create(job=job, position=0, object_id=draft.pk, label="CR-MIG-0", state="done", message="ok")
    Runner.objects.create(job=job, token="t1", worker="host:1", heartbeat_at=timezone.now() - timedelta(minutes=1))
    statechange_type = ContentTypeThen.objects.get(app_label="returns", model="statechange")
    return {"batch": batch.pk, "upload": upload.pk, "returns": [r.pk for r in returns], "draft": draft.pk,
            "history": [h.pk for h in history], "job": job.pk, "statechange_type": statechange_type.pk}


def test_the_move_to_the_documents_core_keeps_every_row_and_link():
    view_batches = Permission.objects.get(content_type__app_label="documents", codename="view_importbatch")
    old = fill_the_old_layout(migrate(BEFORE))
    migrate(latest())

    batch = ImportBatch.objects.get(pk=old["batch"])
    assert (batch.file_name, batch.kind, batch.created_by.username) == ("十一月退货.xlsx", "returns", "clerk-then")
    assert bytes(ImportUpload.objects.get(pk=old["upload"]).data) == b"PK\x03\x04"
    returns = PurchaseReturn.objects.filter(pk__in=old["returns"]).order_by("pk")
    assert [r.import_batch_id for r in returns] == [batch.pk, batch.pk]
    assert [r.lines.get().num for r in returns] == [Decimal("2.5"), Decimal("2.5")]
    draft = SettlementDraft.objects.get(pk=old["draft"])
    assert (draft.purchase_return_id, draft.import_batch_id, draft.js_order_no) == (
        returns[0].pk, batch.pk, "JS202612020001")
    assert draft.lines.get().settle_num == Decimal("2.5")
    # The history still points at its documents, and each document finds its history.
    first, second = StateChange.objects.filter(pk__in=old["history"]).order_by("pk")
    assert first.document == returns[0] and second.document == draft
    assert list(returns[0].state_changes.values_list("reason", flat=True)) == ["出库单已创建"]
    job = Job.objects.get(pk=old["job"])
    assert (job.get_kind_display(), job.items.get().object_id, job.runners.get().token) == (
        "在旺店通创建结算单", draft.pk, "t1")
    # The content type moved with the model (same row), so its permissions and the groups holding them carried over.
    assert ContentType.objects.get(app_label="documents", model="statechange").pk == old["statechange_type"]
    assert not ContentType.objects.filter(app_label="returns", model__in=["statechange", "importbatch"]).exists()
    assert Group.objects.get(name=CLERK).permissions.filter(pk=view_batches.pk).exists()
