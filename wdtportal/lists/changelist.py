"""The change list of a big list: sorted by one column at a time, ties broken by the id in the same direction, so
that every sort of every page is a range of one (column, id) index; and related rows prefetched for the page only.

Django's own change list adds "-pk" to any ordering (ORDER BY outbound_state ASC, id DESC): no index serves a mixed
direction, and the database sorts the whole table to show 50 rows. A second column clicked in the header would
need an index per pair of columns: only the first one sorts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import InvalidPage
from django.db.models import F, OrderBy


def _name_and_direction(part: Any) -> tuple[str | None, bool]:
    if isinstance(part, str):
        return part.lstrip("-"), part.startswith("-")
    if isinstance(part, OrderBy):
        name = part.expression.name if isinstance(part.expression, F) else None
        return name, part.descending
    if isinstance(part, F):
        return part.name, False
    return None, False


class ListChangeList(ChangeList):
    def get_ordering(self, request: Any, queryset: Any) -> list[Any]:
        # Only the columns the admin lets sort (`sortable_by`: those with an index), even in a URL typed by hand.
        if self.params.get(ORDER_VAR) and self.sortable_by is not None:
            allowed = {i for i, name in enumerate(self.list_display) if name in self.sortable_by}
            kept = [p for p in self.params[ORDER_VAR].split(".")
                    if p.lstrip("-").isdigit() and int(p.lstrip("-")) in allowed]
            if kept:
                self.params[ORDER_VAR] = ".".join(kept)
            else:
                del self.params[ORDER_VAR]
        return super().get_ordering(request, queryset)

    def _get_deterministic_ordering(self, ordering: list[Any]) -> list[Any]:
        if not (self.params.get(ORDER_VAR) and ordering):
            return super()._get_deterministic_ordering(ordering)
        first = ordering[0]
        name, descending = _name_and_direction(first)
        if name == "pk" or self._unique(name):
            return [first]
        return [first, "-pk" if descending else "pk"]

    def _unique(self, name: str | None) -> bool:
        if not name:
            return False
        try:
            field = self.lookup_opts.get_field(name)
        except FieldDoesNotExist:
            return False
        return bool(field.primary_key or (field.unique and not field.null))

    def get_ordering_field_columns(self) -> dict[int, str]:
        columns = super().get_ordering_field_columns()
        if ORDER_VAR not in self.params:
            return columns
        return dict(list(columns.items())[:1])  # only the first column sorts (see the module's docstring)

    def get_results(self, request: Any) -> None:
        super().get_results(request)
        if self.paginator.estimated:
            # An estimate may be far below the real count: never "show all", never the whole list as one page.
            self.can_show_all = False
            self.multi_page = True
            try:
                self.result_list = self.paginator.page(self.page_num).object_list
            except InvalidPage as error:
                raise IncorrectLookupParameters from error
        prefetch = getattr(self.model_admin, "list_prefetch", ())
        if prefetch:
            # For the rows of this page only: never for an action's selection, which may hold every row.
            self.result_list = self.result_list.prefetch_related(*prefetch)
