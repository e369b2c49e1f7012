"""The states of a document and which moves between them are allowed (`transitions.move` makes them).

draft → ready (validated) → queued → sending → done, or failed (WDT refused: editable, sendable again),
or unknown (no answer after the request may have reached WDT: sent again automatically only where WDT deduplicates,
resending.py; otherwise, and after the last attempt, held for a supervisor, never resent blindly).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    READY = "ready", _("已校验")
    QUEUED = "queued", _("排队中")
    SENDING = "sending", _("发送中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    UNKNOWN = "unknown", _("结果未知")


S = DocumentState

# Which moves are allowed; anything else is a programming error, not a user error.
# A document never moves to the state it is in: that would record a change that changed nothing.
ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.READY, S.QUEUED, S.SENDING},
    S.READY: {S.DRAFT, S.QUEUED, S.SENDING},
    # Back to unknown: a supervisor's send-again job that did not send after all gives the state back.
    # Done: a supervisor's mark-done job (queued from unknown, never sent) marks what she found in WDT.
    S.QUEUED: {S.SENDING, S.DRAFT, S.READY, S.FAILED, S.UNKNOWN, S.DONE},
    S.SENDING: {S.DONE, S.FAILED, S.UNKNOWN},
    S.FAILED: {S.DRAFT, S.READY, S.QUEUED, S.SENDING},
    S.UNKNOWN: {S.DONE, S.QUEUED, S.SENDING},
    S.DONE: set(),
}

# States in which the clerk may still edit the document.
EDITABLE = {S.DRAFT, S.READY, S.FAILED}
# States from which a send may start.
SENDABLE = {S.DRAFT, S.READY, S.FAILED, S.QUEUED}


def state_label(value: str) -> str:
    """The label of a state, in the active language; "" for none (an export's empty cell)."""
    return str(DocumentState(value).label) if value else ""
