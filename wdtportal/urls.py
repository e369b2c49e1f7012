"""URL configuration: the admin is the portal; the sandbox is mounted only when WDT_SANDBOX is on."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico on every page they have no icon link for: the portal's icon, not a 404."""
    return HttpResponseRedirect(static("wdtportal/favicon.ico"))


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.WDT_SANDBOX:
    urlpatterns.append(path("sandbox/", include("wdtportal.wdt.sandbox.urls")))
