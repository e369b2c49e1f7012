"""Excel layout of purchase returns (one row per outbound line) and of stop-waiting lists, and their imports.

The column names are the vendor's (`purchase_return_order_push.php`); the API names are accepted too. The line's
remark is `明细备注` in the file (`detail_remark` as an API-style name), because `备注` is the return's own remark.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from wdtportal.excel.columns import DOCUMENT, LINE, Layout, column
from wdtportal.excel.documents import INVALID, DocumentImporter, ImportReport

from .models import ImportBatch, OutboundLine, PurchaseReturn, new_outer_no

RETURN_LAYOUT = Layout(
    columns=(
        column(PurchaseReturn, "return_no", "退货单号", DOCUMENT, required=True, example="CG2026031500012",
               note=_("必填。同一张退货单的每一行都填同一个退货单号，以及相同的表头信息。")),
        column(PurchaseReturn, "outer_no", "外部单号", DOCUMENT, example="",
               note=_("选填。留空时自动生成，并在以后的导入中保持不变；填写时不能与其他退货单重复。")),
        column(PurchaseReturn, "logistics_code", "物流公司编号", DOCUMENT, example="SF",
               note=_("选填。ERP中物流公司的编号。")),
        column(PurchaseReturn, "logistics_no", "物流单号", DOCUMENT, example="SF1234567890", note=_("选填。")),
        column(PurchaseReturn, "post_cost", "邮资", DOCUMENT, example="12.50", note=_("选填。不小于0，最多4位小数。")),
        column(PurchaseReturn, "remark", "备注", DOCUMENT, code=False, example="供应商质量问题退货",
               note=_("选填。退货单的备注，最多255个字。")),
        column(PurchaseReturn, "is_check", "是否审核", DOCUMENT, example="是",
               note=_("选填。是/否、1/0 或 TRUE/FALSE；留空为“是”。")),
        column(OutboundLine, "spec_no", "商家编码", LINE, required=True, example="SKU-001",
               note=_("必填。同一退货单中商家编码+批次号不能重复。")),
        column(OutboundLine, "num", "退货数量", LINE, required=True, example="3",
               note=_("必填。大于0，最多4位小数。")),
        column(OutboundLine, "price", "单价", LINE, example="25.80", note=_("选填。不小于0，最多4位小数。")),
        column(OutboundLine, "position_no", "货位编号", LINE, example="A-01-02", note=_("选填。")),
        column(OutboundLine, "batch_no", "批次号", LINE, example="", note=_("选填。")),
        column(OutboundLine, "remark", "明细备注", LINE, code=False, key="detail_remark",
               aliases=("detail_list.remark", "line_remark"), example="", note=_("选填。这一行明细的备注。")),
    ),
    export_only=("出库单状态", "停止等待状态", "旺店通最近消息", "创建时间", "导入批次"),
)


class ReturnsImporter(DocumentImporter):
    batch_kind = ImportBatch.Kind.RETURNS
    label = _("采购退货")
    document_model = PurchaseReturn
    line_model = OutboundLine
    line_fk = "purchase_return"
    key = "return_no"
    state_field = "outbound_state"
    layout = RETURN_LAYOUT
    blank_keeps = frozenset({"outer_no"})

    def _outer_no_index(self) -> int | None:
        names = [col.key for col in self.doc_cols]
        return names.index("outer_no") if "outer_no" in names else None

    def check_file(self, docs: dict[Any, Any], report: ImportReport) -> None:
        index = self._outer_no_index()
        if index is None:
            return
        owners: dict[str, tuple[str, int]] = {}
        for key, doc in docs.items():
            outer_no = doc.values[index]
            if outer_no in ("", None) or outer_no is INVALID:
                continue
            if outer_no in owners and owners[outer_no][0] != key:
                other, row = owners[outer_no]
                report.add_error(doc.first_row, "外部单号", _(
                    "外部单号“%(outer)s”已用于第%(row)s行的退货单“%(other)s”，不同退货单的外部单号不能相同"
                ) % {"outer": outer_no, "row": row, "other": other})
            else:
                owners.setdefault(outer_no, (key, doc.first_row))

    def check_chunk(self, keys: list[Any], chunk: list[Any], existing: dict[Any, tuple],
                    report: ImportReport) -> None:
        index = self._outer_no_index()
        if index is None:
            return
        wanted = {doc.values[index]: (key, doc) for key, doc in zip(keys, chunk, strict=True)
                  if doc.values[index] not in ("", None) and doc.values[index] is not INVALID}
        if not wanted:
            return
        taken = PurchaseReturn.objects.filter(outer_no__in=list(wanted)).values_list("outer_no", "return_no")
        for outer_no, return_no in taken:
            key, doc = wanted[outer_no]
            if return_no != key:
                report.add_error(doc.first_row, "外部单号", _(
                    "外部单号“%(outer)s”已被退货单“%(other)s”使用，请换一个或留空（留空会自动生成）"
                ) % {"outer": outer_no, "other": return_no})

    def prepare_new(self, values: dict[str, Any]) -> None:
        if not values["outer_no"]:
            values["outer_no"] = new_outer_no()


def import_returns(data: bytes, *, file_name: str = "", user: Any = None, dry_run: bool = False) -> ImportReport:
    """Import purchase returns from a spreadsheet: all rows or, if any is wrong, none."""
    return ReturnsImporter(user=user, file_name=file_name).run(data, dry_run=dry_run)
