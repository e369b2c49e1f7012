"""What an admin action covers, recorded instead of its documents: no page and no POST carries N ids.

A clerk who ticks "select all 100,000" on a list posts the list's filters and search (its query string) and one
page of ticks. The request records that as the job's selection, `{"query": "outbound_state__exact=failed&q=…"}`,
or, for a few ticked rows, `{"ids": [...]}` (at most a page); a worker turns it back into the same queryset with
the list's own ChangeList (its filters, search and date drill-down, as the person who started the job) and reads
it a chunk at a time (expansion.py for sends, wdtportal/excel/export_job.py for exports).

The documents are those matching when the worker reads them, in id order: one that left the filter meanwhile is
not included, one that entered it is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

QUERY, IDS = "query", "ids"
# Exact lookups that narrow a selection, e.g. {"outbound_state": "unknown"} for a supervisor's job on one state field:
# the job then holds only the documents it acts on, not 100,000 skipped ones.
ONLY = "only"


def selected_across(request: HttpRequest) -> bool:
    """True when the person chose "select all N" on the list (Django's `select_across`), not single rows."""
    return request.POST.get("select_across", "0") not in ("", "0", "False", "false")


def selection_of_action(request: HttpRequest, queryset: Any) -> dict[str, Any]:
    """The selection an admin action received: the list's query string after "select all", else the ticked ids
    (`queryset` is then limited to them: at most the rows of one page)."""
    if selected_across(request):
        return {QUERY: request.GET.urlencode()}
    return {IDS: sorted(queryset.order_by().values_list("pk", flat=True))}


def selection_only(selection: dict[str, Any], **lookups: str) -> dict[str, Any]:
    """`selection` narrowed to the documents matching `lookups` (exact values of indexed fields)."""
    return {**selection, ONLY: {**selection.get(ONLY, {}), **lookups}}


def selection_size(selection: dict[str, Any]) -> int | None:
    """How many documents a selection names, when it lists them."""
    return len(selection[IDS]) if IDS in selection else None


def selection_queryset(model: type[models.Model], selection: dict[str, Any], user: Any) -> Any:
    """The documents of `selection`, as `user` may see them on the model's admin list, in the list's order.

    Raises PermissionDenied when `user` may no longer view that list, and the ChangeList's
    IncorrectLookupParameters when its query does not apply any more (a filter's field was removed)."""
    model_admin = admin.site._registry[model]
    request = HttpRequest()
    request.method = "GET"
    request.user = user or AnonymousUser()
    request.GET = QueryDict(selection.get(QUERY, ""))
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied(_("发起人已没有查看这些单据的权限。"))
    if IDS in selection:
        documents = model_admin.get_queryset(request).filter(pk__in=selection[IDS])
    else:
        documents = changelist_queryset(model_admin, request)
    return documents.filter(**selection.get(ONLY, {}))


def changelist_queryset(model_admin: admin.ModelAdmin, request: HttpRequest) -> Any:
    """The admin list's queryset for `request`'s query string (filters, search, date drill-down, ordering),
    without counting or paging it, as django-import-export's `get_export_queryset` builds it."""

    class SelectionChangeList(model_admin.get_changelist(request)):
        def get_results(self, request: HttpRequest) -> None:
            pass  # no COUNT and no page: only the queryset is wanted

    list_display = model_admin.get_list_display(request)
    # The arguments of ModelAdmin.get_changelist_instance, in its order.
    changelist = SelectionChangeList(
        request, model_admin.model, list_display, model_admin.get_list_display_links(request, list_display),
        model_admin.get_list_filter(request), model_admin.date_hierarchy, model_admin.get_search_fields(request),
        model_admin.get_list_select_related(request), model_admin.list_per_page, model_admin.list_max_show_all,
        model_admin.list_editable, model_admin, model_admin.get_sortable_by(request), model_admin.search_help_text)
    return changelist.queryset
