"""Volumes for the list tests: n returns with their lines and drafts, n call-log rows, n jobs and n job items, written
with bulk inserts (totals included), numbered so that each row can be found by its number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from returns.models import OutboundLine, PurchaseReturn
from settlements.models import SettlementDraft, SettlementLine
from tests.factories import clerk, make_user, supervisor  # noqa: F401
from wdtportal.documents.groups import CLERK
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.models import Job, JobItem
from wdtportal.wdt.models import WdtCall

STATES = [DocumentState.DONE, DocumentState.FAILED, DocumentState.READY, DocumentState.DRAFT]


def return_no(i: int) -> str:
    return f"CR20261201{i:05d}"


def fill(start: int, stop: int, *, creator: Any = None) -> None:
    """Returns start..stop-1 (two lines each), a linked draft for each, a call each, a job each, and an item each in
    the first job."""
    batch = ImportBatch.objects.create(kind="returns", file_name=f"第{start}批.xlsx", created_by=creator)
    returns = PurchaseReturn.objects.bulk_create([
        PurchaseReturn(return_no=return_no(i), outer_no=f"WPLIST{i:06d}", logistics_code="SF",
                       logistics_no=f"SF77{i:08d}", remark="外包装破损" if i % 2 else "质量问题",
                       outbound_state=STATES[i % 4], created_by=creator, import_batch=batch, line_count=2,
                       total_quantity=Decimal(3), total_amount=Decimal("25.5"))
        for i in range(start, stop)])
    returns = list(PurchaseReturn.objects.filter(return_no__in=[r.return_no for r in returns]))
    OutboundLine.objects.bulk_create([
        OutboundLine(purchase_return=r, line_no=k, spec_no=f"SPEC{r.pk}-{k}", num=Decimal(k), price=Decimal("8.5"))
        for r in returns for k in (1, 2)])
    SettlementDraft.objects.bulk_create([
        SettlementDraft(return_no=r.return_no, purchase_return=r, created_by=creator, line_count=1,
                        total_quantity=Decimal(1), total_amount=Decimal("8.5"),
                        js_order_no=f"JS{r.pk:08d}" if r.outbound_state == DocumentState.DONE else None)
        for r in returns])
    drafts = SettlementDraft.objects.filter(return_no__in=[r.return_no for r in returns])
    SettlementLine.objects.bulk_create([
        SettlementLine(draft=d, line_no=1, spec_no="SPEC", settle_num=Decimal(1), price=Decimal("8.5"))
        for d in drafts])
    WdtCall.objects.bulk_create([
        WdtCall(gateway="enterprise", method="purchase_return_order_push.php", outcome="ok" if i % 3 else "refused",
                request_payload={"return_no": return_no(i)}, document_type="returns.purchasereturn",
                document_id=str(i), document_label=return_no(i), error_message="" if i % 3 else "库存不足",
                user=creator)
        for i in range(start, stop)])
    jobs = Job.objects.bulk_create([Job(kind="return_push_outbound", label=f"创建出库单 {i}", created_by=creator,
                                        total=1) for i in range(start, stop)])
    first = Job.objects.order_by("pk").first()
    JobItem.objects.bulk_create([JobItem(job=first, position=i, object_id=r.pk, label=r.return_no,
                                         state="done" if i % 2 else "failed")
                                 for i, r in enumerate(returns, start=start)])
    assert jobs


@pytest.fixture
def lists_clerk(db: Any) -> Any:
    return make_user("list-clerk", CLERK)
