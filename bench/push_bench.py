"""Benchmark: N settlements through real `db_worker` processes to the sandbox, paced under a rate limit.

    python bench/push_bench.py                        # 1,000 drafts, 50 ms latency, 50 req/s, 8 in flight, 3 workers
    python bench/push_bench.py --n 2000 --rate 100 --concurrency 16 --database-url postgres://portal:portal@127.0.0.1/bench

It creates a fresh database (a SQLite file in tmp/ unless --database-url is given: that database is flushed!),
starts the sandbox alone (`manage.py wdt_sandbox`) with the latency set, seeds N returns there and N settlement
drafts in the portal, queues them as one job (as the admin's 在旺店通创建结算单 does), starts the workers and waits.
It prints the wall time beside the ideal, max(N / rate, N × latency / concurrency), and the efficiency.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database_if_missing(url: str) -> None:
    """A PostgreSQL URL's database, created when the server does not have it yet (the role needs CREATEDB)."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    params = {"host": config["HOST"], "port": config["PORT"] or 5432, "user": config["USER"],
              "password": config["PASSWORD"], "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="documents (default 1000)")
    parser.add_argument("--latency-ms", type=int, default=50, help="sandbox latency per request (default 50)")
    parser.add_argument("--rate", type=float, default=50, help="WDT_QJB_RATE, requests per second (default 50)")
    parser.add_argument("--concurrency", type=int, default=8, help="WDT_QJB_CONCURRENCY (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="db_worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=4, help="JOBS_THREADS per runner (default 4)")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file under tmp/")
    args = parser.parse_args()

    (ROOT / "tmp").mkdir(exist_ok=True)
    if not args.database_url:
        db = ROOT / "tmp" / "push-bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        args.database_url = f"sqlite:///{db}"
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}/sandbox"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wdtportal.settings",
        "DEBUG": "1",
        "WDT_SANDBOX": "1",
        "DATABASE_URL": args.database_url,
        "WDT_QJB_URL": sandbox_url,
        "WDT_ENT_URL": sandbox_url,
        "WDT_QJB_RATE": str(args.rate),
        "WDT_QJB_CONCURRENCY": str(args.concurrency),
        "WDT_SANDBOX_LATENCY_MS": str(args.latency_ms),
        "JOBS_RUNNERS": str(args.workers),
        "JOBS_THREADS": str(args.threads),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    manage = [sys.executable, str(ROOT / "manage.py")]
    if not args.database_url.startswith("sqlite"):
        create_database_if_missing(args.database_url)
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], check=True, env=env, cwd=ROOT)
    if not args.database_url.startswith("sqlite"):
        subprocess.run([*manage, "flush", "--no-input", "-v", "0"], check=True, env=env, cwd=ROOT)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from settlements import job_kinds
    from tests.bulk import seed_settlement_drafts
    from wdtportal.jobs.services import job_start
    from wdtportal.wdt.models import GatewayPace, WdtCall
    from wdtportal.wdt.sandbox import faults

    faults.clear()  # the sandbox takes its latency from WDT_SANDBOX_LATENCY_MS
    drafts = seed_settlement_drafts(args.n, prefix="CRBENCH")
    user = get_user_model().objects.create_superuser("bench", password=None)
    log = open(ROOT / "tmp" / "push-bench.log", "w")  # noqa: SIM115 - lives as long as the children
    # The sandbox serves each request in a new thread: a persistent connection per thread would pile up.
    children = [subprocess.Popen([*manage, "wdt_sandbox", "--port", str(port)], env={**env, "CONN_MAX_AGE": "0"},
                                 cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)]
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        job = job_start(kind=job_kinds.SUBMIT, documents=drafts, user=user, label="bench")
        started = time.monotonic()
        children += [subprocess.Popen([*manage, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2",
                                       "--worker-id", f"bench-{n}", "--verbosity", "0"],
                                      env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
                     for n in range(args.workers)]
        while True:
            job.refresh_from_db()
            if job.finished_at:
                break
            if any(c.poll() is not None for c in children):
                raise SystemExit("a child process ended; see tmp/push-bench.log")
            time.sleep(0.1)
        wall = time.monotonic() - started
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()

    busy = (job.finished_at - job.started_at).total_seconds()
    attempts = WdtCall.objects.filter(method="finance.settle.PurchaseReturn.upload").count()
    ideal_rate = args.n / args.rate if args.rate else 0.0
    ideal_concurrency = args.n * args.latency_ms / 1000 / args.concurrency if args.concurrency else 0.0
    ideal = max(ideal_rate, ideal_concurrency) or float("nan")
    limited = GatewayPace.objects.filter(gateway="qjb").values_list("rate_limited_count", flat=True).first() or 0
    print(f"push_bench: {args.n} settlements, {args.workers} workers x {args.threads} threads, "
          f"{connection.vendor}, sandbox latency {args.latency_ms} ms, "
          f"limit {args.rate:g} req/s and {args.concurrency} in flight")
    print(f"  done {job.done}  failed {job.failed}  unknown {job.unknown}  requests {attempts}  "
          f"rate-limited {limited}")
    print(f"  ideal: N/rate = {ideal_rate:.1f} s, N x latency / concurrency = {ideal_concurrency:.1f} s "
          f"-> {ideal:.1f} s")
    print(f"  wall (workers started -> job finished): {wall:.1f} s = {args.n / wall:.1f} docs/s, "
          f"efficiency {ideal / wall:.0%}")
    print(f"  job busy (first claim -> last result):  {busy:.1f} s = {args.n / busy:.1f} docs/s, "
          f"efficiency {ideal / busy:.0%}")


if __name__ == "__main__":
    main()
