"""Logging filters: the flagship gateway's salt and sign (in its query string) kept out of the logs, and a refused
request (403, 404...) logged as one line, without the traceback Django attaches to it."""

import logging
import re

_QUERY = re.compile(r"\?\S*")


class DropQueryStrings(logging.Filter):
    """Cut query strings from what django.server logs: its request lines (runserver, `manage.py wdt_sandbox`)
    read `"POST /sandbox/openapi?sid=...&salt=...&sign=... HTTP/1.1" 503`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_QUERY.sub("", arg) if isinstance(arg, str) else arg for arg in record.args)
        elif not record.args and isinstance(record.msg, str):
            record.msg = _QUERY.sub("", record.msg)
        return True


class OneLineBelow500(logging.Filter):
    """django.request logs a 4xx answer as a warning with the exception's traceback (a 403 is PermissionDenied):
    for a person refused a page, the line says all there is. A 5xx keeps its traceback: that one is a bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
