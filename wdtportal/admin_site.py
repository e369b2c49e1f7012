"""The portal's admin site: Chinese titles and the dashboard as its front page.

`PortalAdminConfig` replaces `django.contrib.admin` in INSTALLED_APPS, so `admin.site` and `@admin.register`
everywhere use this site without further changes.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse
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


class PortalAdminConfig(AdminConfig):
    default_site = "wdtportal.admin_site.PortalAdminSite"
