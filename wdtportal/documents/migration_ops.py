"""What the document apps' migrations share: filling the totals of documents that existed before the totals did,
and putting the state-tally triggers on a document table (tallies.py).

On PostgreSQL in SQL, one UPDATE … FROM (lines grouped by document) per range of BATCH ids, each committed on its
own (the migration is not atomic, so a million returns are never locked in one transaction and a run cut short
resumes where it stopped): numeric arithmetic there is exact, and ROUND(…, 4) of each line rounds half away from
zero, which for non-negative amounts is `numbers.amount`'s half up, the rule of `totals.totals_of`. Elsewhere
(SQLite, whose decimals are floats) through the historical models and `totals_of` itself, BATCH documents at a
time.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .tallies import drop_triggers, table_install, table_recount
from .totals import totals_of

BATCH = 50_000


def fill_totals(apps: Any, schema_editor: Any, *, app_label: str, document: str, line: str, fk: str,
                quantity: str) -> None:
    Document = apps.get_model(app_label, document)
    Line = apps.get_model(app_label, line)
    connection = schema_editor.connection
    ids = Document.objects.order_by().values_list("pk", flat=True)
    low, high = ids.order_by("pk").first(), ids.order_by("-pk").first()
    if low is None:
        return
    fk_column = Line._meta.get_field(fk).column
    quantity_column = Line._meta.get_field(quantity).column
    for start in range(low, high + 1, BATCH):
        end = start + BATCH - 1
        with transaction.atomic(using=connection.alias):
            if connection.vendor == "postgresql":
                _fill_in_sql(connection, Document._meta.db_table, Line._meta.db_table, fk_column, quantity_column,
                             start, end)
            else:
                _fill_in_python(Document, Line, fk, quantity, start, end)


def _fill_in_sql(connection: Any, documents: str, lines: str, fk: str, quantity: str, start: int, end: int) -> None:
    qn = connection.ops.quote_name
    # Only identifiers from the models' metadata, quoted by the backend; the ids are parameters.
    sql = (
        f"UPDATE {qn(documents)} AS d SET line_count = t.n, total_quantity = t.q, total_amount = t.a "  # noqa: S608
        f"FROM (SELECT {qn(fk)} AS id, COUNT(*) AS n, SUM({qn(quantity)}) AS q, "
        f"SUM(ROUND({qn(quantity)} * COALESCE(price, 0), 4)) AS a FROM {qn(lines)} "
        f"WHERE {qn(fk)} BETWEEN %s AND %s GROUP BY {qn(fk)}) AS t WHERE d.id = t.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])


def _fill_in_python(Document: Any, Line: Any, fk: str, quantity: str, start: int, end: int) -> None:
    fk_id = f"{fk}_id"
    by_document: dict[int, list[tuple[Any, Any]]] = {}
    rows = (Line.objects.filter(**{f"{fk_id}__gte": start, f"{fk_id}__lte": end}).order_by()
            .values_list(fk_id, quantity, "price"))
    for document_id, line_quantity, price in rows.iterator(chunk_size=5000):
        by_document.setdefault(document_id, []).append((line_quantity, price))
    changed = []
    for document_id, pairs in by_document.items():
        totals = totals_of(pairs)
        changed.append(Document(pk=document_id, **totals.fields()))
    Document.objects.bulk_update(changed, ["line_count", "total_quantity", "total_amount"], batch_size=500)


def install_tallies(apps: Any, schema_editor: Any, *, app_label: str, model_name: str, fields: list[str]) -> None:
    """The triggers of one document table, and its tallies counted from the rows it already has."""
    model = apps.get_model(app_label, model_name)
    table, label = model._meta.db_table, model._meta.label_lower
    table_install(schema_editor.connection, table, label, fields)
    table_recount(schema_editor.connection, table, label, fields)


def drop_tallies(apps: Any, schema_editor: Any, *, app_label: str, model_name: str) -> None:
    drop_triggers(schema_editor.connection, apps.get_model(app_label, model_name)._meta.db_table)


def drop_all_tally_triggers(apps: Any, schema_editor: Any) -> None:
    drop_triggers(schema_editor.connection)
