"""The sandbox in the admin: its fault settings page (沙箱故障设置) and read-only views of what it holds."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wdtportal.admin_lookups import OfferedLookupsOnly

from .models import FaultSettings, SandboxOutbound, SandboxReturn, SandboxReturnLine, SandboxSettlement


@admin.register(FaultSettings)
class FaultSettingsAdmin(OfferedLookupsOnly):
    """One row: the list page leads straight to it (or to the add form, prefilled from settings)."""

    fields = ("latency_ms", "error_rate", "rate_limit_rate", "lost_answer_rate", "methods", "max_faults")

    def changelist_view(self, request: HttpRequest, extra_context=None):
        row = FaultSettings.objects.filter(pk=FaultSettings.SINGLETON_PK).first()
        if row is None:
            return HttpResponseRedirect(reverse("admin:wdt_sandbox_faultsettings_add"))
        return HttpResponseRedirect(reverse("admin:wdt_sandbox_faultsettings_change", args=[row.pk]))

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {
            "latency_ms": settings.WDT_SANDBOX_LATENCY_MS,
            "error_rate": settings.WDT_SANDBOX_ERROR_RATE,
            "rate_limit_rate": settings.WDT_SANDBOX_RATE_LIMIT_RATE,
            "lost_answer_rate": settings.WDT_SANDBOX_LOST_ANSWER_RATE,
        }

    def has_add_permission(self, request: HttpRequest) -> bool:
        exists = FaultSettings.objects.filter(pk=FaultSettings.SINGLETON_PK).exists()
        return not exists and super().has_add_permission(request)

    def response_post_save_add(self, request, obj):
        return HttpResponseRedirect(reverse("admin:wdt_sandbox_faultsettings_change", args=[obj.pk]))

    def response_post_save_change(self, request, obj):
        return HttpResponseRedirect(reverse("admin:wdt_sandbox_faultsettings_change", args=[obj.pk]))


class ReadOnlyAdmin(OfferedLookupsOnly):
    """The sandbox's ERP state is changed only through its API (or state.py), never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SandboxReturnLineInline(admin.TabularInline):
    model = SandboxReturnLine
    fields = ("spec_no", "num", "batch_no", "price")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SandboxReturn)
class SandboxReturnAdmin(ReadOnlyAdmin):
    list_display = ("return_no", "waiting", "stopped_at", "origin", "created_at")
    list_filter = ("waiting", "learnt_from")
    search_fields = ("return_no",)
    fields = ("return_no", "waiting", "stopped_at", "origin", "created_at")
    readonly_fields = fields
    inlines = [SandboxReturnLineInline]

    @admin.display(description=_("来源"), ordering="learnt_from")
    def origin(self, obj: SandboxReturn) -> str:
        """Seeded, or learnt in training mode (WDT_SANDBOX_TRAINING) from which call: a clerk's own return."""
        if not obj.learnt:
            return str(_("预置"))
        return format_html('<span class="sandbox-learnt">{}</span>',
                           _("培训模式学到（%(call)s）") % {"call": obj.get_learnt_from_display()})


@admin.register(SandboxOutbound)
class SandboxOutboundAdmin(ReadOnlyAdmin):
    list_display = ("outer_no", "return_no", "created_at")
    search_fields = ("outer_no", "return_no")


@admin.register(SandboxSettlement)
class SandboxSettlementAdmin(ReadOnlyAdmin):
    list_display = ("order_no", "return_no", "created_at")
    search_fields = ("order_no", "return_no")
