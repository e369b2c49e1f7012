"""Imports above JOBS_IMPORT_THRESHOLD rows: the confirm stores the file and starts a job; the real db_worker loop
imports it (the same import, one transaction) and the job's page tells how it went."""

import os

import pytest
from django.urls import reverse

from returns.models import ImportBatch, ImportUpload, OutboundLine, PurchaseReturn
from tests.excel.files import return_row, xlsx
from tests.excel.test_admin_flow import confirm, upload
from tests.factories import clerk  # noqa: F401
from tests.worker import run_worker_until_idle
from wdtportal.jobs.models import Job, JobKind

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
    assert (job.kind, job.total, job.created_by, job.finished_at) == (JobKind.IMPORT, 30, clerk, None)
    upload_row = ImportUpload.objects.get()
    assert (upload_row.file_name, upload_row.rows, upload_row.created_by) == ("大文件.xlsx", 30, clerk)
    assert not os.path.exists(os.path.join("/tmp", os.path.basename(tmp_name)))  # moved to the database
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
                           "第5行 外部单号: 外部单号“OUT-3”已被退货单“R999”使用，请换一个或留空（留空会自动生成）")
    assert list(PurchaseReturn.objects.values_list("return_no", flat=True)) == ["R999"]
    assert not ImportUpload.objects.exists()


def test_a_small_import_is_still_done_in_the_request(as_clerk, settings):
    settings.JOBS_IMPORT_THRESHOLD = 100
    _preview, response, _tmp = _preview_and_confirm(as_clerk, [return_row(f"R{i}") for i in range(12)])
    assert response.url.startswith(reverse("admin:returns_purchasereturn_changelist"))
    assert PurchaseReturn.objects.count() == 12 and not Job.objects.exists()


def test_a_forged_row_count_does_not_keep_a_large_import_in_the_request(as_clerk):
    preview = upload(as_clerk, xlsx([return_row(f"R{i}") for i in range(12)]), "大文件.xlsx")
    form = {**preview.context["confirm_form"].initial, "plan": "forged"}
    response = as_clerk.post(reverse("admin:returns_purchasereturn_process_import"), {**form, "confirm": "1"})
    assert response.url == reverse("admin:jobs_job_progress", args=[Job.objects.get().pk])
