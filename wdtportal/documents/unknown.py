"""How many documents of a selection wait for a supervisor's decision (a send with an unknown outcome), counted in
one query whatever the selection holds: the state fields are indexed, and only the documents in unknown are read
(by the index) to be counted. The resolve page and the jobs it starts read these counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q

from .states import DocumentState

#: The key of `unknown_counts` for the documents with at least one field in unknown.
ANY = ""


def in_unknown(fields: Sequence[str]) -> Q:
    """Documents with at least one of `fields` in unknown."""
    condition = Q()
    for field in fields:
        condition |= Q(**{field: DocumentState.UNKNOWN})
    return condition


def unknown_counts(documents: Any, fields: Sequence[str]) -> dict[str, int]:
    """{field: documents with that field in unknown, ANY: documents with any of them in unknown} over the
    queryset `documents`, in one query."""
    per_field = {f"n_{i}": Count("pk", filter=Q(**{field: DocumentState.UNKNOWN})) for i, field in enumerate(fields)}
    counts = documents.filter(in_unknown(fields)).aggregate(n_any=Count("pk"), **per_field)
    return {ANY: counts["n_any"], **{field: counts[f"n_{i}"] for i, field in enumerate(fields)}}
