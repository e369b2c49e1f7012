"""Cleaning one cell the way clerks type it in Excel: one cleaner per kind of messy cell.

A cleaner takes the raw cell (str, int, float, bool, date or datetime, as python-calamine or the csv module give it)
and returns the value for the model field, or None for an empty cell; anything it cannot read raises `CellError`
with a Chinese message for the clerk. Cleaners are plain callables so that cleaning 100,000 rows stays cheap; the
decimal cleaner remembers the values it has already read because quantities and prices repeat a lot.
"""

import datetime
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

Cleaner = Callable[[Any], Any]

# Characters Excel users leave around values: ordinary and full-width spaces, no-break space, zero-width space, BOM.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_STRIP = " \t\r\n\u3000\xa0" + _INVISIBLE
_NUMBER_NOISE = re.compile(r"[\s,，_¥$\u200b\ufeff]")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 is 1900-01-01 once Excel's fictitious 1900-02-29 is counted
_MAX_SERIAL = 2958465  # 9999-12-31
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_CACHE_LIMIT = 50_000

TRUE_WORDS = frozenset({"是", "1", "1.0", "true", "t", "yes", "y", "对", "√", "✓", "审核", "是的"})
FALSE_WORDS = frozenset({"否", "0", "0.0", "false", "f", "no", "n", "错", "×", "✗", "不审核", "不"})


class CellError(ValueError):
    """A cell the clerk has to fix; the message says what is wrong with it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(value: Any) -> str:
    """The cell as the clerk sees it, shortened for messages."""
    text = str(value)
    return text if len(text) <= 30 else text[:30] + "…"


def normalize_text(value: str) -> str:
    """Full-width letters, digits and spaces to their ASCII forms; strip what surrounds the value."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
        for ch in _INVISIBLE:
            value = value.replace(ch, "")
    return value.strip(_STRIP)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip(_STRIP)
    return False


def _number_as_text(value: float) -> str:
    """12345.0 read from a number cell is the code "12345", not "12345.0"."""
    if value.is_integer():
        return str(int(value))
    return format(value, ".15g")


def text_cleaner(max_length: int | None, *, code: bool) -> Cleaner:
    """Text. A code (numbers, spec codes) is also brought from full-width to half-width; free text keeps its
    punctuation, because a Chinese remark is written with full-width commas on purpose."""

    def clean(value: Any) -> str | None:
        if value is None:
            return None
        kind = type(value)
        if kind is str:
            text = normalize_text(value) if code else value.strip(_STRIP)
        elif kind is float:
            text = _number_as_text(value)
        elif kind is bool:
            text = "TRUE" if value else "FALSE"
        elif kind is datetime.datetime or kind is datetime.date:
            text = value.isoformat()
        else:
            text = str(value).strip(_STRIP)
        if not text:
            return None
        if max_length is not None and len(text) > max_length:
            raise CellError(_("不能超过%(max)s个字符（现为%(n)s个）") % {"max": max_length, "n": len(text)})
        return text

    return clean


def decimal_cleaner(max_digits: int, decimal_places: int, *, percent: bool = False) -> Cleaner:
    """A decimal(max_digits, decimal_places) number typed as a number or as text ("１２", " 1,200.50 ", "¥3").

    Excel keeps numbers as binary floats, so 19.99*3 arrives as 59.970000000000006: such a float is read at
    Excel's own 15 significant digits. With `percent`, "13%" is read as 0.13.
    """
    integer_digits = max_digits - decimal_places
    cache: dict[Any, Decimal | None] = {}

    def parse(value: Any) -> Decimal | None:
        kind = type(value)
        if kind is float:
            if not math.isfinite(value):
                raise CellError(_("应为数字"))
            number = Decimal(repr(value))
            if number.as_tuple().exponent < -decimal_places:
                number = Decimal(format(value, ".15g"))
        elif kind is int:
            number = Decimal(value)
        elif kind is str:
            text = normalize_text(value)
            if not text:
                return None
            scale = None
            if percent and text.endswith("%"):
                text, scale = text[:-1], Decimal("0.01")
            text = _NUMBER_NOISE.sub("", text)
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise CellError(_("应为数字，现为“%(v)s”") % {"v": shown(value)}) from None
            if not number.is_finite():
                raise CellError(_("应为数字，现为“%(v)s”") % {"v": shown(value)})
            if scale is not None:
                number *= scale
        elif value is None:
            return None
        else:
            raise CellError(_("应为数字，现为“%(v)s”") % {"v": shown(value)})
        _sign, digits, exponent = number.as_tuple()
        if exponent < -decimal_places:
            number = number.normalize()
            _sign, digits, exponent = number.as_tuple()
            if exponent < -decimal_places:
                raise CellError(_("小数位不能超过%(n)s位") % {"n": decimal_places})
        if len(digits) + exponent > integer_digits and number != 0:
            raise CellError(_("整数部分不能超过%(n)s位") % {"n": integer_digits})
        if number == 0:
            number = Decimal(0)  # "-0" and "0E-7" are plain zero
        return number

    def clean(value: Any) -> Decimal | None:
        if type(value) is bool:  # True == 1 for a dict: never let a yes/no cell pass as a number
            raise CellError(_("应为数字，现为“%(v)s”") % {"v": shown(value)})
        try:
            return cache[value]
        except KeyError:
            pass
        except TypeError:  # unhashable: never from a spreadsheet, but keep the cleaner total
            return parse(value)
        number = parse(value)
        if len(cache) < _CACHE_LIMIT:
            cache[value] = number
        return number

    return clean


def bool_cleaner() -> Cleaner:
    """是/否, 1/0, TRUE/FALSE (and a few other ways people write yes and no)."""

    def clean(value: Any) -> bool | None:
        if value is None:
            return None
        kind = type(value)
        if kind is bool:
            return value
        if kind is int or kind is float:
            if value == 1:
                return True
            if value == 0:
                return False
        elif kind is str:
            text = normalize_text(value).lower()
            if not text:
                return None
            if text in TRUE_WORDS:
                return True
            if text in FALSE_WORDS:
                return False
        raise CellError(_("应为 是/否、1/0 或 TRUE/FALSE，现为“%(v)s”") % {"v": shown(value)})

    return clean


def _serial_to_date(serial: float) -> datetime.date:
    if not 1 <= serial <= _MAX_SERIAL:
        raise CellError(_("日期超出范围：%(v)s") % {"v": shown(serial)})
    return _EXCEL_EPOCH + datetime.timedelta(days=int(serial))


def date_cleaner() -> Cleaner:
    """A date as Excel stores it (a date cell or a serial number) or as text: 2026-03-31, 2026/3/31,
    2026年3月31日, 2026.3.31, 20260331."""

    def clean(value: Any) -> datetime.date | None:
        if value is None:
            return None
        kind = type(value)
        if kind is datetime.datetime:
            return value.date()
        if kind is datetime.date:
            return value
        if kind is int or kind is float:
            return _serial_to_date(value)
        if kind is str:
            text = normalize_text(value)
            if not text:
                return None
            match = _DATE_TEXT.match(text)
            if match:
                year, month, day = (int(part) for part in match.groups())
            elif text.isdigit() and len(text) == 8:
                year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
            elif text.replace(".", "", 1).isdigit() and len(text.split(".")[0]) <= 7:
                return _serial_to_date(float(text))
            else:
                raise CellError(_("应为日期，例如 2026-03-31，现为“%(v)s”") % {"v": shown(value)})
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise CellError(_("不是有效的日期：“%(v)s”") % {"v": shown(value)}) from None
        raise CellError(_("应为日期，例如 2026-03-31，现为“%(v)s”") % {"v": shown(value)})

    return clean


def choice_cleaner(choices: Any) -> Cleaner:
    """An integer choice given by its number (3, "3", "３", 3.0) or by its name ("电子增值税专用发票")."""
    by_number = {int(value): int(value) for value, _label in choices.choices}
    by_name = {normalize_text(str(label)): int(value) for value, label in choices.choices}
    listing = "、".join(f"{int(value)} {label}" for value, label in choices.choices)

    def clean(value: Any) -> int | None:
        if value is None:
            return None
        kind = type(value)
        if kind is int or (kind is float and value.is_integer()):
            if int(value) in by_number:
                return by_number[int(value)]
        elif kind is str:
            text = normalize_text(value)
            if not text:
                return None
            if text in by_name:
                return by_name[text]
            try:
                number = float(text)
            except ValueError:
                number = None
            if number is not None and number.is_integer() and int(number) in by_number:
                return by_number[int(number)]
        raise CellError(_("应为以下之一（编号或名称）：%(list)s；现为“%(v)s”") % {"list": listing, "v": shown(value)})

    return clean
