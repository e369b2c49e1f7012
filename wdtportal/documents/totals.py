"""A document's totals, kept on the document so that no list or export counts its lines: how many lines, Σ quantity
and Σ amount (each line's quantity × price rounded to four decimals, as the import preview and the exports show
it, so that the total is the sum of the amounts a clerk sees; a line without a price counts 0).

`totals_of` is the one place the totals are computed from lines, with `numbers.amount` for each line. Every path
that writes lines writes the totals in the same transaction: the services and the admin through
`document_recount` (or `totals_of` on the lines they have in hand), the Excel import from the rows it inserts
(wdtportal/excel/documents.py), the demo loader and the test factories. The data migration that filled them for
existing rows (returns/migrations/0006, settlements/migrations/0004, migration_ops.py) applies the same rule in SQL.
A job's page sums the stored amounts of its documents (`documents_amount`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from django.db import models
from django.db.models import DecimalField, Q, Sum
from django.db.models.functions import Coalesce

from .numbers import EXACT_DIGITS, amount
from .registry import lines_of

ZERO = Decimal("0")
# A sum of documents' amounts (decimal(38,4) each).
TOTAL = DecimalField(max_digits=38, decimal_places=4)


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
    """The totals of lines given as (quantity, price or None): the count, Σ quantity, and Σ of each line's amount
    (quantity × price rounded half up to four decimals); a line without a price adds nothing to the amount."""
    count = 0
    quantity = ZERO
    total = ZERO
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        for line_quantity, price in lines:
            count += 1
            quantity += line_quantity
            total += amount(line_quantity, price) or ZERO
    return Totals(count, quantity, total)


def document_recount(document: Any) -> Totals:
    """Read the document's stored lines, and write their totals on it (one query each); the caller's transaction
    holds the lines it just wrote. The copy passed in gets the new totals too."""
    model = type(document)
    lines = lines_of(model)
    pairs = getattr(document, lines.relation).order_by().values_list(lines.quantity, lines.price)
    totals = totals_of(pairs)
    model._default_manager.filter(pk=document.pk).update(**totals.fields())
    for name, value in totals.fields().items():
        setattr(document, name, value)
    return totals


def documents_amount(model: type[models.Model], documents: Any, *, done: Any = None) -> tuple[Decimal, Decimal]:
    """(Σ amount of `documents`, Σ amount of those among them in `done`): both querysets of primary keys (or
    lists), summed from the stored totals in one query."""
    zero = models.Value(ZERO, output_field=TOTAL)
    sums = model._default_manager.filter(pk__in=documents).aggregate(
        all=Coalesce(Sum("total_amount", output_field=TOTAL), zero),
        done=Coalesce(Sum("total_amount", filter=Q(pk__in=done), output_field=TOTAL), zero)
        if done is not None else zero,
    )
    return sums["all"], sums["done"]
