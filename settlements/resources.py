"""Excel layout of settlement drafts (one row per settlement line) and their import.

The column names are those of the vendor's settlement page (`finance.settle.PurchaseReturn.upload`); the API names
are accepted too. `明细备注` (`detail_remark`) is the line's remark, `备注` the draft's. A draft is linked to the
portal's purchase return of the same number when there is one.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from returns.models import PurchaseReturn
from wdtportal.documents.states import state_label
from wdtportal.excel.columns import DOCUMENT, LINE, Layout, column
from wdtportal.excel.documents import DocumentImporter, ImportReport
from wdtportal.excel.exporting import ExtraColumn, local_time

from .models import SettlementDraft, SettlementLine

# The `kind` of the import batches this app writes.
SETTLEMENTS_BATCH = "settlements"

SETTLEMENT_EXPORT_EXTRAS = [
    ExtraColumn("状态", "state", state_label),
    ExtraColumn("结算单号", "js_order_no"),
    ExtraColumn("旺店通最近消息", "last_message"),
    ExtraColumn("创建时间", "created_at", local_time),
    ExtraColumn("导入批次", "import_batch_id"),
]

SETTLEMENT_LAYOUT = Layout(
    columns=(
        column(SettlementDraft, "return_no", "采购退货单号", DOCUMENT, required=True, aliases=("退货单号",),
               example="CG2026031500012",
               note=_("必填。同一张结算单的每一行都填同一个采购退货单号，以及相同的表头信息。")),
        column(SettlementDraft, "logistics_company_no", "物流公司编号", DOCUMENT, example="SF", note=_("选填。")),
        column(SettlementDraft, "logistics_no", "物流单号", DOCUMENT, example="SF1234567890", note=_("选填。")),
        column(SettlementDraft, "invoice_type", "发票类型", DOCUMENT, example="电子增值税专用发票",
               note=_("选填。填编号或名称：0 无发票、1 电子普通发票、2 纸质普通发票、3 电子增值税专用发票、"
                      "4 纸质增值税专用发票。")),
        column(SettlementDraft, "invoice_no", "发票号码", DOCUMENT, example="04400123", note=_("选填。")),
        column(SettlementDraft, "post_fee", "邮费", DOCUMENT, example="12", note=_("选填。不小于0，最多4位小数。")),
        column(SettlementDraft, "other_fee", "其他费用", DOCUMENT, example="0", note=_("选填。不小于0，最多4位小数。")),
        column(SettlementDraft, "remark", "备注", DOCUMENT, code=False, example="3月退货结算",
               note=_("选填。结算单的备注，最多255个字。")),
        column(SettlementDraft, "is_check", "是否审核", DOCUMENT, example="否",
               note=_("选填。是/否、1/0 或 TRUE/FALSE；留空为“否”。审核失败时旺店通不会创建结算单。")),
        column(SettlementDraft, "fuzzy_query", "模糊查询", DOCUMENT, example="否",
               note=_("选填。是/否；按采购退货单号模糊匹配，匹配不到或多于一条时旺店通会拒绝。")),
        column(SettlementLine, "spec_no", "商家编码", LINE, required=True, example="SKU-001",
               note=_("必填。同一结算单中商家编码+批次号不能重复。")),
        column(SettlementLine, "settle_num", "结算数量", LINE, required=True, example="3",
               note=_("必填。大于0，最多4位小数。")),
        column(SettlementLine, "price", "单价", LINE, example="25.8", note=_("选填。不小于0，最多4位小数。")),
        column(SettlementLine, "tax_rate", "税率", LINE, percent=True, example="0.13",
               note=_("选填。0到1之间的小数，例如 0.13；也可以写 13%。")),
        column(SettlementLine, "remark", "明细备注", LINE, code=False, key="detail_remark",
               aliases=("detail_list.remark", "line_remark"), example="", note=_("选填。这一行明细的备注。")),
        column(SettlementLine, "batch_no", "批次号", LINE, example="", note=_("选填。采购退货单有批次时必填。")),
        column(SettlementLine, "expire_date", "有效期", LINE, example="2027-12-31",
               note=_("选填。日期，例如 2027-12-31、2027/12/31 或 Excel 日期。")),
    ),
    export_only=tuple(extra.header for extra in SETTLEMENT_EXPORT_EXTRAS),
)


class SettlementsImporter(DocumentImporter):
    batch_kind = SETTLEMENTS_BATCH
    label = _("结算单草稿")
    document_model = SettlementDraft
    line_model = SettlementLine
    line_fk = "draft"
    key = "return_no"
    state_field = "state"
    layout = SETTLEMENT_LAYOUT

    def check_chunk(self, keys: list[Any], chunk: list[Any], existing: dict[Any, tuple],
                    report: ImportReport) -> None:
        # Drafts link to the portal's return of the same number (as SettlementDraft.save() does one at a time).
        self.return_ids = dict(PurchaseReturn.objects.filter(return_no__in=keys).values_list("return_no", "pk"))

    def prepare_new(self, values: dict[str, Any]) -> None:
        values["purchase_return_id"] = self.return_ids.get(values["return_no"])

    def prepare_update(self, values: dict[str, Any]) -> None:
        values["purchase_return_id"] = self.return_ids.get(values["return_no"])


def import_settlements(data: bytes, *, file_name: str = "", user: Any = None, dry_run: bool = False) -> ImportReport:
    """Import settlement drafts from a spreadsheet: all rows or, if any is wrong, none."""
    return SettlementsImporter(user=user, file_name=file_name).run(data, dry_run=dry_run)
