"""Contains-search at size on PostgreSQL, through two GIN indexes per searched column, both made by migration
operations that do nothing on any other database (SQLite scans, which at its sizes is fast enough:
docs/benchmarks.md), and kept out of the models' state so that `makemigrations` never tries them on SQLite:

- a trigram (pg_trgm) index over UPPER(column) serves Django's `icontains` (`UPPER(col::text) LIKE UPPER('%…%')`)
  for words of three characters or more, Chinese included (the database's LC_CTYPE must class them as letters:
  C.UTF-8, zh_CN.UTF-8 and en_US.UTF-8 do, plain C does not);
- pg_trgm finds no trigram in a two-character word, and two characters make most Chinese words (破损, 召回, 临期):
  a bigram index over `portal_bigrams(column)` (the column's distinct two-character pieces, upper case) serves
  `portal_bigrams(col) @> ARRAY['破损']`, which holds exactly when the column contains the word (search.py).
  The function is declared costly so that the planner reads the index rather than computing it row by row.

`AddTrigramIndex` creates the extension (trusted since PostgreSQL 13: the database's owner may) and the index;
`AddBigramIndex` the function and the index; both concurrently when the migration is not atomic.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import router
from django.db.migrations.operations.base import Operation
from django.db.models import F, Func, TextField
from django.db.models.functions import Upper

BIGRAMS = "portal_bigrams"
BIGRAMS_FUNCTION = f"""CREATE OR REPLACE FUNCTION {BIGRAMS}(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT COST 2000 AS $$
  SELECT coalesce(array_agg(DISTINCT substr(upper(value), i, 2)), '{{}}')
  FROM generate_series(1, length(value) - 1) AS i
$$"""  # noqa: S608 - a constant


def trigram_index(field: str, name: str) -> GinIndex:
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


def bigram_index(field: str, name: str) -> GinIndex:
    return GinIndex(Func(F(field), function=BIGRAMS, output_field=ArrayField(TextField())), name=name)


class AddTrigramIndex(Operation):
    reversible = True
    kind = "trigram"

    def prepare(self, schema_editor: Any) -> None:
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    def index(self) -> GinIndex:
        return trigram_index(self.field, self.name)

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
        self.prepare(schema_editor)
        model = to_state.apps.get_model(app_label, self.model_name)
        concurrently = not schema_editor.connection.in_atomic_block
        sql = str(self.index().create_sql(model, schema_editor, concurrently=concurrently))
        create = "CREATE INDEX CONCURRENTLY" if concurrently else "CREATE INDEX"
        schema_editor.execute(sql.replace(create, f"{create} IF NOT EXISTS", 1))

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        if not self._applies(schema_editor, app_label):
            return
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self) -> str:
        return f"Create the {self.kind} index {self.name} on {self.model_name}.{self.field} (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.kind}_{self.model_name}_{self.field}"


class AddBigramIndex(AddTrigramIndex):
    kind = "bigram"

    def prepare(self, schema_editor: Any) -> None:
        schema_editor.execute(BIGRAMS_FUNCTION)

    def index(self) -> GinIndex:
        return bigram_index(self.field, self.name)
