"""`ListAdmin`: what every big list in the admin extends (documents, the call log, jobs and their items).

- counts exact only when cheap, deep pages by their ids (paginator.py); no second COUNT of the unfiltered table
  (show_full_result_count) and no facet counts;
- one sort column at a time, ties broken by the id the same way, each sortable column indexed (changelist.py;
  `sortable_by` names the columns that have an index);
- search by `search_numbers` and `search_texts` (search.py), never a join with DISTINCT;
- `list_prefetch`: related rows a column shows, fetched once for the page (another app may add to it);
- no date hierarchy (its year/month links GROUP BY the whole table): dates filter by index-served ranges.

A list's query count does not depend on how many rows it shows (tests/lists/test_query_counts.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import connections, router
from django.http import HttpRequest
from django.utils.translation import gettext

from .changelist import ListChangeList
from .paginator import ListPaginator
from .search import search_condition


def _label(model: Any, path: str) -> str:
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return str(model._meta.get_field(name).verbose_name)


class ListAdmin(admin.ModelAdmin):
    paginator = ListPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    date_hierarchy = None
    search_numbers: tuple[str, ...] = ()
    search_texts: tuple[str, ...] = ()
    list_prefetch: tuple[Any, ...] = ()

    @classmethod
    def add_list_prefetch(cls, *lookups: Any) -> None:
        """Prefetch `lookups` for the rows of a page (a column another app adds shows them)."""
        cls.list_prefetch = (*cls.list_prefetch, *lookups)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ListChangeList]:
        return ListChangeList

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return (*self.search_numbers, *self.search_texts)

    @property
    def search_help_text(self) -> str | None:  # type: ignore[override]
        """What the search box finds, read from the fields (evaluated per request: in the page's language)."""
        separator = gettext("、")  # between the fields' names

        def names(paths: tuple[str, ...]) -> str:
            return separator.join(dict.fromkeys(_label(self.model, p) for p in paths))

        parts = []
        if self.search_numbers:
            parts.append(gettext("按编号搜索（完整或开头）：%(names)s。") % {"names": names(self.search_numbers)})
        if self.search_texts:
            parts.append(gettext("按文字搜索（包含）：%(names)s。") % {"names": names(self.search_texts)})
        if not parts:
            return None
        return " ".join([*parts, gettext("多个词用空格隔开，须全部符合。")])

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> tuple[Any, bool]:
        if not search_term.strip() or not self.get_search_fields(request):
            return queryset, False
        condition = search_condition(queryset.model, search_term, numbers=self.search_numbers,
                                     texts=self.search_texts, using=queryset.db)
        return queryset.filter(condition), False


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """The distinct values of an indexed column, read by hopping through its index (each value: the smallest one
    above the previous, a "loose index scan" in one recursive query) instead of SELECT DISTINCT over the whole
    table. For a column of few values (the call log's methods): a few index probes whatever the table's size."""

    MAX_VALUES = 100

    def __init__(self, field: Any, request: HttpRequest, params: Any, model: Any, model_admin: Any,
                 field_path: str) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = distinct_values(model, field.column, self.MAX_VALUES)


def distinct_values(model: Any, column: str, limit: int) -> list[Any]:
    connection = connections[router.db_for_read(model)]
    qn = connection.ops.quote_name
    table, col = qn(model._meta.db_table), qn(column)
    # Only identifiers from the model's metadata, quoted by the backend.
    sql = (f"WITH RECURSIVE v(x) AS (SELECT MIN({col}) FROM {table} UNION ALL "  # noqa: S608
           f"SELECT (SELECT MIN({col}) FROM {table} WHERE {col} > v.x) FROM v WHERE v.x IS NOT NULL) "
           f"SELECT x FROM v WHERE x IS NOT NULL LIMIT %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [row[0] for row in cursor.fetchall()]
