"""The portal's URLs plus one view that fails, for the 500 page's tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from wdtportal.urls import urlpatterns as portal_urlpatterns


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [*portal_urlpatterns, path("broken/", broken_view)]
