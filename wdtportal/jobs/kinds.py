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

from returns.services import STOP_WAITING_CHUNK
from returns.states import DocumentState

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
    # The states from which the job queues a document; the others are skipped (see services.job_start).
    queueable: frozenset[str] = frozenset({DocumentState.DRAFT, DocumentState.READY, DocumentState.FAILED})

    @property
    def sends_again(self) -> bool:
        """A supervisor's explicit "send again" of documents in unknown: the only job that queues unknown ones."""
        return DocumentState.UNKNOWN in self.queueable

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


def _outbound_send_again(documents: Sequence[Any], user: Any) -> list[Any]:
    from returns.services import return_resolve_unknown

    return [return_resolve_unknown(purchase_return=d, user=user, action="send_again", field="outbound_state")
            for d in documents]


def _waiting_send_again(documents: Sequence[Any], user: Any) -> list[Any]:
    from returns.services import return_resolve_unknown

    return [return_resolve_unknown(purchase_return=d, user=user, action="send_again", field="waiting_state")
            for d in documents]


def _settlement_send_again(documents: Sequence[Any], user: Any) -> list[Any]:
    from settlements.services import settlement_send_again

    return [settlement_send_again(draft=d, user=user) for d in documents]


UNKNOWN_ONLY = frozenset({DocumentState.UNKNOWN})

KINDS: dict[str, KindSpec] = {
    JobKind.RETURN_PUSH_OUTBOUND: KindSpec(JobKind.RETURN_PUSH_OUTBOUND, "returns.PurchaseReturn", "outbound_state",
                                           1, _push_outbound),
    # As many numbers a request as WDT takes (the service's chunk, 500): 1,201 returns go in three requests.
    JobKind.RETURNS_STOP_WAITING: KindSpec(JobKind.RETURNS_STOP_WAITING, "returns.PurchaseReturn", "waiting_state",
                                           STOP_WAITING_CHUNK, _stop_waiting),
    JobKind.SETTLEMENT_SUBMIT: KindSpec(JobKind.SETTLEMENT_SUBMIT, "settlements.SettlementDraft", "state",
                                        1, _settlement_submit),
    JobKind.RETURN_OUTBOUND_SEND_AGAIN: KindSpec(JobKind.RETURN_OUTBOUND_SEND_AGAIN, "returns.PurchaseReturn",
                                                 "outbound_state", 1, _outbound_send_again, UNKNOWN_ONLY),
    JobKind.RETURN_WAITING_SEND_AGAIN: KindSpec(JobKind.RETURN_WAITING_SEND_AGAIN, "returns.PurchaseReturn",
                                                "waiting_state", 1, _waiting_send_again, UNKNOWN_ONLY),
    JobKind.SETTLEMENT_SEND_AGAIN: KindSpec(JobKind.SETTLEMENT_SEND_AGAIN, "settlements.SettlementDraft", "state",
                                            1, _settlement_send_again, UNKNOWN_ONLY),
}


def get_kind(name: str) -> KindSpec:
    return KINDS[name]
