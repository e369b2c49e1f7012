"""What the file checks (`xlsx_guard`, `xls_guard`) learn about the first sheet before python-calamine reads it.

python-calamine builds a sheet as one dense rectangle from its first to its last cell (tafia/calamine#693): a 10 KB
file with cells at A1 and XFD1048576 asks for 17 billion cells. `Extent` keeps the largest row and column seen and
refuses the file as soon as they pass the limits. `FormulaCells` remembers every cell that holds a formula.
"""

from django.utils.translation import gettext as _

from .errors import SpreadsheetError
from .limits import ImportLimits


def column_letters(index: int) -> str:
    """0 → "A", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str | bytes) -> int:
    """"A" → 0, "AA" → 26 (letters in either case)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    index = 0
    for letter in letters.upper():
        index = index * 26 + (ord(letter) - 64)
    return index - 1


class FormulaCells:
    """Cells that hold a formula: a bitmask of column indexes per Excel row number.

    Compact for a whole column of formulas (one int per row), and never capped, so formulas in columns the import
    ignores cannot crowd out those in the columns it reads.
    """

    __slots__ = ("by_row",)

    def __init__(self) -> None:
        self.by_row: dict[int, int] = {}

    def add(self, row: int, column: int) -> None:
        self.by_row[row] = self.by_row.get(row, 0) | (1 << column)

    def __contains__(self, cell: object) -> bool:
        row, column = cell  # type: ignore[misc]
        return column >= 0 and bool(self.by_row.get(row, 0) >> column & 1)

    def __len__(self) -> int:
        return sum(mask.bit_count() for mask in self.by_row.values())

    def __bool__(self) -> bool:
        return bool(self.by_row)

    def rows(self) -> set[int]:
        return set(self.by_row)

    def cells(self) -> list[tuple[int, int]]:
        """(row number, column index) of every formula, in sheet order."""
        return [(row, column) for row, mask in sorted(self.by_row.items())
                for column in range(mask.bit_length()) if mask >> column & 1]

    def shifted(self, first_column: int) -> "FormulaCells":
        """The same cells with column indexes counted from `first_column` (the sheet's first used column)."""
        if not first_column:
            return self
        shifted = FormulaCells()
        shifted.by_row = {row: mask >> first_column for row, mask in self.by_row.items() if mask >> first_column}
        return shifted


class Extent:
    """The largest row (1-based, as Excel numbers it) and column (0-based index) of any cell, checked as they grow."""

    def __init__(self, limits: ImportLimits) -> None:
        self.limits = limits
        self.max_row = 0
        self.max_column = -1
        self.cells = 0

    def add(self, row: int, column: int) -> None:
        """A cell at Excel row `row`, column index `column`."""
        if row > self.max_row or column > self.max_column:
            self.max_row = max(self.max_row, row)
            self.max_column = max(self.max_column, column)
            self.check(row, column)

    def check(self, row: int, column: int) -> None:
        limits = self.limits
        if row > limits.max_rows + 1:
            raise SpreadsheetError(_(
                "表格的第一个工作表用到了第%(row)s行，超过单次导入的上限 %(max)s 行。如果数据没有这么多，请在Excel中"
                "删除数据下方多余的行（包括只设置了格式的单元格）后另存再导入；否则请把文件拆成几个后分别导入。"
            ) % {"row": f"{row:,}", "max": f"{limits.max_rows:,}"})
        if column + 1 > limits.max_columns:
            raise SpreadsheetError(_(
                "表格的第一个工作表用到了第%(column)s列（%(letters)s列），超过上限 %(max)s 列。请在Excel中删除数据右侧"
                "多余的列（包括只设置了格式的单元格）后另存再导入。"
            ) % {"column": f"{column + 1:,}", "letters": column_letters(column), "max": f"{limits.max_columns:,}"})
        if self.max_row * (self.max_column + 1) > limits.max_cells:
            raise SpreadsheetError(_(
                "表格的第一个工作表范围过大：%(rows)s 行 × %(columns)s 列，超过上限 %(max)s 个单元格。"
                "请在Excel中删除多余的行和列（包括只设置了格式的单元格），或把文件拆成几个后分别导入。"
            ) % {"rows": f"{self.max_row:,}", "columns": f"{self.max_column + 1:,}", "max": f"{limits.max_cells:,}"})

    def count_cells(self, n: int) -> None:
        """Cell elements read one by one: more of them than the whole budget is a bomb of repeated cells."""
        self.cells += n
        if self.cells > self.limits.max_cells:
            raise SpreadsheetError(_(
                "表格的第一个工作表单元格过多（超过 %(max)s 个），已拒绝。请只保留需要导入的数据后再试。"
            ) % {"max": f"{self.limits.max_cells:,}"})
