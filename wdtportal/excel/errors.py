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
    """One problem in one row: `第12行 退货数量: 必须大于0`."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("第%(row)s行 %(column)s: %(message)s") % {
                "row": self.row, "column": self.column, "message": self.message}
        return _("第%(row)s行: %(message)s") % {"row": self.row, "message": self.message}
