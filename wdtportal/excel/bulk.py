"""Inserting many plain rows of one model at once, without a model instance per row.

`bulk_create` builds a model instance per row and compiles every value into the SQL one at a time; for 100,000
lines of 9 fields and their 20,000 documents that was most of an import's time (measured on the benchmark file:
about 4.5 s for the lines and 1.3 s for the documents, of 7.4 s). Neither has signals or a `save()` the import relies
on, so they go in with one parameterised INSERT run by `executemany`; each value is adapted once by its field's own
`get_db_prep_save` where the field changes it (decimals, dates). `model_defaults` gives the values Django would
have filled in (field defaults, `auto_now`), so a row only names what the file says.

Updates go the same way (`update_rows`: one `UPDATE … WHERE id = %s` run by `executemany`): `bulk_update` writes
a CASE WHEN per field and row, and took 28 s for 20,000 changed returns of the benchmark file.
"""

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models, router

BATCH = 5000


def _run_many(model: type[models.Model], sql_for: Any, attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [model._meta.get_field(name) for name in attnames]
    sql = sql_for(connection.ops.quote_name, fields)
    adapt = [
        (index, field) for index, field in enumerate(fields)
        if isinstance(field, models.DecimalField | models.DateField | models.DateTimeField | models.TimeField)
    ]
    count = 0
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            if adapt:
                row = list(row)
                for index, field in adapt:
                    row[index] = field.get_db_prep_save(row[index], connection)
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def insert_rows(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` (tuples in the order of `attnames`) into `model`'s table; return how many."""
    table = model._meta.db_table

    def sql_for(quote: Any, fields: list[models.Field]) -> str:
        # Only identifiers from the model's own metadata, quoted by the backend; every value is a parameter.
        return "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(table), ", ".join(quote(field.column) for field in fields), ", ".join(["%s"] * len(fields)))

    return _run_many(model, sql_for, attnames, rows)


def update_rows(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Set `attnames` on existing rows: each row is the values in that order followed by the primary key."""
    table = model._meta.db_table
    pk_column = model._meta.pk.column

    def sql_for(quote: Any, fields: list[models.Field]) -> str:
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        return f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk_column)} = %s"  # noqa: S608

    return _run_many(model, sql_for, attnames, rows)


def model_defaults(model: type[models.Model], now: datetime.datetime) -> dict[str, Any]:
    """Each concrete field's value in a new instance, with `auto_now`/`auto_now_add` fields set to `now`."""
    blank = model()
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = now
        else:
            values[field.attname] = getattr(blank, field.attname)
    return values
