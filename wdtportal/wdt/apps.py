from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WdtConfig(AppConfig):
    name = "wdtportal.wdt"
    label = "wdt"
    verbose_name = _("旺店通接口")
