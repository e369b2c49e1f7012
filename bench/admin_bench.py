"""Benchmark: every admin page and the bulk actions at a real company's volume, as a 财务主管 with DEBUG off.

    python bench/admin_bench.py --database-url postgres://portal:portal@127.0.0.1:5432/portal_bench_admin
    python bench/admin_bench.py                       # SQLite, 200,000 returns, under tmp/
    python bench/admin_bench.py --only 'returns: (list|search)' --runs 3
    python bench/admin_bench.py --returns 20000 --rebuild

The volume (bench/admin_fixture.py: N returns, 3N lines, 0.3N drafts, 2N call-log rows, 2.3N history rows, ...;
N = 1,000,000 on PostgreSQL, 200,000 on SQLite by default) is built once with SQL inside the database and cached:
on PostgreSQL as a template database `<name>_tpl`, on SQLite as tmp/admin-bench-fixture-<N>.sqlite3. A marker table
(`bench_fixture`) holds a hash of the fixture's code, the migrations and N: when any of them changes, the cache is
rebuilt. Each run measures a copy (`CREATE DATABASE … TEMPLATE`, or a file copy), which is reused while the bulk
actions (which change data) have not run on it. A PostgreSQL database named in --database-url is dropped and
recreated: give one of its own.

It prints two Markdown tables (pages; bulk actions) with the status, query count, median time, the time spent in
SQL and in the slowest query, and how many rows a list found. Every page runs in a child process killed after
--timeout seconds (reported '>60 s'); PostgreSQL also stops the query itself (statement_timeout).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARKER = "bench_fixture"
DEFAULT_RETURNS = {"postgresql": 1_000_000, "sqlite": 200_000}


# --- the cached fixture ---------------------------------------------------------------------------------
def fixture_version(returns: int) -> str:
    """Changes when the fixture's code, any migration or the volume does."""
    digest = hashlib.sha256()
    digest.update((ROOT / "bench" / "admin_fixture.py").read_bytes())
    apps = [path for path in ROOT.iterdir() if path.is_dir() and path.name not in (".venv", "tmp", ".git")]
    for path in sorted(p for app in apps for p in app.glob("**/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(str(returns).encode())
    return digest.hexdigest()[:16]


def vendor_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def sqlite_path(url: str) -> Path:
    return Path(url.split("sqlite:///", 1)[1])


def pg_params(url: str, dbname: str | None = None) -> dict[str, Any]:
    import environ

    config = environ.Env.db_url_config(url)
    return {"host": config["HOST"], "port": config["PORT"] or 5432, "user": config["USER"],
            "password": config["PASSWORD"], "dbname": dbname or config["NAME"], "autocommit": True}


def pg_url_with_name(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def read_marker(url: str) -> dict[str, Any] | None:
    """The marker of a built fixture in that database, or None (no database, no marker)."""
    query = f"SELECT version, returns, counts, build_seconds, dirty FROM {MARKER}"
    try:
        if vendor_of(url) == "sqlite":
            import sqlite3

            path = sqlite_path(url)
            if not path.exists():
                return None
            with sqlite3.connect(path) as conn:
                row = conn.execute(query).fetchone()
        else:
            import psycopg

            with psycopg.connect(**pg_params(url)) as conn:
                row = conn.execute(query).fetchone()
    except Exception:
        return None
    if row is None:
        return None
    return {"version": row[0], "returns": row[1], "counts": json.loads(row[2]), "build_seconds": row[3],
            "dirty": bool(row[4])}


def mark_dirty(url: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {MARKER} SET dirty = 1" if vendor_of(url) == "sqlite"
                       else f"UPDATE {MARKER} SET dirty = TRUE")


def pg_admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(**pg_params(url, "postgres")) as conn:
        for statement in statements:
            conn.execute(statement)


def build_cache(url: str, returns: int, log: Any) -> None:
    """Build the fixture into a new database (or file) and put it in the cache's place once complete."""
    started = time.monotonic()
    if vendor_of(url) == "sqlite":
        cache = cache_location(url, returns)
        building = Path(f"{cache}.building")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        build_url = f"sqlite:///{building}"
    else:
        name = pg_params(url)["dbname"]
        build_url = pg_url_with_name(url, f"{name}_tpl_build")
        pg_admin(url, f'DROP DATABASE IF EXISTS "{name}_tpl_build" WITH (FORCE)',
                 f'CREATE DATABASE "{name}_tpl_build"')
    log(f"building the fixture ({returns:,} returns) into {build_url.rpartition('@')[2]} ...")
    subprocess.run([sys.executable, __file__, "--build-into", build_url, "--returns", str(returns)],
                   check=True, cwd=ROOT)
    if vendor_of(url) == "sqlite":
        building.rename(cache_location(url, returns))
    else:
        name = pg_params(url)["dbname"]
        pg_admin(url, f'DROP DATABASE IF EXISTS "{name}_tpl" WITH (FORCE)',
                 f'ALTER DATABASE "{name}_tpl_build" RENAME TO "{name}_tpl"')
    log(f"fixture built in {time.monotonic() - started:.0f} s")


def cache_location(url: str, returns: int) -> Path:
    return ROOT / "tmp" / f"admin-bench-fixture-{returns}.sqlite3"


def cache_url(url: str, returns: int) -> str:
    if vendor_of(url) == "sqlite":
        return f"sqlite:///{cache_location(url, returns)}"
    return pg_url_with_name(url, pg_params(url)["dbname"] + "_tpl")


def prepare_database(url: str, returns: int, *, rebuild: bool, fresh: bool, log: Any) -> dict[str, Any]:
    """Make `url` a copy of the cached fixture (building it first when missing or stale); returns the marker."""
    version = fixture_version(returns)
    cached = read_marker(cache_url(url, returns))
    if rebuild or cached is None or cached["version"] != version:
        build_cache(url, returns, log)
    current = read_marker(url)
    if not (rebuild or fresh) and current and current["version"] == version and not current["dirty"]:
        log("reusing the benchmark database (same fixture, no bulk action has run on it)")
        return current
    started = time.monotonic()
    if vendor_of(url) == "sqlite":
        target = sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(cache_location(url, returns), target)
    else:
        name = pg_params(url)["dbname"]
        pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                 f'CREATE DATABASE "{name}" TEMPLATE "{name}_tpl" STRATEGY FILE_COPY')
    log(f"copied the fixture in {time.monotonic() - started:.0f} s")
    return read_marker(url) or {}


def build_into(url: str, returns: int) -> None:
    """The child process of build_cache: migrate, fill, analyse, mark."""
    os.environ["DATABASE_URL"] = url
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from bench.admin_fixture import build_fixture

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    counts = build_fixture(returns=returns, log=lambda line: print(line, flush=True))
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if pg:
            # As autovacuum leaves a table that has been in use: statistics and visibility map up to date. (Django
            # never runs ANALYZE on SQLite, so neither does the benchmark.)
            print("  VACUUM ANALYZE ...", flush=True)
            cursor.execute("VACUUM ANALYZE")
        cursor.execute(f"CREATE TABLE {MARKER} (version varchar(64), returns bigint, counts text, "
                       f"build_seconds real, dirty {'boolean' if pg else 'integer'})")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (%s, %s, %s, %s, %s)",
                       [fixture_version(returns), returns, json.dumps(counts), time.monotonic() - started, False])
        if not pg:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"  built in {time.monotonic() - started:.0f} s: {counts}", flush=True)


# --- running --------------------------------------------------------------------------------------------
def setup_django() -> None:
    """The production settings with DEBUG off, as served; only what a test client needs is relaxed."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "wdtportal.settings", "DEBUG": "0", "WDT_SANDBOX": "0", "LOG_LEVEL": "ERROR",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "admin-bench-only-key-not-a-secret-0123456789abcdefghij",
        "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    })
    import logging

    import django

    django.setup()
    # The tables report every status; Django's own warnings about 4xx answers would only bury them.
    for name in ("django.request", "django.security"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def human_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def page_row(result: Any, timeout: float) -> str:
    status = "error" if result.error else (result.status or "-")
    if result.status is not None and result.status not in result.case.expect:
        status = f"**{status}**"
    median = f">{timeout:.0f} s" if result.timed_out and not result.times else human_time(result.median)
    cells = [result.case.name, str(status), "-" if result.queries is None else str(result.queries), median,
             human_time(result.sql_seconds), human_time(result.slowest), str(len(result.times)),
             "-" if result.rows is None else f"{result.rows:,}", result.error or result.detail]
    return "| " + " | ".join(cells) + " |"


def bulk_row(result: Any, timeout: float) -> str:
    status = "error" if result.error else (result.status or "-")
    elapsed = f">{timeout:.0f} s" if result.timed_out else human_time(result.median)
    memory = "-" if result.peak_mb is None else f"{result.peak_mb:.0f} MB (+{result.grown_mb or 0:.0f})"
    cells = [result.case.name, str(status), "-" if result.queries is None else str(result.queries), elapsed,
             human_time(result.sql_seconds), human_time(result.cpu_seconds), memory, result.error or result.detail]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: SQLite, tmp/admin-bench.sqlite3")
    parser.add_argument("--returns", type=int, default=0, help="volume (default 1,000,000 PostgreSQL, 200,000 SQLite)")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page after a warm-up (default 5)")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds of timed requests per page: a slow page is timed fewer times (default 30)")
    parser.add_argument("--timeout", type=float, default=60.0, help="a request slower than this is stopped (s)")
    parser.add_argument("--only", default="", help="measure only cases whose name matches this regex")
    parser.add_argument("--skip", default="", help="leave out cases whose name matches this regex")
    parser.add_argument("--no-bulk", action="store_true", help="pages only, no bulk actions")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached fixture and copy it again")
    parser.add_argument("--fresh", action="store_true", help="copy the cached fixture again even if unchanged")
    parser.add_argument("--explain", default="", help="write EXPLAIN of the slowest query of slow pages here")
    parser.add_argument("--explain-over", type=float, default=1.0, help="what --explain calls slow (s)")
    parser.add_argument("--build-into", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.build_into:
        build_into(args.build_into, args.returns)
        return
    (ROOT / "tmp").mkdir(exist_ok=True)
    url = args.database_url or f"sqlite:///{ROOT / 'tmp' / 'admin-bench.sqlite3'}"
    vendor = vendor_of(url)
    returns = args.returns or DEFAULT_RETURNS[vendor]

    def log(line: str) -> None:
        print(f"admin_bench: {line}", file=sys.stderr, flush=True)

    marker = prepare_database(url, returns, rebuild=args.rebuild, fresh=args.fresh, log=log)
    os.environ["DATABASE_URL"] = url
    setup_django()
    import re

    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.test import Client

    from bench.admin_pages import Anchors, bulk_cases, measure, page_cases, statement_timeout

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest storage needs it
    connection_created.connect(statement_timeout(args.timeout), weak=False)
    anchors = Anchors.find(returns=returns)
    cases = page_cases(anchors) + ([] if args.no_bulk else bulk_cases(anchors))
    cases = [c for c in cases if (not args.only or re.search(args.only, c.name))
             and not (args.skip and re.search(args.skip, c.name))]
    client = Client()
    client.force_login(anchors.supervisor)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT 'SQLite ' || sqlite_version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    counts = marker.get("counts", {})
    print(f"admin_bench: {server}, {returns:,} returns, "
          + ", ".join(f"{table.split('_', 1)[1]} {rows:,}" for table, rows in counts.items())
          + f"; logged in as {anchors.supervisor.username} (财务主管), DEBUG off; median of up to {args.runs} "
          f"requests after a warm-up (fewer past {args.budget:.0f} s of a page), timeout {args.timeout:.0f} s; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    page_list = [c for c in cases if not c.bulk]
    bulk_list = [c for c in cases if c.bulk]
    explain_file = open(args.explain, "w") if args.explain else None  # noqa: SIM115 - written as results come
    if page_list:
        print("\n| page | status | queries | median | in SQL | slowest query | runs | rows | note |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for result in measure(page_list, client=client, runs=args.runs, timeout=args.timeout,
                              budget=args.budget, explain_over=args.explain_over if explain_file else None):
            print(page_row(result, args.timeout), flush=True)
            if explain_file and result.explain:
                top = "".join(f"- {human_time(seconds)}: {sql}\n" for seconds, sql in result.top_queries)
                explain_file.write(f"## {result.case.name} ({human_time(result.median)}, {result.queries} queries, "
                                   f"{human_time(result.sql_seconds)} in SQL)\nslowest queries:\n{top}\n"
                                   f"{result.slowest_sql}\n\n{result.explain}\n\n")
                explain_file.flush()
    if bulk_list:
        print("\n| bulk action | status | queries | time | in SQL | web CPU | peak memory (growth) | answer |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        mark_dirty(url)
        for result in measure(bulk_list, client=client, runs=1, timeout=args.timeout * 5, budget=0):
            print(bulk_row(result, args.timeout * 5), flush=True)
    if explain_file:
        explain_file.close()
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
