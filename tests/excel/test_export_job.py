"""Exports above JOBS_EXPORT_THRESHOLD documents: the admin's export page starts a job (its filters, or "select all
N" on the list, travel as the list's query string, never as N ids); the real db_worker loop writes the file; the
job's page offers it; the download is the file, read back here with openpyxl; the workers' maintenance removes it
after JOBS_EXPORT_KEEP_HOURS."""

import io
import re
import threading
import zipfile
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from returns.excel_admin import ReturnsResource
from returns.models import OutboundLine, PurchaseReturn
from tests.excel.test_admin_flow import sheet_rows
from tests.factories import clerk, make_return, supervisor  # noqa: F401
from tests.worker import run_worker_until_idle
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.kinds import EXPORT
from wdtportal.jobs.models import Job, JobFile, JobFileChunk
from wdtportal.jobs.recovery import jobs_maintenance

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = "admin:returns_purchasereturn_changelist"
EXPORT_URL = "admin:returns_purchasereturn_export"
HEADER = ["退货单号", "外部单号", "物流公司编号", "物流单号", "邮资", "备注", "是否审核", "商家编码", "退货数量",
          "单价", "金额", "货位编号", "批次号", "明细备注", "出库单状态", "停止等待状态", "旺店通最近消息", "创建时间",
          "导入批次"]


@pytest.fixture
def as_clerk(client, clerk):  # noqa: F811
    client.force_login(clerk)
    return client


def seed_returns(n: int, *, prefix: str = "CRX", lines: int = 3, **fields) -> list[int]:
    """`n` returns with `lines` lines each, in bulk; returns their ids in number order."""
    numbers = [f"{prefix}{i:05d}" for i in range(n)]
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=f"WP{no}", **fields) for no in numbers],
                                       batch_size=500)
    ids = dict(PurchaseReturn.objects.filter(return_no__in=numbers).values_list("return_no", "pk"))
    OutboundLine.objects.bulk_create(
        [OutboundLine(purchase_return_id=ids[no], line_no=k + 1, spec_no=f"SKU-{k}", num=Decimal("1.2500") + k,
                      price=Decimal("10.0001")) for no in numbers for k in range(lines)], batch_size=1000)
    return [ids[no] for no in numbers]


def job_of(response) -> Job:
    assert response.status_code == 302, response.content[:500]
    match = re.search(r"/jobs/job/(\d+)/progress/$", response.url)
    assert match, response.url
    return Job.objects.get(pk=int(match.group(1)))


def download(client, job: Job) -> bytes:
    page = client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
    url = reverse("admin:jobs_job_download", args=[job.pk])
    assert f'href="{url}"' in page  # the job's page links the file
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert len(body) == int(response["Content-Length"])
    return body


def test_a_filtered_export_above_the_threshold_is_a_job_whose_file_has_every_line(as_clerk, clerk, settings):  # noqa: F811
    settings.JOBS_EXPORT_THRESHOLD = 5
    seed_returns(7, prefix="CRF", outbound_state=DocumentState.FAILED, last_message="=HYPERLINK(\"http://x\")")
    seed_returns(4, prefix="CRD", outbound_state=DocumentState.DONE)  # filtered out
    special = make_return("CRF99999", outbound_state=DocumentState.FAILED, remark="=1+1", post_cost=Decimal("1.2345"),
                          lines=[{"spec_no": "=SUM(A1)", "num": Decimal("123456.7891"), "price": Decimal("0.0001")}])

    response = as_clerk.post(reverse(EXPORT_URL) + "?outbound_state__exact=failed", {"format": "0", "resource": "0"})
    job = job_of(response)
    assert (job.kind, job.created_by, job.call_kwargs["selection"]) == (
        EXPORT, clerk, {"query": "outbound_state__exact=failed"})
    assert not JobFile.objects.exists()  # the request wrote nothing: the worker does

    run_worker_until_idle()
    job.refresh_from_db()
    assert job.finished_at and (job.total, job.done, job.failed) == (8, 8, 0)
    assert "导出完成：8 张单据，22 行明细" in job.message
    assert JobFileChunk.objects.filter(file__job=job).count() >= 1

    data = download(as_clerk, job)
    rows = sheet_rows(data)
    assert rows[0] == HEADER
    assert len(rows) == 1 + 7 * 3 + 1
    assert {row[0] for row in rows[1:]} == {f"CRF{i:05d}" for i in range(7)} | {"CRF99999"}
    first = next(row for row in rows[1:] if row[0] == "CRF00000" and row[7] == "SKU-1")
    assert first[1] == "WPCRF00000" and first[8] == 2.25 and first[9] == 10.0001
    assert first[14:17] == ["失败", "草稿", '=HYPERLINK("http://x")']
    assert first[17] is not None and abs(first[17] - timezone.localtime().replace(tzinfo=None)) < timedelta(hours=1)
    line = next(row for row in rows[1:] if row[0] == "CRF99999")
    assert (line[4], line[5], line[7], line[8], line[9], line[10]) == (
        1.2345, "=1+1", "=SUM(A1)", 123456.7891, 0.0001, 12.3457)
    # Text that starts with "=" is text in the file, never a live formula; numbers keep every decimal.
    workbook = load_workbook(io.BytesIO(data))
    cells = {cell.value: cell for row in workbook.active.iter_rows(min_row=2) for cell in row}
    assert cells["=1+1"].data_type == cells["=SUM(A1)"].data_type == "s"
    assert special.lines.get().num == Decimal("123456.7891")
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>123456.7891</v>" in xml and "<v>0.0001</v>" in xml and "<f>" not in xml
    # The 合计 sheet, written once the streamed rows are counted: documents, lines and the amounts of every line.
    totals = {row[0].value: row[1].value for row in workbook["合计"].iter_rows()}
    assert (totals["单据数"], totals["明细行数"]) == (8, 22)
    assert Decimal(str(totals["金额合计"])) == sum(
        (round(line.num * (line.price or 0), 4) for line in OutboundLine.objects.filter(
            purchase_return__outbound_state=DocumentState.FAILED)), Decimal(0))


def test_an_export_at_or_under_the_threshold_downloads_at_once(as_clerk, settings):
    settings.JOBS_EXPORT_THRESHOLD = 5
    seed_returns(5, prefix="CRS")
    response = as_clerk.post(reverse(EXPORT_URL), {"format": "0", "resource": "0"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(sheet_rows(response.content)) == 1 + 15
    assert not Job.objects.exists()


def test_select_all_1200_returns_then_export_posts_the_filters_not_1200_ids(as_clerk, settings):
    """Today's failure: the export form listed one hidden input per return, and posting 1,200 of them was refused
    with 400 (DATA_UPLOAD_MAX_NUMBER_FIELDS). Now the form carries the list's query string."""
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000 and settings.JOBS_EXPORT_THRESHOLD == 500
    ids = seed_returns(1200, prefix="CRA", last_message="批量")
    seed_returns(3, prefix="CRZ", last_message="其他")  # not in the search
    changelist = reverse(CHANGELIST) + "?q=CRA"
    form = as_clerk.post(changelist, {"action": "export_admin_action", "select_across": "1", "index": 0,
                                      ACTION_CHECKBOX_NAME: ids[:50]})
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="export_items"' not in html  # no id travels in the page
    assert "将导出列表中筛选出的全部单据" in html
    action = unescape(re.search(r'<form action="([^"]+)" method="POST"', html).group(1))
    assert action == reverse(EXPORT_URL) + "?q=CRA"

    job = job_of(as_clerk.post(action, {"format": "0", "resource": "0"}))
    assert job.call_kwargs["selection"] == {"query": "q=CRA"}
    run_worker_until_idle()
    job.refresh_from_db()
    assert (job.total, job.done) == (1200, 1200), job.message
    rows = sheet_rows(download(as_clerk, job))
    assert len(rows) == 1 + 3600
    assert {row[0] for row in rows[1:]} == {f"CRA{i:05d}" for i in range(1200)}


def test_the_download_is_only_for_those_who_may_see_the_job_and_the_returns(as_clerk, clerk, settings):  # noqa: F811
    settings.JOBS_EXPORT_THRESHOLD = 1
    seed_returns(2, prefix="CRP")
    job = job_of(as_clerk.post(reverse(EXPORT_URL), {"format": "0", "resource": "0"}))
    run_worker_until_idle()
    url = reverse("admin:jobs_job_download", args=[job.pk])

    # Sees jobs but not purchase returns: no file.
    only_jobs = get_user_model().objects.create_user("jobs-only", password="pw-for-tests-only", is_staff=True)
    only_jobs.user_permissions.add(Permission.objects.get(codename="view_job"))
    as_clerk.force_login(only_jobs)
    assert as_clerk.get(url).status_code == 403
    # Sees purchase returns but not jobs, and did not start this one: no file either.
    only_returns = get_user_model().objects.create_user("returns-only", password="pw-for-tests-only", is_staff=True)
    only_returns.user_permissions.add(Permission.objects.get(codename="view_purchasereturn"))
    as_clerk.force_login(only_returns)
    assert as_clerk.get(url).status_code == 403
    as_clerk.force_login(clerk)
    assert as_clerk.get(url).status_code == 200


def test_the_workers_maintenance_removes_a_file_after_the_kept_hours(as_clerk, settings):
    settings.JOBS_EXPORT_THRESHOLD = 1
    settings.JOBS_EXPORT_KEEP_HOURS = 24
    seed_returns(2, prefix="CRM")
    job = job_of(as_clerk.post(reverse(EXPORT_URL), {"format": "0", "resource": "0"}))
    run_worker_until_idle()
    assert jobs_maintenance()["files_removed"] == 0  # fresh: kept
    JobFile.objects.filter(job=job).update(created_at=timezone.now() - timedelta(hours=25))
    assert jobs_maintenance()["files_removed"] == 1
    assert not JobFileChunk.objects.exists()

    page = as_clerk.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
    assert "文件已超过保留时间（24 小时）并已删除，请重新导出。" in page
    assert f'href="{reverse("admin:jobs_job_download", args=[job.pk])}"' not in page
    response = as_clerk.get(reverse("admin:jobs_job_download", args=[job.pk]), follow=True)
    assert "文件已超过保留时间并已删除，请重新导出。" in response.content.decode()


def test_an_export_job_whose_starter_may_no_longer_see_the_returns_ends_with_the_reason(as_clerk, clerk, settings):  # noqa: F811
    settings.JOBS_EXPORT_THRESHOLD = 1
    seed_returns(2, prefix="CRL")
    job = job_of(as_clerk.post(reverse(EXPORT_URL), {"format": "0", "resource": "0"}))
    clerk.groups.clear()
    run_worker_until_idle()
    job.refresh_from_db()
    assert job.finished_at and "发起人已没有查看这些单据的权限" in job.message
    assert not JobFile.objects.exists()


def test_the_export_writes_its_progress_between_reads_while_another_connection_writes(clerk):  # noqa: F811
    """A read left open across the export (a cursor streaming the documents) would make SQLite refuse the job's
    progress as "database is locked" as soon as another connection (a runner's heartbeat) wrote meanwhile."""
    seed_returns(2500, prefix="CRH", lines=1)
    job = Job.objects.create(kind=EXPORT, created_by=clerk)
    reported = []

    def heartbeat() -> None:
        try:
            Job.objects.filter(pk=job.pk).update(label="heartbeat")
        finally:
            connection.close()

    def progress(read: int) -> None:
        other = threading.Thread(target=heartbeat)
        other.start()
        other.join()
        Job.objects.filter(pk=job.pk).update(done=read)  # this connection, between two reads
        reported.append(read)

    sheet = ReturnsResource().export(PurchaseReturn.objects.all(), progress=progress)
    assert len(list(sheet.rows)) == 2500
    assert reported == [1000, 2000, 2500]
    assert Job.objects.get(pk=job.pk).done == 2500

