"""Filters of the document lists that stay cheap at size: choices from small tables or recent rows, never a GROUP BY
over the documents (Django's RelatedOnlyFieldListFilter groups the whole list to find the values in use)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ImportBatch

RECENT_BATCHES = 50


class ImportBatchFilter(admin.RelatedFieldListFilter):
    """The last RECENT_BATCHES import batches (of the list's `import_batch_kinds`), the chosen one if older, and a
    box to type an older batch's number (shown on every document it brought in, and in the link after an import)."""

    template = "admin/documents/import_batch_filter.html"

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[tuple[int, str]]:
        batches = ImportBatch.objects.order_by("-pk")
        kinds = getattr(model_admin, "import_batch_kinds", ())
        if kinds:
            batches = batches.filter(kind__in=kinds)
        chosen = [value for value in (self.lookup_val or []) if str(value).isdigit()]
        shown = list(batches[:RECENT_BATCHES])
        shown_ids = {batch.pk for batch in shown}
        older = [int(pk) for pk in chosen if int(pk) not in shown_ids]
        if older:
            shown += list(ImportBatch.objects.filter(pk__in=older))
        return [(batch.pk, f"#{batch.pk} {batch}") for batch in shown]

    def choices(self, changelist: Any) -> Any:
        # The box keeps the list's other filters and search (hidden inputs), as the links do.
        own = {self.lookup_kwarg, self.lookup_kwarg_isnull}
        self.kept_params = [(name, value) for name, values in changelist.filter_params.items() if name not in own
                            for value in values]
        self.chosen_number = next(iter(self.lookup_val or []), "")
        yield from super().choices(changelist)
