"""Benchmark: N documents through real `db_worker` processes to the sandbox, paced under a rate limit, with faults.

    python bench/push_bench.py              # 1,000 settlements, 50 ms latency, 50 req/s, 8 in flight, 3 workers
    python bench/push_bench.py --kind all --n 2000 --error-rate 0.05 --rate-limit-rate 0.05 --lost-answer-rate 0.05 \
        --kill-worker --database-url postgres://portal:portal@127.0.0.1/bench

It creates a fresh database (a SQLite file in tmp/ unless --database-url is given: that database is flushed!),
starts the sandbox alone (`manage.py wdt_sandbox`) with the latency and faults set, seeds N returns there and, in
the portal, N settlement drafts and/or N returns, and sends them the admin's way: one job per kind (settlements,
then outbound orders, then stop-waiting with `--kind all`), one after the other, on the same workers.
`--kill-worker` kills one worker with SIGKILL once a third of each job is done and starts another in its place,
as a service manager would; the dead worker's runner is taken for dead after `--stale-after` s.

After the jobs the workers go on with their maintenance until nothing waits for an automatic re-send: what a killed
worker left in sending is swept to unknown after WDT_SENDING_TIMEOUT (15 s here), and outbound orders and
stop-waiting left unknown are sent again after each delay of `--resend-delays` (WDT_AUTO_RESEND_DELAYS).

For each kind it prints the outcome of every document after the automatic re-sends, duplicates (two orders in the
sandbox for one document), the unknown documents by cause, the automatic re-sends, the requests that reached the
sandbox over the job's busy time against the limit (the share of the configured rate; re-sends made after the job
are not in it), and the wall time beside the ideal, max(N / rate, N × latency / concurrency); last, the documents
of each kind still unknown after the automatic re-sends.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("settlement", "outbound", "stop_waiting")


@dataclass(frozen=True)
class Kind:
    name: str
    job_kind: str
    gateway: str
    method: str
    model_label: str
    state_field: str
    per_request: int  # documents in one request


def kinds() -> dict[str, Kind]:
    from returns import job_kinds as returns_kinds
    from returns.services import OUTBOUND_ENDPOINT, STOP_WAITING_CHUNK, STOP_WAITING_METHOD
    from settlements import job_kinds as settlements_kinds
    from settlements.services import UPLOAD_METHOD

    return {
        "settlement": Kind("settlement", settlements_kinds.SUBMIT, "qjb", UPLOAD_METHOD,
                           "settlements.SettlementDraft", "state", 1),
        "outbound": Kind("outbound", returns_kinds.PUSH_OUTBOUND, "enterprise", OUTBOUND_ENDPOINT,
                         "returns.PurchaseReturn", "outbound_state", 1),
        "stop_waiting": Kind("stop_waiting", returns_kinds.STOP_WAITING, "qjb", STOP_WAITING_METHOD,
                             "returns.PurchaseReturn", "waiting_state", STOP_WAITING_CHUNK),
    }


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


def share(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError("a share from 0 to 1 (0.05 = 5 %)")
    return number


class Workers:
    """The `db_worker` processes, and one killed with SIGKILL and replaced on demand."""

    def __init__(self, manage: list[str], env: dict[str, str], log: io.TextIOBase, count: int):
        self.manage, self.env, self.log = manage, env, log
        self.started = 0
        self.processes = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen:
        self.started += 1
        return subprocess.Popen([*self.manage, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2",
                                 "--worker-id", f"bench-{self.started}", "--verbosity", "0"],
                                env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    def kill_one(self, index: int) -> int:
        victim = self.processes[index % len(self.processes)]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        self.processes[index % len(self.processes)] = self._start()
        return victim.pid

    def dead(self) -> bool:
        return any(p.poll() is not None for p in self.processes)

    def stop(self) -> None:
        for p in self.processes:
            p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=[*KINDS, "all"], default="settlement",
                        help="what to send (default settlement; all: the three, one job after the other)")
    parser.add_argument("--n", type=int, default=1000, help="documents of each kind (default 1000)")
    parser.add_argument("--latency-ms", type=int, default=50, help="sandbox latency per request (default 50)")
    parser.add_argument("--rate", type=float, default=50, help="WDT_QJB_RATE and WDT_ENT_RATE (default 50)")
    parser.add_argument("--concurrency", type=int, default=8, help="WDT_QJB/ENT_CONCURRENCY (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="db_worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=4, help="JOBS_THREADS per runner (default 4)")
    parser.add_argument("--error-rate", type=share, default=0.0, help="share of HTTP 503 answers (default 0)")
    parser.add_argument("--rate-limit-rate", type=share, default=0.0, help="share of rate-limit refusals (default 0)")
    parser.add_argument("--lost-answer-rate", type=share, default=0.0,
                        help="share of answers lost after the sandbox committed the work (default 0)")
    parser.add_argument("--kill-worker", action="store_true",
                        help="kill -9 one worker once a third of each job is done, and start another")
    parser.add_argument("--stale-after", type=float, default=10,
                        help="JOBS_STALE_AFTER: seconds before a killed worker's runner is taken for dead (default 10)")
    parser.add_argument("--resend-delays", default="1,2,4",
                        help="WDT_AUTO_RESEND_DELAYS: seconds before each automatic re-send (default 1,2,4)")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file under tmp/")
    args = parser.parse_args()
    chosen = list(KINDS) if args.kind == "all" else [args.kind]

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
        "WDT_ENT_RATE": str(args.rate),
        "WDT_ENT_CONCURRENCY": str(args.concurrency),
        "JOBS_RUNNERS": str(args.workers),
        "JOBS_THREADS": str(args.threads),
        "JOBS_STALE_AFTER": str(args.stale_after),
        "JOBS_MAINTENANCE_INTERVAL": "1",
        "WDT_AUTO_RESEND_DELAYS": args.resend_delays,
        # A killed worker's sends are swept to unknown (then re-sent) within the run: above the read timeout.
        "WDT_TIMEOUT": "5,10",
        "WDT_SENDING_TIMEOUT": "15",
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
    from django.core.management import call_command
    from django.db import connection

    from tests.bulk import seed_purchase_returns, seed_settlement_drafts
    from wdtportal.jobs.services import job_start
    from wdtportal.wdt.models import GatewayPace
    from wdtportal.wdt.sandbox import faults

    spec = kinds()
    documents = {}
    if "settlement" in chosen:
        documents["settlement"] = seed_settlement_drafts(args.n, prefix="CRBENCH")
    if {"outbound", "stop_waiting"} & set(chosen):
        returns = seed_purchase_returns(args.n, prefix="CRBENCH", in_sandbox="settlement" not in chosen)
        documents["outbound"] = documents["stop_waiting"] = returns
    faults.configure(latency_ms=args.latency_ms, error_rate=args.error_rate, rate_limit_rate=args.rate_limit_rate,
                     lost_answer_rate=args.lost_answer_rate)
    user = get_user_model().objects.create_superuser("bench", password=None)
    log = open(ROOT / "tmp" / "push-bench.log", "w")  # noqa: SIM115 - lives as long as the children
    # The sandbox serves each request in a new thread: a persistent connection per thread would pile up.
    sandbox = subprocess.Popen([*manage, "wdt_sandbox", "--port", str(port)], env={**env, "CONN_MAX_AGE": "0"},
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    runs = []
    workers = Workers(manage, env, log, args.workers)
    try:
        for number, name in enumerate(chosen):
            job = job_start(kind=spec[name].job_kind, documents=documents[name], user=user, label=f"bench {name}")
            started, killed, shares = time.monotonic(), "", []
            pace = GatewayPace.objects.filter(gateway=spec[name].gateway)
            while True:
                job.refresh_from_db()
                if job.finished_at:
                    break
                if job.started_at:
                    shares += pace.values_list("slow_factor", flat=True)
                if sandbox.poll() is not None or workers.dead():
                    raise SystemExit("a child process ended; see tmp/push-bench.log")
                if args.kill_worker and not killed and job.processed >= job.total / 3:
                    pid = workers.kill_one(number)
                    killed = f"worker pid {pid} killed with SIGKILL at {job.processed:,}/{job.total:,}, replaced"
                time.sleep(0.1)
            if args.kill_worker and not killed:
                killed = f"no worker killed: the job went from under a third to finished at once ({job.total:,})"
            runs.append((name, job, time.monotonic() - started, killed, shares))
        resending = wait_for_resends(spec, chosen, sandbox, workers)
    finally:
        workers.stop()
        sandbox.send_signal(signal.SIGTERM)
        try:
            sandbox.wait(timeout=20)
        except subprocess.TimeoutExpired:
            sandbox.kill()
    # Nothing should be left in sending (the workers swept it); should the wait have timed out, hold it as unknown.
    call_command("sweep_sending", timeout=0, stdout=io.StringIO())

    faults_text = (f"faults: 503 {args.error_rate:.0%}, rate limit {args.rate_limit_rate:.0%}, "
                   f"lost answer {args.lost_answer_rate:.0%}"
                   f"{', one worker killed mid-job (replaced)' if args.kill_worker else ''}")
    print(f"push_bench: {args.n:,} documents of each kind ({', '.join(chosen)}), {args.workers} workers x "
          f"{args.threads} threads, {connection.vendor}, sandbox latency {args.latency_ms} ms, "
          f"limit {args.rate:g} req/s and {args.concurrency} in flight per gateway, "
          f"JOBS_STALE_AFTER {args.stale_after:g} s")
    print(f"  {faults_text}; automatic re-sends after {args.resend_delays} s")
    print(f"  after the jobs, the workers' maintenance swept and re-sent for {resending:.1f} s")
    unknown_after = {}
    for name, job, wall, killed, shares in runs:
        unknown_after[name] = report(spec[name], job, wall, killed, shares, args)
    print("unknown after the automatic re-sends: "
          + ", ".join(f"{name} {n}" for name, n in unknown_after.items()))


def wait_for_resends(spec: dict[str, Kind], chosen: list[str], sandbox: subprocess.Popen, workers: Workers,
                     timeout: float = 600) -> float:
    """Wait while the workers' maintenance sweeps and re-sends: until no document is in sending and none waits
    for an automatic re-send, twice in a row 2 s apart (a re-send taken but not yet claimed shows neither)."""
    from django.apps import apps

    from wdtportal.documents.models import AutoResend

    started = time.monotonic()
    quiet = 0
    while quiet < 2 and time.monotonic() - started < timeout:
        if sandbox.poll() is not None or workers.dead():
            raise SystemExit("a child process ended; see tmp/push-bench.log")
        sending = any(apps.get_model(spec[name].model_label).objects.filter(**{spec[name].state_field: "sending"})
                      .exists() for name in chosen)
        quiet = 0 if sending or AutoResend.objects.filter(next_at__isnull=False).exists() else quiet + 1
        time.sleep(2)
    return time.monotonic() - started


def report(kind: Kind, job, wall: float, killed: str, shares: list[float], args: argparse.Namespace) -> int:
    """Print one kind's figures; returns its documents still unknown."""
    from collections import Counter

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Count

    from wdtportal.documents.models import AutoResend, StateChange
    from wdtportal.wdt.models import GatewayPace, WdtCall
    from wdtportal.wdt.sandbox.models import SandboxOutbound, SandboxSettlement

    model = apps.get_model(kind.model_label)
    states = Counter(model.objects.values_list(kind.state_field, flat=True))
    calls = WdtCall.objects.filter(method=kind.method)
    reached = calls.exclude(outcome="no_answer").count()
    outcomes = Counter(calls.values_list("outcome", flat=True))
    busy = (job.finished_at - job.started_at).total_seconds()
    orders = {"settlement": SandboxSettlement, "outbound": SandboxOutbound}.get(kind.name)
    if orders is None:
        duplicates = "n/a (stopping a stopped return changes nothing)"
    else:
        duplicates = str(orders.objects.values("return_no").annotate(n=Count("pk")).filter(n__gt=1).count())
    unknown = states.get("unknown", 0)
    if kind.per_request == 1:
        # An unknown document whose call came back unknown (a 5xx or a lost answer); the rest were in flight in a
        # killed worker and never got a call-log row.
        answered = set(calls.filter(outcome="unknown").values_list("document_id", flat=True))
        by_answer = model.objects.filter(**{kind.state_field: "unknown"}, pk__in=[int(i) for i in answered]).count()
        cause = f" (503 or lost answer {by_answer}" + (
            f", in flight in the killed worker {unknown - by_answer})" if killed.startswith("worker") else ")")
    else:
        # A request of up to 500 numbers: all of them unknown when its answer is lost or a 5xx (and still unknown
        # when every automatic re-send of them came back so too).
        sent_unknown = {no for payload in calls.filter(outcome="unknown").values_list("request_payload", flat=True)
                        if payload for no in payload[0]}
        numbers = model.objects.filter(**{kind.state_field: "unknown"}, return_no__in=sent_unknown).count()
        cause = f" (503 or lost answer {numbers}, of {len(sent_unknown)} in {outcomes.get('unknown', 0)} requests" + (
            f", in flight in the killed worker {unknown - numbers})" if killed.startswith("worker") else ")")
    limited = GatewayPace.objects.filter(gateway=kind.gateway).values_list("rate_limited_count", flat=True).first()
    requests_needed = -(-args.n // kind.per_request)
    ideal_rate = requests_needed / args.rate if args.rate else 0.0
    ideal_concurrency = requests_needed * args.latency_ms / 1000 / args.concurrency if args.concurrency else 0.0
    ideal = max(ideal_rate, ideal_concurrency) or float("nan")
    print(f"{kind.name} ({kind.method}, {kind.gateway} gateway)")
    print(f"  documents: done {states.get('done', 0)}  failed {states.get('failed', 0)}  unknown {unknown}{cause}"
          f"  other {sum(n for s, n in states.items() if s not in ('done', 'failed', 'unknown'))}")
    print(f"  duplicates (two orders in the sandbox for one document): {duplicates}")
    content_type = ContentType.objects.get_for_model(model)
    automatic = StateChange.objects.filter(content_type=content_type, field=kind.state_field, to_state="sending",
                                           reason__startswith="自动重新发送")
    used_up = AutoResend.objects.filter(content_type=content_type, field=kind.state_field,
                                        next_at__isnull=True).count()
    print(f"  automatic re-sends: {automatic.count()} for {automatic.values('object_id').distinct().count()} "
          f"documents; unknown after them {unknown} (attempts used up {used_up})")
    print(f"  requests: {calls.count()} ({', '.join(f'{o} {n}' for o, n in sorted(outcomes.items()))}); "
          f"rate-limit refusals on the gateway so far {limited or 0}")
    if killed:
        print(f"  {killed}")
    if kind.per_request == 1:
        print(f"  rate reached: {reached} requests reached the sandbox in {busy:.1f} s busy = "
              f"{reached / busy:.1f} req/s = {reached / busy / args.rate:.0%} of the configured {args.rate:g} req/s")
        if shares:
            # The pacer's share of the configured rate (GatewayPace.slow_factor), read every 0.1 s: what it allowed,
            # against which the rate reached tells what the machine (CPU, database) took.
            print(f"  pacer allowed on average {sum(shares) / len(shares):.0%} of the configured rate "
                  f"(lowest {min(shares):.0%}; {len(shares)} readings, one every 0.1 s)")
    print(f"  ideal: {requests_needed} requests / rate = {ideal_rate:.1f} s, x latency / concurrency = "
          f"{ideal_concurrency:.1f} s -> {ideal:.1f} s")
    print(f"  wall (job queued -> finished): {wall:.1f} s, efficiency {ideal / wall:.0%}; "
          f"busy (first claim -> last result): {busy:.1f} s, efficiency {ideal / busy:.0%}")
    return unknown


if __name__ == "__main__":
    main()
