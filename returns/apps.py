from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("采购退货")

    def ready(self) -> None:
        from wdtportal.documents import registry
        from wdtportal.excel.background import register_importer

        from . import job_kinds
        from .models import PurchaseReturn
        from .resources import ReturnsImporter
        from .services import returns_resend_unknown

        registry.register(PurchaseReturn, states={"outbound_state": _("采购退货 · 出库单"),
                                                  "waiting_state": _("采购退货 · 停止等待")},
                          lines=registry.Lines("lines", quantity="num"),
                          # WDT deduplicates both sends: one left unknown is sent again by the workers.
                          resend={"outbound_state": returns_resend_unknown, "waiting_state": returns_resend_unknown})
        job_kinds.register()
        register_importer(ReturnsImporter)
