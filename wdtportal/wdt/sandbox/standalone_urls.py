"""URLconf of `manage.py wdt_sandbox`: only the sandbox, at the same /sandbox/ paths as inside the portal."""

from django.urls import include, path

urlpatterns = [path("sandbox/", include("wdtportal.wdt.sandbox.urls"))]
