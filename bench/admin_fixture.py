"""The admin benchmark's volume, built with set-based SQL inside the database (never the ORM row by row).

    build_fixture(returns=1_000_000)   # into Django's default database, whose document tables must be empty

For N returns (N divisible by 10 gives exact round figures): 3N outbound lines (1–5 a return), 0.3N settlement
drafts with their lines (copies of the return's lines), 2N call-log rows, 2.3N state-history rows, N/500 import
batches, six people (two 财务主管, four 财务专员) and twelve finished jobs, one of them with N/10 items.

Every value is a function of the row's number `i` (multiplicative hashes), so a volume is the same on every run
and on both databases, with realistic shapes: dates over three years up to the build, states mostly done (recent
returns more often draft, ready or failed), Chinese remarks and WDT messages, logistics numbers, a catalogue of
20,000 spec_nos, JSON payloads in the call log. PostgreSQL builds with `generate_series`, SQLite with recursive
CTEs; `Dialect` holds the few functions that differ.

One function per table, each a mapping of column → SQL expression: a column a later migration adds is one more
entry there (columns left out that have a model default get that default, with a warning, so a new column never
breaks the build).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

# Tables by name (issue 10 moves some models to another app but keeps their tables).
RETURNS = "returns_purchasereturn"
LINES = "returns_outboundline"
DRAFTS = "settlements_settlementdraft"
DRAFT_LINES = "settlements_settlementline"
CALLS = "wdt_wdtcall"
HISTORY = "returns_statechange"
BATCHES = "returns_importbatch"
JOBS = "jobs_job"
JOB_ITEMS = "jobs_jobitem"
DOCUMENT_TABLES = (RETURNS, LINES, DRAFTS, DRAFT_LINES, CALLS, HISTORY, BATCHES, JOBS, JOB_ITEMS)

YEARS = 3
RETURNS_PER_BATCH = 500
SPEC_CATALOGUE = 20_000
SUPERVISOR_NAME = "bench-boss"  # the person the benchmark logs in as (财务主管)
PEOPLE = [  # (username, group key)
    (SUPERVISOR_NAME, "supervisor"), ("boss-chen", "supervisor"), ("clerk-li", "clerk"), ("clerk-wang", "clerk"),
    ("clerk-zhang", "clerk"), ("clerk-zhao", "clerk"),
]
SMALL_JOBS = [50, 120, 200, 500, 1201, 30, 10, 75, 300, 40, 5]

REMARKS = [
    "质量问题退货", "外包装破损，供应商同意退回", "临期商品退回供应商", "发错货，按原单退回",
    "客户拒收退回仓库后退供应商",
    "季末滞销退货", "批次召回", "规格不符", "数量多发，退回多余部分", "供应商要求退回检测", "破损已拍照留证",
    "效期不足三个月退货", "", "", "", "",
]
FAILURES = [
    "商家编码不存在", "库存不足，无法出库", "采购退货单状态不正确", "物流公司编号不存在", "货位不存在", "批次号不存在",
    "采购退货单号不存在", "退货数量超过可退数量",
]
UNKNOWN_MESSAGE = "请求可能已到达旺店通，但没有收到回答（读取超时）。请在旺店通核对后由主管处理"
CARRIERS = ["SF", "ZTO", "YTO", "STO", "YD", "JD"]
# Large odd multipliers: hashes of one row under different salts must not move together.
MULTIPLIERS = [2654435761, 2246822519, 3266489917, 668265263, 374761393, 1103515245, 2862933555, 1597334677]
HASH_MOD = 1_000_003


@dataclass(frozen=True)
class Volume:
    """What a build of `returns` returns holds; the other counts follow from it exactly."""

    returns: int

    @property
    def lines(self) -> int:
        return sum(1 + i % 5 for i in range(1, self.returns % 5 + 1)) + 15 * (self.returns // 5)

    @property
    def drafts(self) -> int:
        return sum(1 for i in range(1, self.returns % 10 + 1) if i % 10 in (1, 4, 8)) + 3 * (self.returns // 10)

    @property
    def draft_lines(self) -> int:
        return sum(1 + i % 5 for i in range(1, self.returns + 1) if i % 10 in (1, 4, 8)) if self.returns < 10 \
            else Volume(self.returns % 10).draft_lines + 11 * (self.returns // 10)

    @property
    def calls(self) -> int:
        return 2 * self.returns

    @property
    def history(self) -> int:
        edited = sum(1 for i in range(1, self.returns % 10 + 1) if i % 10 < 7) + 7 * (self.returns // 10)
        return self.returns + edited + 2 * self.drafts

    @property
    def batches(self) -> int:
        return math.ceil(self.returns / RETURNS_PER_BATCH)

    @property
    def big_job_items(self) -> int:
        return max(self.returns // 10, 1)

    @property
    def job_sizes(self) -> list[int]:
        return [self.big_job_items, *(min(size, self.returns) for size in SMALL_JOBS)]

    def expected(self) -> dict[str, int]:
        """Rows per table a build of this volume must leave."""
        return {RETURNS: self.returns, LINES: self.lines, DRAFTS: self.drafts, DRAFT_LINES: self.draft_lines,
                CALLS: self.calls,
                HISTORY: self.history, BATCHES: self.batches, JOBS: len(self.job_sizes),
                JOB_ITEMS: sum(self.job_sizes)}


class Dialect:
    """The SQL that differs between PostgreSQL and SQLite."""

    def __init__(self, vendor: str) -> None:
        if vendor not in ("postgresql", "sqlite"):
            raise ValueError(f"the admin fixture builds on PostgreSQL or SQLite, not {vendor}")
        self.pg = vendor == "postgresql"

    def series(self, n: int, name: str = "s") -> str:
        """A CTE `name(i)` of 1..n (the statement starts WITH RECURSIVE)."""
        if self.pg:
            return f"{name}(i) AS (SELECT generate_series(1, {int(n)}))"
        return f"{name}(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM {name} WHERE i < {int(n)})"

    def pad(self, expr: str, width: int) -> str:
        return f"lpad(CAST(({expr}) AS text), {width}, '0')" if self.pg else f"printf('%0{width}d', ({expr}))"

    def hex(self, expr: str, width: int) -> str:
        return (f"lpad(upper(to_hex(({expr})::bigint)), {width}, '0')" if self.pg
                else f"printf('%0{width}X', ({expr}))")

    def ts(self, epoch: str) -> str:
        """Unix seconds → the column's timestamp (UTC, as Django stores it)."""
        return f"to_timestamp({epoch})" if self.pg else f"datetime({epoch}, 'unixepoch')"

    def date(self, epoch: str) -> str:
        return f"CAST(to_timestamp({epoch}) AS date)" if self.pg else f"date({epoch}, 'unixepoch')"

    def local(self, epoch: str, fmt: str) -> str:
        """Local (Asia/Shanghai) date text of Unix seconds; `fmt` in strftime's terms (%Y, %m, %d)."""
        if self.pg:
            pg_fmt = fmt.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
            return f"to_char(to_timestamp({epoch}) AT TIME ZONE 'Asia/Shanghai', '{pg_fmt}')"
        return f"strftime('{fmt}', ({epoch}) + 28800, 'unixepoch')"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"min({a}, {b})"

    def money(self, cents: str) -> str:
        return f"(CAST(({cents}) AS numeric(19, 4)) / 100)" if self.pg else f"(({cents}) / 100.0)"

    def json_object(self, *pairs: str) -> str:
        return f"jsonb_build_object({', '.join(pairs)})" if self.pg else f"json_object({', '.join(pairs)})"

    def json_array(self, *items: str) -> str:
        return f"jsonb_build_array({', '.join(items)})" if self.pg else f"json_array({', '.join(items)})"

    def boolean(self, value: bool) -> str:
        return ("TRUE" if value else "FALSE") if self.pg else ("1" if value else "0")

    def literal(self, value: Any, field: models.Field | None = None) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return self.boolean(value)
        if isinstance(value, int | float | Decimal):
            return str(value)
        if isinstance(value, dict | list):
            text = quote(json.dumps(value, ensure_ascii=False))
            return f"CAST({text} AS jsonb)" if self.pg else text
        return quote(str(value))


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def pick(expr: str, values: Iterable[Any]) -> str:
    """The value at position `expr` (0-based) of a list of constants."""
    whens = " ".join(f"WHEN {n} THEN {quote(v) if isinstance(v, str) else v}" for n, v in enumerate(values))
    return f"(CASE ({expr}) {whens} END)"


def h(expr: str, salt: int) -> str:
    """A hash of row number `expr` in 0..HASH_MOD-1; different salts are independent."""
    return f"((CAST(({expr}) AS bigint) * {MULTIPLIERS[salt % len(MULTIPLIERS)]} + {salt * 7919}) % {HASH_MOD})"


@dataclass
class Context:
    """What every table's statement needs: the dialect, the volume, the time span and the people."""

    sql: Dialect
    volume: Volume
    now: int  # Unix seconds at build time: the last return was created just before it
    start: int
    step: int  # seconds between two returns; created_at rises strictly with the return's number
    clerks: list[int]
    supervisors: list[int]
    ids: dict[str, int]  # first id - 1 of each table whose ids are given explicitly
    content_types: dict[str, int]

    @property
    def n(self) -> int:
        return self.volume.returns

    def created(self, i: str) -> str:
        """Unix seconds a return was created (strictly rising with i)."""
        return f"({self.start} + ({i}) * {self.step} + {h(i, 1)} % {self.step})"

    def return_no(self, i: str) -> str:
        return f"('CR' || {self.sql.local(self.created(i), '%Y%m%d')} || {self.sql.pad(i, 7)})"

    def clerk(self, expr: str) -> str:
        return pick(f"({expr}) % {len(self.clerks)}", self.clerks)

    def supervisor(self, expr: str) -> str:
        return pick(f"({expr}) % {len(self.supervisors)}", self.supervisors)

    def returns_source(self, series: str = "s") -> str:
        """Each return's number and the values other tables derive from it: created (t), hashes p1..p5 in
        0..999, outbound state (os), sent (Unix seconds or NULL), draft rank (dr: its draft's number or NULL), the
        draft's state (ds), created (dt) and sent (dsent)."""
        recent = max(self.n // 50, 1)  # the last 2 %: about three weeks, still being worked on
        os = (f"CASE WHEN i > {self.n - recent} THEN (CASE WHEN p1 < 400 THEN 'done' WHEN p1 < 520 THEN 'failed' "
              f"WHEN p1 < 540 THEN 'unknown' WHEN p1 < 740 THEN 'ready' ELSE 'draft' END) "
              f"ELSE (CASE WHEN p1 < 905 THEN 'done' WHEN p1 < 945 THEN 'failed' WHEN p1 < 955 THEN 'unknown' "
              f"WHEN p1 < 975 THEN 'ready' ELSE 'draft' END) END")
        hashes = ", ".join(f"{h('i', salt)} % 1000 AS p{salt}" for salt in range(1, 6))
        base = f"SELECT i, {self.created('i')} AS t, {hashes} FROM {series}"
        with_state = f"SELECT b.*, {os} AS os FROM ({base}) b"
        sent_states = "('done', 'failed', 'unknown')"
        rank = "(3 * ((i - 1) / 10) + CASE i % 10 WHEN 1 THEN 1 WHEN 4 THEN 2 ELSE 3 END)"
        ds = ("CASE WHEN os = 'done' THEN (CASE WHEN p4 < 870 THEN 'done' WHEN p4 < 900 THEN 'failed' "
              "WHEN p4 < 905 THEN 'unknown' WHEN p4 < 950 THEN 'ready' ELSE 'draft' END) "
              "ELSE (CASE WHEN p4 < 500 THEN 'draft' ELSE 'ready' END) END")
        sent = self.sql.least("t + 3600 + p2 * 250", str(self.now))
        with_sent = (f"SELECT c.*, CASE WHEN os IN {sent_states} THEN {sent} "
                     f"END AS sent, CASE WHEN i % 10 IN (1, 4, 8) THEN {rank} END AS dr, "
                     f"CASE WHEN i % 10 IN (1, 4, 8) THEN {ds} END AS ds, "
                     f"{self.sql.least('t + 86400 + p5 * 100', str(self.now))} AS dt FROM ({with_state}) c")
        draft_sent = self.sql.least("dt + 3600 + p2 * 30", str(self.now))
        return (f"(SELECT d.*, CASE WHEN ds IN {sent_states} THEN {draft_sent} "
                f"END AS dsent FROM ({with_sent}) d) r")


def model_for_table(table: str) -> type[models.Model]:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    raise LookupError(f"no model has the table {table}")


def insert_select(ctx: Context, table: str, columns: dict[str, str], source: str, *, ctes: str = "",
                  where: str = "") -> int:
    """INSERT INTO table (columns) SELECT expressions FROM source; NOT NULL columns not named get their model
    default. Returns the rows inserted."""
    model = model_for_table(table)
    columns = dict(columns)
    for field in model._meta.concrete_fields:
        if field.column in columns or field.primary_key or field.null:
            continue
        if not field.has_default():
            raise ValueError(f"{table}.{field.column} is NOT NULL without a default: add it to the fixture")
        warnings.warn(f"admin fixture: {table}.{field.column} filled with its default; give it real values",
                      stacklevel=2)
        columns[field.column] = ctx.sql.literal(field.get_default(), field)
    qn = connection.ops.quote_name
    statement = (f"{'WITH RECURSIVE ' + ctes if ctes else ''} INSERT INTO {qn(table)} "
                 f"({', '.join(qn(c) for c in columns)}) SELECT {', '.join(columns.values())} FROM {source}"
                 f"{' WHERE ' + where if where else ''}")
    with connection.cursor() as cursor:
        cursor.execute(statement)
        if cursor.rowcount >= 0:
            return cursor.rowcount
        cursor.execute("SELECT changes()")  # Python's sqlite3 gives no rowcount for a statement that starts WITH
        return cursor.fetchone()[0]


# --- one function per table -------------------------------------------------------------------------------
def build_batches(ctx: Context) -> int:
    """Import batches: the returns came in files of RETURNS_PER_BATCH (nine in ten returns have a batch)."""
    sql = ctx.sql
    first = f"((i - 1) * {RETURNS_PER_BATCH} + 1)"
    documents = f"({sql.least(str(RETURNS_PER_BATCH), f'{ctx.n} - {first} + 1')})"
    return insert_select(ctx, BATCHES, {
        "id": f"{ctx.ids[BATCHES]} + i",
        "kind": "'returns'",
        "file_name": (f"'采购退货导入_' || {sql.local(ctx.created(first), '%Y%m%d')} || '_' || {sql.pad('i', 4)} "
                      f"|| '.xlsx'"),
        "created_by_id": ctx.clerk("i"),
        "created_at": sql.ts(f"{ctx.created(first)} - 60"),
        "rows": f"{documents} * 3",
        "documents": documents,
        "created": documents,
        "updated": "0",
        "unchanged": "0",
    }, "s", ctes=sql.series(ctx.volume.batches))


def build_returns(ctx: Context) -> int:
    sql = ctx.sql
    carrier = f"{h('i', 6)} % {len(CARRIERS)}"
    waiting = ("CASE WHEN os = 'done' THEN (CASE WHEN p2 < 850 THEN 'done' WHEN p2 < 870 THEN 'failed' "
               "WHEN p2 < 875 THEN 'unknown' ELSE 'draft' END) ELSE 'draft' END")
    message = (f"CASE os WHEN 'failed' THEN {pick('p3 % 8', FAILURES)} WHEN 'unknown' THEN {quote(UNKNOWN_MESSAGE)} "
               f"ELSE '' END")
    return insert_select(ctx, RETURNS, {
        "id": f"{ctx.ids[RETURNS]} + i",
        "return_no": ctx.return_no("i"),
        "outer_no": f"'WP' || {sql.hex('i * 2654435761', 20)}",
        "logistics_code": f"CASE WHEN p4 < 50 THEN '' ELSE {pick(carrier, CARRIERS)} END",
        "logistics_no": (f"CASE WHEN p4 < 50 THEN '' ELSE {pick(carrier, CARRIERS)} || "
                         f"{sql.pad('880000000000 + i', 12)} END"),
        "post_cost": f"CASE WHEN p5 < 300 THEN NULL ELSE {sql.money('500 + ' + h('i', 7) + ' % 4500')} END",
        "remark": pick(f"{h('i', 8)} % {len(REMARKS)}", REMARKS),
        "is_check": sql.boolean(True),
        "outbound_state": "os",
        "waiting_state": waiting,
        "last_message": message,
        "created_by_id": ctx.clerk("p2"),
        "created_at": sql.ts("t"),
        "updated_at": sql.ts("COALESCE(sent, t)"),
        "sent_by_id": f"CASE WHEN sent IS NULL THEN NULL ELSE {ctx.supervisor('p3')} END",
        "sent_at": sql.ts("sent"),
        "import_batch_id": f"CASE WHEN p3 < 900 THEN {ctx.ids[BATCHES]} + (i - 1) / {RETURNS_PER_BATCH} + 1 END",
        **line_totals(ctx, "i"),
    }, ctx.returns_source(), ctes=sql.series(ctx.n))


def line_num(ctx: Context, i: str, k: str) -> str:
    """Line k's quantity of return i (1 to 48)."""
    return ctx.sql.money(f"(1 + {h(f'{i} * 8 + {k}', 2)} % 48) * 100")


def line_price(ctx: Context, i: str, k: str) -> str:
    return ctx.sql.money(f"500 + {h(f'{i} * 8 + {k}', 2)} % 20000")


def line_totals(ctx: Context, i: str) -> dict[str, str]:
    """The totals of return i's 1 + i % 5 lines (and of its draft, which copies them), as build_lines makes them."""
    def total(expression: Any) -> str:
        return " + ".join(f"CASE WHEN {k} <= 1 + {i} % 5 THEN {expression(str(k))} ELSE 0 END" for k in range(1, 6))

    amount = total(lambda k: f"{line_num(ctx, i, k)} * {line_price(ctx, i, k)}")
    return {"line_count": f"1 + {i} % 5", "total_quantity": total(lambda k: line_num(ctx, i, k)),
            "total_amount": f"ROUND({amount}, 4)"}


def build_lines(ctx: Context) -> int:
    """1 + i % 5 lines a return (3 on average), distinct spec_nos from a catalogue of SPEC_CATALOGUE."""
    sql = ctx.sql
    spec = f"'SP' || {sql.pad(f'(i * 7 + k.k * 131) % {SPEC_CATALOGUE}', 6)}"
    line_hash = h("i * 8 + k.k", 2)
    return insert_select(ctx, LINES, {
        "purchase_return_id": f"{ctx.ids[RETURNS]} + i",
        "line_no": "k.k",
        "spec_no": spec,
        "num": line_num(ctx, "i", "k.k"),
        "price": line_price(ctx, "i", "k.k"),
        "position_no": f"'A-' || {sql.pad(f'{line_hash} % 40', 2)} || '-' || {sql.pad('k.k', 2)}",
        "batch_no": f"CASE WHEN {line_hash} % 10 < 7 THEN '' ELSE 'B' || {sql.local(ctx.created('i'), '%Y%m')} END",
        "remark": f"CASE WHEN {line_hash} % 20 = 0 THEN '外箱破损' ELSE '' END",
    }, "s JOIN k ON k.k <= 1 + s.i % 5", ctes=f"{sql.series(ctx.n)}, k(k) AS (VALUES (1), (2), (3), (4), (5))")


def build_drafts(ctx: Context) -> int:
    """Settlement drafts for three returns in ten, linked to their return; done ones carry a JS number."""
    sql = ctx.sql
    carrier = pick(f"{h('i', 6)} % {len(CARRIERS)}", CARRIERS)
    message = (f"CASE ds WHEN 'failed' THEN {pick('p3 % 8', FAILURES)} WHEN 'unknown' THEN {quote(UNKNOWN_MESSAGE)} "
               f"ELSE '' END")
    return insert_select(ctx, DRAFTS, {
        "id": f"{ctx.ids[DRAFTS]} + dr",
        "return_no": ctx.return_no("i"),
        "purchase_return_id": f"{ctx.ids[RETURNS]} + i",
        "logistics_company_no": carrier,
        "logistics_no": f"{carrier} || {sql.pad('880000000000 + i', 12)}",
        "invoice_type": "CASE WHEN p5 < 200 THEN NULL ELSE p5 % 5 END",
        "invoice_no": f"CASE WHEN p5 < 500 THEN '' ELSE {sql.pad(h('i', 3) + ' % 100000000', 8)} END",
        "post_fee": f"CASE WHEN p1 < 500 THEN NULL ELSE {sql.money('p1 * 10')} END",
        "other_fee": f"CASE WHEN p2 < 900 THEN NULL ELSE {sql.money('p2')} END",
        "remark": "CASE WHEN p3 < 800 THEN '' ELSE '按退货数量结算' END",
        "is_check": sql.boolean(False),
        "fuzzy_query": sql.boolean(False),
        "state": "ds",
        "js_order_no": f"CASE WHEN ds = 'done' THEN 'JS' || {sql.local('dsent', '%Y%m%d')} || {sql.pad('dr', 7)} END",
        "last_message": message,
        "created_by_id": ctx.clerk("p3"),
        "created_at": sql.ts("dt"),
        "updated_at": sql.ts("COALESCE(dsent, dt)"),
        "sent_by_id": f"CASE WHEN dsent IS NULL THEN NULL ELSE {ctx.supervisor('p4')} END",
        "sent_at": sql.ts("dsent"),
        "import_batch_id": "NULL",
        **line_totals(ctx, "i"),
    }, ctx.returns_source(), ctes=sql.series(ctx.n), where="dr IS NOT NULL")


def build_draft_lines(ctx: Context) -> int:
    """A draft settles what its return sent back: one line per outbound line."""
    sql = ctx.sql
    return insert_select(ctx, DRAFT_LINES, {
        "draft_id": "d.id",
        "line_no": "l.line_no",
        "spec_no": "l.spec_no",
        "settle_num": "l.num",
        "price": "l.price",
        "tax_rate": "CASE l.id % 4 WHEN 0 THEN NULL WHEN 1 THEN 0.13 WHEN 2 THEN 0.09 ELSE 0.06 END",
        "remark": "''",
        "batch_no": "l.batch_no",
        "expire_date": f"CASE WHEN l.batch_no = '' THEN NULL ELSE {sql.date(f'{ctx.now} + 31536000')} END",
    }, f"{DRAFTS} d JOIN {LINES} l ON l.purchase_return_id = d.purchase_return_id",
        where=f"d.id > {ctx.ids[DRAFTS]}")


def build_calls(ctx: Context) -> int:
    """Two calls a return: its outbound push, then its settlement upload (when it has a draft), a stop-waiting
    request of ten numbers (one return in seven) or a repeated push."""
    sql = ctx.sql

    def spec(k: int) -> str:
        return f"'SP' || {sql.pad(f'(r.i * 7 + {k} * 131) % {SPEC_CATALOGUE}', 6)}"

    def num(k: int) -> str:
        return f"CAST((1 + {h(f'r.i * 8 + {k}', 2)} % 48) AS text)"

    push_payload = sql.json_object(
        "'purchase_return_info'", sql.json_object(
            "'return_no'", ctx.return_no("r.i"), "'outer_no'", f"'WP' || {sql.hex('r.i * 2654435761', 20)}",
            "'logistics_code'", pick(f"{h('r.i', 6)} % {len(CARRIERS)}", CARRIERS), "'is_check'", "1",
            "'remark'", pick(f"{h('r.i', 8)} % {len(REMARKS)}", REMARKS),
            "'detail_list'", sql.json_array(*(sql.json_object("'spec_no'", spec(k), "'num'", num(k))
                                              for k in (1, 2)))))
    settle_payload = sql.json_array(
        sql.json_object("'return_no'", ctx.return_no("r.i"), "'is_check'", "0", "'fuzzy_query'", "0"),
        sql.json_array(sql.json_object("'spec_no'", spec(1), "'settle_num'", num(1))))
    pending_payload = sql.json_array(sql.json_array(*(ctx.return_no(f"(r.i + {j})") for j in range(10))))
    first = "c.i % 2 = 1"
    settles = "r.dr IS NOT NULL"
    pending = "r.i % 7 = 0"
    push = "'purchase_return_order_push.php'"
    method = (f"(CASE WHEN {first} THEN {push} WHEN {settles} THEN 'finance.settle.PurchaseReturn.upload' "
              f"WHEN {pending} THEN 'purchase.PurchaseReturn.pending' ELSE {push} END)")
    state = f"(CASE WHEN {first} THEN r.os WHEN {settles} THEN r.ds WHEN {pending} THEN 'done' ELSE 'retry' END)"
    outcome = (f"(CASE {state} WHEN 'done' THEN 'ok' WHEN 'failed' THEN 'refused' WHEN 'unknown' THEN 'unknown' "
               f"WHEN 'retry' THEN (CASE WHEN r.p5 < 500 THEN 'rate_limited' ELSE 'ok' END) ELSE 'no_answer' END)")
    failure = pick("r.p3 % 8", FAILURES)
    limited = quote("超过每分钟最大调用频率限制，请稍后重试")
    answer = (f"CASE {outcome} WHEN 'ok' THEN {sql.json_object(quote('code'), '0', quote('message'), quote('ok'))} "
              f"WHEN 'refused' THEN {sql.json_object(quote('code'), quote('9'), quote('message'), failure)} "
              f"WHEN 'rate_limited' THEN {sql.json_object(quote('code'), quote('100'), quote('message'), limited)} "
              f"END")
    at = (f"CASE WHEN {first} THEN COALESCE(r.sent, r.t + 600) "
          f"ELSE {sql.least('COALESCE(r.dsent, r.t + 172800)', str(ctx.now))} END")
    return_id = f"CAST({ctx.ids[RETURNS]} + r.i AS text)"
    # The call's own series (s) is twice as long as the returns' (s2).
    source = f"(SELECT i, (i + 1) / 2 AS ri FROM s) c JOIN {ctx.returns_source('s2')} ON r.i = c.ri"
    return insert_select(ctx, CALLS, {
        "gateway": f"CASE WHEN {method} = {push} THEN 'enterprise' ELSE 'qjb' END",
        "method": method,
        "request_payload": (f"CASE WHEN {first} THEN {push_payload} WHEN {settles} THEN {settle_payload} "
                            f"WHEN {pending} THEN {pending_payload} ELSE {push_payload} END"),
        "answer": answer,
        "answer_text": "''",
        "http_status": f"CASE WHEN {outcome} = 'no_answer' THEN NULL ELSE 200 END",
        "duration_ms": f"80 + {h('c.i', 4)} % 1500",
        "attempts": f"CASE WHEN {outcome} = 'rate_limited' THEN 2 ELSE 1 END",
        "outcome": outcome,
        "error_code": f"CASE {outcome} WHEN 'refused' THEN '9' WHEN 'rate_limited' THEN '100' ELSE '' END",
        "error_message": f"CASE {outcome} WHEN 'refused' THEN {failure} ELSE '' END",
        "user_id": ctx.supervisor("r.p4"),
        "document_type": (f"CASE WHEN NOT ({first}) AND {settles} THEN 'settlements.settlementdraft' "
                          f"ELSE 'returns.purchasereturn' END"),
        "document_id": (f"CASE WHEN {first} THEN {return_id} "
                        f"WHEN {settles} THEN CAST({ctx.ids[DRAFTS]} + r.dr AS text) "
                        f"WHEN {pending} THEN '' ELSE {return_id} END"),
        "document_label": (f"CASE WHEN NOT ({first}) AND NOT ({settles}) AND {pending} "
                           f"THEN {ctx.return_no('r.i')} || ' 等10张' ELSE {ctx.return_no('r.i')} END"),
        "created_at": sql.ts(at),
    }, source, ctes=f"{sql.series(ctx.volume.calls)}, {sql.series(ctx.n, 's2')}")


def build_history(ctx: Context) -> int:
    """Two changes for seven returns in ten and one for the others (validated, then sent or edited); two for
    each draft."""
    sql = ctx.sql
    sent_states = "('done', 'failed', 'unknown')"
    two = "k(k) AS (VALUES (1), (2))"
    returns = insert_select(ctx, HISTORY, {
        "content_type_id": str(ctx.content_types[RETURNS]),
        "object_id": f"{ctx.ids[RETURNS]} + r.i",
        "field": "'outbound_state'",
        "from_state": f"CASE WHEN k.k = 1 THEN 'draft' WHEN r.os IN {sent_states} THEN 'sending' ELSE 'ready' END",
        "to_state": f"CASE WHEN k.k = 1 THEN 'ready' WHEN r.os IN {sent_states} THEN r.os ELSE 'draft' END",
        "user_id": f"CASE WHEN k.k = 1 THEN {ctx.clerk('r.p1')} ELSE {ctx.supervisor('r.p1')} END",
        "reason": (f"CASE WHEN k.k = 1 THEN '校验通过' WHEN r.os IN {sent_states} THEN '创建出库单' "
                   f"ELSE '内容已修改，需要重新校验' END"),
        "at": sql.ts(f"CASE WHEN k.k = 1 THEN {sql.least('r.t + 600', str(ctx.now))} "
                     f"ELSE COALESCE(r.sent, {sql.least('r.t + 1200', str(ctx.now))}) END"),
    }, f"{ctx.returns_source()} JOIN k ON k.k = 1 OR r.i % 10 < 7", ctes=f"{sql.series(ctx.n)}, {two}")
    drafts = insert_select(ctx, HISTORY, {
        "content_type_id": str(ctx.content_types[DRAFTS]),
        "object_id": f"{ctx.ids[DRAFTS]} + r.dr",
        "field": "'state'",
        "from_state": f"CASE WHEN k.k = 1 THEN 'draft' WHEN r.ds IN {sent_states} THEN 'sending' ELSE 'ready' END",
        "to_state": f"CASE WHEN k.k = 1 THEN 'ready' WHEN r.ds IN {sent_states} THEN r.ds ELSE 'draft' END",
        "user_id": f"CASE WHEN k.k = 1 THEN {ctx.clerk('r.p2')} ELSE {ctx.supervisor('r.p2')} END",
        "reason": (f"CASE WHEN k.k = 1 THEN '校验通过' WHEN r.ds IN {sent_states} THEN '创建结算单' "
                   f"ELSE '内容已修改' END"),
        "at": sql.ts(f"CASE WHEN k.k = 1 THEN {sql.least('r.dt + 600', str(ctx.now))} "
                     f"ELSE COALESCE(r.dsent, {sql.least('r.dt + 1200', str(ctx.now))}) END"),
    }, f"{ctx.returns_source()} JOIN k ON r.dr IS NOT NULL", ctes=f"{sql.series(ctx.n)}, {two}")
    return returns + drafts


def build_jobs(ctx: Context) -> int:
    """Finished send jobs, the first with N/10 items (the job page measured), then small ones; counters match."""
    sql = ctx.sql
    items = 0
    offset = 0
    kinds = ["return_push_outbound", "returns_stop_waiting"]
    for number, size in enumerate(ctx.volume.job_sizes):
        job_id = ctx.ids[JOBS] + number + 1
        started = ctx.now - 86400 * (2 + number * 7)
        finished = started + 5 + size // 8
        first = offset % ctx.n  # the documents of the job: `size` consecutive returns
        offset += size
        insert_select(ctx, JOBS, {
            "id": str(job_id),
            "kind": quote(kinds[number % 2]),
            "label": quote("创建出库单" if number % 2 == 0 else "停止等待"),
            "created_by_id": str(ctx.supervisors[0]),
            "created_at": sql.ts(str(started - 1)),
            "started_at": sql.ts(str(started)),
            "finished_at": sql.ts(str(finished)),
            "total": str(size),
            "done": "0", "failed": "0", "unknown": "0", "skipped": "0",
            "message": "''",
            "call_path": "''",
            "call_kwargs": sql.literal({}),
            "runner_task_ids": sql.literal([]),
            "selection": sql.literal({}),  # a job of listed documents, as the admin's ticked rows start
            "language": "'zh-hans'",
        }, "s", ctes=sql.series(1))
        i = f"(1 + ({first} + s.i - 1) % {ctx.n})"
        p = f"{h('s.i', number % 8)} % 1000"
        state = (f"CASE WHEN {p} < 920 THEN 'done' WHEN {p} < 980 THEN 'failed' WHEN {p} < 990 THEN 'unknown' "
                 f"ELSE 'skipped' END")
        items += insert_select(ctx, JOB_ITEMS, {
            "job_id": str(job_id),
            "position": "s.i - 1",
            "object_id": f"{ctx.ids[RETURNS]} + {i}",
            "label": ctx.return_no(i),
            "previous_state": "'ready'",
            "state": state,
            "message": (f"CASE {state} WHEN 'failed' THEN {pick(f'{p} % 8', FAILURES)} "
                        f"WHEN 'unknown' THEN {quote(UNKNOWN_MESSAGE)} "
                        f"WHEN 'skipped' THEN '旺店通已接受，无需再发送' ELSE '' END"),
            "claimed_by": "''",
            "attempts": "1",
            "finished_at": sql.ts(f"{started} + s.i / 8"),
        }, "s", ctes=sql.series(size))
        with connection.cursor() as cursor:
            qn = connection.ops.quote_name
            counts = ", ".join(f"{qn(state)} = (SELECT COUNT(*) FROM {JOB_ITEMS} WHERE job_id = {job_id} "
                               f"AND state = '{state}')" for state in ("done", "failed", "unknown", "skipped"))
            cursor.execute(f"UPDATE {JOBS} SET {counts} WHERE id = {job_id}")
    return items


# In order: a table after those it refers to.
STEPS: list[tuple[str, Callable[[Context], int]]] = [
    (BATCHES, build_batches), (RETURNS, build_returns), (LINES, build_lines), (DRAFTS, build_drafts),
    (DRAFT_LINES, build_draft_lines), (CALLS, build_calls), (HISTORY, build_history), (JOB_ITEMS, build_jobs),
]


def people() -> tuple[list[int], list[int]]:
    """The six people (created if missing), in the groups of documents/groups.py: (clerk ids, supervisor ids)."""
    from django.contrib.auth.models import Group

    from wdtportal.documents.groups import CLERK, SUPERVISOR, sync_groups

    if not Group.objects.filter(name=SUPERVISOR).exists():
        sync_groups(apps)
    groups = {"clerk": Group.objects.get(name=CLERK), "supervisor": Group.objects.get(name=SUPERVISOR)}
    ids: dict[str, list[int]] = {"clerk": [], "supervisor": []}
    for username, key in PEOPLE:
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
        if created:
            user.set_unusable_password()  # the benchmark logs in with force_login
            user.save()
            user.groups.add(groups[key])
        ids[key].append(user.pk)
    return ids["clerk"], ids["supervisor"]


def build_fixture(*, returns: int, log: Callable[[str], None] = lambda line: None) -> dict[str, int]:
    """Fill the (empty) document tables with `returns` returns and what goes with them, in one transaction.
    Returns the rows each table holds afterwards."""
    from django.contrib.contenttypes.models import ContentType

    volume = Volume(returns)
    sql = Dialect(connection.vendor)
    with connection.cursor() as cursor:
        for table in DOCUMENT_TABLES:
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
            if cursor.fetchone():
                raise RuntimeError(f"{table} is not empty: the admin fixture fills empty tables")
    now = int(timezone.now().timestamp())
    span = YEARS * 365 * 86400
    step = max(span // returns, 1)
    with transaction.atomic():
        clerks, supervisors = people()
        ids = {}
        with connection.cursor() as cursor:
            for table in (RETURNS, DRAFTS, BATCHES, JOBS):
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                ids[table] = cursor.fetchone()[0]
        content_types = {table: ContentType.objects.get_for_model(model_for_table(table)).pk
                         for table in (RETURNS, DRAFTS)}
        ctx = Context(sql=sql, volume=volume, now=now, start=now - returns * step - step, step=step,
                      clerks=clerks, supervisors=supervisors, ids=ids, content_types=content_types)
        for table, step_function in STEPS:
            started = time.monotonic()
            rows = step_function(ctx)
            log(f"  {table}: {rows:,} rows in {time.monotonic() - started:.1f} s")
        reset = connection.ops.sequence_reset_sql(no_style(), [model_for_table(t) for t in DOCUMENT_TABLES])
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)
    # The triggers counted every document inserted (documents/tallies.py): fold their rows, as the workers would.
    from wdtportal.documents.tallies import state_tallies_compact

    started = time.monotonic()
    log(f"  state tallies: {state_tallies_compact(over=0):,} rows folded in {time.monotonic() - started:.1f} s")
    if connection.vendor == "postgresql":
        # Folding millions of rows at once left the table's file that size, its few live rows at the end, where
        # VACUUM cannot cut it: rewrite it, as the workers' folding every few seconds never lets it grow.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL documents_statetally")
    return table_counts()


def table_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in DOCUMENT_TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts
