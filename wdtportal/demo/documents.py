"""Demo documents for `make demo`: portal returns matching the sandbox's demo set, and a few settlement drafts."""

from typing import Any

from django.db import transaction

from returns.models import OutboundLine, PurchaseReturn
from settlements.services import settlement_drafts_create_from_returns
from wdtportal.documents.totals import totals_of

DEMO_RETURNS = 12  # of the sandbox's 40 demo returns, CR2026110001 … CR2026110012
DEMO_DRAFTS = 3


@transaction.atomic
def load_demo_documents(*, user: Any = None) -> int:
    """Create the missing demo returns (lines as the sandbox has them) and drafts for the first three."""
    from wdtportal.wdt.sandbox.state import demo_lines, demo_return_nos

    created = 0
    for i, return_no in enumerate(demo_return_nos()[:DEMO_RETURNS], start=1):
        if PurchaseReturn.objects.filter(return_no=return_no).exists():
            continue
        lines = demo_lines(i)
        purchase_return = PurchaseReturn.objects.create(
            return_no=return_no, logistics_code="SF", logistics_no=f"SF{1000000 + i}", remark="演示数据",
            created_by=user, **totals_of((line["num"], line["price"]) for line in lines).fields())
        OutboundLine.objects.bulk_create(
            OutboundLine(purchase_return=purchase_return, line_no=k, spec_no=line["spec_no"], num=line["num"],
                         price=line["price"], batch_no=line["batch_no"])
            for k, line in enumerate(lines, start=1))
        created += 1
    first = PurchaseReturn.objects.filter(return_no__in=demo_return_nos()[:DEMO_DRAFTS]).order_by("return_no")
    settlement_drafts_create_from_returns(purchase_returns=first, user=None)
    return created
