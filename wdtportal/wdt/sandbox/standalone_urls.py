"""URLconf of `manage.py wdt_sandbox`: only the sandbox, at the same /sandbox/ paths as inside the portal."""

from django.http import HttpRequest, HttpResponseNotFound
from django.urls import include, path

urlpatterns = [path("sandbox/", include("wdtportal.wdt.sandbox.urls"))]


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponseNotFound:
    # The portal's 404 page links into the admin, which this server does not serve.
    return HttpResponseNotFound("404 Not Found: this server serves only the WDT sandbox below /sandbox/",
                                content_type="text/plain; charset=utf-8")


handler404 = not_found
