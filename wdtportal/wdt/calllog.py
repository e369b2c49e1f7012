"""Writing the call log, and the context (who, which document) that each row records.

Services say who is calling and for which document with `call_context(...)`; the client stays free of
portal models and only hands each attempt's facts to `record_call`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

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


def record_call(**fields: Any) -> WdtCall:
    """Store one attempt. `fields` are WdtCall fields; who and which document come from the context."""
    ctx = _current.get()
    return WdtCall.objects.create(
        user=ctx.user,
        document_type=ctx.document_type,
        document_id=ctx.document_id,
        document_label=ctx.document_label,
        **fields,
    )
