"""How the portal shows money and quantities, the same on every page (lists, document pages, the import preview,
job pages, the dashboard), as an accountant reads them:

- money with two decimals, more only when the value has more: 12 → "12.00", 29.1 → "29.10", 1.2345 → "1.2345";
- quantities (and rates) without trailing zeros: 2.0000 → "2", 2.5000 → "2.5";
- thousands grouped as the active language groups them (1,234.50), except in form inputs, which must read back.

The database keeps four decimals (decimal(19,4)) and exports keep every one of them: only the showing is shorter.
Which fields are money is said once, here, by name (`MONEY_FIELDS`): every document and line names its prices and
fees the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django import forms
from django.utils.formats import number_format

MONEY = "money"
QUANTITY = "quantity"
# Fields (and computed totals) holding money; every other decimal is a quantity or a rate.
MONEY_FIELDS = frozenset({"price", "post_cost", "post_fee", "other_fee", "amount", "total_amount"})
# Amounts (num × price, and their sums) are kept to the four decimals the documents have.
AMOUNT_PLACES = Decimal("0.0001")
# Digits a product of two decimal(19,4) values and a sum of many of them need, so that nothing is rounded before
# the four decimals of an amount.
EXACT_DIGITS = 80


def _places(value: Decimal, at_least: int) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(at_least, -exponent if isinstance(exponent, int) and exponent < 0 else 0)


def _shown(value: Any, at_least: int, grouping: bool) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    places = _places(value, at_least)
    if grouping:
        return number_format(value, places, force_grouping=True)
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def money(value: Any, *, grouping: bool = True) -> str:
    """1234.5 → "1,234.50"; 1.2345 → "1.2345"; None → ""."""
    return _shown(value, 2, grouping)


def quantity(value: Any, *, grouping: bool = True) -> str:
    """2.0000 → "2"; 1234.5 → "1,234.5"; None → ""."""
    return _shown(value, 0, grouping)


def kind_of(name: str) -> str:
    """MONEY or QUANTITY, for a field (or total) of this name."""
    return MONEY if name in MONEY_FIELDS else QUANTITY


def shown(value: Any, name: str, *, grouping: bool = True) -> str:
    """The value of the decimal field `name` as every page shows it."""
    return money(value, grouping=grouping) if kind_of(name) == MONEY else quantity(value, grouping=grouping)


def amount(quantity_value: Decimal | None, price: Decimal | None) -> Decimal | None:
    """What one line is worth: quantity × price, computed exactly and rounded half up to four decimals; None
    without a price. (Two decimal(19,4) values make up to 38 digits: wider than Python's default precision.)"""
    if quantity_value is None or price is None:
        return None
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        return (quantity_value * price).quantize(AMOUNT_PLACES, rounding=ROUND_HALF_UP)


class DecimalInput(forms.NumberInput):
    """A decimal field's input showing its value as the pages do (12.00, not 12.0000), without grouping, so that it
    saves back unchanged."""

    def __init__(self, *args: Any, kind: str = QUANTITY, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal):
            return money(value, grouping=False) if self.kind == MONEY else quantity(value, grouping=False)
        return super().format_value(value)
