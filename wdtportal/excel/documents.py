"""Importing documents with lines from one sheet: the fast path the admin, the command line and the benchmark share.

One row per line, the document's own fields repeated on each of its lines. The import

1. reads the rows one at a time, cleans every cell and keeps only a compact tuple per line;
2. groups lines by the document's number, checking that the repeated fields agree;
3. compares each document with the stored one, 500 documents at a time: new, changed (an update, allowed only while
   the document is editable), unchanged, or locked (WDT has it: reported, never changed);
4. writes inside one transaction (parameterised INSERT/UPDATE run by executemany, see `bulk`), and rolls
   everything back if anything is wrong.

Every problem found is collected, so the clerk sees all of them at once; a dry run does steps 1-3 only.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wdtportal.documents import numbers
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.registry import lines_of
from wdtportal.documents.states import EDITABLE, DocumentState
from wdtportal.documents.totals import TOTAL_FIELDS, Totals, totals_of
from wdtportal.documents.transitions import move_many

from .bulk import insert_rows, model_defaults, update_rows
from .cells import CellError, shown
from .columns import DOCUMENT, LINE, Column, HeaderMap, Layout
from .errors import RowError, SpreadsheetError
from .extent import FormulaCells
from .limits import ImportLimits
from .reading import Sheet, open_sheet

NEW, UPDATE, UNCHANGED, LOCKED = "new", "update", "unchanged", "locked"
STATUS_LABELS = {
    NEW: gettext_lazy("新建"),
    UPDATE: gettext_lazy("更新"),
    UNCHANGED: gettext_lazy("未变"),
    LOCKED: gettext_lazy("不可修改"),
}
PREVIEW_ROWS = 20
CHUNK = 500
PROGRESS_EVERY = 2000
# Errors a report keeps for the page and the command (the rest are counted); the error copy keeps them all.
MAX_KEPT_ERRORS = 100_000
INVALID = object()  # a cell that could not be read; its error is already recorded


def formula_message() -> str:
    return _("这里是公式，不是数值。请选中这一列，复制后“选择性粘贴 → 数值”，再导入。")


def display(value: Any, column: Column | None = None) -> str:
    """A cleaned value as the preview shows it: a choice by its name, money and quantities as every page shows
    them (wdtportal/documents/numbers.py)."""
    if value is None or value is INVALID:
        return ""
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if column is not None and column.choices:
        return str(column.choices.get(value, value))
    if isinstance(value, Decimal):
        return numbers.shown(value, column.field_name if column is not None else "")
    return str(value)


def preview_class(column: Column) -> str:
    if isinstance(column.model_field, models.DecimalField):
        return "num"
    if column.field_name == "remark":
        return "wrap"
    return ""


@dataclass
class FileTotals:
    """What some documents of a file add up to: a clerk checks these against the supplier's statement."""

    documents: int = 0
    lines: int = 0
    quantity: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)

    def add(self, lines: int, quantity: Decimal, amount: Decimal) -> None:
        self.documents += 1
        self.lines += lines
        self.quantity += quantity
        self.amount += amount

    @property
    def quantity_shown(self) -> str:
        return numbers.quantity(self.quantity)

    @property
    def amount_shown(self) -> str:
        return numbers.money(self.amount)


@dataclass
class ImportReport:
    """What an import found and did; the admin's preview, the command's output and the error copy read it."""

    kind: str
    file_name: str = ""
    dry_run: bool = True
    problem: str = ""  # the file as a whole could not be read
    rows: int = 0
    documents: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    locked: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    locked_documents: list[tuple[str, str]] = field(default_factory=list)
    preview_headers: list[str] = field(default_factory=list)
    # A class per preview column: "num" (right-aligned figures), "wrap" (free text that may wrap), "" (one line).
    preview_classes: list[str] = field(default_factory=list)
    # (row number, what happens to its document: 新建/更新/未变/不可修改, the row's cleaned values)
    preview_rows: list[tuple[int, str, list[str]]] = field(default_factory=list)
    batch_id: int | None = None
    keep_all_errors: bool = False  # for the error copy, which promises every error
    # Σ of the file's documents, and of those new, updated, unchanged and locked (by status): documents, lines,
    # quantity, amount (quantity × price, line by line).
    file_totals: FileTotals = field(default_factory=FileTotals)
    totals: dict[str, FileTotals] = field(default_factory=dict)

    def preview_table(self) -> list[tuple[int, str, list[tuple[str, str]]]]:
        """The preview rows with each value's column class: (row number, status, [(value, class)])."""
        return [(number, status, list(zip(values, self.preview_classes, strict=False)))
                for number, status, values in self.preview_rows]

    def totals_rows(self) -> list[tuple[str, str, FileTotals]]:
        """(status, label, totals) for each status some document has, then the whole file ("" status)."""
        rows = [(status, str(STATUS_LABELS[status]), self.totals[status]) for status in STATUS_LABELS
                if status in self.totals]
        return [*rows, ("", _("合计"), self.file_totals)]

    @property
    def ok(self) -> bool:
        return not self.problem and not self.error_count

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def add_error(self, row: int, column: str, message: str, key: Any = "") -> None:
        self.error_count += 1
        if self.keep_all_errors or len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(RowError(row, column, message, "" if key is INVALID or key is None else str(key)))

    def name_errors(self, since: int, key: Any) -> None:
        """Give the errors kept from index `since` on (a row's, found before its number was read) the number of
        their document: `第34行（CR…）退货数量: 必须大于0`."""
        if key is INVALID or key in (None, ""):
            return
        for index in range(since, len(self.errors)):
            if not self.errors[index].key:
                self.errors[index] = replace(self.errors[index], key=str(key))

    def error_lines(self) -> list[str]:
        lines = [str(error) for error in sorted(self.errors, key=lambda e: e.row)]
        if self.error_count > len(self.errors):
            lines.append(_("……以及另外 %(n)s 个错误") % {"n": self.error_count - len(self.errors)})
        return lines

    def summary(self) -> str:
        return _(
            "%(documents)s 张单据，%(rows)s 行明细：新建 %(created)s，更新 %(updated)s，未变 %(unchanged)s，"
            "不可修改 %(locked)s，错误 %(errors)s"
        ) % {
            "documents": self.documents, "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "locked": self.locked, "errors": self.error_count,
        }


class _Doc:
    """One document of the file: its repeated fields, its lines as compact tuples, and what the import makes of it."""

    __slots__ = ("first_row", "lines", "pk", "state", "status", "values")

    def __init__(self, first_row: int, values: tuple, line: tuple) -> None:
        self.first_row = first_row
        self.values = values
        self.lines = [line]
        self.pk: int | None = None
        self.state: str | None = None  # the stored document's state
        self.status: str | None = None


class _Rollback(Exception):
    pass


class DocumentImporter:
    """Imports one kind of document; `returns.resources` and `settlements.resources` say which."""

    batch_kind: str
    label: str
    document_model: type[models.Model]
    line_model: type[models.Model]
    line_fk: str
    key: str
    state_field: str
    layout: Layout
    # Columns whose empty cell leaves the stored value as it is (instead of clearing it).
    blank_keeps: frozenset[str] = frozenset()
    line_identity: tuple[str, str] = ("spec_no", "batch_no")

    def __init__(self, *, user: Any = None, file_name: str = "", limits: ImportLimits | None = None,
                 progress: Callable[[int, bool], None] | None = None) -> None:
        self.user = user if getattr(user, "is_authenticated", False) else None
        self.file_name = file_name
        self.limits = limits or ImportLimits.from_settings()
        # (rows read so far, whether reading is over): every PROGRESS_EVERY rows, then once before the writing
        self.progress = progress

    # --- entry points -------------------------------------------------------------------------------

    def run(self, data: bytes, *, dry_run: bool, keep_all_errors: bool = False) -> ImportReport:
        """Check the file and, unless `dry_run`, write it: all of it or, on any error, nothing."""
        report = ImportReport(kind=self.batch_kind, file_name=self.file_name, dry_run=dry_run,
                              keep_all_errors=keep_all_errors)
        try:
            sheet = open_sheet(data, self.file_name, self.limits)
            header_map = self.layout.map_header(sheet.header)
            report.unknown_columns = header_map.unknown
            docs = self._read(sheet, header_map, report)
            if self.progress is not None:
                self.progress(report.rows, True)
            self._plan_and_write(docs, report, dry_run=dry_run)
            report.preview_rows = [
                (row_no, str(STATUS_LABELS.get(docs[key].status, "")) if key in docs else "", values)
                for row_no, key, values in report.preview_rows]
        except SpreadsheetError as error:
            report.problem = error.message
        except DatabaseError:
            # A concurrent import or send got there first (unique number, state changed): nothing was written.
            report.problem = _(
                "保存时与其他操作发生冲突（例如有人同时导入或发送了相同的单据），本次没有做任何修改。请重新导入。")
        return report

    # --- step 1 and 2: read, clean, group ------------------------------------------------------------

    def _read(self, sheet: Sheet, header_map: HeaderMap, report: ImportReport) -> dict[Any, _Doc]:
        doc_cols = [(pos, col) for pos, col in header_map.positions if col.level == DOCUMENT]
        line_cols = [(pos, col) for pos, col in header_map.positions if col.level == LINE]
        self.doc_cols = [col for _, col in doc_cols]
        self.line_cols = [col for _, col in line_cols]
        cols = self.doc_cols + self.line_cols
        positions = [pos for pos, _ in doc_cols + line_cols]
        cleaners = [col.clean for col in cols]
        defaults = [col.default for col in cols]
        required = [i for i, col in enumerate(cols) if col.required]
        n_doc = len(doc_cols)
        key_index = next(i for i, col in enumerate(self.doc_cols) if col.key == self.key)
        width = max(positions) + 1
        formula_rows = sheet.formula_cells.rows()
        report.preview_headers = [col.header for col in cols]
        report.preview_classes = [preview_class(col) for col in cols]
        docs: dict[Any, _Doc] = {}
        key_header = self.layout.by_key(self.key).header
        progress = self.progress

        totals_at = self._totals_positions()
        for row_no, row in sheet.data_rows:
            errors_before = len(report.errors)
            report.rows += 1
            if progress is not None and not report.rows % PROGRESS_EVERY:
                progress(report.rows, False)
            if len(row) < width:
                row = [*row, *([None] * (width - len(row)))]
            values = None
            if row_no not in formula_rows:
                try:
                    values = [clean(row[pos]) for clean, pos in zip(cleaners, positions, strict=True)]
                except CellError:
                    values = None
            if values is None:
                values = self._read_slowly(row_no, row, cols, positions, sheet.formula_cells, report)
            if None in values:
                for i in required:
                    if values[i] is None:
                        report.add_error(row_no, cols[i].header, _("必填，不能为空"))
                        values[i] = INVALID
                values = [d if v is None else v for v, d in zip(values, defaults, strict=True)]
            if len(report.preview_rows) < PREVIEW_ROWS:
                report.preview_rows.append((row_no, values[key_index],
                                            [display(v, col) for v, col in zip(values, cols, strict=True)]))
            key = values[key_index]
            if len(report.errors) > errors_before:
                report.name_errors(errors_before, key)
            if key is INVALID:
                continue
            doc_values = tuple(values[:n_doc])
            line = (row_no, *values[n_doc:])
            doc = docs.get(key)
            if doc is None:
                docs[key] = _Doc(row_no, doc_values, line)
                continue
            if doc.values != doc_values:
                self._report_disagreement(doc, doc_values, row_no, key_header, key, report)
            doc.lines.append(line)
        if not report.rows:
            raise SpreadsheetError(_("表格只有表头，没有数据行。请在表头下面逐行填写要导入的明细。"))
        report.documents = len(docs)
        self._totals_at = totals_at
        return docs

    def _totals_positions(self) -> tuple[int | None, int | None]:
        """Where a line tuple (row number, then the line columns the file has) holds the quantity and the price."""
        lines = lines_of(self.document_model)
        names = [col.field_name for col in self.line_cols]
        if lines is None:
            return None, None
        return tuple(names.index(name) + 1 if name in names else None  # type: ignore[return-value]
                     for name in (lines.quantity, lines.price))

    def _line_totals(self, lines: list[tuple]) -> tuple[Decimal, Decimal]:
        """Σ quantity and Σ quantity × price of a document's lines as the file has them (unreadable cells left out)."""
        at_quantity, at_price = self._totals_at
        quantity = amount = Decimal(0)
        if at_quantity is None:
            return quantity, amount
        for line in lines:
            num = line[at_quantity]
            if num is INVALID or num is None:
                continue
            quantity += num
            price = line[at_price] if at_price is not None else None
            if price is not None and price is not INVALID:
                amount += numbers.amount(num, price)
        return quantity, amount

    @staticmethod
    def _read_slowly(row_no: int, row: Sequence[Any], cols: list[Column], positions: list[int],
                     formula_cells: FormulaCells, report: ImportReport) -> list[Any]:
        values: list[Any] = []
        for col, pos in zip(cols, positions, strict=True):
            if (row_no, pos) in formula_cells:
                report.add_error(row_no, col.header, formula_message())
                values.append(INVALID)
                continue
            try:
                values.append(col.clean(row[pos]))
            except CellError as error:
                report.add_error(row_no, col.header, error.message)
                values.append(INVALID)
        return values

    def _report_disagreement(self, doc: _Doc, values: tuple, row_no: int, key_header: str, key: Any,
                             report: ImportReport) -> None:
        for col, first, this in zip(self.doc_cols, doc.values, values, strict=True):
            if first != this and first is not INVALID and this is not INVALID:
                report.add_error(row_no, col.header, _(
                    "与第%(first)s行不一致：同一%(key_header)s“%(key)s”的各行必须相同（“%(a)s” ≠ “%(b)s”）"
                ) % {"first": doc.first_row, "key_header": key_header, "key": key,
                     "a": shown(display(first, col)), "b": shown(display(this, col))}, key)

    # --- step 3 and 4: compare with what is stored, then write ----------------------------------------

    def _plan_and_write(self, docs: dict[Any, _Doc], report: ImportReport, *, dry_run: bool) -> None:
        self.check_file(docs, report)
        keys = list(docs)
        try:
            with transaction.atomic():
                batch = None
                for start in range(0, len(keys), CHUNK):
                    chunk = [docs[key] for key in keys[start:start + CHUNK]]
                    chunk_keys = keys[start:start + CHUNK]
                    self._plan(chunk_keys, chunk, report, lock=not dry_run)
                    if not dry_run and report.ok:
                        if batch is None:
                            batch = ImportBatch.objects.create(kind=self.batch_kind, file_name=self.file_name[:255],
                                                               created_by=self.user)
                        self._write(chunk_keys, chunk, batch)
                if dry_run or not report.ok:
                    raise _Rollback
                if batch is not None:
                    ImportBatch.objects.filter(pk=batch.pk).update(
                        rows=report.rows, documents=report.documents, created=report.created,
                        updated=report.updated, unchanged=report.unchanged)
                    report.batch_id = batch.pk
        except _Rollback:
            pass
        except IntegrityError:
            report.problem = _(
                "保存时与其他操作发生冲突（例如有人同时导入了相同的单号），本次没有做任何修改。请重新导入。")

    def _existing(self, keys: list[Any], *, lock: bool) -> dict[Any, tuple]:
        fields = [self.key, "pk", self.state_field, *[col.field_name for col in self.doc_cols]]
        queryset = self.document_model.objects.filter(**{f"{self.key}__in": keys}).order_by()
        if lock:
            queryset = queryset.select_for_update()
        return {row[0]: row[1:] for row in queryset.values_list(*fields)}

    def _stored_lines(self, pks: list[int]) -> dict[int, list[tuple]]:
        fk = f"{self.line_fk}_id"
        fields = [fk, *self.line_field_names()]
        lines: dict[int, list[tuple]] = defaultdict(list)
        rows = self.line_model.objects.filter(**{f"{fk}__in": pks}).order_by(fk, "line_no", "id").values_list(*fields)
        for row in rows:
            lines[row[0]].append(row[1:])
        return lines

    def line_field_names(self) -> list[str]:
        return [col.field_name for col in self.layout.columns if col.level == LINE]

    def _plan(self, keys: list[Any], chunk: list[_Doc], report: ImportReport, *, lock: bool) -> None:
        existing = self._existing(keys, lock=lock)
        stored_lines = self._stored_lines([row[0] for row in existing.values()]) if existing else {}
        all_line_fields = self.line_field_names()
        present = [all_line_fields.index(col.field_name) for col in self.line_cols]
        keeps = [col.key in self.blank_keeps for col in self.doc_cols]
        self.check_chunk(keys, chunk, existing, report)
        for key, doc in zip(keys, chunk, strict=True):
            self._check_lines(key, doc, report)
            lines, quantity, amount = len(doc.lines), *self._line_totals(doc.lines)
            report.file_totals.add(lines, quantity, amount)
            self._plan_one(key, doc, existing, stored_lines, present, all_line_fields, keeps, report)
            if doc.status is not None:
                report.totals.setdefault(doc.status, FileTotals()).add(lines, quantity, amount)

    def _plan_one(self, key: Any, doc: _Doc, existing: dict[Any, tuple], stored_lines: dict[int, list[tuple]],
                  present: list[int], all_line_fields: list[str], keeps: list[bool], report: ImportReport) -> None:
        """What happens to one document: new, unchanged, locked or updated (None when it has errors)."""
        if INVALID in doc.values or any(INVALID in line for line in doc.lines):
            return
        row = existing.get(key)
        if row is None:
            doc.status = NEW
            report.created += 1
            return
        doc.pk, state, stored = row[0], row[1], row[2:]
        doc.state = state
        doc.values = tuple(old if keep and new in ("", None) else new
                           for keep, old, new in zip(keeps, stored, doc.values, strict=True))
        lines = stored_lines.get(doc.pk, [])
        same_lines = len(lines) == len(doc.lines) and all(
            tuple(old[i] for i in present) == new[1:] for old, new in zip(lines, doc.lines, strict=True))
        if same_lines and doc.values == tuple(stored):
            doc.status = UNCHANGED
            report.unchanged += 1
        elif state not in EDITABLE:
            doc.status = LOCKED
            report.locked += 1
            if len(report.locked_documents) < 1000:
                report.locked_documents.append((str(key), str(DocumentState(state).label)))
        else:
            doc.status = UPDATE
            report.updated += 1
            if not same_lines:
                doc.lines = self._fill_absent_line_fields(key, doc, lines, present, len(all_line_fields),
                                                          report)
            else:
                doc.lines = []  # only the document's own fields changed: its lines stay as they are

    def _fill_absent_line_fields(self, doc_key: Any, doc: _Doc, old_lines: list[tuple], present: list[int],
                                 width: int, report: ImportReport) -> list[tuple]:
        """Lines rebuilt in full: a column the file lacks keeps the stored line's value, or the field's default for a
        line that is new. Stored lines are matched on the identity columns (spec_no, batch_no) the file has: without
        a 批次号 column a line matches the stored line of its spec_no, whatever that line's batch."""
        new_lines = doc.lines
        if len(present) == width:
            return new_lines
        names = self.line_field_names()
        identity = [index for index in (names.index(name) for name in self.line_identity) if index in present]
        missing = [self.layout.by_key(name).header for name in self.line_identity if names.index(name) not in present]
        by_identity: dict[tuple, tuple] = {}
        ambiguous: set[tuple] = set()  # several stored lines share the key the file gives: no way to choose
        for old in old_lines:
            key = tuple(old[i] for i in identity)
            if key in by_identity:
                ambiguous.add(key)
            by_identity[key] = old
        defaults = [self.layout.by_key(col.key).default for col in self.layout.columns if col.level == LINE]
        rebuilt = []
        for line in new_lines:
            full = list(defaults)
            for value, index in zip(line[1:], present, strict=True):
                full[index] = value
            key = tuple(full[i] for i in identity)
            old = by_identity.get(key)
            if missing and key in ambiguous:
                report.add_error(line[0], self.layout.by_key(self.line_identity[0]).header, _(
                    "已保存的这张单据中有多行是这个商家编码（%(spec)s），文件缺少“%(columns)s”列，无法确定对应哪一行；"
                    "请加上这一列后再导入") % {"spec": key[0], "columns": "、".join(missing)}, doc_key)
                continue
            if old is not None:
                for index in set(range(width)) - set(present):
                    full[index] = old[index]
            # present fields first, as the file has them, then the absent ones in model order (see _create_lines)
            rebuilt.append((line[0], *[full[i] for i in present], *[full[i] for i in range(width) if i not in present]))
        return rebuilt

    def _check_lines(self, key: Any, doc: _Doc, report: ImportReport) -> None:
        """The same spec_no + batch_no twice in one document is an error."""
        if len(doc.lines) < 2:
            return
        names = [col.field_name for col in self.line_cols]
        indexes = [names.index(name) + 1 if name in names else None for name in self.line_identity]
        seen: dict[tuple, int] = {}
        spec_header = self.layout.by_key(self.line_identity[0]).header
        for line in doc.lines:
            identity = tuple(line[i] if i is not None else "" for i in indexes)
            if INVALID in identity:
                continue
            if identity in seen:
                report.add_error(line[0], spec_header, _(
                    "与第%(row)s行的商家编码和批次号相同（%(spec)s %(batch)s），同一单据中不能重复；请合并数量"
                ) % {"row": seen[identity], "spec": identity[0], "batch": identity[1] or _("无批次")}, key)
            else:
                seen[identity] = line[0]

    def _write(self, keys: list[Any], chunk: list[_Doc], batch: ImportBatch) -> None:
        now = timezone.now()
        doc_fields = [col.field_name for col in self.doc_cols]
        created = [doc for doc in chunk if doc.status == NEW]
        updated = [doc for doc in chunk if doc.status == UPDATE]
        totals = self._totals_of_lines()
        if created:
            defaults = model_defaults(self.document_model, now)
            defaults.update(created_by_id=self.user.pk if self.user else None, import_batch_id=batch.pk)
            attnames = list(defaults)

            def rows() -> Iterable[tuple]:
                for doc in created:
                    values = dict(defaults)
                    values.update(zip(doc_fields, doc.values, strict=True))
                    values.update(totals(doc).fields())
                    self.prepare_new(values)
                    yield tuple(values[name] for name in attnames)

            insert_rows(self.document_model, attnames, rows())
            pks = dict(self.document_model.objects.filter(**{f"{self.key}__in": [
                key for key, doc in zip(keys, chunk, strict=True) if doc.status == NEW]}).values_list(self.key, "pk"))
            for key, doc in zip(keys, chunk, strict=True):
                if doc.status == NEW:
                    doc.pk = pks[key]
        if updated:
            first = dict(zip(doc_fields, updated[0].values, strict=True))
            self.prepare_update(first)
            # Documents whose lines the file changes get their totals written with their fields; the others keep
            # theirs (their lines stay as they are).
            for group, new_totals in (([d for d in updated if d.lines], True), ([d for d in updated if not d.lines],
                                                                                 False)):
                if not group:
                    continue
                attnames = [*first, "import_batch_id", "updated_at", *(TOTAL_FIELDS if new_totals else ())]

                def changes(group: list[_Doc] = group, new_totals: bool = new_totals) -> Iterable[tuple]:
                    for doc in group:
                        values = dict(zip(doc_fields, doc.values, strict=True))
                        self.prepare_update(values)
                        written = totals(doc).fields().values() if new_totals else ()
                        yield (*values.values(), batch.pk, now, *written, doc.pk)

                update_rows(self.document_model, attnames, changes())
            relined = [doc.pk for doc in updated if doc.lines]
            self.line_model.objects.filter(**{f"{self.line_fk}_id__in": relined}).delete()
            # As after an edit in the admin (return_edited, settlement_edited): a validated document that changed must
            # be validated again, and its history says why.
            validated = [self.document_model(pk=doc.pk, **{self.state_field: DocumentState.READY})
                         for doc in updated if doc.state == DocumentState.READY]
            move_many(validated, self.state_field, DocumentState.DRAFT, user=self.user,
                      reason=_("导入修改了单据，需要重新校验"))
        self._create_lines([doc for doc in created + updated if doc.lines])
        self.after_write([key for key, doc in zip(keys, chunk, strict=True) if doc.status == NEW])

    def _line_values(self) -> tuple[list[str], Callable[[tuple], tuple]]:
        """The line fields in the order `_create_lines` inserts them (the file's, then the absent ones), and the
        function giving a line's values in that order: what is inserted is what the totals are computed from."""
        names = [col.field_name for col in self.line_cols]
        absent = [col for col in self.layout.columns if col.level == LINE and col.field_name not in names]
        absent_defaults = tuple(col.default for col in absent)
        width = len(names) + 1

        def values(line: tuple) -> tuple:
            # a rebuilt line carries its absent fields already (see _fill_absent_line_fields)
            return line[1:] if len(line) > width else (*line[1:], *absent_defaults)

        return [*names, *[col.field_name for col in absent]], values

    def _totals_of_lines(self) -> Callable[[_Doc], Totals]:
        names, values = self._line_values()
        spec = lines_of(self.document_model)
        quantity, price = names.index(spec.quantity), names.index(spec.price)

        def totals(doc: _Doc) -> Totals:
            return totals_of((line[quantity], line[price]) for line in map(values, doc.lines))

        return totals

    def _create_lines(self, docs: Iterable[_Doc]) -> None:
        names, values = self._line_values()
        attnames = [f"{self.line_fk}_id", "line_no", *names]

        def rows() -> Iterable[tuple]:
            for doc in docs:
                pk = doc.pk
                for number, line in enumerate(doc.lines, start=1):
                    yield (pk, number, *values(line))

        insert_rows(self.line_model, attnames, rows())

    # --- hooks for one kind of document ---------------------------------------------------------------

    def check_file(self, docs: dict[Any, _Doc], report: ImportReport) -> None:
        """Rules across the whole file (for example a number that must be unique)."""

    def check_chunk(self, keys: list[Any], chunk: list[_Doc], existing: dict[Any, tuple],
                    report: ImportReport) -> None:
        """Rules that need the database, for 500 documents at a time."""

    def prepare_new(self, values: dict[str, Any]) -> None:
        """Complete the fields of a new document (all its columns, by attribute name) before it is inserted."""

    def prepare_update(self, values: dict[str, Any]) -> None:
        """Complete the fields written to an updated document (the file's, by attribute name)."""

    def after_write(self, created_keys: list[Any]) -> None:
        """After a chunk is written, in the import's transaction: the numbers of the documents it created."""
