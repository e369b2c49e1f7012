"""The file a job leaves (an export): stored in the database in 1 MiB chunks, handed out a chunk at a time, removed
by the workers' maintenance after JOBS_EXPORT_KEEP_HOURS.

Why the database and not a folder: the worker that writes the file and the web server that hands it out may be on
different machines (as for a background import's upload, ImportUpload), and the database is the one store they
all share without another setting to deploy; a file is removed with its rows, and a backup never holds half of
one. An export of 300,000 lines is about 20 MB and lives a day. Chunks keep the worker's and the web server's
memory flat: neither ever holds more than one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Job, JobFile, JobFileChunk

CHUNK_BYTES = 1024 * 1024


def job_file_save(*, job: Job, name: str, content_type: str, source: IO[bytes], permission: str = "") -> JobFile:
    """Store what `source` holds (read from its current position) as `job`'s file, replacing any earlier one (a job
    run again after its worker died). `permission`: what a person must have, besides seeing the job, to download
    it (e.g. "returns.view_purchasereturn")."""
    with transaction.atomic():
        JobFile.objects.filter(job=job).delete()
        stored = JobFile.objects.create(job=job, name=name[:255], content_type=content_type[:100],
                                        permission=permission[:100])
        size = number = 0
        while data := source.read(CHUNK_BYTES):
            JobFileChunk.objects.create(file=stored, number=number, data=data)
            size += len(data)
            number += 1
        stored.size = size
        stored.save(update_fields=["size"])
    return stored


def job_file_of(job: Job) -> JobFile | None:
    """The job's file (None if it made none); `removed_at` is set once the maintenance removed its content."""
    return JobFile.objects.filter(job=job).first()


def job_file_may_download(file: JobFile, user: Any) -> bool:
    return not file.permission or user.has_perm(file.permission)


def job_file_chunks(file: JobFile) -> Iterator[bytes]:
    """The file's bytes, one chunk (one query) at a time."""
    numbers = list(JobFileChunk.objects.filter(file=file).order_by("number").values_list("pk", flat=True))
    for pk in numbers:
        data = JobFileChunk.objects.filter(pk=pk).values_list("data", flat=True).first()
        if data is None:  # removed while being downloaded (kept time over): stop short rather than fail
            return
        yield bytes(data)


def job_files_prune(*, now: Any = None) -> int:
    """Remove the content of the files older than JOBS_EXPORT_KEEP_HOURS (the row stays: the job's page then says
    the file was removed); returns how many. The workers' maintenance calls it."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.JOBS_EXPORT_KEEP_HOURS)
    old = list(JobFile.objects.filter(created_at__lt=cutoff, removed_at__isnull=True).values_list("pk", flat=True))
    for pk in old:  # one file per transaction: a short lock each
        with transaction.atomic():
            JobFileChunk.objects.filter(file_id=pk).delete()
            JobFile.objects.filter(pk=pk).update(removed_at=timezone.now())
    return len(old)
