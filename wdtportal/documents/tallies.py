"""The dashboard's state counts without counting documents: `StateTally` rows (+1 / −1 per document entering or
leaving a state) written by database triggers on every document table, summed per state when read.

Why triggers: a count is right only if every write keeps it, and documents are written by `move`/`move_many`,
by `save()`, by the import's INSERT/UPDATE run by executemany, by bulk_create, by deletes and their cascades, by
data migrations and by the benchmark's SQL. A trigger sees all of them, in the writing transaction. Why +1/−1 rows
rather than one counter per state: a counter row would be locked by every transaction that moves a document into
or out of its state until it commits (a 20,000-row import would hold the "draft" counter for its whole run, and
two such writers could deadlock); appended rows never wait for each other.

- `state_counts()`: one query, SUM(delta) per model, field and state;
- `state_tallies_compact()`: the workers' maintenance (wdtportal/jobs/recovery.py) folds the rows into one per state
  when they have piled up (PostgreSQL: one DELETE … RETURNING feeding the INSERT of the sums, so a row written
  meanwhile is never lost; SQLite: one writer at a time);
- `state_tallies_rebuild()`: recount from the documents (`manage.py recount_states`; after `migrate` on SQLite);
- `state_tallies_install()`: the triggers of every registered document model (idempotent), run after every
  `migrate` (apps.py): SQLite drops a table's triggers when a migration rebuilds the table, so they are
  reinstalled and, on SQLite, recounted then; on PostgreSQL a model is recounted when its triggers were missing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import connections, models, transaction

from .models import StateTally
from .registry import document_models, state_fields

COMPACT_OVER = 200  # rows: fewer than this, folding is not worth its writes
TRIGGER_SUFFIX = "_state_tally"


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _tally_values(label: str, fields: list[str], row: str, delta: int) -> str:
    return ", ".join(f"({_q(label)}, {_q(f)}, {row}.{f}, {delta})" for f in fields)


def trigger_statements(vendor: str, table: str, label: str, fields: list[str]) -> list[str]:
    """The statements (re)creating the triggers of one document table; run them in one transaction."""
    tally = StateTally._meta.db_table
    insert = f"INSERT INTO {tally} (model, field, state, delta) VALUES"
    name = f"{table}{TRIGGER_SUFFIX}"
    quoted = f'"{table}"'
    if vendor == "postgresql":
        changed = "\n".join(
            f"    IF NEW.{f} IS DISTINCT FROM OLD.{f} THEN {insert} "
            f"({_q(label)}, {_q(f)}, OLD.{f}, -1), ({_q(label)}, {_q(f)}, NEW.{f}, 1); END IF;" for f in fields)
        return [
            f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {insert} {_tally_values(label, fields, "NEW", 1)};
  ELSIF TG_OP = 'DELETE' THEN
    {insert} {_tally_values(label, fields, "OLD", -1)};
  ELSE
{changed}
  END IF;
  RETURN NULL;
END $$""",
            f"""CREATE OR REPLACE FUNCTION {name}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM {tally} WHERE model = {_q(label)};
  RETURN NULL;
END $$""",  # noqa: S608 - identifiers and labels from the models' metadata, never from input
            f"DROP TRIGGER IF EXISTS {name} ON {quoted}",
            f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(fields)} "
            f"ON {quoted} FOR EACH ROW EXECUTE FUNCTION {name}()",
            f"DROP TRIGGER IF EXISTS {name}_truncate ON {quoted}",
            f"CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {quoted} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_truncate()",
        ]
    triggers = [
        (f"{name}_insert", f"AFTER INSERT ON {quoted} BEGIN {insert} {_tally_values(label, fields, 'NEW', 1)}; END"),
        (f"{name}_delete", f"AFTER DELETE ON {quoted} BEGIN {insert} {_tally_values(label, fields, 'OLD', -1)}; END"),
        *((f"{name}_update_{f}", f"AFTER UPDATE OF {f} ON {quoted} WHEN OLD.{f} IS NOT NEW.{f} BEGIN {insert} "
                                 f"({_q(label)}, {_q(f)}, OLD.{f}, -1), ({_q(label)}, {_q(f)}, NEW.{f}, 1); END")
          for f in fields),
    ]
    return [statement for trigger, body in triggers
            for statement in (f"DROP TRIGGER IF EXISTS {trigger}", f"CREATE TRIGGER {trigger} {body}")]


def installed_triggers(connection: Any) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                           [f"%{TRIGGER_SUFFIX}%"])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                           [f"%{TRIGGER_SUFFIX}%"])
        return {row[0] for row in cursor.fetchall()}


def drop_triggers(connection: Any, table: str | None = None) -> None:
    """Drop the state-tally triggers of `table` (of every table by default: before the tally table itself goes)."""
    prefix = f"{table}{TRIGGER_SUFFIX}" if table else None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal "
                           "AND tgname LIKE %s", [f"%{TRIGGER_SUFFIX}%"])
            for name, on in cursor.fetchall():
                if prefix is None or name.startswith(prefix):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {on}")
        else:
            for name in installed_triggers(connection):
                if prefix is None or name.startswith(prefix):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _columns(connection: Any, table: str) -> set[str] | None:
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return None
        return {c.name for c in connection.introspection.get_table_description(cursor, table)}


def table_install(connection: Any, table: str, label: str, fields: list[str]) -> bool:
    """(Re)create the triggers of one document table, atomically (no write slips between dropping and creating
    them). Returns whether it had none before."""
    had = any(name.startswith(f"{table}{TRIGGER_SUFFIX}") for name in installed_triggers(connection))
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in trigger_statements(connection.vendor, table, label, fields):
            cursor.execute(statement)
    return not had


def table_recount(connection: Any, table: str, label: str, fields: list[str]) -> None:
    """Recount one document table's tallies from its rows. On PostgreSQL the table is locked against writes
    (SHARE) for the length of the count."""
    quoted = connection.ops.quote_name(table)
    tally = StateTally._meta.db_table
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {quoted} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {tally} WHERE model = %s", [label])  # noqa: S608 - the model's own table
        for field in fields:
            column = connection.ops.quote_name(field)
            # Only identifiers from the models' metadata, quoted by the backend; the label is a parameter.
            cursor.execute(f"INSERT INTO {tally} (model, field, state, delta) "  # noqa: S608
                           f"SELECT %s, %s, {column}, COUNT(*) FROM {quoted} GROUP BY {column}", [label, field])


def state_tallies_install(*, using: str = "default") -> tuple[list[type[models.Model]], list[type[models.Model]]]:
    """(Re)create the triggers of every registered document model whose table and state columns exist. Returns
    (the models given triggers, those among them that had none: their tallies need a recount)."""
    connection = connections[using]
    if _columns(connection, StateTally._meta.db_table) is None:
        return [], []
    installed, missing = [], []
    for model in document_models():
        table, fields = model._meta.db_table, state_fields(model)
        columns = _columns(connection, table)
        if columns is None or not set(fields) <= columns:
            continue
        installed.append(model)
        if table_install(connection, table, model._meta.label_lower, fields):
            missing.append(model)
    return installed, missing


def tallies_after_migrate(*, using: str = "default", **kwargs: Any) -> None:
    """`post_migrate`: triggers on every document table; a recount where they were missing, and on SQLite always
    (a migration that rebuilds a table there drops its triggers, and a test database's flush deletes rows one
    table at a time, tallies included)."""
    installed, missing = state_tallies_install(using=using)
    state_tallies_rebuild(installed if connections[using].vendor != "postgresql" else missing, using=using)


def state_tallies_rebuild(models_: list[type[models.Model]] | None = None, *, using: str = "default") -> None:
    """Recount the tallies of these document models (every registered one by default) from their rows."""
    connection = connections[using]
    for model in models_ if models_ is not None else document_models():
        table_recount(connection, model._meta.db_table, model._meta.label_lower, state_fields(model))


def state_tallies_compact(*, using: str = "default", over: int = COMPACT_OVER) -> int:
    """Fold the tally rows into one per model, field and state once there are more than `over`; returns how many
    rows were folded (0 when there were too few to bother)."""
    connection = connections[using]
    tally = StateTally._meta.db_table
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {tally}")  # noqa: S608 - the model's own table
        rows, last = cursor.fetchone()
        if rows <= over:
            return 0
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH gone AS (DELETE FROM {tally} WHERE id <= %s RETURNING model, field, state, delta) "  # noqa: S608
                f"INSERT INTO {tally} (model, field, state, delta) SELECT model, field, state, SUM(delta) "
                f"FROM gone GROUP BY model, field, state HAVING SUM(delta) <> 0", [last])
        else:  # SQLite: this transaction is the only writer
            cursor.execute(
                f"INSERT INTO {tally} (model, field, state, delta) SELECT model, field, state, SUM(delta) "  # noqa: S608
                f"FROM {tally} WHERE id <= %s GROUP BY model, field, state HAVING SUM(delta) <> 0", [last])
            cursor.execute(f"DELETE FROM {tally} WHERE id <= %s", [last])  # noqa: S608
    return rows


def state_counts(*, using: str = "default") -> dict[tuple[str, str], dict[str, int]]:
    """{(model label, field): {state: documents}}, in one query over the tally rows."""
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    rows = (StateTally.objects.using(using).values_list("model", "field", "state")
            .annotate(n=models.Sum("delta")).order_by())
    for label, field, state, n in rows:
        if n:
            counts[(label, field)][state] = int(n)
    return counts
