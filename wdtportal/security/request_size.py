"""Request bodies refused by their size before they are read, and files accepted only where a file is expected.

Django limits what it keeps in memory from a form (DATA_UPLOAD_MAX_MEMORY_SIZE), but a multipart request's files
are streamed to disk whatever their size and wherever they are posted: an anonymous 200 MB POST to the login page
was read in full. Here:

- `RequestSizeLimitMiddleware`, before anything touches the body, answers 413 to a request whose Content-Length is
  over the limit of its page: IMPORT_MAX_BYTES (plus the form's own fields) on the pages marked with
  `accepts_file_upload` (the import upload), DATA_UPLOAD_MAX_MEMORY_SIZE everywhere else. Not one byte of the body is
  read. (A body without Content-Length is not read by Django at all.)
- `FilesOnlyWhereExpected`, the first upload handler, skips every file part posted to any other page: it is never
  stored, in memory or on disk.

The proxy in front should refuse larger bodies too (docs/operations.md, Security); this is the portal's own guard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation

ViewFunction = Callable[..., HttpResponse]


def accepts_file_upload(view: ViewFunction) -> ViewFunction:
    """Mark a view (the function a URL pattern calls) as the one place a file of up to IMPORT_MAX_BYTES may be
    posted to."""
    view.accepts_file_upload = True  # type: ignore[attr-defined]
    return view


def expects_file(request: HttpRequest) -> bool:
    """Whether the request's URL leads to a view marked with `accepts_file_upload`."""
    if not hasattr(request, "_expects_file"):
        try:
            view = resolve(request.path_info, getattr(request, "urlconf", None)).func
        except Resolver404:
            view = None
        request._expects_file = bool(getattr(view, "accepts_file_upload", False))
    return request._expects_file


def body_limit(request: HttpRequest) -> tuple[int | None, bool]:
    """(largest body accepted in bytes or None for no limit, whether a file is expected) for this request."""
    forms = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
    if multipart and expects_file(request):
        return settings.IMPORT_MAX_BYTES + (forms or 0), True
    return forms, False


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django itself reads no body then


class RequestSizeLimitMiddleware:
    """413, unread, for a body larger than its page accepts (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _content_length(request)
        if length:
            limit, file_expected = body_limit(request)
            if limit is not None and length > limit:
                return self.too_large(request, length, limit, file_expected)
        return self.get_response(request)

    @staticmethod
    def too_large(request: HttpRequest, length: int, limit: int, file_expected: bool) -> HttpResponse:
        # LocaleMiddleware has not run yet: the page is in the language the browser asks for all the same.
        with translation.override(translation.get_language_from_request(request)):
            max_bytes = settings.IMPORT_MAX_BYTES if file_expected else limit
            context = {"size_mb": length / 2**20, "max_mb": max_bytes / 2**20, "file_expected": file_expected}
            return render(request, "413.html", context, status=413)


class FilesOnlyWhereExpected(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a file posted to a page that takes none is skipped, never stored."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        if self.request is None or not expects_file(self.request):
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # the next handler stores it

    def file_complete(self, file_size: int) -> None:
        return None
