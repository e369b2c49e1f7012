"""Every time the portal shows is in its time zone (Asia/Shanghai): 23:30 UTC is 07:30 the next day, never the day
before, whether a label, a list column, a job's JSON or a call-log row shows it."""

from datetime import UTC, datetime

import pytest

from returns.models import PurchaseReturn
from wdtportal.documents.models import ImportBatch
from wdtportal.wdt.models import Outcome, WdtCall

pytestmark = pytest.mark.django_db

LATE_UTC = datetime(2026, 11, 22, 23, 30, 5, tzinfo=UTC)  # 2026-11-23 07:30:05 in Shanghai


def test_labels_of_import_batches_and_calls_are_local():
    batch = ImportBatch.objects.create(kind="returns", file_name="退货.xlsx")
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=LATE_UTC)
    batch.refresh_from_db()
    assert str(batch) == "退货.xlsx (2026-11-23 07:30)"
    call = WdtCall.objects.create(gateway="qjb", method="purchase.PurchaseReturn.pending", outcome=Outcome.OK)
    WdtCall.objects.filter(pk=call.pk).update(created_at=LATE_UTC)
    call.refresh_from_db()
    assert str(call) == "purchase.PurchaseReturn.pending 成功 2026-11-23 07:30:05"


def test_the_lists_show_local_dates_and_times(admin_client_zh):
    purchase_return = PurchaseReturn.objects.create(return_no="CR-TIME")
    PurchaseReturn.objects.filter(pk=purchase_return.pk).update(created_at=LATE_UTC, sent_at=LATE_UTC)
    page = admin_client_zh.get("/admin/returns/purchasereturn/").text
    assert '<td class="field-created_shown"><span class="nowrap">2026-11-23</span> <span class="nowrap">07:30</span>' \
        in page
    assert '<td class="field-sent_shown"><span class="nowrap">2026-11-23</span>' in page
    assert "2026-11-22" not in page
