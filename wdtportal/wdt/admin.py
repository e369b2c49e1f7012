"""The call log in the admin: read-only, searchable, filterable by method and outcome, built for millions of rows
(wdtportal/lists): newest first by id, each filter and sortable column served by an index, search by a document's
number (exact or prefix) or an error message's words (trigram index on PostgreSQL). Searching inside the request
payloads reads every payload: only when asked for, with the "search the request payloads too" filter."""

import json
from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wdtportal.admin_lookups import OfferedLookupsOnly
from wdtportal.lists.admin import IndexedValuesFilter, ListAdmin
from wdtportal.lists.search import words

from .models import WdtCall

PAYLOAD = "payload"


class SearchInPayloadFilter(admin.SimpleListFilter):
    """Not a filter of its own: it widens the search box to the request payloads (a return number inside a
    stop-waiting batch, labelled "CR… 等N张", is found only there). Slow at size: every payload is read."""

    title = _("搜索范围")
    parameter_name = "search_in"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(PAYLOAD, _("也搜索请求内容（较慢）"))]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        return queryset


@admin.register(WdtCall)
class WdtCallAdmin(OfferedLookupsOnly, ListAdmin):
    list_display = ("created_at", "gateway", "method", "outcome", "http_status", "duration_ms", "document_label",
                    "user", "error_message")
    # Each has its (column, id) index (WdtCall.Meta.indexes).
    sortable_by = ("created_at", "gateway", "method", "outcome")
    list_filter = ("outcome", ("method", IndexedValuesFilter), "gateway", "created_at", SearchInPayloadFilter)
    search_numbers = ("document_label", "document_id")  # a method: the filter beside the list
    search_texts = ("error_message",)
    ordering = ("-pk",)
    list_select_related = ("user",)
    readonly_fields = [f.name for f in WdtCall._meta.fields if f.name not in ("request_payload", "answer")] + [
        "request_pretty", "answer_pretty"]
    exclude = ("request_payload", "answer")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> tuple[Any, bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get(SearchInPayloadFilter.parameter_name) != PAYLOAD or not search_term.strip():
            return found, duplicates
        in_payload = Q()
        for word in words(search_term):
            in_payload &= Q(request_payload__icontains=word)
        return found | queryset.filter(in_payload), duplicates

    @admin.display(description=_("请求内容"))
    def request_pretty(self, obj: WdtCall) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.request_payload, ensure_ascii=False, indent=2))

    @admin.display(description=_("返回内容"))
    def answer_pretty(self, obj: WdtCall) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.answer, ensure_ascii=False, indent=2))
