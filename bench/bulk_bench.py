"""Benchmark: "all N" bulk actions at volume: exporting 100,000 returns with 300,000 lines, and starting a send job
for 100,000 returns, both through the admin's real POST as a 财务主管, DEBUG off.

    python bench/bulk_bench.py                                          # SQLite, a fresh file under tmp/
    python bench/bulk_bench.py --database-url postgres://portal:portal@127.0.0.1:5432/portal_bulk_bench
    python bench/bulk_bench.py --returns 20000 --baseline               # smaller; also time openpyxl's writer

A PostgreSQL database named in --database-url is dropped and created again: give one of its own.

1. Builds N returns with K lines each (default 100,000 × 3) with parameterised INSERTs (wdtportal/excel/bulk.py).
2. Export: POSTs the list's export form filtered to every return (出库单状态 = 草稿); the request starts a job. A real
   worker process (`manage.py db_worker --batch`) runs it: its wall time and peak RSS (the child's ru_maxrss from
   wait4), the job's own time (started → finished), the file's size; then the file is downloaded through the admin
   and its rows counted with python-calamine. `--baseline`: the same rows written by openpyxl's write-only mode in a
   child process, for comparison with our writer (wdtportal/excel/xlsx_stream.py).
3. Send: POSTs "select all N" + 在旺店通创建出库单 on the same filter: the request's time, query count and Python
   memory peak (tracemalloc). Then a child process expands the job's selection as its runner does (`job_expand`),
   without sending anything to WDT: wall time, peak RSS, and the longest another writer waited for the database
   meanwhile (a probe updating one row every 0.2 s: on SQLite every writer takes turns).
4. Resolve: every return's outbound order set to unknown; POSTs "select all N" + 处理结果未知的单据 on
   出库单状态 = 结果未知 (the confirmation page), then its two buttons, 重新发送 and 标记为已完成 (each starts its job,
   which is not run): each request's time, query count and Python memory peak.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILTER = "?outbound_state__exact=draft"


def pg_recreate(url: str) -> None:
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    params = {"host": config["HOST"], "port": config["PORT"] or 5432, "user": config["USER"],
              "password": config["PASSWORD"], "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"])))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def environment(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wdtportal.settings",
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
        "JOBS_RUNNERS": "1",
        # The bench's supervisor has no authenticator app: the two-factor step is not what is measured.
        "REQUIRE_2FA_SUPERVISORS": "0",
    }


# Runs a command as its child through fork + exec and writes the child's peak RSS (kB) to a file. Measuring a child
# of this benchmark directly would not do: Python spawns with vfork, and Linux then counts the parent's memory
# (hundreds of MB here) in the child's ru_maxrss; this small launcher forks from its own few MB.
LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[2], sys.argv[2:])\n"
    "_pid, status, usage = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(f'{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_child(args: list[str], env: dict[str, str], log: Any) -> tuple[float, float, float, int]:
    """Run a child process to its end: (wall seconds, its CPU seconds, its peak RSS in MB, exit status)."""
    result = ROOT / "tmp" / "bulk-bench-rss.txt"
    result.unlink(missing_ok=True)
    started = time.monotonic()
    status = subprocess.run([sys.executable, "-c", LAUNCHER, str(result), *args], env=env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT).returncode
    rss, cpu = result.read_text().split()
    return time.monotonic() - started, float(cpu), int(rss) / 1024, status


def build(n: int, per_return: int) -> tuple[Any, float]:
    """N returns with `per_return` lines each; returns the supervisor and the seconds it took."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from returns.models import OutboundLine, PurchaseReturn
    from wdtportal.documents.groups import SUPERVISOR
    from wdtportal.excel.bulk import insert_rows, model_defaults

    user = get_user_model().objects.create_user("bench-boss", password=None, is_staff=True)
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    started = time.monotonic()
    now = timezone.now()
    doc = {**model_defaults(PurchaseReturn, now), "created_by_id": user.pk}
    doc_names = ["id", *[name for name in doc if name != "id"]]
    doc_names.remove("return_no")
    doc_names.remove("outer_no")
    doc_names.remove("created_at")
    doc_names += ["return_no", "outer_no", "created_at"]
    base = [doc[name] for name in doc_names[1:-3]]
    remark_at = doc_names.index("remark") - 1
    post_cost_at = doc_names.index("post_cost") - 1
    line_names = ["purchase_return_id", "line_no", "spec_no", "num", "price", "position_no", "batch_no", "remark"]

    def documents():
        for i in range(n):
            values = list(base)
            values[remark_at] = "=供应商质量问题退货" if i % 50 == 0 else "供应商质量问题退货"
            values[post_cost_at] = Decimal("12.5000")
            yield [i + 1, *values, f"CB{i:07d}", f"WPB{i:07d}", now - timedelta(seconds=n - i)]

    def lines():
        for i in range(n):
            for k in range(per_return):
                yield [i + 1, k + 1, f"SKU-{k}-{i % 9973:05d}", Decimal(f"{1 + i % 7}.2500"),
                       Decimal("25.8123"), "A-01", "", ""]

    with transaction.atomic():
        insert_rows(PurchaseReturn, doc_names, documents())
        insert_rows(OutboundLine, line_names, lines())
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [PurchaseReturn, OutboundLine]):
            cursor.execute(statement)
        cursor.execute("ANALYZE")
    return user, time.monotonic() - started


class WriterProbe:
    """Another writer: updates one row every 0.2 s and records how long each update waited."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db import connection

        try:
            while not self.stop.wait(0.2):
                started = time.monotonic()
                get_user_model().objects.filter(username="bench-boss").update(first_name=str(started)[-6:])
                self.waits.append(time.monotonic() - started)
        finally:
            connection.close()

    def __enter__(self) -> WriterProbe:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def measured_post(client: Any, path: str, data: dict[str, Any]) -> tuple[Any, float, list[dict], int]:
    """POST through the admin: (response, seconds, the queries, the Python memory peak in bytes)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        response = client.post(path, data)
        seconds = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return response, seconds, queries.captured_queries, peak


def slowest(queries: list[dict]) -> str:
    sql = sorted(((float(q["time"]), q["sql"]) for q in queries), reverse=True)
    return (f"of which SQL {sum(t for t, _ in sql):.2f} s; slowest: " +
            "; ".join(f"{t:.2f} s {text[:60]}…" for t, text in sql[:2]))


def resolve(client: Any, n: int) -> None:
    """处理结果未知的单据 after "select all N" on N returns whose outbound order is in unknown: the confirmation page,
    then its two buttons (each starts its job; the jobs are not run)."""
    from django.db import connection

    from returns.models import PurchaseReturn
    from wdtportal.jobs.models import Job

    PurchaseReturn.objects.update(outbound_state="unknown")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    path = "/admin/returns/purchasereturn/?outbound_state__exact=unknown"
    first = PurchaseReturn.objects.order_by("pk").values_list("pk", flat=True).first()
    page, seconds, queries, peak = measured_post(client, path, {
        "action": "resolve_unknown", "select_across": "1", "index": "0", "_selected_action": [first]})
    html = page.content.decode()
    hidden = html.count('type="hidden"')
    assert page.status_code == 200 and f"{n:,} 张结果未知" in html, page.status_code
    print(f"resolve page  {seconds:.2f} s, {len(queries)} queries, Python memory peak {peak / 2**20:.1f} MB, "
          f"{len(page.content) / 1024:.0f} kB, {hidden} hidden inputs")
    print(f"              {slowest(queries)}")
    for button in ("send_again", "mark_done"):
        response, seconds, queries, peak = measured_post(client, path, {
            "action": "resolve_unknown", "select_across": "1", "index": "0", "resolve_action": button})
        assert response.status_code == 302 and "/progress/" in response.url, response.status_code
        job = Job.objects.latest("pk")
        print(f"resolve {button:10s} {seconds:.2f} s, {len(queries)} queries, Python memory peak "
              f"{peak / 2**20:.1f} MB -> job #{job.pk} {job.kind} {job.selection}")
        print(f"              {slowest(queries)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file under tmp/")
    parser.add_argument("--returns", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=3, help="lines per return (default 3)")
    parser.add_argument("--baseline", action="store_true", help="also time openpyxl writing the same rows")
    args = parser.parse_args()

    (ROOT / "tmp").mkdir(exist_ok=True)
    url = args.database_url
    if not url:
        db = ROOT / "tmp" / "bulk-bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        pg_recreate(url)
    env = environment(url)
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], check=True, env=env, cwd=ROOT)
    # DEBUG off: the manifest storage needs it for the pages the benchmark renders (the resolve page).
    subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], check=True, env=env, cwd=ROOT)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from wdtportal.jobs.models import Job, JobFile

    user, built = build(args.returns, args.lines)
    n_lines = args.returns * args.lines
    log = open(ROOT / "tmp" / "bulk-bench.log", "w")  # noqa: SIM115 - lives as long as the children
    print(f"bulk_bench: {connection.vendor}, {args.returns:,} returns with {n_lines:,} lines (built in {built:.1f} s), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    client = Client()
    client.force_login(user)

    # --- export -------------------------------------------------------------------------------------------
    started = time.monotonic()
    response = client.post(f"/admin/returns/purchasereturn/export/{FILTER}", {"format": "0", "resource": "0"})
    request_s = time.monotonic() - started
    assert response.status_code == 302 and "/progress/" in response.url, (response.status_code, response.url)
    job = Job.objects.latest("pk")
    worker = [*manage, "db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name", "*",
              "--worker-id", "bench-export", "--verbosity", "0"]
    wall, cpu, rss, status = run_child(worker, env, log)
    job.refresh_from_db()
    file = JobFile.objects.get(job=job)
    job_s = (job.finished_at - job.started_at).total_seconds()
    started = time.monotonic()
    download = client.get(f"/admin/jobs/job/{job.pk}/download/")
    size = 0
    path = ROOT / "tmp" / "bulk-bench-export.xlsx"
    with open(path, "wb") as out:
        for chunk in download.streaming_content:
            out.write(chunk)
            size += len(chunk)
    download_s = time.monotonic() - started
    from python_calamine import CalamineWorkbook

    rows = len(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()) - 1
    print(f"export  request {request_s:.2f} s -> job #{job.pk}; worker (db_worker --batch, exit {status}): "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB; job started->finished {job_s:.1f} s")
    print(f"        file {file.size / 2**20:.1f} MB, {rows:,} rows read back (calamine), "
          f"downloaded in {download_s:.2f} s; job message: {job.message}")
    if args.baseline:
        code = ("import django,sys,time,resource; django.setup()\n"
                "from openpyxl import Workbook\n"
                "from returns.excel_admin import ReturnsResource\n"
                "from returns.models import PurchaseReturn\n"
                "sheet = ReturnsResource().export(PurchaseReturn.objects.filter(outbound_state='draft'))\n"
                "t = time.monotonic(); wb = Workbook(write_only=True); ws = wb.create_sheet('x')\n"
                "ws.append(sheet.headers)\n"
                "for row in sheet.rows: ws.append(row)\n"
                "wb.save('tmp/bulk-bench-openpyxl.xlsx'); print('openpyxl', time.monotonic() - t)\n")
        wall_b, cpu_b, rss_b, _status = run_child([sys.executable, "-c", code], env, log)
        print(f"        baseline: the same rows through openpyxl's write-only mode: {wall_b:.1f} s wall, "
              f"{cpu_b:.1f} s CPU (reading included), peak RSS {rss_b:.0f} MB")

    # --- send -------------------------------------------------------------------------------------------
    first = connection.cursor().execute("SELECT MIN(id) FROM returns_purchasereturn").fetchone()[0]
    response, request_s, queries, peak = measured_post(client, f"/admin/returns/purchasereturn/{FILTER}", {
        "action": "push_outbound", "select_across": "1", "index": "0", "_selected_action": [first]})
    assert response.status_code == 302 and "/progress/" in response.url, response.status_code
    job = Job.objects.latest("pk")
    # The expansion alone, as the job's runner does it, in a process of its own (nothing is sent to WDT).
    code = ("import django; django.setup()\n"
            "from django.utils import translation\n"
            "from wdtportal.jobs.expansion import job_expand\n"
            "from wdtportal.jobs.models import Job\n"
            f"job = Job.objects.get(pk={job.pk})\n"
            "with translation.override(job.language or 'zh-hans'):\n"
            "    assert job_expand(job=job)\n")
    with WriterProbe() as probe:
        wall, cpu, rss, status = run_child([sys.executable, "-c", code], env, log)
    job.refresh_from_db()
    queued = job.total - job.skipped
    print(f"send    request {request_s:.2f} s, {len(queries)} queries, Python memory peak "
          f"{peak / 2**20:.1f} MB (tracemalloc) -> job #{job.pk}")
    print(f"        {slowest(queries)}")
    print(f"        expansion (job_expand in its own process, exit {status}): {wall:.1f} s wall, {cpu:.1f} s CPU, "
          f"peak RSS {rss:.0f} MB; {job.total:,} items, {queued:,} queued, {job.skipped:,} skipped")
    waits = sorted(probe.waits)
    if waits:
        print(f"        another writer meanwhile: {len(waits)} updates, longest wait {waits[-1] * 1000:.0f} ms, "
              f"median {waits[len(waits) // 2] * 1000:.0f} ms")
    # --- resolve unknown ------------------------------------------------------------------------------
    resolve(client, args.returns)
    print(f"peak RSS of this process (client side, data building included): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
