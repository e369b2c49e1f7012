"""Admin actions that run in the background: a document admin mixes this in to queue its selection as a job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from wdtportal.documents.states import DocumentState
from wdtportal.documents.unknown import unknown_counts

from .responses import job_started
from .selection import selected_across, selection_of_action, selection_only, selection_queryset, selection_size
from .services import job_start_selection


class JobActionsMixin:
    """Put in front of `DocumentAdmin` in a document admin's bases."""

    def start_job(self, request: HttpRequest, kind: str, queryset: Any, label: str) -> HttpResponseRedirect:
        """Send in the background: record the selection (the list's filters after "select all", else the ticked
        ids) as a job and show its live progress page; a worker adds and queues the documents (expansion.py), so
        this costs the same for 3 documents or 100,000."""
        selection = selection_of_action(request, queryset)
        job = job_start_selection(kind=kind, selection=selection, user=request.user, label=label)
        return job_started(self, request, (job.pk, selection_size(selection)))

    def resolve_page(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        """The resolve page of the action's documents: the ticked rows, or after "select all N" the list's
        filtered queryset, unread (`queryset` is then every document: Django's select_across)."""
        if selected_across(request):
            documents = selection_queryset(self.model, selection_of_action(request, queryset), request.user)
            return self.resolve_confirmation(request, documents, across=True)
        return self.resolve_confirmation(request, queryset.order_by("pk"))

    def start_resolve_jobs(self, request: HttpRequest, queryset: Any, kinds: Sequence[tuple[str, str]],
                           label: str) -> HttpResponseRedirect | None:
        """The supervisor confirmed a decision on the resolve page: one background job per state field
        (`kinds`: (job kind, state field)) with documents in unknown, each recording the selection narrowed to
        that field in unknown; the worker expands and queues them (expansion.py). Shows the first job's page.

        The same for ticked rows (an ids selection) and for "select all N" (the list's query string): one count
        and one row per job, whatever N. A field with nothing in unknown starts no job; with none at all the list
        is shown again with a warning."""
        selection = selection_of_action(request, queryset)
        documents = selection_queryset(self.model, selection, request.user)
        counts = unknown_counts(documents, [field for _kind, field in kinds])
        started = []
        for kind, field in kinds:
            if counts[field]:
                job = job_start_selection(kind=kind, user=request.user, label=label,
                                          selection=selection_only(selection, **{field: DocumentState.UNKNOWN}))
                started.append((job.pk, counts[field]))
        if not started:
            self.message_user(request, _("所选单据中没有结果未知的单据，没有启动后台任务。"), messages.WARNING)
            return None  # Django shows the list again, with its filters
        return job_started(self, request, *started)
