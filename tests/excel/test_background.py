"""Imports above JOBS_IMPORT_THRESHOLD rows: the confirm stores the file and starts a job; the real db_worker loop
imports it (the same import, one transaction) and the job's page tells how it went."""

import os

import pytest
from django.db import connection
from django.urls import reverse

from returns import job_kinds as returns_kinds
from returns.models import OutboundLine, PurchaseReturn
from returns.resources import STOP_WAITING_BATCH
from tests.excel.files import return_row, xlsx
from tests.excel.test_admin_flow import STOP_WAITING, confirm, upload
from tests.factories import clerk, make_return, supervisor  # noqa: F401
from tests.worker import run_worker_until_idle
from wdtportal.documents.models import ImportBatch, ImportUpload
from wdtportal.documents.states import DocumentState
from wdtportal.excel.admin import SpreadsheetTmpStorage
from wdtportal.jobs.kinds import IMPORT as IMPORT_KIND
from wdtportal.jobs.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def as_clerk(client, clerk):  # noqa: F811
    client.force_login(clerk)
    return client


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.JOBS_IMPORT_THRESHOLD = 10


def _preview_and_confirm(client, rows):
    preview = upload(client, xlsx(rows), "大文件.xlsx")
    assert preview.context["report"].ok, preview.context["report"].error_lines()
    tmp_name = preview.context["confirm_form"].initial["import_file_name"]
    response = confirm(client, preview)
    return preview, response, tmp_name


def test_a_large_import_runs_in_the_background_and_its_page_shows_the_outcome(as_clerk, clerk):  # noqa: F811
    rows = [return_row(f"R{i:03d}", f"SKU-{j}") for i in range(15) for j in range(2)]
    _preview, response, tmp_name = _preview_and_confirm(as_clerk, rows)

    job = Job.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:jobs_job_progress", args=[job.pk])
    assert (job.kind, job.total, job.created_by, job.finished_at) == (IMPORT_KIND, 30, clerk, None)
    upload_row = ImportUpload.objects.get()
    assert (upload_row.file_name, upload_row.rows, upload_row.created_by) == ("大文件.xlsx", 30, clerk)
    assert not os.path.exists(SpreadsheetTmpStorage(name=tmp_name).get_full_path())  # moved to the database
    assert PurchaseReturn.objects.count() == 0  # nothing yet: the worker does it

    run_worker_until_idle()

    job.refresh_from_db()
    assert job.finished_at is not None
    assert (job.done, job.failed, job.total) == (30, 0, 30)
    batch = ImportBatch.objects.get()
    assert job.message == (f"导入完成：15 张单据，30 行明细：新建 15，更新 0，未变 0，不可修改 0，错误 0。"
                           f"导入批次 {batch.pk}。")
    assert (batch.created_by, batch.documents, batch.rows) == (clerk, 15, 30)
    assert PurchaseReturn.objects.count() == 15 and OutboundLine.objects.count() == 30
    assert not ImportUpload.objects.exists()

    page = as_clerk.get(response.url)
    assert page.status_code == 200 and "导入完成" in page.content.decode()
    progress = as_clerk.get(reverse("admin:jobs_job_progress_json", args=[job.pk])).json()
    assert (progress["status"], progress["done"], progress["percent"]) == ("finished", 30, 100.0)


def test_a_background_import_that_meets_a_conflict_changes_nothing_and_says_why(as_clerk):
    rows = [return_row(f"R{i:03d}", outer_no=f"OUT-{i}") for i in range(12)]
    _preview, _response, _tmp = _preview_and_confirm(as_clerk, rows)
    PurchaseReturn.objects.create(return_no="R999", outer_no="OUT-3")  # between the preview and the worker

    run_worker_until_idle()

    job = Job.objects.get()
    assert job.finished_at is not None and (job.done, job.failed) == (0, 12)
    assert job.message == ("导入失败，没有做任何修改：发现 1 个错误；"
                           "第5行（R003）外部单号: 外部单号“OUT-3”已被退货单“R999”使用，"
                           "请换一个或留空（留空会自动生成）")
    assert list(PurchaseReturn.objects.values_list("return_no", flat=True)) == ["R999"]
    assert not ImportUpload.objects.exists()


def test_a_small_import_is_still_done_in_the_request(as_clerk, settings):
    settings.JOBS_IMPORT_THRESHOLD = 100
    _preview, response, _tmp = _preview_and_confirm(as_clerk, [return_row(f"R{i}") for i in range(12)])
    assert response.url.startswith(reverse("admin:returns_purchasereturn_changelist"))
    assert PurchaseReturn.objects.count() == 12 and not Job.objects.exists()


def test_a_forged_plan_is_refused_and_imports_nothing(as_clerk):
    # The signed plan says whose upload it is and how many rows it has: without it the confirm proves neither.
    preview = upload(as_clerk, xlsx([return_row(f"R{i}") for i in range(12)]), "大文件.xlsx")
    form = {**preview.context["confirm_form"].initial, "plan": "forged"}
    response = as_clerk.post(reverse("admin:returns_purchasereturn_process_import"), {**form, "confirm": "1"})
    assert response.status_code == 403
    assert not PurchaseReturn.objects.exists() and not Job.objects.exists()


# --- stop-waiting lists: confirming starts the same job as the list's action --------------------------------------

@pytest.fixture
def as_supervisor(client, supervisor):  # noqa: F811
    client.force_login(supervisor)
    return client


def test_a_stop_waiting_list_is_sent_by_a_background_job(as_supervisor, supervisor, wdt_sandbox):  # noqa: F811
    for number in ("R001", "R002"):
        make_return(number)
        wdt_sandbox.seed_return(number)
    make_return("R003")  # not in WDT: refused there, the refusal is shown against it
    preview = upload(as_supervisor, xlsx([["R001"], ["R002"], ["R003"]], header=["采购退货单号"]), "清单.xlsx",
                     resource=STOP_WAITING)
    assert preview.context["report"].documents == 3
    response = confirm(as_supervisor, preview)

    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:jobs_job_progress", args=[job.pk])
    assert (job.kind, job.total, job.created_by) == (returns_kinds.STOP_WAITING, 3, supervisor)
    assert set(PurchaseReturn.objects.values_list("waiting_state", flat=True)) == {DocumentState.QUEUED}
    assert ImportBatch.objects.get().kind == STOP_WAITING_BATCH

    run_worker_until_idle()

    job.refresh_from_db()
    assert (job.done, job.failed, job.unknown) == (2, 1, 0)
    states = dict(PurchaseReturn.objects.values_list("return_no", "waiting_state"))
    assert states == {"R001": DocumentState.DONE, "R002": DocumentState.DONE, "R003": DocumentState.FAILED}
    progress = as_supervisor.get(reverse("admin:jobs_job_progress_json", args=[job.pk])).json()
    outcomes = {item["label"]: item["state"] for item in progress["items"]}
    assert outcomes == {"R001": "done", "R002": "done", "R003": "failed"}


def test_a_long_stop_waiting_list_is_looked_up_and_queued_in_chunks(as_supervisor, wdt_sandbox):
    numbers = [f"R{i:05d}" for i in range(2500)]
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=f"W{no}") for no in numbers])
    largest = []

    def no_huge_queries(execute, sql, params, many, context):
        largest.append(max((len(p) for p in params), default=0) if many else len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(no_huge_queries):
        preview = upload(as_supervisor, "\n".join(numbers).encode(), "清单.csv", resource=STOP_WAITING)
        assert preview.context["report"].documents == 2500
        response = confirm(as_supervisor, preview)
    assert response.status_code == 302
    assert max(largest) <= 999  # SQLite's historical limit of variables in one statement
    job = Job.objects.get()
    assert job.total == 2500 and job.items.count() == 2500
    assert PurchaseReturn.objects.filter(waiting_state=DocumentState.QUEUED).count() == 2500


def test_the_import_and_the_removal_of_its_stored_file_commit_together(as_clerk, monkeypatch):
    """A worker that dies after the import's commit must not find the file again and import it twice: the file goes
    in the same transaction (here its removal fails, so the import is undone with it)."""
    from wdtportal.excel.background import run_import

    rows = [return_row(f"R{i:03d}", "SKU-1") for i in range(12)]
    _preview_and_confirm(as_clerk, rows)
    job, upload_row = Job.objects.get(), ImportUpload.objects.get()

    def removal_fails(self, *args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(ImportUpload, "delete", removal_fails)
    with pytest.raises(RuntimeError):
        run_import(job=job, upload_id=upload_row.pk)
    assert PurchaseReturn.objects.count() == 0 and ImportBatch.objects.count() == 0
    assert ImportUpload.objects.filter(pk=upload_row.pk).exists()
