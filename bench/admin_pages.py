"""What the admin benchmark measures, and how: every admin page and the bulk actions, through Django's test
Client logged in as a 财务主管, each page in a child process of its own that the parent kills past a timeout.

    anchors = Anchors.find(returns=1_000_000)          # numbers, people and ranges taken from the fixture
    cases = page_cases(anchors) + bulk_cases(anchors)
    for result in measure(cases, client=client, runs=5, timeout=60): ...

Lists get one case per list filter and per sortable column, read from the ModelAdmin itself (a filter added later
is measured without touching this file), and one per kind of search. A page is requested once to warm up (its
templates, Django's caches, the database's), then `runs` times, or fewer once `budget` seconds are spent; the
median is reported with the query count (CaptureQueriesContext) and the slowest query. Bulk actions run once,
without a warm-up (several of them change data), and report the child's peak memory as well.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, connections, models
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from .admin_fixture import BATCHES, SUPERVISOR_NAME, Volume, model_for_table

REMARK_WORD = "破损"
RARE_WORD = "换货单"
ERROR_WORD = "库存不足"
SELECT_ALL = 1_200  # a "select all" past DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000)
BULK = 100_000  # the bulk export and send


@dataclass
class Case:
    name: str
    url: str
    method: str = "get"
    data: dict[str, Any] | None = None
    bulk: bool = False  # once, no warm-up, peak memory reported
    expect: tuple[int, ...] = (200,)
    describe: Callable[[Any], str] | None = None  # what the answer held, for the table


@dataclass
class Result:
    case: Case
    status: int | None = None
    times: list[float] = field(default_factory=list)
    queries: int | None = None
    sql_seconds: float | None = None
    slowest: float | None = None
    slowest_sql: str = ""
    top_queries: list[tuple[float, str]] = field(default_factory=list)  # the last request's slowest three
    rows: int | None = None
    peak_mb: float | None = None
    grown_mb: float | None = None
    cpu_seconds: float | None = None  # the web process's own CPU time (the database server's is not in it)
    detail: str = ""
    timed_out: bool = False
    error: str = ""
    explain: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def ok(self) -> bool:
        return not self.error and not self.timed_out and self.status in self.case.expect


def local_midnight(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@dataclass
class Anchors:
    """What the cases point at, read from the fixture with a few queries by primary key."""

    volume: Volume
    supervisor: Any
    clerk_id: int
    batch_id: int
    purchase_return: Any  # one with five lines, a settled draft and a history, in the middle of the table
    draft: Any
    spec_no: str
    call_id: int
    call_count: int
    draft_count: int
    job_id: int
    job_items: int
    bulk: int  # returns in the bulk export and send
    ranges: dict[str, tuple[str, list[int]]]  # name → (created_at query, the returns' ids in it)
    unknown_ids: list[int]  # every return whose outbound order is unknown

    @classmethod
    def find(cls, *, returns: int) -> Anchors:
        from django.contrib.auth import get_user_model

        from returns.models import PurchaseReturn
        from settlements.models import SettlementDraft
        from wdtportal.jobs.models import Job
        from wdtportal.wdt.models import WdtCall

        volume = Volume(returns)
        users = get_user_model().objects
        supervisor = users.get(username=SUPERVISOR_NAME)
        ids = list(PurchaseReturn.objects.order_by("pk").values_list("pk", flat=True)[:1]) + list(
            PurchaseReturn.objects.order_by("-pk").values_list("pk", flat=True)[:1])
        first, last = ids[0], ids[-1]
        # i % 10 == 4: five lines and a draft (see admin_fixture); the draft of a done return is mostly done.
        middle = first - 1 + (returns // 2 // 10) * 10 + 4 if returns >= 10 else first
        purchase_return = PurchaseReturn.objects.get(pk=min(middle, last))
        draft = (SettlementDraft.objects.filter(purchase_return=purchase_return).first()
                 or SettlementDraft.objects.order_by("pk").first())
        done_draft = (SettlementDraft.objects.filter(pk__gte=draft.pk, js_order_no__isnull=False).order_by("pk")
                      .first() or draft)
        calls = WdtCall.objects.order_by("pk").values_list("pk", flat=True)
        call_first = calls.first()
        job = Job.objects.order_by("pk").first()  # the fixture's first job is its big one
        bulk = min(BULK, max(returns // 2, 1))
        select_all = min(SELECT_ALL, max(returns // 10, 1))

        def created_range(start: int, count: int) -> tuple[str, list[int]]:
            """The returns start..start+count-1 by a created_at range (created_at rises with the id)."""
            rows = dict(PurchaseReturn.objects.filter(pk__in=[start, start + count]).values_list("pk", "created_at"))
            query = {"created_at__gte": str(rows[start])}
            if start + count in rows:
                query["created_at__lt"] = str(rows[start + count])
            return urlencode(query), list(range(start, min(start + count, last + 1)))

        ranges = {
            # Export: the most recent `bulk` returns; send: the `bulk` before them; the select-alls the oldest.
            "export": created_range(last - bulk + 1, bulk),
            "send": created_range(max(last - 2 * bulk + 1, first), bulk),
            "select_export": created_range(first, select_all),
            "select_send": created_range(first + select_all, select_all),
        }
        return cls(
            volume=volume, supervisor=supervisor,
            clerk_id=users.filter(username__startswith="clerk-").order_by("pk").values_list("pk", flat=True)[0],
            # By table: the import batch's model moves to another app (issue 10), its table stays.
            batch_id=model_for_table(BATCHES).objects.order_by("-pk").values_list("pk", flat=True)[0],
            purchase_return=purchase_return, draft=done_draft,
            spec_no=purchase_return.lines.order_by("line_no").values_list("spec_no", flat=True)[0],
            call_id=call_first + volume.calls // 2, call_count=volume.calls, draft_count=volume.drafts,
            job_id=job.pk, job_items=job.total, bulk=bulk, ranges=ranges,
            unknown_ids=list(PurchaseReturn.objects.filter(outbound_state="unknown").values_list("pk", flat=True)))


# --- pages ----------------------------------------------------------------------------------------------
def _url(name: str, *args: Any, query: str = "") -> str:
    return reverse(f"admin:{name}", args=args) + (f"?{query}" if query else "")


def _request_as(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def filter_queries(model_admin: admin.ModelAdmin, values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """One query string per list filter of the admin: (filter name, query). `values`: the value to filter on,
    by field name (a related object's id, a state); dates filter the past seven days, as the admin offers."""
    today = timezone.localdate()
    for spec in model_admin.list_filter:
        name = spec[0] if isinstance(spec, tuple | list) else spec
        if not isinstance(name, str):  # a SimpleListFilter class: the value given, else its first choice
            parameter = name.parameter_name
            value = values.get(parameter)
            if value is None:
                value = next(iter(name.lookups(None, None, model_admin) or []), (None,))[0]
            if value is not None:
                yield parameter, urlencode({parameter: value})
            continue
        model_field = model_admin.model._meta.get_field(name)
        if model_field.is_relation:
            yield name, urlencode({f"{name}__id__exact": values[name]})
        elif isinstance(model_field, models.DateField):
            yield f"{name} (past 7 days)", urlencode({
                f"{name}__gte": str(local_midnight(today - timedelta(days=7))),
                f"{name}__lt": str(local_midnight(today + timedelta(days=1)))})
        elif isinstance(model_field, models.BooleanField):
            yield name, urlencode({f"{name}__exact": values.get(name, 1)})
        else:
            value = values.get(name, model_field.choices[0][0] if model_field.choices else "")
            yield f"{name}={value}", urlencode({f"{name}__exact": value})


def sort_queries(model_admin: admin.ModelAdmin, user: Any) -> Iterator[tuple[str, str]]:
    """One `o=` query per sortable column of the list, as the column header links it."""
    request = _request_as(user)
    list_display = list(model_admin.get_list_display(request))
    sortable_by = set(model_admin.get_sortable_by(request))
    offset = 1 if model_admin.get_actions(request) else 0  # the action checkbox is column 0
    for index, name in enumerate(list_display):
        try:
            sortable = not model_admin.model._meta.get_field(name).many_to_many
        except FieldDoesNotExist:
            attribute = getattr(model_admin, name, None) or getattr(model_admin.model, name, None)
            sortable = bool(getattr(attribute, "admin_order_field", None))
        if sortable and name in sortable_by:
            yield name, f"o={index + offset}"


def list_cases(label: str, url_name: str, model: type[models.Model], count: int, *, anchors: Anchors,
               filters: dict[str, Any], searches: list[tuple[str, str]]) -> list[Case]:
    model_admin = admin.site.get_model_admin(model)
    pages = max(math.ceil(count / model_admin.list_per_page), 1)
    deep = 5000 if pages >= 5000 else max(pages // 2, 1)
    cases = [Case(f"{label}: list, page 1", _url(url_name)),
             Case(f"{label}: list, page {deep:,}", _url(url_name, query=f"p={deep}")),
             Case(f"{label}: list, last page ({pages:,})", _url(url_name, query=f"p={pages}"))]
    cases += [Case(f"{label}: filter {name}", _url(url_name, query=query))
              for name, query in filter_queries(model_admin, filters)]
    if model_admin.date_hierarchy:
        day = timezone.localtime(anchors.purchase_return.created_at)
        field_name = model_admin.date_hierarchy
        cases += [
            Case(f"{label}: date hierarchy, a year",
                 _url(url_name, query=urlencode({f"{field_name}__year": day.year}))),
            Case(f"{label}: date hierarchy, a month", _url(url_name, query=urlencode(
                {f"{field_name}__year": day.year, f"{field_name}__month": day.month}))),
        ]
    cases += [Case(f"{label}: search {name}", _url(url_name, query=urlencode({"q": term}))) for name, term in searches]
    cases += [Case(f"{label}: sort by {name}", _url(url_name, query=query))
              for name, query in sort_queries(model_admin, anchors.supervisor)]
    return cases


def page_cases(anchors: Anchors) -> list[Case]:
    from returns.models import PurchaseReturn
    from settlements.models import SettlementDraft
    from wdtportal.wdt.models import WdtCall

    pr, draft = anchors.purchase_return, anchors.draft
    people = {"created_by": anchors.clerk_id, "sent_by": anchors.supervisor.pk, "user": anchors.supervisor.pk,
              "import_batch": anchors.batch_id}
    cases = [Case("dashboard", _url("index"))]
    cases += list_cases("returns", "returns_purchasereturn_changelist", PurchaseReturn, anchors.volume.returns,
                        anchors=anchors, filters={**people, "outbound_state": "failed", "waiting_state": "unknown"},
                        searches=[("return_no (exact)", pr.return_no), ("return_no prefix (a day)", pr.return_no[:10]),
                                  ("spec_no", anchors.spec_no), ("logistics_no", pr.logistics_no),
                                  ("js_order_no", draft.js_order_no or draft.return_no),
                                  ("remark word", REMARK_WORD),
                                  # A word no remark has: every row read unless an index finds the answer.
                                  ("remark word none has (2 characters)", RARE_WORD[:2]),
                                  ("remark word none has (3 characters)", RARE_WORD)])
    cases += [Case("returns: change page", _url("returns_purchasereturn_change", pr.pk)),
              Case("returns: what will be sent", _url("returns_purchasereturn_payload", pr.pk)),
              Case("returns: import page", _url("returns_purchasereturn_import")),
              Case("returns: export page", _url("returns_purchasereturn_export"))]
    cases += list_cases("settlements", "settlements_settlementdraft_changelist", SettlementDraft,
                        anchors.draft_count, anchors=anchors,
                        filters={**people, "state": "failed", "invoice_type": 3},
                        searches=[("return_no (exact)", draft.return_no), ("js_order_no", draft.js_order_no or ""),
                                  ("spec_no", anchors.spec_no)])
    cases += [Case("settlements: change page", _url("settlements_settlementdraft_change", draft.pk))]
    cases += list_cases("call log", "wdt_wdtcall_changelist", WdtCall, anchors.call_count, anchors=anchors,
                        filters={**people, "outcome": "refused", "method": "purchase.PurchaseReturn.pending",
                                 "gateway": "qjb", "search_in": "payload"},
                        searches=[("return_no", pr.return_no), ("error message word", ERROR_WORD)])
    # Reading every payload is an explicit, slower choice (the 搜索范围 filter): measured, not a default page.
    cases += [Case("call log: search return_no in payloads too (explicit)", _url(
                  "wdt_wdtcall_changelist", query=urlencode({"q": pr.return_no, "search_in": "payload"}))),
              Case("call log: change page", _url("wdt_wdtcall_change", anchors.call_id))]
    job_pages = max(math.ceil(anchors.job_items / 100), 1)
    deep = min(500, job_pages)
    cases += [
        Case("jobs: list", _url("jobs_job_changelist")),
        Case(f"job page ({anchors.job_items:,} items)", _url("jobs_job_progress", anchors.job_id)),
        Case(f"job page, page {deep}", _url("jobs_job_progress", anchors.job_id, query=f"page={deep}")),
        Case("job page, failed only", _url("jobs_job_progress", anchors.job_id, query="state=failed")),
        Case("job poll (JSON)", _url("jobs_job_progress_json", anchors.job_id)),
    ]
    return cases


# --- bulk actions ---------------------------------------------------------------------------------------
def _hidden_inputs(name: str) -> Callable[[Any], str]:
    def describe(response: Any) -> str:
        count = response.content.count(f'name="{name}"'.encode())
        return f"{count:,} hidden inputs"
    return describe


def _file(response: Any) -> str:
    kind = response.get("Content-Type", "")
    if "spreadsheet" in kind:
        return f"xlsx {len(response.content) / 2**20:.1f} MB"
    return response.get("Location", "") or kind


def bulk_cases(anchors: Anchors) -> list[Case]:
    """In an order that keeps them apart: exports (read only) first, then the sends, each on returns of its own."""
    changelist = "returns_purchasereturn_changelist"
    export = "returns_purchasereturn_export"
    select_query, select_ids = anchors.ranges["select_export"]
    export_query, export_ids = anchors.ranges["export"]
    send_query, send_ids = anchors.ranges["send"]
    select_send_query, select_send_ids = anchors.ranges["select_send"]

    def action(name: str, any_id: int, **extra: Any) -> dict[str, Any]:
        return {"action": name, "select_across": "1", "index": "0", ACTION_CHECKBOX_NAME: [str(any_id)], **extra}

    return [
        Case(f"export {len(export_ids):,} filtered returns (export button)", _url(export, query=export_query),
             "post", {"format": "0", "resource": "0"}, bulk=True, describe=_file),
        Case(f"select all {len(select_ids):,} -> export form", _url(changelist, query=select_query), "post",
             action("export_admin_action", select_ids[0]), bulk=True,
             describe=_hidden_inputs("export_items")),
        Case(f"select all {len(select_ids):,} -> export download", _url(export, query=select_query), "post",
             {"format": "0", "resource": "0", "export_items": [str(pk) for pk in select_ids]}, bulk=True,
             expect=(200,), describe=_file),
        Case(f"select all {len(select_send_ids):,} -> send (创建出库单)", _url(changelist, query=select_send_query),
             "post", action("push_outbound", select_send_ids[0]), bulk=True, expect=(302,), describe=_file),
        Case("select all unknown -> resolve page", _url(changelist, query="outbound_state__exact=unknown"), "post",
             action("resolve_unknown", anchors.purchase_return.pk), bulk=True,
             describe=_hidden_inputs(ACTION_CHECKBOX_NAME)),
        # What that page's "send again" button posts: every id again.
        Case(f"resolve page -> send again ({len(anchors.unknown_ids):,} ids posted)", _url(changelist), "post",
             {"action": "resolve_unknown", "resolve_action": "send_again",
              ACTION_CHECKBOX_NAME: [str(pk) for pk in anchors.unknown_ids]}, bulk=True,
             expect=(302,) if anchors.unknown_ids else (200,), describe=_file),
        Case(f"send {len(send_ids):,} selected returns -> job", _url(changelist, query=send_query), "post",
             action("push_outbound", send_ids[0]), bulk=True, expect=(302,), describe=_file),
    ]


# --- measuring ------------------------------------------------------------------------------------------
def _rss_mb(key: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM, the peak resident size (Linux)
    except OSError:
        pass


def _send(client: Client, case: Case) -> Any:
    response = getattr(client, case.method)(case.url, case.data or {})
    if getattr(response, "streaming", False):
        response.content = b"".join(response.streaming_content)
    return response


def _explain(sql: str) -> str:
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


def _child(case: Case, client: Client, runs: int, budget: float, explain_over: float | None, pipe: Any) -> None:
    """Request the page (warm-up, then timed runs) and report each request to the parent."""
    try:
        timed = 0.0
        for attempt in range(1 if case.bulk else runs + 1):  # a page: a warm-up, then `runs` timed requests
            _reset_peak()
            before = _rss_mb("VmRSS")
            with CaptureQueriesContext(connection) as queries:
                started, cpu = time.perf_counter(), time.process_time()
                response = _send(client, case)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            peak = _rss_mb("VmHWM")
            times = [(float(q["time"]), q["sql"]) for q in queries.captured_queries]
            # The slowest query to EXPLAIN: not an EXPLAIN itself (the list paginator asks PostgreSQL's planner).
            slowest = max((q for q in times if not q[1].lstrip().upper().startswith("EXPLAIN")), default=(0.0, ""))
            context = getattr(response, "context_data", None) or {}
            report = {
                "warm_up": attempt == 0 and not case.bulk, "elapsed": elapsed, "status": response.status_code,
                "queries": len(times), "sql_seconds": sum(t for t, _ in times), "slowest": slowest[0],
                "slowest_sql": slowest[1], "top_queries": [(t, sql[:400]) for t, sql in sorted(times)[-3:][::-1]],
                "rows": getattr(context.get("cl"), "result_count", None),
                "peak_mb": peak, "grown_mb": (peak - before) if peak and before else None, "cpu_seconds": cpu,
                "detail": case.describe(response) if case.describe else "",
            }
            pipe.send(("run", report))
            if not report["warm_up"]:
                timed += elapsed
                if timed > budget:
                    break
        if explain_over is not None and report["elapsed"] >= explain_over and report["slowest_sql"]:
            pipe.send(("explain", _explain(report["slowest_sql"])))
        pipe.send(("end", None))
    except BaseException as exc:  # the parent reports it; a page must not stop the run
        pipe.send(("error", f"{type(exc).__name__}: {exc}"[:300]))
    finally:
        pipe.close()


def measure(cases: list[Case], *, client: Client, runs: int, timeout: float, budget: float,
            explain_over: float | None = None) -> Iterator[Result]:
    """Measure each case in a child process (fork: Django set up, the client logged in); a request that takes
    longer than `timeout` seconds is killed and reported as such, and the next case goes on."""
    context = multiprocessing.get_context("fork")
    for case in cases:
        result = Result(case)
        connections.close_all()  # the child opens its own connection
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(case, client, runs, budget, explain_over, sender), daemon=True)
        child.start()
        sender.close()
        while True:
            if not receiver.poll(timeout):
                result.timed_out = True
                os.kill(child.pid, signal.SIGKILL)
                break
            try:
                kind, payload = receiver.recv()
            except EOFError:
                result.error = result.error or f"the child process ended (exit code {child.exitcode})"
                break
            if kind == "run":
                result.status = payload["status"]
                for name in ("queries", "sql_seconds", "slowest", "slowest_sql", "top_queries", "rows", "peak_mb",
                             "grown_mb", "cpu_seconds", "detail"):
                    setattr(result, name, payload[name])
                if not payload["warm_up"]:
                    result.times.append(payload["elapsed"])
            elif kind == "explain":
                result.explain = payload
            elif kind == "error":
                result.error = payload
            else:
                break
        child.join()
        receiver.close()
        yield result


def statement_timeout(seconds: float) -> Callable[..., None]:
    """A `connection_created` receiver: PostgreSQL stops any query of the benchmark after `seconds`, so a
    killed child leaves no query running on the server."""
    def receiver(sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")
    return receiver

