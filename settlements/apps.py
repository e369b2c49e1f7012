from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("采购退货结算")

    def ready(self) -> None:
        from returns.signals import returns_numbered
        from wdtportal.documents import registry
        from wdtportal.excel.background import register_importer

        from . import job_kinds
        from .models import SettlementDraft
        from .resources import SettlementsImporter
        from .services import on_returns_numbered

        registry.register(SettlementDraft, states={"state": _("结算单草稿")},
                          lines=registry.Lines("lines", quantity="settle_num"))
        job_kinds.register()
        register_importer(SettlementsImporter)
        returns_numbered.connect(on_returns_numbered, dispatch_uid="settlements.link_drafts")
