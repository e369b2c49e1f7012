"""A document's totals, kept on the document so that no list or export counts its lines: how many lines, Σ quantity
and Σ amount (quantity × price; a line without a price counts 0).

`totals_of` is the one place the totals are computed from lines. Every path that writes lines writes the totals in
the same transaction: the services and the admin through `document_recount` (or `totals_of` on the lines they
have in hand), the Excel import from the rows it inserts (wdtportal/excel/documents.py), the demo loader and the
test factories. The data migration that filled them for existing rows (returns/migrations/0006,
settlements/migrations/0004) applies the same rule in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

# Amounts are kept to 4 decimals, as the prices they come from (decimal(19,4)), rounded half up once, on the total.
AMOUNT_PLACES = Decimal("0.0001")
ZERO = Decimal("0")
# Wide enough for a product of two decimal(19,4) (30 integer digits, 8 decimals) and its sum, without rounding.
EXACT = 80


@dataclass(frozen=True)
class Totals:
    line_count: int
    total_quantity: Decimal
    total_amount: Decimal

    def fields(self) -> dict[str, Any]:
        """The totals by field name, to create or update a document with."""
        return {"line_count": self.line_count, "total_quantity": self.total_quantity,
                "total_amount": self.total_amount}


TOTAL_FIELDS = ("line_count", "total_quantity", "total_amount")


def totals_of(lines: Iterable[tuple[Decimal, Decimal | None]]) -> Totals:
    """The totals of lines given as (quantity, price or None): the count, Σ quantity, and Σ quantity × price
    computed exactly and rounded half up to 4 decimals; a line without a price adds nothing to the amount."""
    count = 0
    quantity = ZERO
    amount = ZERO
    with localcontext() as context:
        context.prec = EXACT
        for line_quantity, price in lines:
            count += 1
            quantity += line_quantity
            if price is not None:
                amount += line_quantity * price
        return Totals(count, quantity, amount.quantize(AMOUNT_PLACES, rounding=ROUND_HALF_UP))


def document_recount(document: Any) -> Totals:
    """Read the document's stored lines, and write their totals on it (one query each); the caller's transaction
    holds the lines it just wrote. The copy passed in gets the new totals too."""
    model = type(document)
    pairs = document.lines.order_by().values_list(model.line_quantity_field, "price")
    totals = totals_of(pairs)
    model._default_manager.filter(pk=document.pk).update(**totals.fields())
    for name, value in totals.fields().items():
        setattr(document, name, value)
    return totals
