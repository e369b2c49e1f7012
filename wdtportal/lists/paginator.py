"""A paginator for big lists: it counts exactly only what is cheap to count, and finds deep pages by their ids.

Counting. On PostgreSQL the list's query is first EXPLAINed: when the planner's cost of reading every row it
selects is at most EXACT_COST (an index range of some ten thousand entries, a few tens of milliseconds), the rows
are counted exactly; above it, they are counted up to SURE_BELOW (1,000: a LIMIT, as cheap as the page itself),
and only a list with more shows the planner's own estimate, as "约 N" (for the unfiltered table that is
pg_class.reltuples scaled to the table's current size). A COUNT(*) over a million returns took 0.5-1 s on
the benchmark machine, and over a filter no index serves it reads the whole table. SQLite has no such estimate;
it counts, which at the sizes it serves (200,000 returns) stays well within its budget (docs/benchmarks.md).

Deep pages. A page past DEFERRED_FROM rows is fetched in two steps within one query: the ids of the page (ORDER BY …
OFFSET … LIMIT … over the list's index, (field, id): an index-only range, no table rows read) and then those
rows. OFFSET still walks the index entries it skips, so the last page of a million returns costs a walk of a
million index entries (tens of milliseconds), not of a million rows.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.utils.translation import gettext_lazy as _

# Planner cost units (PostgreSQL's defaults: a sequential page read is 1, a row 0.01), calibrated on the benchmark's
# million returns on a busy machine: 41,598 failed returns from their index, cost 1,330, counted in 20 ms; 300,000
# drafts read in sequence, cost 10,730, in 60 ms; but 62,501 remarks found through the trigram index, cost 27,223,
# in 1.8 s (every row found is read and its remark checked again). Below this, counting stays in tens of ms.
EXACT_COST = 10_000.0
# Above that cost the rows are still counted up to this many: fewer are shown exactly, more as the planner's estimate.
SURE_BELOW = 1_000
DEFERRED_FROM = 1_000


def planner_estimate(queryset: Any) -> tuple[int, float]:
    """(rows, total cost) the PostgreSQL planner expects for reading every row of `queryset`."""
    connection = connections[queryset.db]
    try:
        sql, params = queryset.order_by().values("pk").query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # a condition nothing can meet (pk__in=[]): no query at all
        return 0, 0.0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str | bytes):
        plan = json.loads(plan)
    top = plan[0]["Plan"]
    return int(top["Plan Rows"]), float(top["Total Cost"])


class ListPaginator(Paginator):
    """`count` exact when cheap, else the planner's estimate (`estimated` says which); deep pages by their ids."""

    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connections[queryset.db].vendor == "postgresql":
            rows, cost = planner_estimate(queryset)
            if cost > EXACT_COST:
                # Costly to count, but maybe few: counting up to SURE_BELOW rows costs no more than the page
                # itself (the planner's guess for a rare word can be thousands when there are none).
                few = queryset.order_by().values("pk")[:SURE_BELOW].count()
                if few < SURE_BELOW:
                    return few
                self.estimated = True
                return max(rows, SURE_BELOW)
        return queryset.count()

    @property
    def count_label(self) -> str:
        """The count as the list shows it: "约 1,000,000" when estimated."""
        from django.utils.formats import number_format

        shown = number_format(self.count, force_grouping=True)
        return str(_("约 %(n)s") % {"n": shown}) if self.estimated else shown

    def validate_number(self, number: Any) -> int:
        if not self.estimated:
            return super().validate_number(number)
        # An estimate may be short or long of the real count: any page is valid; one past the end shows no rows.
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from error
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.estimated and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.rows(bottom, top), number, self)

    def rows(self, bottom: int, top: int) -> Any:
        queryset = self.object_list
        if bottom < DEFERRED_FROM:
            return queryset[bottom:top]
        # The page's ids from the index, then their rows, still in the list's order.
        return queryset.filter(pk__in=queryset.values("pk")[bottom:top])
