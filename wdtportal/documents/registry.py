"""The kinds of document the portal has, as their apps register them (in `AppConfig.ready`).

The core and the parts built on it (the dashboard, the sweep of stuck sends, jobs) learn from here which models are
documents and which state fields each follows, without importing any document app:

    documents.registry.register(PurchaseReturn, states={"outbound_state": _("采购退货 · 出库单"), ...},
                                lines=registry.Lines("lines", quantity="num"),
                                resend={"outbound_state": returns_resend_unknown, ...})

`resend` names the state fields whose send WDT deduplicates, so that one left unknown may be sent again by the
workers (resending.py), and the function that does it: `resend(pks, *, field, attempt, of)`, the documents' ids,
the field, which automatic attempt this is and of how many. A kind without a deduplication key (the settlement
upload) registers none: its unknown sends wait for a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class StateColumn:
    """One state a kind of document follows, with the heading people know it by."""

    model: type[models.Model]
    field: str
    heading: Any  # a lazy translation

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass(frozen=True)
class Lines:
    """Where a kind of document keeps its lines: the related name, and the fields of a line's quantity and unit
    price (its amount is quantity × price). The totals (documents/totals.py) are computed from these."""

    relation: str
    quantity: str
    price: str = "price"


_columns: list[StateColumn] = []
_lines: dict[type[models.Model], Lines] = {}
# resend(pks, *, field, attempt, of) → the send results (see the module's docstring).
Resender = Callable[..., Any]
_resenders: dict[tuple[type[models.Model], str], Resender] = {}


def register(model: type[models.Model], *, states: Mapping[str, Any], lines: Lines | None = None,
             resend: Mapping[str, Resender] | None = None) -> None:
    """Make `model` a document with these state fields (field name → heading) and these lines; `resend`: the state
    fields re-sent automatically when their outcome is unknown, and how. Registering again is a no-op."""
    if lines is not None:
        _lines[model] = lines
    for field, resender in (resend or {}).items():
        _resenders[(model, field)] = resender
    for field, heading in states.items():
        column = StateColumn(model, field, heading)
        if all((c.model, c.field) != (model, field) for c in _columns):
            _columns.append(column)


def state_columns() -> list[StateColumn]:
    """Every registered (model, state field), in the order the apps registered them."""
    return list(_columns)


def document_models() -> list[type[models.Model]]:
    return list(dict.fromkeys(c.model for c in _columns))


def state_fields(model: type[models.Model]) -> list[str]:
    return [c.field for c in _columns if c.model is model]


def lines_of(model: type[models.Model]) -> Lines | None:
    """Where documents of `model` keep their lines (None for a kind registered without lines)."""
    return _lines.get(model)


def resender(model: type[models.Model], field: str) -> Resender | None:
    """How documents of `model` left unknown in `field` are sent again, or None: never automatically."""
    return _resenders.get((model, field))


def resendable() -> list[tuple[type[models.Model], str]]:
    """Every (model, state field) re-sent automatically."""
    return list(_resenders)
