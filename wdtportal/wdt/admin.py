"""The call log in the admin: read-only, searchable, filterable by method and outcome."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wdtportal.admin_lookups import OfferedLookupsOnly

from .models import WdtCall


@admin.register(WdtCall)
class WdtCallAdmin(OfferedLookupsOnly):
    list_display = ("created_at", "gateway", "method", "outcome", "http_status", "duration_ms", "document_label",
                    "user", "error_message")
    list_filter = ("outcome", "method", "gateway", "created_at")
    # The request payload too: a return number inside a stop-waiting batch (labelled "CR… 等N张") is found.
    search_fields = ("document_label", "document_id", "error_message", "method", "request_payload")
    date_hierarchy = "created_at"
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

    @admin.display(description=_("请求内容"))
    def request_pretty(self, obj: WdtCall) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.request_payload, ensure_ascii=False, indent=2))

    @admin.display(description=_("返回内容"))
    def answer_pretty(self, obj: WdtCall) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.answer, ensure_ascii=False, indent=2))
