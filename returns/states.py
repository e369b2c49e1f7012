"""Document states and the one function that moves a document between them.

draft → ready (validated) → queued → sending → done, or failed (WDT refused: editable, sendable again),
or unknown (no answer after the request may have reached WDT: held for a supervisor, never resent blindly).
"""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
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
ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.DRAFT, S.READY, S.QUEUED, S.SENDING},
    S.READY: {S.DRAFT, S.READY, S.QUEUED, S.SENDING},
    S.QUEUED: {S.SENDING, S.DRAFT, S.READY, S.FAILED},
    S.SENDING: {S.DONE, S.FAILED, S.UNKNOWN},
    S.FAILED: {S.DRAFT, S.READY, S.QUEUED, S.SENDING},
    S.UNKNOWN: {S.DONE, S.QUEUED, S.SENDING},
    S.DONE: set(),
}

# States in which the clerk may still edit the document.
EDITABLE = {S.DRAFT, S.READY, S.FAILED}
# States from which a send may start.
SENDABLE = {S.DRAFT, S.READY, S.FAILED, S.QUEUED}

STATE_COLOURS = {
    S.DRAFT: "#6b7280",
    S.READY: "#2563eb",
    S.QUEUED: "#7c3aed",
    S.SENDING: "#d97706",
    S.DONE: "#15803d",
    S.FAILED: "#dc2626",
    S.UNKNOWN: "#b45309",
}


class IllegalTransition(Exception):
    pass


def move(document: Any, field: str, to: str, *, user: Any = None, reason: str = "", save: bool = True) -> None:
    """Move `document.<field>` to state `to`, recording who, when and why in its history."""
    from .models import StateChange

    current = getattr(document, field)
    if to not in ALLOWED[current]:
        raise IllegalTransition(f"{document._meta.label} {document.pk}: {field} {current} → {to}")
    setattr(document, field, to)
    if save:
        fields = [field]
        if hasattr(document, "updated_at"):
            document.updated_at = timezone.now()
            fields.append("updated_at")
        document.save(update_fields=fields)
    StateChange.objects.create(
        content_type=ContentType.objects.get_for_model(document, for_concrete_model=True),
        object_id=document.pk,
        field=field,
        from_state=current,
        to_state=to,
        user=user if getattr(user, "is_authenticated", False) else None,
        reason=reason[:500],
    )


def move_many(documents: Any, field: str, to: str, *, user: Any = None, reason: str = "") -> int:
    """`move` for many documents of one model at once (a queryset, locked by the caller), in two queries per state.

    Only documents whose move to `to` is allowed are moved; returns how many were.
    """
    from .models import StateChange

    model = documents.model
    moved = 0
    now = timezone.now()
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    has_updated_at = any(f.name == "updated_at" for f in model._meta.fields)
    for current in [s for s in ALLOWED if to in ALLOWED[s]]:
        ids = list(documents.filter(**{field: current}).values_list("pk", flat=True))
        if not ids:
            continue
        values: dict[str, Any] = {field: to}
        if has_updated_at:
            values["updated_at"] = now
        model._default_manager.filter(pk__in=ids, **{field: current}).update(**values)
        StateChange.objects.bulk_create([
            StateChange(content_type=content_type, object_id=pk, field=field, from_state=current, to_state=to,
                        user=user if getattr(user, "is_authenticated", False) else None, reason=reason[:500])
            for pk in ids
        ])
        moved += len(ids)
    return moved
