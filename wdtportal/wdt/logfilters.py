"""Logging filters that keep the flagship gateway's salt and sign (in its query string) out of the logs."""

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
