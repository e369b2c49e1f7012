"""Document states and the one function that moves a document between them.

draft → ready (validated) → queued → sending → done, or failed (WDT refused: editable, sendable again),
or unknown (no answer after the request may have reached WDT: held for a supervisor, never resent blindly).
"""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
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
    S.QUEUED: {S.SENDING, S.DRAFT, S.READY, S.FAILED, S.UNKNOWN},
    S.SENDING: {S.DONE, S.FAILED, S.UNKNOWN},
    S.FAILED: {S.DRAFT, S.READY, S.QUEUED, S.SENDING},
    S.UNKNOWN: {S.DONE, S.QUEUED, S.SENDING},
    S.DONE: set(),
}

# States in which the clerk may still edit the document.
EDITABLE = {S.DRAFT, S.READY, S.FAILED}
# States from which a send may start.
SENDABLE = {S.DRAFT, S.READY, S.FAILED, S.QUEUED}

class IllegalTransition(Exception):
    """A move the state machine does not allow: a programming error, not a user error."""


class StaleState(Exception):
    """The row is no longer in the state this copy of the document shows: someone moved it meanwhile.

    Nothing was written. Callers that act on a selection re-read the row (under lock) and decide again.
    """


def _check(document: Any, field: str, current: str, to: str) -> None:
    if to not in ALLOWED[current]:
        raise IllegalTransition(f"{document._meta.label} {document.pk}: {field} {current} → {to}")


def move(document: Any, field: str, to: str, *, user: Any = None, reason: str = "") -> None:
    """Move `document.<field>` to state `to`, recording who, when and why in its history.

    A compare-and-set: the row is updated only if it is still in the state this copy shows, else
    `StaleState` is raised and nothing changes (a copy read before a job queued or sent the document must not
    move it back). Only the state (and `updated_at`) is written, never the copy's other, possibly stale, fields.
    """
    from .models import StateChange

    current = getattr(document, field)
    _check(document, field, current, to)
    model = type(document)
    update: dict[str, Any] = {field: to}
    if hasattr(document, "updated_at"):
        update["updated_at"] = timezone.now()
    if not model._default_manager.filter(pk=document.pk, **{field: current}).update(**update):
        raise StaleState(f"{document._meta.label} {document.pk}: {field} is no longer {current}")
    for name, value in update.items():
        setattr(document, name, value)
    StateChange.objects.create(
        content_type=ContentType.objects.get_for_model(document, for_concrete_model=True),
        object_id=document.pk,
        field=field,
        from_state=current,
        to_state=to,
        user=user if getattr(user, "is_authenticated", False) else None,
        reason=reason[:500],
    )


def move_many(documents: list[Any], field: str, to: str, *, user: Any = None, reason: str = "") -> None:
    """`move` for many documents of one model with few queries, for bulk sends (stop waiting, jobs).

    Also a compare-and-set: if any row is no longer in the state its copy shows, `StaleState` is raised and
    none of them moves.
    """
    from .models import StateChange

    if not documents:
        return
    model = type(documents[0])
    by_state: dict[str, set[Any]] = {}
    for document in documents:
        current = getattr(document, field)
        _check(document, field, current, to)
        by_state.setdefault(current, set()).add(document.pk)
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    user = user if getattr(user, "is_authenticated", False) else None
    changes = [StateChange(content_type=content_type, object_id=d.pk, field=field, from_state=getattr(d, field),
                           to_state=to, user=user, reason=reason[:500]) for d in documents]
    update: dict[str, Any] = {field: to}
    if hasattr(model, "updated_at"):
        update["updated_at"] = timezone.now()
    with transaction.atomic():
        for current, pks in by_state.items():
            if model._default_manager.filter(pk__in=pks, **{field: current}).update(**update) != len(pks):
                raise StaleState(f"{model._meta.label}: {field} of some of {len(pks)} documents is no longer {current}")
        StateChange.objects.bulk_create(changes, batch_size=500)
    for document in documents:
        for name, value in update.items():
            setattr(document, name, value)
