"""Cells as clerks type them: numbers as text, full-width characters, stray spaces, dates, yes/no, choices."""

import datetime
from decimal import Decimal

import pytest

from settlements.models import InvoiceType
from wdtportal.excel.cells import (
    CellError,
    bool_cleaner,
    choice_cleaner,
    date_cleaner,
    decimal_cleaner,
    text_cleaner,
)


@pytest.mark.parametrize(("raw", "expected"), [
    (3, Decimal(3)),
    (3.0, Decimal(3)),
    ("3", Decimal(3)),
    (" 12.50 ", Decimal("12.5")),
    ("１２．５", Decimal("12.5")),  # full-width digits and point
    ("\u3000１２\u3000", Decimal(12)),  # full-width spaces around
    ("1,200.5", Decimal("1200.5")),
    ("¥3", Decimal(3)),
    (19.99 * 3, Decimal("59.97")),  # binary float noise read at Excel's 15 digits
    ("", None),
    ("  ", None),
    (None, None),
])
def test_decimal_cleaner_reads_numbers_as_people_type_them(raw, expected):
    assert decimal_cleaner(19, 4)(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("abc", "应为数字"),
    ("1.23456", "小数位不能超过4位"),
    ("1234567890123456", "整数部分不能超过15位"),
    ("NaN", "应为数字"),
    (True, "应为数字"),
])
def test_decimal_cleaner_refuses_what_is_not_a_decimal_19_4(raw, message):
    with pytest.raises(CellError, match=message):
        decimal_cleaner(19, 4)(raw)


def test_percent_is_read_as_a_fraction_only_where_allowed():
    assert decimal_cleaner(19, 4, percent=True)("13%") == Decimal("0.13")
    with pytest.raises(CellError):
        decimal_cleaner(19, 4)("13%")


@pytest.mark.parametrize(("raw", "expected"), [
    (" SKU-1 ", "SKU-1"),
    ("ＳＫＵ－１", "SKU-1"),
    (12345.0, "12345"),  # a code typed into a number cell
    (7.7e11, "770000000000"),
    ("\u200bR1\ufeff", "R1"),
    ("", None),
])
def test_code_cleaner_normalises_full_width_and_number_cells(raw, expected):
    assert text_cleaner(40, code=True)(raw) == expected


def test_free_text_keeps_chinese_punctuation():
    assert text_cleaner(255, code=False)(" 质量问题，退回。 ") == "质量问题，退回。"


def test_text_longer_than_the_field_is_refused():
    with pytest.raises(CellError, match="不能超过5个字符"):
        text_cleaner(5, code=True)("ABCDEF")


@pytest.mark.parametrize(("raw", "expected"), [
    ("是", True), ("否", False), (1, True), (0, False), (1.0, True), ("1", True), ("0", False),
    ("TRUE", True), ("false", False), (True, True), ("Ｙ", True), ("", None),
])
def test_yes_no_cells(raw, expected):
    assert bool_cleaner()(raw) is expected


def test_yes_no_refuses_anything_else():
    with pytest.raises(CellError, match="是/否"):
        bool_cleaner()("也许")


@pytest.mark.parametrize(("raw", "expected"), [
    (datetime.date(2026, 3, 31), datetime.date(2026, 3, 31)),
    (datetime.datetime(2026, 3, 31, 8, 0), datetime.date(2026, 3, 31)),
    (46112, datetime.date(2026, 3, 31)),  # Excel serial
    (46112.0, datetime.date(2026, 3, 31)),
    ("46112", datetime.date(2026, 3, 31)),
    ("2026-03-31", datetime.date(2026, 3, 31)),
    ("2026/3/31", datetime.date(2026, 3, 31)),
    ("2026年3月31日", datetime.date(2026, 3, 31)),
    ("2026.3.31", datetime.date(2026, 3, 31)),
    ("20260331", datetime.date(2026, 3, 31)),
    ("２０２６－０３－３１", datetime.date(2026, 3, 31)),
])
def test_dates_as_serials_or_text(raw, expected):
    assert date_cleaner()(raw) == expected


@pytest.mark.parametrize("raw", ["2026-02-30", "下个月", "31/03/2026x"])
def test_bad_dates_are_refused(raw):
    with pytest.raises(CellError):
        date_cleaner()(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    (3, 3), (3.0, 3), ("3", 3), ("３", 3), ("电子增值税专用发票", 3), (" 无发票 ", 0), ("", None),
])
def test_invoice_type_by_number_or_name(raw, expected):
    assert choice_cleaner(InvoiceType)(raw) == expected


def test_unknown_invoice_type_lists_the_choices():
    with pytest.raises(CellError, match="0 无发票"):
        choice_cleaner(InvoiceType)("专票")
