"""The background jobs of purchase returns, registered with wdtportal.jobs when the app is ready."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from wdtportal.jobs.kinds import UNKNOWN_ONLY, KindSpec, register_kind

from . import services

PUSH_OUTBOUND = "return_push_outbound"
STOP_WAITING = "returns_stop_waiting"
# A supervisor's "send again" of returns in unknown (after the confirmation page); never started otherwise.
OUTBOUND_SEND_AGAIN = "return_outbound_send_again"
WAITING_SEND_AGAIN = "return_waiting_send_again"

MODEL = "returns.PurchaseReturn"


def _push_outbound(documents: Sequence[Any], user: Any) -> list[Any]:
    return [services.return_push_outbound(purchase_return=d, user=user) for d in documents]


def _stop_waiting(documents: Sequence[Any], user: Any) -> list[Any]:
    return list(services.returns_stop_waiting(purchase_returns=list(documents), user=user))


def _outbound_send_again(documents: Sequence[Any], user: Any) -> list[Any]:
    return [services.return_resolve_unknown(purchase_return=d, user=user, action="send_again",
                                            field="outbound_state") for d in documents]


def _waiting_send_again(documents: Sequence[Any], user: Any) -> list[Any]:
    return [services.return_resolve_unknown(purchase_return=d, user=user, action="send_again",
                                            field="waiting_state") for d in documents]


def register() -> None:
    register_kind(KindSpec(PUSH_OUTBOUND, _("创建旺店通出库单"), MODEL, "outbound_state", _push_outbound))
    # As many numbers a request as WDT takes (the service's chunk, 500): 1,201 returns go in three requests.
    register_kind(KindSpec(STOP_WAITING, _("停止等待采购退货"), MODEL, "waiting_state", _stop_waiting,
                           batch_size=services.STOP_WAITING_CHUNK))
    register_kind(KindSpec(OUTBOUND_SEND_AGAIN, _("主管确认后重新创建出库单"), MODEL, "outbound_state",
                           _outbound_send_again, queueable=UNKNOWN_ONLY))
    register_kind(KindSpec(WAITING_SEND_AGAIN, _("主管确认后重新停止等待"), MODEL, "waiting_state",
                           _waiting_send_again, queueable=UNKNOWN_ONLY))
