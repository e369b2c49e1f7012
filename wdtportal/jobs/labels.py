"""A job's label (its note: 创建结算单, 导入 x.xlsx（采购退货，1,200 行）) kept in the portal's own language and shown
in the reader's: a job started from a Chinese page is read on an English one, and the other way round.

The label is stored as the Chinese source text (`job_label`); `label_display` translates it when it is read, either
whole (a plain message id) or, for a label with values in it, by finding which registered template it was made from
and translating the template and the values.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_templates: dict[str, re.Pattern[str]] = {}


def register_label(template: str) -> str:
    """Make labels written from `template` (a message id with %(name)s values) readable in any language; return
    the template (for a module-level constant)."""
    pattern, position = "", 0
    for match in _PLACEHOLDER.finditer(template):
        pattern += re.escape(template[position:match.start()]) + f"(?P<{match.group(1)}>.+?)"
        position = match.end()
    _templates[template] = re.compile(pattern + re.escape(template[position:]) + r"\Z", re.DOTALL)
    return template


def job_label(label: Any, **values: Any) -> str:
    """The label to store: `label` (a message id, lazy or not) with `values`, in the portal's own language."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(str(label))
        return text % {name: str(value) for name, value in values.items()} if values else text


def label_display(stored: str) -> str:
    """A stored label in the active language (as stored when it was made from no known message)."""
    if not stored:
        return stored
    whole = gettext(stored)
    if whole != stored:
        return whole
    for template, pattern in _templates.items():
        match = pattern.match(stored)
        if match:
            return gettext(template) % {name: gettext(value) for name, value in match.groupdict().items()}
    return stored
