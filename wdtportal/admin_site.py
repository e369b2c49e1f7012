"""The portal's admin site: Chinese titles, the dashboard as its front page, and the clerk's guide (帮助).

`PortalAdminConfig` replaces `django.contrib.admin` in INSTALLED_APPS, so `admin.site` and `@admin.register`
everywhere use this site without further changes.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_header = _("旺店通采购退货门户")
    site_title = _("采购退货门户")
    index_title = _("工作台")
    index_template = "admin/dashboard.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from .dashboard import dashboard_context  # models are ready only after app loading

        context = {"dashboard": dashboard_context(site=self, user=request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def get_urls(self) -> list:
        from . import guide  # renders docs/用户指南.md: read at request time, not at import

        return [
            path("help/", self.admin_view(lambda request: guide.help_view(request, site=self)), name="help"),
            path("help/guide/<str:name>", self.admin_view(guide.guide_image), name="help_image"),
            *super().get_urls(),
        ]


class PortalAdminConfig(AdminConfig):
    default_site = "wdtportal.admin_site.PortalAdminSite"
