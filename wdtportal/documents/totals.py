"""A document's totals: how much it returns (Σ quantity) and what that is worth (Σ quantity × price), computed in
the database from its lines, for any kind of document registered with its lines (registry.Lines).

Until the totals are kept on the documents themselves (written with their lines, issue 11), the list pages annotate
them (`totals_annotations`) and a job's page sums them (`documents_amount`): both in one query, whatever the count.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, Round

from .registry import Lines, lines_of

# Σ quantity × price of four-decimal values, kept to four decimals as the documents' own money.
TOTAL = DecimalField(max_digits=30, decimal_places=4)


def _worth(quantity: F, price: F) -> Any:
    """One line's amount, rounded to four decimals line by line as the import preview rounds it (numbers.amount)."""
    return Round(ExpressionWrapper(quantity * price, output_field=TOTAL), 4, output_field=TOTAL)


def _line_model(model: type[models.Model], lines: Lines) -> tuple[type[models.Model], str]:
    relation = model._meta.get_field(lines.relation)
    return relation.related_model, relation.field.name


def totals_annotations(model: type[models.Model]) -> dict[str, Any]:
    """`total_quantity` and `total_amount` of each document of a queryset of `model` (None without priced lines)."""
    lines = lines_of(model)
    if lines is None:
        return {}
    quantity, price = f"{lines.relation}__{lines.quantity}", f"{lines.relation}__{lines.price}"
    return {
        "total_quantity": Sum(quantity, output_field=TOTAL),
        "total_amount": Sum(_worth(F(quantity), F(price))),
    }


def documents_amount(model: type[models.Model], documents: Any, *, done: Any = None) -> tuple[Decimal, Decimal]:
    """(Σ amount of `documents`, Σ amount of those among them in `done`): both querysets of primary keys (or
    lists), summed over their lines in one query. (0, 0) for a kind without lines."""
    lines = lines_of(model)
    if lines is None:
        return Decimal(0), Decimal(0)
    line_model, fk = _line_model(model, lines)
    worth = _worth(F(lines.quantity), F(lines.price))
    zero = models.Value(Decimal(0), output_field=TOTAL)
    sums = line_model.objects.filter(**{f"{fk}__in": documents}).aggregate(
        all=Coalesce(Sum(worth), zero),
        done=Coalesce(Sum(worth, filter=Q(**{f"{fk}__in": done})), zero) if done is not None else zero,
    )
    return sums["all"], sums["done"]
