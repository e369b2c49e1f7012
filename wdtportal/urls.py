"""URL configuration: the admin is the portal; the sandbox is mounted only when WDT_SANDBOX is on."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.WDT_SANDBOX:
    urlpatterns.append(path("sandbox/", include("wdtportal.wdt.sandbox.urls")))
