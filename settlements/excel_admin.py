"""Excel import and export on the settlement-draft list."""

from django.utils.translation import gettext_lazy

from wdtportal.excel.admin import SpreadsheetAdminMixin, SpreadsheetResource

from .resources import SETTLEMENT_EXPORT_EXTRAS, SettlementsImporter


class SettlementsResource(SpreadsheetResource):
    importer = SettlementsImporter
    extras = SETTLEMENT_EXPORT_EXTRAS
    title = gettext_lazy("结算单草稿（每行一条明细）")
    template_file_name = "结算单导入模板.xlsx"


class SettlementsSpreadsheetMixin(SpreadsheetAdminMixin):
    """Add in front of SettlementDraftAdmin's bases."""

    resource_classes = [SettlementsResource]
    export_file_stem = "settlement-drafts"
