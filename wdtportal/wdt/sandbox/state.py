"""The sandbox's ERP state and what each call does to it; also the helpers tests and the demo use.

    seed_return("CR2026119999", lines=[{"spec_no": "SKU1", "num": "2", "price": "9.5"}])
    seed_demo_set()   # the documented demo set below
    reset()           # forget every return, order and fault

Demo set (`seed_demo_set`, loaded by `manage.py load_demo`): 40 purchase returns `CR2026110001` … `CR2026110040`,
all waiting. Return number i (1…40) has (i mod 4) + 1 lines; its line k (1…) is spec_no `SKU{i:03d}-{k}`,
num 2·k, price (10 + i).{25·k mod 100} (e.g. CR2026110001: SKU001-1 × 2 @ 11.25, SKU001-2 × 4 @ 11.50), and
every fifth return (i = 5, 10, …) carries batch_no `B{i:03d}` on each line.

Training mode (`WDT_SANDBOX_TRAINING`, on in `make demo`): a return the sandbox does not know is not refused
(采购退货单号不存在) but learnt from the call that names it, as a clerk's own file would have it in WDT: an outbound
push or a settlement brings its lines (detail_list), a stop-waiting its number; a learnt return also learns a line
it did not have yet. Returns seeded (the demo set, tests) are never changed by what is pushed: a wrong spec_no is
still refused, so the demo keeps showing a refusal.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    FaultSettings,
    LearntFrom,
    SandboxCounter,
    SandboxOutbound,
    SandboxReturn,
    SandboxReturnLine,
    SandboxSettlement,
)
from .validation import Refusal, parse_flag

DEMO_RETURN_COUNT = 40
UNKNOWN_RETURN = "采购退货单号不存在"
FUZZY_NO_SINGLE_MATCH = "模糊搜索无匹配或有多条匹配"


# --- seeding ---------------------------------------------------------------------------------------

def seed_return(return_no: str, lines: list[dict[str, Any]] | None = None, *, waiting: bool = True) -> SandboxReturn:
    """Make the sandbox know `return_no` with these lines (dicts of spec_no, num, batch_no, price); replaces any."""
    with transaction.atomic():
        purchase_return, _ = SandboxReturn.objects.update_or_create(
            return_no=return_no, defaults={"waiting": waiting, "stopped_at": None if waiting else timezone.now(),
                                           "learnt_from": ""})
        purchase_return.lines.all().delete()
        SandboxReturnLine.objects.bulk_create(
            SandboxReturnLine(
                purchase_return=purchase_return,
                spec_no=line["spec_no"],
                num=Decimal(str(line.get("num", "1"))),
                batch_no=line.get("batch_no", "") or "",
                price=Decimal(str(line["price"])) if line.get("price") not in (None, "") else None,
            )
            for line in (lines or [{"spec_no": "SKU1", "num": "1"}])
        )
    return purchase_return


def demo_lines(i: int) -> list[dict[str, Any]]:
    """The lines of demo return number i (see the module docstring)."""
    batch = f"B{i:03d}" if i % 5 == 0 else ""
    return [
        {"spec_no": f"SKU{i:03d}-{k}", "num": Decimal(2 * k), "price": Decimal(f"{10 + i}.{25 * k % 100:02d}"),
         "batch_no": batch}
        for k in range(1, i % 4 + 2)
    ]


def demo_return_nos() -> list[str]:
    return [f"CR20261100{i:02d}" for i in range(1, DEMO_RETURN_COUNT + 1)]


def seed_demo_set() -> list[SandboxReturn]:
    """Seed the documented demo set. Safe to run again: a demo return the sandbox already knows is left as it is
    (stopped stays stopped), so that the sandbox keeps agreeing with the portal's own demo documents."""
    known = {r.return_no: r for r in SandboxReturn.objects.filter(return_no__in=demo_return_nos())}
    return [known.get(no) or seed_return(no, demo_lines(i)) for i, no in enumerate(demo_return_nos(), start=1)]


def reset() -> None:
    """Forget every return, outbound order, settlement, counter and saved fault setting."""
    with transaction.atomic():
        for model in (SandboxSettlement, SandboxOutbound, SandboxReturnLine, SandboxReturn, SandboxCounter,
                      FaultSettings):
            model.objects.all().delete()


# --- training mode: learning what a clerk's own file names ---------------------------------------------

def training() -> bool:
    return bool(getattr(settings, "WDT_SANDBOX_TRAINING", False))


def _learnt_lines(lines: list[dict[str, Any]], quantity: str) -> list[dict[str, Any]]:
    return [{"spec_no": str(line["spec_no"]), "num": line.get(quantity) or "1", "batch_no": line.get("batch_no", ""),
             "price": line.get("price")} for line in lines]


def learn(return_no: str, lines: list[dict[str, Any]], source: str) -> SandboxReturn:
    """In training mode: know `return_no` from now on, learnt from `source` (a LearntFrom), with these lines
    (dicts of spec_no, num, batch_no, price). A return learnt meanwhile by a concurrent call is the one kept."""
    try:
        with transaction.atomic():
            purchase_return = SandboxReturn.objects.create(return_no=return_no, learnt_from=source)
            SandboxReturnLine.objects.bulk_create(_line(purchase_return, line) for line in lines)
    except IntegrityError:
        purchase_return = SandboxReturn.objects.get(return_no=return_no)
    return purchase_return


def _line(purchase_return: SandboxReturn, line: dict[str, Any]) -> SandboxReturnLine:
    return SandboxReturnLine(
        purchase_return=purchase_return, spec_no=line["spec_no"], num=Decimal(str(line.get("num", "1"))),
        batch_no=line.get("batch_no", "") or "",
        price=Decimal(str(line["price"])) if line.get("price") not in (None, "") else None)


def _known_or_learnt(return_no: str, lines: list[dict[str, Any]], quantity: str,
                     source: str) -> SandboxReturn | None:
    """The return the call names: known, or (training mode) learnt from the call's lines; None if unknown."""
    purchase_return = SandboxReturn.objects.filter(return_no=return_no).first()
    if purchase_return is None and training():
        purchase_return = learn(return_no, _learnt_lines(lines, quantity), source)
    elif purchase_return is not None and purchase_return.learnt and training():
        # A learnt return learns the lines a later call brings (a settlement of a return learnt from its stop).
        known = set(purchase_return.lines.values_list("spec_no", flat=True))
        new = [line for line in _learnt_lines(lines, quantity) if line["spec_no"] not in known]
        SandboxReturnLine.objects.bulk_create(_line(purchase_return, line) for line in new)
    return purchase_return


# --- what each call does ---------------------------------------------------------------------------

def stop_waiting(return_nos: list[str]) -> list[dict[str, str]]:
    """`purchase.PurchaseReturn.pending`: stop the known returns; one error_info entry per unknown number (in
    training mode an unknown number is learnt and stopped).

    Stopping a return that is already stopped succeeds again (a retry must not turn into an error).
    """
    if training():
        for return_no in set(return_nos) - set(
                SandboxReturn.objects.filter(return_no__in=return_nos).values_list("return_no", flat=True)):
            learn(return_no, [], LearntFrom.STOP_WAITING)
    known = set(SandboxReturn.objects.filter(return_no__in=return_nos).values_list("return_no", flat=True))
    SandboxReturn.objects.filter(return_no__in=known, waiting=True).update(waiting=False, stopped_at=timezone.now())
    return [{"order_no": no, "message": UNKNOWN_RETURN} for no in return_nos if no not in known]


def _check_spec_nos(purchase_return: SandboxReturn, lines: list[dict[str, Any]]) -> None:
    known = set(purchase_return.lines.values_list("spec_no", flat=True))
    for index, line in enumerate(lines, start=1):
        if str(line["spec_no"]) not in known:
            raise Refusal(f"detail_list第{index}行：采购退货单{purchase_return.return_no}"
                          f"中没有商家编码{line['spec_no']}")


@dataclass(frozen=True)
class PushResult:
    outbound: SandboxOutbound
    created: bool


def push_outbound(info: dict[str, Any]) -> PushResult:
    """`purchase_return_order_push.php`: create the outbound order once per `outer_no` (a repeat creates nothing)."""
    outer_no = str(info["outer_no"])
    existing = SandboxOutbound.objects.filter(outer_no=outer_no).first()
    if existing is not None:
        return PushResult(existing, created=False)
    purchase_return = _known_or_learnt(str(info["return_no"]), info["detail_list"], "num", LearntFrom.OUTBOUND)
    if purchase_return is None:
        raise Refusal(f"{UNKNOWN_RETURN}：{info['return_no']}")
    _check_spec_nos(purchase_return, info["detail_list"])
    try:
        with transaction.atomic():
            outbound = SandboxOutbound.objects.create(outer_no=outer_no, return_no=purchase_return.return_no,
                                                      payload=info)
    except IntegrityError:
        # A concurrent push with the same outer_no won the race: that one is the order.
        return PushResult(SandboxOutbound.objects.get(outer_no=outer_no), created=False)
    return PushResult(outbound, created=True)


def next_number(prefix: str) -> str:
    """`prefix` + today (Asia/Shanghai) + a 4-digit sequence, unique across processes.

    The counter row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite takes its write lock at BEGIN with
    this project's IMMEDIATE transactions), and the caller's unique constraint backs it up.
    """
    key = f"{prefix}{timezone.localdate():%Y%m%d}"
    with transaction.atomic():
        counter, _ = SandboxCounter.objects.select_for_update().get_or_create(key=key)
        counter.value += 1
        counter.save(update_fields=["value"])
    return f"{key}{counter.value:04d}"


def create_settlement(order: dict[str, Any], lines: list[dict[str, Any]]) -> SandboxSettlement:
    """`finance.settle.PurchaseReturn.upload`: a new settlement order every time (the call has no idempotency key)."""
    return_no = str(order["return_no"])
    if parse_flag(order.get("fuzzy_query", False)):
        matches = list(SandboxReturn.objects.filter(return_no__icontains=return_no)[:2])
        if not matches and training():
            matches = [_known_or_learnt(return_no, lines, "settle_num", LearntFrom.SETTLEMENT)]
        if len(matches) != 1:
            raise Refusal(FUZZY_NO_SINGLE_MATCH)
        purchase_return = matches[0]
    else:
        purchase_return = _known_or_learnt(return_no, lines, "settle_num", LearntFrom.SETTLEMENT)
        if purchase_return is None:
            raise Refusal(f"{UNKNOWN_RETURN}：{return_no}")
    _check_spec_nos(purchase_return, lines)
    with transaction.atomic():
        return SandboxSettlement.objects.create(order_no=next_number("JS"), return_no=purchase_return.return_no,
                                                payload={"settle_order": order, "detail_list": lines})
