"""Exporting documents with their lines: one row per line, the document's fields repeated, in the import's columns.

The export has every column of the import layout (so it can be edited and imported again), each line's 金额
(quantity × price) after its price, then what only the portal knows (states, WDT's last message, JS numbers...):
the import ignores these. A second sheet, 合计, gives the documents, lines, Σ quantity and Σ amount, so a file
is checked against a statement without a formula; it is a sheet of its own, below no row of the data, because the
import reads only the first sheet and a 合计 row there would be read as a document. Numbers keep every decimal.
Documents are read 1,000 at a time with their lines, so memory stays flat however many are exported (beyond 8
bytes an id).
"""

import datetime
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wdtportal.documents.numbers import amount
from wdtportal.documents.registry import lines_of

from .columns import AMOUNT_COLUMN, DOCUMENT, LINE
from .documents import DocumentImporter

CHUNK = 1000


@dataclass(frozen=True)
class ExtraColumn:
    """A column only the export has: `header`, the document's attribute, and how to show its value."""

    header: str
    attname: str
    show: Callable[[Any], Any] = lambda value: value


def cell_value(model_field: models.Field) -> Callable[[Any], Any]:
    """How a stored value is written to a cell so that the import reads it back the same.

    Names of choices and yes/no are written in the portal's own language (Chinese), whatever language the person
    exporting reads: the import recognises those names, and a file exported in English must import again."""
    with translation.override(settings.LANGUAGE_CODE):
        labels = {value: str(label) for value, label in model_field.flatchoices}
        yes, no = _("是"), _("否")
    if model_field.choices:
        return lambda value: labels.get(value, value)
    if isinstance(model_field, models.BooleanField):
        return lambda value: None if value is None else (yes if value else no)
    if isinstance(model_field, models.DateTimeField):
        return lambda value: timezone.localtime(value).replace(tzinfo=None) if value else None
    return lambda value: value


def repeated(show: Callable[[Any], Any], limit: int = 1000) -> Callable[[Any], Any]:
    """`show`, computed once per value for the first `limit` values: a state's label is looked up in the
    translations once per export rather than once per document."""
    cache: dict[Any, Any] = {}

    def shown(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            result = show(value)
            if len(cache) < limit:
                cache[value] = result
            return result

    return shown


def local_time(value: datetime.datetime | None) -> datetime.datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


@dataclass
class ExportTotals:
    """What the exported rows add up to, counted while they stream out."""

    documents: int = 0
    lines: int = 0
    quantity: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)

    def rows(self) -> list[tuple[str, Any]]:
        """The 合计 sheet: (label, value), in the language of the portal (as the export's headers)."""
        with translation.override(settings.LANGUAGE_CODE):
            return [(_("导出时间"), local_time(timezone.now())), (_("单据数"), self.documents),
                    (_("明细行数"), self.lines), (_("数量合计"), self.quantity), (_("金额合计"), self.amount)]


@dataclass
class ExportSheet:
    """What an export resource hands to the file format: a title, the header, a stream of rows and, once they are
    read, their totals."""

    title: str
    headers: list[str]
    rows: Iterator[list[Any]]
    totals: ExportTotals | None = None

    def __bool__(self) -> bool:
        return True


def export_documents(importer: type[DocumentImporter], queryset: Any, extras: list[ExtraColumn],
                     title: str, progress: Callable[[int], None] | None = None) -> ExportSheet:
    """The documents of `queryset` (in its order) with their lines, streamed. `progress(documents read)` is called
    after each chunk of CHUNK documents."""
    layout = importer.layout
    model = importer.document_model
    doc_cols = [col for col in layout.columns if col.level == DOCUMENT]
    line_cols = [col for col in layout.columns if col.level == LINE]
    doc_show = [cell_value(model._meta.get_field(col.field_name)) for col in doc_cols]
    line_show = [cell_value(importer.line_model._meta.get_field(col.field_name)) for col in line_cols]
    doc_fields = ["pk", *[col.field_name for col in doc_cols], *[extra.attname for extra in extras]]
    fk = f"{importer.line_fk}_id"
    line_fields = [fk, *[col.field_name for col in line_cols]]
    empty_line = [None] * len(line_cols)
    n_doc = len(doc_cols)
    totals = ExportTotals()
    # Where 金额 goes (after the price) and what it multiplies.
    spec = lines_of(model)
    line_names = [col.field_name for col in line_cols]
    at_quantity = line_names.index(spec.quantity) if spec and spec.quantity in line_names else None
    at_price = line_names.index(spec.price) if spec and spec.price in line_names else None
    after = (at_price if at_price is not None else len(line_cols) - 1) + 1

    def with_amount(line: tuple) -> list[Any]:
        cells = [show(value) for show, value in zip(line_show, line, strict=True)]
        worth = None
        if at_quantity is not None and line[at_quantity] is not None:
            totals.lines += 1
            totals.quantity += line[at_quantity]
            worth = amount(line[at_quantity], line[at_price]) if at_price is not None else None
            totals.amount += worth or 0
        return [*cells[:after], worth, *cells[after:]]
    extra_show = [repeated(extra.show) for extra in extras]

    def rows() -> Iterator[list[Any]]:
        # The ids first, in the queryset's order (8 bytes each), then each chunk's documents and lines by id:
        # short queries, no cursor left open between them. (On SQLite an open read keeps a snapshot, and a write
        # on the same connection meanwhile, such as a job reporting its progress, fails as "database is locked".)
        ids = array("q", queryset.values_list("pk", flat=True).iterator(chunk_size=10_000))
        manager = model._default_manager
        for read in range(0, len(ids), CHUNK):
            wanted = ids[read:read + CHUNK]
            by_id = {row[0]: row for row in manager.filter(pk__in=wanted).values_list(*doc_fields)}
            chunk = [by_id[pk] for pk in wanted if pk in by_id]
            lines: dict[int, list[tuple]] = defaultdict(list)
            for line in (importer.line_model.objects.filter(**{f"{fk}__in": [row[0] for row in chunk]})
                         .order_by(fk, "line_no", "id").values_list(*line_fields)):
                lines[line[0]].append(line[1:])
            for row in chunk:
                totals.documents += 1
                head = [show(value) for show, value in zip(doc_show, row[1:n_doc + 1], strict=True)]
                tail = [show(value) for show, value in zip(extra_show, row[n_doc + 1:], strict=True)]
                for line in lines.get(row[0]) or [empty_line]:
                    yield [*head, *with_amount(line), *tail]
            if progress is not None:
                progress(read + len(wanted))

    line_headers = [col.header for col in line_cols]
    headers = [col.header for col in layout.columns if col.level == DOCUMENT]
    headers += [*line_headers[:after], AMOUNT_COLUMN, *line_headers[after:]]
    headers += [extra.header for extra in extras]
    return ExportSheet(title, headers, rows(), totals)
