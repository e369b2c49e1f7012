"""Two-factor for the supervisors (财务主管), who send to WDT: who needs it, and the middleware that holds them to it.

With REQUIRE_2FA_SUPERVISORS on (the default when DEBUG is off), a supervisor who has logged in with the password
but not yet with a code (django-otp's `user.is_verified()`) reaches no admin page but these: enrolment (the first
time: a QR code for any authenticator app, then recovery codes shown once), verification (a code from the app or a
recovery code), logout, and the admin's JavaScript catalogue. The pages are in two_factor_views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from wdtportal.documents.groups import SUPERVISOR

# Admin views a supervisor may open before giving a code.
OPEN_VIEWS = {"two_factor_enrol", "two_factor_verify", "logout", "login", "jsi18n"}


def enrolled(user: Any) -> bool:
    """Whether the person has an authenticator app set up (recovery codes alone do not count: enrolment renews them)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_missing(request: HttpRequest) -> bool:
    """Whether this request's person is a supervisor who must still give a code (the setting on). Cheapest first:
    the setting, then the session's device (django-otp's OTPMiddleware), then the group."""
    user = request.user
    if not (settings.REQUIRE_2FA_SUPERVISORS and user.is_authenticated):
        return False
    verified = getattr(user, "is_verified", None)
    if callable(verified) and verified():
        return False
    return user.groups.filter(name=SUPERVISOR).exists()


def second_factor_url(request: HttpRequest, next_url: str | None = None) -> str:
    """Enrolment for a supervisor without a confirmed device, verification otherwise; `next` comes back after."""
    name = "admin:two_factor_verify" if enrolled(request.user) else "admin:two_factor_enrol"
    return f"{reverse(name)}?{urlencode({'next': next_url or request.get_full_path()})}"


class SupervisorTwoFactorMiddleware:
    """After AuthenticationMiddleware and django-otp's OTPMiddleware: admin pages only, once URLs are resolved."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace != "admin" or match.url_name in OPEN_VIEWS:
            return None
        if not second_factor_missing(request):
            return None
        url = second_factor_url(request)
        if request.headers.get("Accept", "").startswith("application/json"):
            # The job page's poll: nothing is shown; the page to go to is named.
            return JsonResponse({"two_factor_required": True, "url": url,
                                 "message": _("请先用手机验证器中的验证码完成两步验证。")}, status=403,
                                json_dumps_params={"ensure_ascii": False})
        return redirect(url)  # also a form posted from a page opened before: nothing is done
