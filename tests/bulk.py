"""Many documents at once, for the worker tests and bench/push_bench.py: settlement drafts the sandbox knows."""

from decimal import Decimal

from settlements.models import SettlementDraft, SettlementLine
from wdtportal.documents.totals import totals_of
from wdtportal.wdt.sandbox.models import SandboxReturn, SandboxReturnLine


def seed_settlement_drafts(n: int, *, prefix: str = "CRB") -> list[SettlementDraft]:
    """`n` returns in the sandbox and a ready-to-send settlement draft for each in the portal (bulk inserts)."""
    numbers = [f"{prefix}{i:06d}" for i in range(n)]
    returns = SandboxReturn.objects.bulk_create([SandboxReturn(return_no=no) for no in numbers], batch_size=500)
    if returns[0].pk is None:  # SQLite before 3.35 does not return ids
        returns = list(SandboxReturn.objects.filter(return_no__in=numbers).order_by("return_no"))
    SandboxReturnLine.objects.bulk_create(
        [SandboxReturnLine(purchase_return=r, spec_no="SKU-A", num=Decimal("2"), price=Decimal("10.5"))
         for r in returns], batch_size=500)
    totals = totals_of([(Decimal("2"), Decimal("10.5"))]).fields()  # the one line each draft gets below
    SettlementDraft.objects.bulk_create([SettlementDraft(return_no=no, **totals) for no in numbers], batch_size=500)
    drafts = list(SettlementDraft.objects.filter(return_no__in=numbers).order_by("return_no"))
    SettlementLine.objects.bulk_create(
        [SettlementLine(draft=d, line_no=1, spec_no="SKU-A", settle_num=Decimal("2"), price=Decimal("10.5"))
         for d in drafts], batch_size=500)
    return drafts
