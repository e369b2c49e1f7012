"""Admin actions that run in the background: a document admin mixes this in to queue its selection as a job."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from wdtportal.documents.states import DocumentState

from .responses import job_started
from .services import job_start


class JobActionsMixin:
    """Put in front of `DocumentAdmin` in a document admin's bases."""

    def start_job(self, request: HttpRequest, kind: str, queryset: Any, label: str) -> HttpResponseRedirect:
        """Send in the background: queue the selection as a job and show its live progress page."""
        job = job_start(kind=kind, documents=queryset.order_by("pk"), user=request.user, label=label)
        return job_started(self, request, (job.pk, job.total))

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
