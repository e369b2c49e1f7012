"""Sessions that end: SESSION_IDLE_TIMEOUT seconds after the last page a person opened, and SESSION_ABSOLUTE_TIMEOUT
seconds after the login whatever they do. The cookie itself lives SESSION_COOKIE_AGE = the absolute timeout.

A small middleware rather than a library: the ones we looked at (django-auto-logout, django-session-security)
bring JavaScript with inline snippets (the Content-Security-Policy forbids them) or save the session on every
request. Here the time of the last activity is written at most once a minute, so a page view costs no database
write; the idle timeout is therefore exact to the minute. The job page's polling (header `X-Portal-Poll`) keeps
nobody logged in: it is not a person at work. A request that comes too late logs out and goes to the login page with
a message saying why; a poll gets a 401 in JSON, whose message the page shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

STARTED = "portal_session_started"
SEEN = "portal_session_seen"
SEEN_EVERY = 60  # seconds: how often at most the time of the last activity is saved
POLL_HEADER = "HTTP_X_PORTAL_POLL"


@receiver(user_logged_in, dispatch_uid="portal_session_timeout_login")
def _session_started(sender: object, request: HttpRequest, **kwargs: object) -> None:
    now = time.time()
    request.session[STARTED] = now
    request.session[SEEN] = now


def _minutes(seconds: int) -> str:
    return f"{max(1, round(seconds / 60)):,}"


def _expiry_message(reason: str) -> str:
    if reason == "idle":
        return _("超过 %(minutes)s 分钟没有操作，已自动退出。请重新登录。") % {
            "minutes": _minutes(settings.SESSION_IDLE_TIMEOUT)}
    return _("登录已超过 %(hours)s 小时，已自动退出。请重新登录。") % {
        "hours": f"{settings.SESSION_ABSOLUTE_TIMEOUT / 3600:g}"}


def session_expiry(request: HttpRequest, now: float | None = None) -> str | None:
    """"idle" or "absolute" when the logged-in session is over; otherwise None, noting the activity."""
    now = time.time() if now is None else now
    session = request.session
    started, seen = session.get(STARTED), session.get(SEEN)
    if started is None or seen is None:  # logged in before this middleware existed: count from now
        session[STARTED] = started or now
        session[SEEN] = now
        return None
    if now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    if now - seen > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    if now - seen >= SEEN_EVERY and not request.META.get(POLL_HEADER):
        session[SEEN] = now
    return None


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = session_expiry(request)
            if reason is not None:
                message = _expiry_message(reason)
                logout(request)
                if request.META.get(POLL_HEADER):
                    return JsonResponse({"logged_out": True, "message": message}, status=401,
                                        json_dumps_params={"ensure_ascii": False})
                messages.warning(request, message)
                return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        return self.get_response(request)
