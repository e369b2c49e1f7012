"""What the portal does with any document, whatever its kind: check it against WDT's rules, validate it (draft ↔
ready), note a clerk's edit, and the permission check every service makes first.

The document apps wrap these with their own state field and rules (`returns.services.return_validate`,
`settlements.services.settlement_validate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import results
from .results import SendResult
from .states import EDITABLE, DocumentState
from .transitions import move

S = DocumentState

# Validation and edits of any kind of document (a return's outbound order, a settlement draft): `field` is the
# state they move, `errors_of` the rules they are checked against.
ErrorsOf = Callable[[Any], list[str]]


def require_perm(user: Any, perm: str) -> None:
    """Refuse a person without `perm`. `user=None` is the system itself (commands, migrations)."""
    if user is not None and not user.has_perm(perm):
        raise PermissionDenied(_("没有权限执行此操作"))


def decimal_text(value: Decimal) -> str:
    """A Decimal as WDT wants it: a plain string without exponent or trailing zeros ("2", "0.5")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# --- rules -------------------------------------------------------------------------------------------

def _messages(error: ValidationError, model: Any, prefix: str = "") -> list[str]:
    found = []
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            label = str(model._meta.get_field(name).verbose_name) if name != "__all__" else ""
            for message in errors:
                found.append(f"{prefix}{label}：{message}" if label else f"{prefix}{message}")
    else:
        found.extend(f"{prefix}{m}" for m in error.messages)
    return found


def lines_unique_errors(lines: list[Any]) -> list[str]:
    """The same spec_no + batch_no twice in one document is an error (checked before saving)."""
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for index, line in enumerate(lines, start=1):
        key = (line.spec_no, line.batch_no or "")
        if key in seen:
            errors.append(_("第%(a)s行与第%(b)s行的商家编码和批次号相同：%(spec)s %(batch)s")
                          % {"a": seen[key], "b": index, "spec": key[0], "batch": key[1]})
        else:
            seen[key] = index
    return errors


def document_errors(document: Any, lines: list[Any], *, line_exclude: list[str]) -> list[str]:
    """Every rule a document and its lines break, as Chinese sentences."""
    errors: list[str] = []
    try:
        document.full_clean(validate_unique=True)
    except ValidationError as exc:
        errors.extend(_messages(exc, document))
    if not lines:
        errors.append(_("至少需要一行明细，请添加明细后再校验"))
    for index, line in enumerate(lines, start=1):
        try:
            line.full_clean(exclude=line_exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            prefix = (_("第%(n)s行 %(spec)s ") % {"n": index, "spec": line.spec_no} if line.spec_no
                      else _("第%(n)s行 ") % {"n": index})
            errors.extend(_messages(exc, line, prefix=prefix))
    errors.extend(lines_unique_errors(lines))
    return errors


# --- validate and edit -------------------------------------------------------------------------------

def _locked(document: Any) -> Any | None:
    """The document as it is now in the database, its row locked until the end of the transaction."""
    return type(document)._default_manager.select_for_update().filter(pk=document.pk).first()


def _validate_locked(document: Any, *, field: str, errors_of: ErrorsOf, user: Any) -> list[str]:
    """Validate a document whose row the caller has locked (read fresh): valid drafts (and failed ones) become
    ready, an invalid ready one goes back to draft; other states are checked but never moved."""
    errors = errors_of(document)
    state = getattr(document, field)
    if not errors and state in (S.DRAFT, S.FAILED):
        move(document, field, S.READY, user=user, reason=_("校验通过"))
    elif errors and state == S.READY:
        move(document, field, S.DRAFT, user=user, reason=_("校验未通过"))
    return errors


@transaction.atomic
def document_validate(document: Any, *, field: str, errors_of: ErrorsOf, user: Any) -> list[str]:
    """Check one document against WDT's rules, moving it as `_validate_locked` says.

    The row is re-read under lock: the copy passed in may be older than a job that queued or sent it meanwhile,
    and must not make it ready (editable and sendable) again — for a settlement, a second order in WDT.
    """
    fresh = _locked(document)
    if fresh is None:
        return [_("单据已被删除")]
    errors = _validate_locked(fresh, field=field, errors_of=errors_of, user=user)
    setattr(document, field, getattr(fresh, field))
    return errors


def ready_message(user: Any, send_perm: str) -> str:
    """What a validated document waits for, said to whoever validated it: the hand-over to the 财务主管, who sends,
    or, for someone who may send, that it can be sent now."""
    if user is not None and not user.has_perm(send_perm):
        return _("已校验，等待财务主管发送")
    return _("已校验，可以发送到旺店通")


def documents_validate(documents: Iterable[Any], *, field: str, errors_of: ErrorsOf, user: Any,
                       send_perm: str = "") -> list[SendResult]:
    """`document_validate` for a selection, one result each (for the admin's per-document report). Each state is
    read again under lock, so a document that a job queued meanwhile is skipped, not moved. `send_perm`: the
    permission that sends such a document, to say who sends it next."""
    answers = []
    for document in documents:
        with transaction.atomic():
            fresh = _locked(document)
            if fresh is None:
                answers.append(results.skipped(document, _("单据已被删除")))
            elif getattr(fresh, field) not in EDITABLE:
                answers.append(results.skipped(fresh, _("状态为“%(s)s”，无需校验") % {
                    "s": S(getattr(fresh, field)).label}))
            else:
                errors = _validate_locked(fresh, field=field, errors_of=errors_of, user=user)
                answers.append(results.invalid(fresh, "；".join(errors)) if errors
                               else results.validated(fresh, ready_message(user, send_perm)))
    return answers


@transaction.atomic
def document_edited(document: Any, *, field: str, user: Any) -> None:
    """After a clerk's edit a validated document must be validated again (its state read fresh, under lock)."""
    fresh = _locked(document)
    if fresh is None:
        return
    if getattr(fresh, field) == S.READY:
        move(fresh, field, S.DRAFT, user=user, reason=_("单据已修改，需要重新校验"))
    setattr(document, field, getattr(fresh, field))
