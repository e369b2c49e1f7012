"""Many documents at once, for the worker tests and bench/push_bench.py: returns and settlement drafts the sandbox
knows (bulk inserts)."""

from decimal import Decimal

from returns.models import OutboundLine, PurchaseReturn, new_outer_no
from settlements.models import SettlementDraft, SettlementLine
from wdtportal.documents.totals import totals_of
from wdtportal.wdt.sandbox.models import SandboxReturn, SandboxReturnLine


def seed_sandbox_returns(numbers: list[str]) -> None:
    """Waiting returns in the sandbox, one line `SKU-A` × 2 each."""
    returns = SandboxReturn.objects.bulk_create([SandboxReturn(return_no=no) for no in numbers], batch_size=500)
    if returns[0].pk is None:  # SQLite before 3.35 does not return ids
        returns = list(SandboxReturn.objects.filter(return_no__in=numbers).order_by("return_no"))
    SandboxReturnLine.objects.bulk_create(
        [SandboxReturnLine(purchase_return=r, spec_no="SKU-A", num=Decimal("2"), price=Decimal("10.5"))
         for r in returns], batch_size=500)


def seed_settlement_drafts(n: int, *, prefix: str = "CRB", in_sandbox: bool = True) -> list[SettlementDraft]:
    """`n` returns in the sandbox (unless `in_sandbox` is off: already there) and a ready-to-send settlement draft
    for each in the portal."""
    numbers = [f"{prefix}{i:06d}" for i in range(n)]
    if in_sandbox:
        seed_sandbox_returns(numbers)
    totals = totals_of([(Decimal("2"), Decimal("10.5"))]).fields()  # the one line each draft gets below
    SettlementDraft.objects.bulk_create([SettlementDraft(return_no=no, **totals) for no in numbers], batch_size=500)
    drafts = list(SettlementDraft.objects.filter(return_no__in=numbers).order_by("return_no"))
    SettlementLine.objects.bulk_create(
        [SettlementLine(draft=d, line_no=1, spec_no="SKU-A", settle_num=Decimal("2"), price=Decimal("10.5"))
         for d in drafts], batch_size=500)
    return drafts


def seed_purchase_returns(n: int, *, prefix: str = "CRB", in_sandbox: bool = True) -> list[PurchaseReturn]:
    """`n` returns in the sandbox (unless `in_sandbox` is off: already there) and the same returns in the portal,
    valid and waiting for their outbound order and their stop-waiting."""
    numbers = [f"{prefix}{i:06d}" for i in range(n)]
    if in_sandbox:
        seed_sandbox_returns(numbers)
    # bulk_create skips save(), which gives each return its outer_no.
    totals = totals_of([(Decimal("2"), Decimal("10.5"))]).fields()  # the one line each return gets below
    PurchaseReturn.objects.bulk_create([PurchaseReturn(return_no=no, outer_no=new_outer_no(), **totals)
                                        for no in numbers], batch_size=500)
    returns = list(PurchaseReturn.objects.filter(return_no__in=numbers).order_by("return_no"))
    OutboundLine.objects.bulk_create(
        [OutboundLine(purchase_return=r, line_no=1, spec_no="SKU-A", num=Decimal("2"), price=Decimal("10.5"))
         for r in returns], batch_size=500)
    return returns
