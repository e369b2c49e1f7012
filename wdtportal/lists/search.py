"""Searching a big list where an index can find the answer, without joins and DISTINCT.

A list declares the numbers it can be searched by (`search_numbers`: return_no, a line's spec_no through
`lines__spec_no`, …) and the texts (`search_texts`: a remark). Each word the person typed becomes one condition, and
the words are ANDed:

- a word that looks like a number (letters, digits, - _ . /) is first looked for as the start of every number (an
  exact number is its own start), in one small query of EXISTS, each served by its index (prefix_index in
  wdtportal/documents/models.py, or a unique index); the list is then filtered by the numbers that had it only,
  usually one, so that the database reads one index and never ORs a table scan in;
- anything else, or a number-like word no number starts with, is looked for inside the texts: on PostgreSQL
  through trigram indexes, and for a two-character word (most Chinese words) bigram indexes (trigram.py);
  elsewhere by a scan.

A number on a related table (a line's spec_no, a draft's js_order_no) is a subquery (`id IN (SELECT
purchase_return_id FROM lines WHERE spec_no LIKE 'x%')`), which the database runs as a semi-join: no join of the
list with the lines, hence no DISTINCT. Upper case is tried too: numbers are stored as their documents print them.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import and_, or_
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connections, models
from django.db.models import Exists, F, Func, Q, TextField, Value
from django.utils.text import smart_split, unescape_string_literal

from .trigram import BIGRAMS

NUMBER_WORD = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/\-]*$")
# The largest code point: a range [prefix, prefix + TOP) holds exactly the strings that start with prefix, in a
# byte-wise (UTF-8) order, which is SQLite's.
TOP = "\U0010ffff"


def words(term: str) -> list[str]:
    words = []
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit.strip():
            words.append(bit.strip())
    return words


def related_condition(model: type[models.Model], path: str, condition: Any) -> Q:
    """`condition(model, field_name)` (a Q on a field of `model` or of a model reached by `path`, a__b__field) as
    a Q on `model`, through subqueries rather than joins."""
    name, _, rest = path.partition("__")
    if not rest:
        return condition(name)
    relation = model._meta.get_field(name)
    related = relation.related_model
    inner = related._default_manager.filter(related_condition(related, rest, condition))
    if relation.auto_created and not relation.concrete:  # a reverse relation: lines → their document
        return Q(pk__in=inner.values(relation.field.attname))
    return Q(**{f"{relation.attname}__in": inner.values("pk")})


def _variants(word: str) -> list[str]:
    return list(dict.fromkeys([word, word.upper()]))


def number_condition(model: type[models.Model], path: str, word: str, vendor: str) -> Q:
    """The documents one of whose `path` numbers starts with `word` (or its upper case)."""
    def starts(field: str) -> Q:
        if vendor == "postgresql":  # LIKE 'x%', served by the varchar_pattern_ops index
            return reduce(or_, (Q(**{f"{field}__startswith": v}) for v in _variants(word)))
        # SQLite's LIKE ignores case and so no index serves it: a range does, in its byte-wise order.
        return reduce(or_, (Q(**{f"{field}__gte": v, f"{field}__lt": v + TOP}) for v in _variants(word)))

    return related_condition(model, path, starts)


def text_condition(model: type[models.Model], path: str, word: str, vendor: str) -> Q:
    """The documents whose `path` text contains `word`, in any case. On PostgreSQL a two-character word, which has no
    trigram, is looked up among the text's two-character pieces (trigram.py's bigram index)."""
    if vendor == "postgresql" and len(word) == 2:
        pieces = ArrayField(TextField())

        def condition(field: str) -> Q:
            bigrams = Func(F(field), function=BIGRAMS, output_field=pieces)
            return Q(DataContains(bigrams, Value([word.upper()], output_field=pieces)))

        return related_condition(model, path, condition)
    return related_condition(model, path, lambda field: Q(**{f"{field}__icontains": word}))


def _which_have(model: type[models.Model], conditions: list[Q], using: str) -> list[bool]:
    """Whether any row of the whole table meets each condition: one query, one EXISTS (one index probe) each."""
    manager = model._default_manager.using(using)
    probe = (manager.order_by().annotate(**{f"has_{i}": Exists(manager.filter(c)) for i, c in enumerate(conditions)})
             .values_list(*[f"has_{i}" for i in range(len(conditions))])[:1])
    row = next(iter(probe), None)
    return [bool(value) for value in row] if row else [False] * len(conditions)


def search_condition(model: type[models.Model], term: str, *, numbers: tuple[str, ...], texts: tuple[str, ...],
                     using: str = "default") -> Q:
    """The condition a list is filtered by for what the person typed (see the module's docstring)."""
    vendor = connections[using].vendor
    conditions = []
    for word in words(term):
        found = None
        if numbers and NUMBER_WORD.match(word):
            arms = [number_condition(model, path, word, vendor) for path in numbers]
            hits = [arm for arm, hit in zip(arms, _which_have(model, arms, using), strict=True) if hit]
            if hits:
                found = reduce(or_, hits)
        if found is None and texts:
            found = reduce(or_, (text_condition(model, path, word, vendor) for path in texts))
        conditions.append(found if found is not None else Q(pk__in=[]))
    return reduce(and_, conditions) if conditions else Q()
