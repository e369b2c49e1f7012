"""What each kind of job does with its documents: which model, which state field, which service, batch size.

The sending itself is the service layer's (returns/services.py, settlements/services.py): a job only hands it
the documents it has queued and records the `SendResult` of each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models

from .models import JobKind

# send(documents, user) → one result per document, each with `.document`, `.outcome` and `.message`.
Sender = Callable[[Sequence[Any], Any], Sequence[Any]]


@dataclass(frozen=True)
class KindSpec:
    name: str
    model_label: str
    state_field: str
    batch_size: int
    send: Sender

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


def _push_outbound(documents: Sequence[Any], user: Any) -> list[Any]:
    from returns.services import return_push_outbound

    return [return_push_outbound(purchase_return=d, user=user) for d in documents]


def _stop_waiting(documents: Sequence[Any], user: Any) -> list[Any]:
    from returns.services import returns_stop_waiting

    return list(returns_stop_waiting(purchase_returns=list(documents), user=user))


def _settlement_submit(documents: Sequence[Any], user: Any) -> list[Any]:
    from settlements.services import settlement_submit

    return [settlement_submit(draft=d, user=user) for d in documents]


KINDS: dict[str, KindSpec] = {
    JobKind.RETURN_PUSH_OUTBOUND: KindSpec(JobKind.RETURN_PUSH_OUTBOUND, "returns.PurchaseReturn", "outbound_state",
                                           1, _push_outbound),
    # WDT takes up to 500 numbers a request; 100 keeps the progress bar moving.
    JobKind.RETURNS_STOP_WAITING: KindSpec(JobKind.RETURNS_STOP_WAITING, "returns.PurchaseReturn", "waiting_state",
                                           100, _stop_waiting),
    JobKind.SETTLEMENT_SUBMIT: KindSpec(JobKind.SETTLEMENT_SUBMIT, "settlements.SettlementDraft", "state",
                                        1, _settlement_submit),
}


def get_kind(name: str) -> KindSpec:
    return KINDS[name]
