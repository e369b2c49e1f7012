"""Contains-search at size on PostgreSQL: a trigram (pg_trgm) GIN index over UPPER(column) serves Django's
`icontains` (`UPPER(col::text) LIKE UPPER('%…%')`) for terms of three characters or more, Chinese included (the
database's LC_CTYPE must classify them as letters: C.UTF-8, zh_CN.UTF-8 and en_US.UTF-8 do, plain C does not).

`AddTrigramIndex` is the migration operation: on PostgreSQL it creates the extension (trusted since PostgreSQL 13:
the database's owner may) and the index, concurrently when the migration is not atomic; on any other database it
does nothing (SQLite scans, which at its sizes is fast enough: docs/benchmarks.md). The index is not part of the
model's state, so `makemigrations` never tries to create it on SQLite.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import router
from django.db.migrations.operations.base import Operation
from django.db.models.functions import Upper


def trigram_index(field: str, name: str) -> GinIndex:
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


class AddTrigramIndex(Operation):
    reversible = True

    def __init__(self, model_name: str, field: str, name: str) -> None:
        self.model_name = model_name
        self.field = field
        self.name = name

    def deconstruct(self) -> tuple[str, list, dict[str, Any]]:
        return self.__class__.__name__, [], {"model_name": self.model_name, "field": self.field, "name": self.name}

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass  # a PostgreSQL-only index: not part of the model's state

    @staticmethod
    def _applies(schema_editor: Any, app_label: str) -> bool:
        return (schema_editor.connection.vendor == "postgresql"
                and router.allow_migrate(schema_editor.connection.alias, app_label))

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if not self._applies(schema_editor, app_label):
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        model = to_state.apps.get_model(app_label, self.model_name)
        concurrently = not schema_editor.connection.in_atomic_block
        sql = str(trigram_index(self.field, self.name).create_sql(model, schema_editor, concurrently=concurrently))
        create = "CREATE INDEX CONCURRENTLY" if concurrently else "CREATE INDEX"
        schema_editor.execute(sql.replace(create, f"{create} IF NOT EXISTS", 1))

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if not self._applies(schema_editor, app_label):
            return
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self) -> str:
        return f"Create the trigram index {self.name} on {self.model_name}.{self.field} (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"trigram_{self.model_name}_{self.field}"
