"""What can be wrong with an imported file: the whole file (`SpreadsheetError`) or one cell (`RowError`)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _


class SpreadsheetError(Exception):
    """The file as a whole cannot be imported; the message tells the clerk why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row, naming the row and, once known, its document: `第34行（CR…）退货数量: 必须大于0`."""

    row: int
    column: str
    message: str
    key: str = ""  # the document's number (退货单号), when the row has a readable one

    def __str__(self) -> str:
        values = {"row": self.row, "key": self.key, "column": self.column, "message": self.message}
        if self.key and self.column:
            return _("第%(row)s行（%(key)s）%(column)s: %(message)s") % values
        if self.key:
            return _("第%(row)s行（%(key)s）: %(message)s") % values
        if self.column:
            return _("第%(row)s行 %(column)s: %(message)s") % values
        return _("第%(row)s行: %(message)s") % values

    def in_row(self) -> str:
        """The error as the row itself carries it in an error copy (the row is there already)."""
        return f"{self.column}: {self.message}" if self.column else self.message
