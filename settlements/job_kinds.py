"""The background jobs of settlement drafts, registered with wdtportal.jobs when the app is ready."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from wdtportal.jobs.kinds import UNKNOWN_ONLY, KindSpec, register_kind

from . import services

SUBMIT = "settlement_submit"
# A supervisor's "send again" of drafts in unknown (after the confirmation page); never started otherwise.
SEND_AGAIN = "settlement_send_again"

MODEL = "settlements.SettlementDraft"


def _submit(documents: Sequence[Any], user: Any) -> list[Any]:
    return [services.settlement_submit(draft=d, user=user) for d in documents]


def _send_again(documents: Sequence[Any], user: Any) -> list[Any]:
    return [services.settlement_send_again(draft=d, user=user) for d in documents]


def register() -> None:
    register_kind(KindSpec(SUBMIT, _("在旺店通创建结算单"), MODEL, "state", _submit))
    register_kind(KindSpec(SEND_AGAIN, _("主管确认后重新创建结算单"), MODEL, "state", _send_again,
                           queueable=UNKNOWN_ONLY))
