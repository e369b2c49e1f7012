"""`manage.py import_returns FILE [--dry-run]`: import purchase returns from Excel or CSV."""

from returns.resources import import_returns
from wdtportal.excel.command import ImportCommand


class Command(ImportCommand):
    help = "从 Excel/CSV 导入采购退货单（每行一条明细）；有任何错误则不做任何修改并以非零状态退出。"
    importer = staticmethod(import_returns)
