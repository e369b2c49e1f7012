"""The background jobs of purchase returns, registered with wdtportal.jobs when the app is ready."""

from collections.abc import Callable, Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from wdtportal.jobs.kinds import UNKNOWN_ONLY, KindSpec, register_kind

from . import services

PUSH_OUTBOUND = "return_push_outbound"
STOP_WAITING = "returns_stop_waiting"
# A supervisor's "send again" of returns in unknown (after the confirmation page); never started otherwise.
OUTBOUND_SEND_AGAIN = "return_outbound_send_again"
WAITING_SEND_AGAIN = "return_waiting_send_again"
# A supervisor's "mark done" of returns in unknown after "select all N" (ticked rows are marked in the request).
OUTBOUND_MARK_DONE = "return_outbound_mark_done"
WAITING_MARK_DONE = "return_waiting_mark_done"
MARK_DONE_BATCH = 100
MARK_DONE_QUEUED = _("主管确认旺店通中已存在，加入后台任务 #%(id)s 标记为已完成")

MODEL = "returns.PurchaseReturn"


def _push_outbound(documents: Sequence[Any], user: Any) -> list[Any]:
    return [services.return_push_outbound(purchase_return=d, user=user) for d in documents]


def _stop_waiting(documents: Sequence[Any], user: Any) -> list[Any]:
    return list(services.returns_stop_waiting(purchase_returns=list(documents), user=user))


def _sender_again(field: str) -> Callable[[Sequence[Any], Any], list[Any]]:
    """The sender of a supervisor's "send again" of one state field (returns queued from unknown by the job)."""
    def send(documents: Sequence[Any], user: Any) -> list[Any]:
        return services.returns_send_again(purchase_returns=documents, user=user, field=field)
    return send


def _marker_done(field: str) -> Callable[[Sequence[Any], Any], list[Any]]:
    """The sender of a supervisor's "mark done" of one state field (returns queued from unknown by the job)."""
    def mark(documents: Sequence[Any], user: Any) -> list[Any]:
        return [services.return_resolve_unknown(purchase_return=d, user=user, action="mark_done", field=field,
                                                queued=True) for d in documents]
    return mark


def register() -> None:
    register_kind(KindSpec(PUSH_OUTBOUND, _("创建旺店通出库单"), MODEL, "outbound_state", _push_outbound))
    # As many numbers a request as WDT takes (the service's chunk, 500): 1,201 returns go in three requests.
    register_kind(KindSpec(STOP_WAITING, _("停止等待采购退货"), MODEL, "waiting_state", _stop_waiting,
                           batch_size=services.STOP_WAITING_CHUNK))
    register_kind(KindSpec(OUTBOUND_SEND_AGAIN, _("主管确认后重新创建出库单"), MODEL, "outbound_state",
                           _sender_again("outbound_state"), queueable=UNKNOWN_ONLY))
    # Stopping again goes as the first stop went: up to 500 numbers a request.
    register_kind(KindSpec(WAITING_SEND_AGAIN, _("主管确认后重新停止等待"), MODEL, "waiting_state",
                           _sender_again("waiting_state"), batch_size=services.STOP_WAITING_CHUNK,
                           queueable=UNKNOWN_ONLY))
    # No call to WDT: a batch is only database work (each return its own transaction).
    for kind, label, field in ((OUTBOUND_MARK_DONE, _("主管确认出库单已存在，标记为已完成"), "outbound_state"),
                               (WAITING_MARK_DONE, _("主管确认已停止等待，标记为已完成"), "waiting_state")):
        register_kind(KindSpec(kind, label, MODEL, field, _marker_done(field), batch_size=MARK_DONE_BATCH,
                               queueable=UNKNOWN_ONLY, queue_reason=MARK_DONE_QUEUED))
