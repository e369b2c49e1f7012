from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "wdtportal.wdt.sandbox"
    label = "wdt_sandbox"
    verbose_name = _("旺店通沙箱")
