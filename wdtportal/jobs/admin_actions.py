"""Admin actions that run in the background: a document admin mixes this in to queue its selection as a job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from wdtportal.documents.states import DocumentState

from .responses import job_started
from .selection import selection_of_action, selection_size
from .services import job_start, job_start_selection


class JobActionsMixin:
    """Put in front of `DocumentAdmin` in a document admin's bases."""

    def start_job(self, request: HttpRequest, kind: str, queryset: Any, label: str) -> HttpResponseRedirect:
        """Send in the background: record the selection (the list's filters after "select all", else the ticked
        ids) as a job and show its live progress page; a worker adds and queues the documents (expansion.py), so
        this costs the same for 3 documents or 100,000."""
        selection = selection_of_action(request, queryset)
        job = job_start_selection(kind=kind, selection=selection, user=request.user, label=label)
        return job_started(self, request, (job.pk, selection_size(selection)))

    def start_send_again(self, request: HttpRequest, queryset: Any,
                         kinds: Sequence[tuple[str, str]]) -> HttpResponseRedirect:
        """The supervisor confirmed "send again" on the resolve page: send the selection's documents in unknown
        in the background, one job per state field (`kinds`: (job kind, state field)), and show the first job's
        page. The documents with nothing in unknown are listed as skipped in the first job."""
        documents = list(queryset.order_by("pk"))
        groups = [(kind, [d for d in documents if getattr(d, field) == DocumentState.UNKNOWN]) for kind, field in kinds]
        in_a_group = {d.pk for _kind, group in groups for d in group}
        groups = [(kind, group) for kind, group in groups if group] or [(kinds[0][0], [])]
        groups[0][1].extend(d for d in documents if d.pk not in in_a_group)
        jobs = [job_start(kind=kind, documents=sorted(d.pk for d in group), user=request.user,
                          label=_("处理结果未知：重新发送")) for kind, group in groups]
        return job_started(self, request, *((job.pk, job.total) for job in jobs))
