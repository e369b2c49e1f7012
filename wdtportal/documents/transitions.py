"""The one way a document changes state: `move` (and `move_many` for a selection), recording who, when and why.

Both are compare-and-set: a copy of a document read before someone else moved it cannot move it back.
"""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from .models import StateChange
from .resending import record_moves
from .states import ALLOWED


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
    # The automatic re-send's schedule follows the move, in its transaction (resending.py).
    record_moves(model, field, [document.pk], to)


def move_many(documents: list[Any], field: str, to: str, *, user: Any = None, reason: str = "") -> None:
    """`move` for many documents of one model with few queries, for bulk sends (stop waiting, jobs).

    Also a compare-and-set: if any row is no longer in the state its copy shows, `StaleState` is raised and
    none of them moves.
    """
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
        record_moves(model, field, [d.pk for d in documents], to)
    for document in documents:
        for name, value in update.items():
            setattr(document, name, value)
