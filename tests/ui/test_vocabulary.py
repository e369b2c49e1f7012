"""One word for one thing, in the page's language: 已完成 only for WDT's acceptance, 校验通过 for a validation, 已生成
for a draft; a job's note in the reader's language; English pages in English (plurals, colons with their space, the
import's columns explained)."""

import pytest
from django.urls import reverse
from django.utils import translation

from returns.models import PurchaseReturn
from tests.factories import make_return, make_user
from wdtportal.documents import results
from wdtportal.jobs.labels import job_label, label_display, register_label
from wdtportal.jobs.models import Job, JobItem

pytestmark = pytest.mark.django_db


def test_a_validation_and_a_draft_have_their_own_words_and_not_wdts():
    document = make_return("CR-V1")
    assert results.validated(document, "").outcome_label == "校验通过"
    assert results.invalid(document, "x").outcome_label == "校验未通过"
    assert results.created(document, "").outcome_label == "已生成"
    assert results.done(document, "").outcome_label == "已完成"  # WDT accepted it
    with translation.override("en"):
        assert (results.validated(document, "").outcome_label, results.created(document, "").outcome_label) == (
            "Valid", "Created")


def test_creating_drafts_reports_them_as_created(client):
    make_return("CR-V2")
    client.force_login(make_user("clerk3", "财务专员"))
    page = client.post(reverse("admin:returns_purchasereturn_changelist"), {
        "action": "create_settlement_drafts", "_selected_action": [PurchaseReturn.objects.get().pk]}).content.decode()
    assert "已生成 1" in page and "已完成" not in page


def test_the_job_page_says_done_as_the_rest_of_the_portal(admin_client):
    job = Job.objects.create(kind="return_push_outbound", label=job_label("创建出库单"), total=1, done=1)
    JobItem.objects.create(job=job, position=0, object_id=make_return("CR-V3").pk, label="CR-V3", state="done")
    item = admin_client.get(reverse("admin:jobs_job_progress_json", args=[job.pk])).json()["items"][0]
    assert item["state_display"] == "已完成"
    page = admin_client.get(reverse("admin:jobs_job_progress", args=[job.pk])).content.decode()
    assert "成功" not in page and "已完成" in page
    listing = admin_client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "成功" not in listing


def test_a_jobs_note_is_stored_in_chinese_and_read_in_the_readers_language(admin_client):
    template = register_label("停止等待（清单 %(file)s）")
    with translation.override("en"):  # started from an English page
        plain, with_file = job_label("创建结算单"), job_label(template, file="三月.xlsx")
    assert (plain, with_file) == ("创建结算单", "停止等待（清单 三月.xlsx）")
    with translation.override("en"):
        assert label_display(plain) == "Create settlement"
        assert label_display(with_file) == "Stop waiting (list 三月.xlsx)"
        assert label_display("a label of no known message") == "a label of no known message"
    job = Job.objects.create(kind="settlement_submit", label=plain, total=0)
    english = admin_client.get(reverse("admin:jobs_job_progress", args=[job.pk]),
                               headers={"accept-language": "en"}).content.decode()
    assert "Create settlement" in english and "创建结算单" not in english
    assert "State: <b" in english  # a colon with its space


def test_english_lists_have_plurals_and_the_import_page_explains_the_columns(admin_client):
    for number in range(3):
        make_return(f"CR-P{number}")
    english = {"accept-language": "en"}
    listing = admin_client.get(reverse("admin:returns_purchasereturn_changelist"), headers=english).content.decode()
    assert "3 Purchase returns" in listing
    page = admin_client.get(reverse("admin:returns_purchasereturn_import"), headers=english).content.decode()
    assert "Return no. (退货单号)" in page and "Merchant SKU (商家编码)" in page
    chinese = admin_client.get(reverse("admin:returns_purchasereturn_import")).content.decode()
    assert "退货单号" in chinese and "Return no." not in chinese
