"""Writing the call log, and the context (who, which document) that each row records.

Services say who is calling and for which document with `call_context(...)`; the client stays free of
portal models and only hands each attempt's facts to `record_call`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from .models import WdtCall


@dataclass(frozen=True)
class CallContext:
    user: Any = None
    document_type: str = ""
    document_id: str = ""
    document_label: str = ""


_current: ContextVar[CallContext] = ContextVar("wdt_call_context", default=CallContext())  # noqa: B039 - frozen


@contextmanager
def call_context(*, user: Any = None, document: Any = None, label: str = "") -> Iterator[CallContext]:
    """Attach `user` and `document` (a model instance) to every call made inside the block."""
    doc_type = doc_id = ""
    if document is not None and hasattr(document, "_meta"):
        doc_type, doc_id = document._meta.label_lower, str(document.pk)
        label = label or str(document)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    token = _current.set(CallContext(user, doc_type, doc_id, label[:200]))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_context() -> CallContext:
    return _current.get()


def _fit(fields: dict[str, Any]) -> dict[str, Any]:
    """Cut text to each column's max length: a long code or method from a gateway must not fail the insert."""
    for field in WdtCall._meta.concrete_fields:
        value = fields.get(field.name)
        if field.max_length and isinstance(value, str) and len(value) > field.max_length:
            fields[field.name] = value[: field.max_length]
    return fields


def record_call(**fields: Any) -> WdtCall:
    """Store one attempt. `fields` are WdtCall fields; who and which document come from the context."""
    ctx = _current.get()
    fields = _fit({
        "user": ctx.user,
        "document_type": ctx.document_type,
        "document_id": ctx.document_id,
        "document_label": ctx.document_label,
        **fields,
    })
    # In a savepoint: a failed insert must not poison a transaction the caller may have open (PostgreSQL).
    with transaction.atomic():
        return WdtCall.objects.create(**fields)
