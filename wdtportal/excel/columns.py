"""The columns of an import file: which header means which field, and how each cell is cleaned and checked.

A column is declared with the model field it fills; its cleaner and its checks (length, decimal(19,4), the model's
own validators such as `positive`) are taken from that field, so the rules live in one place: the model.
Headers are the vendor's Chinese field names; the API names (`return_no`, ...) are accepted too.
"""

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    DecimalValidator,
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from wdtportal.documents.validators import positive

from . import cells
from .cells import CellError

DOCUMENT = "document"
LINE = "line"
# The column an error copy adds (see writing.error_copy_xlsx): ignored when that copy is imported again.
ERROR_COLUMN = "错误"
# The column an export adds after the price (quantity × price, see exporting.py): ignored when imported again.
AMOUNT_COLUMN = "金额"


@dataclass(frozen=True, eq=False)
class Column:
    key: str  # the model field, named as the API names it
    header: str  # the vendor's Chinese name: the header written in templates and exports
    level: str  # DOCUMENT: repeated on every line of a document; LINE: one value per line
    clean: Callable[[Any], Any]
    required: bool = False
    default: Any = None  # the value of an empty cell
    aliases: tuple[str, ...] = ()
    example: Any = ""
    note: str = ""
    attribute: str = ""  # the model attribute, when it differs from `key`
    model_field: models.Field | None = None  # the field the column fills: its rules are the column's rules

    @property
    def field_name(self) -> str:
        return self.attribute or self.key

    @property
    def choices(self) -> dict[Any, Any]:
        """value → name, for a column of choices (the invoice type); empty otherwise."""
        if self.model_field is None or not self.model_field.choices:
            return {}
        return dict(self.model_field.flatchoices)

    @property
    def max_length(self) -> int | None:
        return getattr(self.model_field, "max_length", None) if isinstance(self.model_field, models.CharField) else None

    def allowed_values(self) -> str:
        """What a cell may hold, as the 填写说明 sheet says it, from the model field: its choices by number and name,
        是/否, a date, or a number with its decimals and bounds; "" for free text."""
        model_field = self.model_field
        if model_field is None:
            return ""
        if self.choices:
            # By number or by name, the names as the import reads them: in the portal's own language.
            with translation.override(settings.LANGUAGE_CODE):
                return "、".join(f"{value} {label}" for value, label in self.choices.items())
        if isinstance(model_field, models.BooleanField):
            return _("是/否（也可填 1/0、TRUE/FALSE）")
        if isinstance(model_field, models.DateField):
            return _("日期，例如 2027-12-31")
        if isinstance(model_field, models.DecimalField):
            rule = _("数字，最多%(places)s位小数") % {"places": model_field.decimal_places}
            bounds = [str(validator.message) for validator in model_field.validators
                      if isinstance(validator, MinValueValidator | MaxValueValidator)]
            bounds += [_("必须大于0") for validator in model_field.validators if validator is positive]
            return "；".join([rule, *bounds])
        return ""


def _checks_from(model_field: models.Field) -> list[Callable[[Any], None]]:
    """The model field's validators as fast checks; the ones the cleaner already enforces are left out."""
    checks: list[Callable[[Any], None]] = []
    for validator in model_field.validators:
        if isinstance(validator, DecimalValidator | MaxLengthValidator | ProhibitNullCharactersValidator):
            continue
        if isinstance(validator, MinValueValidator):
            limit, message = validator.limit_value, validator.message

            def check(value: Any, limit: Any = limit, message: Any = message) -> None:
                if value < limit:
                    raise CellError(str(message))
        elif isinstance(validator, MaxValueValidator):
            limit, message = validator.limit_value, validator.message

            def check(value: Any, limit: Any = limit, message: Any = message) -> None:
                if value > limit:
                    raise CellError(str(message))
        else:

            def check(value: Any, validator: Callable[[Any], None] = validator) -> None:
                try:
                    validator(value)
                except ValidationError as error:
                    raise CellError("；".join(str(m) for m in error.messages)) from None

        checks.append(check)
    return checks


def cleaner_for(model_field: models.Field, *, code: bool = True, percent: bool = False) -> Callable[[Any], Any]:
    if model_field.choices and isinstance(model_field, models.IntegerField):
        choices = type("Choices", (), {"choices": model_field.choices})
        base = cells.choice_cleaner(choices)
    elif isinstance(model_field, models.DecimalField):
        base = cells.decimal_cleaner(model_field.max_digits, model_field.decimal_places, percent=percent)
    elif isinstance(model_field, models.BooleanField):
        base = cells.bool_cleaner()
    elif isinstance(model_field, models.DateField):
        base = cells.date_cleaner()
    elif isinstance(model_field, models.CharField | models.TextField):
        base = cells.text_cleaner(model_field.max_length, code=code)
    else:  # pragma: no cover - a column for a field kind nobody declared yet
        raise TypeError(f"no cleaner for {model_field!r}")
    checks = _checks_from(model_field)
    if not checks:
        return base

    def clean(value: Any) -> Any:
        result = base(value)
        if result is not None:
            for check in checks:
                check(result)
        return result

    return clean


def column(
    model: type[models.Model],
    name: str,
    header: str,
    level: str,
    *,
    required: bool = False,
    aliases: Sequence[str] = (),
    example: Any = "",
    note: str = "",
    code: bool = True,
    percent: bool = False,
    key: str = "",
) -> Column:
    """A column for `model.<name>`, cleaned and checked as that field demands."""
    model_field = model._meta.get_field(name)
    default = None
    if model_field.has_default():
        default = model_field.get_default()
    elif isinstance(model_field, models.CharField | models.TextField):
        default = ""
    return Column(
        key=key or name,
        header=header,
        level=level,
        clean=cleaner_for(model_field, code=code, percent=percent),
        required=required,
        default=default,
        aliases=tuple(aliases),
        example=example,
        note=note,
        attribute=name if key and key != name else "",
        model_field=model_field,
    )


def normalize_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value if value is not None else ""))
    text = "".join(text.split()).strip("*")
    for mark in ("(必填)", "(选填)"):
        text = text.replace(mark, "")
    return text.lower() if text.isascii() else text


@dataclass
class HeaderMap:
    """Which position in the file holds which column."""

    positions: list[tuple[int, Column]]
    unknown: list[str] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return any(col.key == key for _, col in self.positions)


@dataclass(frozen=True, eq=False)
class Layout:
    """All the columns of one kind of file, plus the columns an export adds that an import ignores."""

    columns: tuple[Column, ...]
    export_only: tuple[str, ...] = ()

    def by_key(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def map_header(self, header: Sequence[Any]) -> HeaderMap:
        """Match the header row; raise `MissingColumns`/`DuplicateColumns` when the file cannot be read at all."""
        from .errors import SpreadsheetError

        names: dict[str, Column] = {}
        for col in self.columns:
            for name in (col.header, col.key, *col.aliases):
                names[normalize_header(name)] = col
        ignored = {normalize_header(name) for name in (*self.export_only, ERROR_COLUMN, AMOUNT_COLUMN)}
        positions: list[tuple[int, Column]] = []
        unknown: list[str] = []
        seen: dict[str, str] = {}
        for index, raw in enumerate(header):
            name = normalize_header(raw)
            if not name or name in ignored:
                continue
            col = names.get(name)
            if col is None:
                unknown.append(str(raw).strip())
                continue
            if col.key in seen:
                raise SpreadsheetError(
                    _("列“%(a)s”和“%(b)s”都表示%(header)s，请只保留一列。")
                    % {"a": seen[col.key], "b": str(raw).strip(), "header": col.header}
                )
            seen[col.key] = str(raw).strip()
            positions.append((index, col))
        missing = [col.header for col in self.columns if col.required and col.key not in seen]
        if missing:
            raise SpreadsheetError(
                _("表头缺少必需的列：%(missing)s。请下载导入模板，对照模板的第一行填写列名。")
                % {"missing": "、".join(missing)}
            )
        return HeaderMap(positions, unknown)
