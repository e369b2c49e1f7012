"""The kinds of job, as the document apps register them (in `AppConfig.ready`): which model, which state field,
which service sends a batch of its documents, and how many a batch holds.

The sending itself is the service layer's (returns/services.py, settlements/services.py): a job only hands it
the documents it has queued and records the `SendResult` of each. The jobs app knows no document app; it learns
the kinds from here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_lazy as _

from wdtportal.documents.states import DocumentState

# send(documents, user) → one result per document, each with `.document`, `.outcome` and `.message`.
Sender = Callable[[Sequence[Any], Any], Sequence[Any]]

#: The kinds of job that are one function call rather than a list of documents: an Excel import, an Excel export.
IMPORT = "import"
EXPORT = "export"

UNKNOWN_ONLY = frozenset({DocumentState.UNKNOWN})


@dataclass(frozen=True)
class KindSpec:
    name: str
    label: Any  # what the job does, for people (a lazy translation)
    model_label: str
    state_field: str
    send: Sender
    batch_size: int = 1
    # The states from which the job queues a document; the others are skipped (see services.job_start).
    queueable: frozenset[str] = frozenset({DocumentState.DRAFT, DocumentState.READY, DocumentState.FAILED})
    # What the document's history says when the job queues it (with %(id)s, the job's number); by default "added
    # to job #id", or "sent again after the supervisor's decision" for a send-again kind.
    queue_reason: Any = None

    @property
    def sends_again(self) -> bool:
        """A supervisor's decision on documents in unknown ("send again", or "mark done" from a selection): the only
        jobs that queue unknown ones."""
        return DocumentState.UNKNOWN in self.queueable

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


KINDS: dict[str, KindSpec] = {}
_LABELS: dict[str, Any] = {IMPORT: _("导入Excel"), EXPORT: _("导出Excel")}


def register_kind(spec: KindSpec) -> None:
    KINDS[spec.name] = spec
    _LABELS[spec.name] = spec.label


def get_kind(name: str) -> KindSpec:
    return KINDS[name]


def kind_label(name: str) -> str:
    """What a job of this kind does, in the active language (the name itself for a kind nobody registered)."""
    return str(_LABELS.get(name, name))


def kind_choices() -> list[tuple[str, str]]:
    return [(name, str(label)) for name, label in _LABELS.items()]
