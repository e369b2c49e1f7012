"""The portal's admin site: Chinese titles, the dashboard as its front page, the clerk's guide (帮助) and the
two-factor pages.

`PortalAdminConfig` replaces `django.contrib.admin` in INSTALLED_APPS, so `admin.site` and `@admin.register`
everywhere use this site without further changes.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
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
            path("two-factor/enrol/", self.admin_view(self.two_factor_enrol), name="two_factor_enrol"),
            path("two-factor/verify/", self.admin_view(self.two_factor_verify), name="two_factor_verify"),
            path("help/", self.admin_view(lambda request: guide.help_view(request, site=self)), name="help"),
            path("help/guide/<str:name>", self.admin_view(guide.guide_image), name="help_image"),
            *super().get_urls(),
        ]

    def two_factor_enrol(self, request: HttpRequest) -> HttpResponse:
        from .security import two_factor_views  # its models are ready only after app loading

        return two_factor_views.enrol(request, site=self)

    def two_factor_verify(self, request: HttpRequest) -> HttpResponse:
        from .security import two_factor_views

        return two_factor_views.verify(request, site=self)


class PortalAdminConfig(AdminConfig):
    default_site = "wdtportal.admin_site.PortalAdminSite"
