"""The security app: no models of its own; it holds the security libraries' admin pages to the portal's rules
(admin.py) and connects the login signal the session timeout needs from the start."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "wdtportal.security"
    label = "portal_security"
    verbose_name = _("登录与安全")

    def ready(self) -> None:
        from . import session_timeout  # noqa: F401 - connects its user_logged_in receiver
