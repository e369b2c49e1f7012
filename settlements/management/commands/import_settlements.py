"""`manage.py import_settlements FILE [--dry-run]`: import settlement drafts from Excel or CSV."""

from settlements.resources import import_settlements
from wdtportal.excel.command import ImportCommand


class Command(ImportCommand):
    help = "从 Excel/CSV 导入结算单草稿（每行一条明细）；有任何错误则不做任何修改并以非零状态退出。"
    importer = staticmethod(import_settlements)
