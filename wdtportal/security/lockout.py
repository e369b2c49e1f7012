"""Login lockout with django-axes: whose address a login comes from, and the page a locked-out person sees.

django-axes counts wrong passwords per username + address and refuses the login once AXES_FAILURE_LIMIT is reached,
for AXES_COOLOFF_TIME. The address is the connection's, or, behind a TLS proxy and only when AXES_CLIENT_IP_HEADER
names it, the one the proxy put in its header: a header the client sent itself must never choose whose failures count.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address in AXES_CLIENT_IP_HEADER when set, else the connection's.

    Of `X-Forwarded-For: a, b, c` the last address counts: the trusted proxy appends the address it was connected
    from, anything before it came from the client and may be forged."""
    header = settings.AXES_CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        proxied = _address(value.split(",")[-1]) if value else None
        if proxied:
            return proxied
    return request.META.get("REMOTE_ADDR")


def locked_until(request: HttpRequest, credentials: dict[str, Any] | None) -> Any:
    """When the lockout of this username + address ends: its latest recorded failure plus the cool-off."""
    username = get_client_username(request, credentials)
    latest = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).aggregate(
        at=Max("attempt_time"))["at"]
    return (latest or request.axes_attempt_time or timezone.now()) + get_cool_off(request)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page saying that the login is locked, until when, and what to do meanwhile."""
    until = locked_until(request, credentials)
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    context = {"until": until, "minutes": minutes, "username": get_client_username(request, credentials) or "",
               "ip_address": request.axes_ip_address, "failure_limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "registration/locked_out.html", context, status=429)
