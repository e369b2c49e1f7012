"""The figures on the admin's front page, read from the documents and the call log.

Read-only selectors: nothing here changes data. The table of sends counts documents sent through WDT's three
sending methods in requests that reached WDT (accepted, refused, or without an answer after they may have been
executed): one per request for an outbound order or a settlement, each return of a stop-waiting request (up to 500
in one), failed when WDT refused it (the whole request, or the return named in its `error_info`) or the answer is
unknown. The chart counts the requests themselves. Rate-limit refusals and requests that never left (connection
failures) are retried by the client and not counted.

Built for years of data, each figure reads what an index or a small table holds, never the whole of a big table:
the counts by state from the state tallies (documents/tallies.py: one query, whatever the number of documents);
the failures grouped from the most recent FAILURE_SAMPLE failed documents of each kind (a range of the (state, id)
index); the sends and the chart from the calls of the week and of CHART_DAYS days (a range of the (created_at, id)
index), the chart's local days told apart by comparing with each local midnight (computed in Python, so daylight
saving anywhere is right) instead of converting every call's time, which SQLite does with a Python function per row.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.db import NotSupportedError
from django.db.models import Case, Count, F, Func, IntegerField, Model, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wdtportal.documents.registry import state_columns
from wdtportal.documents.resending import resend_notes, resend_summary
from wdtportal.documents.states import DocumentState
from wdtportal.documents.tallies import state_counts
from wdtportal.jobs.models import Job
from wdtportal.wdt.models import Outcome, WdtCall

SEND_METHODS = {
    "purchase_return_order_push.php": _("创建出库单"),
    "purchase.PurchaseReturn.pending": _("停止等待"),
    "finance.settle.PurchaseReturn.upload": _("创建结算单"),
}
REACHED_WDT = (Outcome.OK, Outcome.REFUSED, Outcome.UNKNOWN)
# The method whose one request carries many documents: request [[return_no, ...]], answer data.error_info.
STOP_WAITING = "purchase.PurchaseReturn.pending"
CHART_DAYS = 30
UNKNOWN_LIST_LIMIT = 20
JOBS_LIST_LIMIT = 10
FAILURE_SAMPLE = 2000  # the most recent failed documents of each kind that the failure groups are made from


class JsonArrayLength(Func):
    """The length of the JSON array at `path` (keys and indexes) in a JSON column; 0 where there is none."""

    output_field = IntegerField()

    def __init__(self, column: str, *path: str | int) -> None:
        super().__init__(F(column))
        self.path = path

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.source_expressions[0])
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        return f"COALESCE(json_array_length({sql}, %s), 0)", [*params, where]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        sql, params = compiler.compile(self.source_expressions[0])
        where = [str(p) for p in self.path]
        return (f"(CASE WHEN jsonb_typeof({sql} #> %s) = 'array' THEN jsonb_array_length({sql} #> %s) ELSE 0 END)",
                [*params, where, *params, where])

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        raise NotSupportedError(f"JSON array length on {connection.vendor}")


def _state_fields() -> list[tuple[type[Model], str, Any]]:
    """(model, state field, heading) of every state a clerk follows, as the document apps registered them."""
    return [(c.model, c.field, c.heading) for c in state_columns()]


@dataclass
class StateCount:
    state: str
    label: str
    count: int
    url: str | None


@dataclass
class StateTable:
    heading: str
    total: int
    rows: list[StateCount]


@dataclass
class SendFigures:
    method: str
    label: str
    today: int = 0
    today_failed: int = 0
    week: int = 0
    week_failed: int = 0


@dataclass
class FailureGroup:
    heading: str
    message: str
    count: int
    url: str | None


@dataclass
class UnknownDocument:
    heading: str
    label: str
    since: datetime
    url: str | None
    resend: str = ""  # when the workers send it again by themselves, or that they have given up (resending.py)


@dataclass
class OpenJob:
    label: str
    status: str
    processed: int
    total: int
    url: str | None


@dataclass
class ChartDay:
    day: date
    ok: int = 0
    refused: int = 0
    unknown: int = 0

    @property
    def sends(self) -> int:
        return self.ok + self.refused + self.unknown


@dataclass
class Handover:
    """Documents validated and waiting for someone who may send them (the 财务主管)."""

    heading: str
    count: int
    url: str | None
    can_send: bool


@dataclass
class Dashboard:
    states: list[StateTable]
    sends: list[SendFigures]
    sends_total: SendFigures
    failures: list[FailureGroup]
    unknown_counts: list[StateCount]
    unknown_documents: list[UnknownDocument]
    open_jobs: list[OpenJob] = field(default_factory=list)
    chart: dict[str, Any] = field(default_factory=dict)
    handover: list[Handover] = field(default_factory=list)
    # Documents waiting for an automatic re-send, the next one's local time, and those whose attempts are used up.
    resends: dict[str, Any] = field(default_factory=dict)

    @property
    def can_send(self) -> bool:
        return any(row.can_send for row in self.handover)


def _admin_url(site: AdminSite, user: Any, model: type[Model], view: str, *args: Any, **params: str) -> str | None:
    """The admin URL of `model`'s `view`, or None when the site does not show it to this user."""
    opts = model._meta
    if not site.is_registered(model):
        return None
    if not (user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
            or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")):
        return None
    try:
        url = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(params)}" if params else url


def state_tables(*, site: AdminSite, user: Any, tallies: dict | None = None) -> list[StateTable]:
    tallies = state_counts() if tallies is None else tallies
    tables = []
    for model, field_name, heading in _state_fields():
        counts = tallies.get((model._meta.label_lower, field_name), {})
        rows = [
            StateCount(state.value, state.label, counts.get(state.value, 0),
                       _admin_url(site, user, model, "changelist", **{f"{field_name}__exact": state.value}))
            for state in DocumentState
        ]
        tables.append(StateTable(str(heading), sum(r.count for r in rows), rows))
    return tables


def handover(*, site: AdminSite, user: Any, tallies: dict | None = None) -> list[Handover]:
    """For each kind of document, how many are validated (已校验) and wait to be sent: the clerk's work handed to
    the 财务主管. The validated state is the one a clerk's edits follow (`editing_state_field`); who may send is
    the kind's `send_<model>` permission."""
    tallies = state_counts() if tallies is None else tallies
    rows = []
    for model, field_name, heading in _state_fields():
        if getattr(model, "editing_state_field", "") != field_name:
            continue
        opts = model._meta
        ready = {f"{field_name}__exact": DocumentState.READY}
        count = tallies.get((opts.label_lower, field_name), {}).get(DocumentState.READY, 0)
        rows.append(Handover(str(heading), count,
                             _admin_url(site, user, model, "changelist", **ready),
                             user.has_perm(f"{opts.app_label}.send_{opts.model_name}")))
    return rows


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _calls_since(start: datetime, **group: Any) -> Any:
    """Calls since `start`, counted per method, outcome and `group` (annotations): the WHERE clause holds the time
    range only, so that every database reads it from the (created_at, id) index (SQLite, without statistics, would
    otherwise prefer the index of a method named in the WHERE clause and read every call of that method); the
    methods and outcomes that count are kept when the few grouped rows are read."""
    # The group (a CASE over the time) comes first in GROUP BY: no index gives that order, so none tempts SQLite's
    # planner away from the time range.
    return (WdtCall.objects.filter(created_at__gte=start)
            .values(**group, method_=F("method"), outcome_=F("outcome")).annotate(n=Count("pk")).order_by())


def _a_send(row: dict[str, Any]) -> bool:
    row["method"], row["outcome"] = row.pop("method_"), row.pop("outcome_")
    return row["method"] in SEND_METHODS and row["outcome"] in REACHED_WDT


def send_figures(*, now: datetime | None = None) -> tuple[list[SendFigures], SendFigures]:
    """Sends and failed sends per method, today and since Monday (local time)."""
    today = timezone.localdate(now)
    day_start = _local_midnight(today)
    week_start = _local_midnight(today - timedelta(days=today.weekday()))
    is_today = Case(When(created_at__gte=day_start, then=Value(1)), default=Value(0), output_field=IntegerField())
    # A stop-waiting request sends up to 500 returns: each counts, and each its error_info names failed.
    documents = Case(When(method=STOP_WAITING, then=JsonArrayLength("request_payload", 0)), default=Value(1))
    failed = Case(When(outcome__in=(Outcome.REFUSED, Outcome.UNKNOWN), then=documents),
                  When(method=STOP_WAITING, then=JsonArrayLength("answer", "data", "error_info")), default=Value(0))
    rows = _calls_since(week_start, today=is_today).annotate(docs=Coalesce(Sum(documents), 0),
                                                            failed_docs=Coalesce(Sum(failed), 0))
    by_method = {method: SendFigures(method, str(label)) for method, label in SEND_METHODS.items()}
    for row in filter(_a_send, rows):
        fig = by_method[row["method"]]
        fig.week += row["docs"]
        fig.week_failed += row["failed_docs"]
        fig.today += row["docs"] if row["today"] else 0
        fig.today_failed += row["failed_docs"] if row["today"] else 0
    figures = list(by_method.values())
    total = SendFigures("", str(_("合计")))
    for fig in figures:
        for attr in ("today", "today_failed", "week", "week_failed"):
            setattr(total, attr, getattr(total, attr) + getattr(fig, attr))
    return figures, total


def failure_groups(*, site: AdminSite, user: Any) -> list[FailureGroup]:
    """Documents WDT refused, grouped by WDT's message, largest group first: the FAILURE_SAMPLE most recent failed
    documents of each kind (older failures are counted by state, not grouped)."""
    groups = []
    for model, field_name, heading in _state_fields():
        failed = model.objects.filter(**{field_name: DocumentState.FAILED})
        recent = failed.order_by("-pk").values("pk")[:FAILURE_SAMPLE]
        rows = (model.objects.filter(pk__in=recent)
                .values_list("last_message").annotate(n=Count("pk")).order_by())
        for message, count in rows:
            url = _admin_url(site, user, model, "changelist",
                             **{f"{field_name}__exact": DocumentState.FAILED, "last_message": message})
            groups.append(FailureGroup(str(heading), message or str(_("（旺店通没有给出消息）")), count, url))
    groups.sort(key=lambda g: (-g.count, g.heading, g.message))
    return groups


def unknowns(*, site: AdminSite, user: Any, tallies: dict | None = None,
             ) -> tuple[list[StateCount], list[UnknownDocument]]:
    """Documents whose outcome is unknown: a person must find out in WDT and resolve them, unless the workers send
    them again by themselves (an outbound order, a stop-waiting: each shows when)."""
    tallies = state_counts() if tallies is None else tallies
    counts, documents = [], []
    for model, field_name, heading in _state_fields():
        queryset = model.objects.filter(**{field_name: DocumentState.UNKNOWN})
        count = tallies.get((model._meta.label_lower, field_name), {}).get(DocumentState.UNKNOWN, 0)
        counts.append(StateCount(field_name, str(heading), count,
                                 _admin_url(site, user, model, "changelist",
                                            **{f"{field_name}__exact": DocumentState.UNKNOWN})))
        shown = list(queryset.order_by("updated_at", "pk")[:UNKNOWN_LIST_LIMIT])
        # One query for the page's documents, only for the states re-sent automatically.
        notes = resend_notes(model, field_name, [d.pk for d in shown])
        for document in shown:
            documents.append(UnknownDocument(str(heading), str(document), document.updated_at,
                                             _admin_url(site, user, model, "change", document.pk),
                                             notes.get(document.pk, "")))
    documents.sort(key=lambda d: d.since)
    return counts, documents[:UNKNOWN_LIST_LIMIT]


def open_jobs(*, site: AdminSite, user: Any) -> list[OpenJob]:
    """Background jobs not finished yet, oldest first, each linked to its live progress page."""
    jobs = Job.objects.filter(finished_at__isnull=True).order_by("created_at", "pk")[:JOBS_LIST_LIMIT]
    return [OpenJob(str(job), job.get_status_display(), job.processed, job.total,
                    _admin_url(site, user, Job, "progress", job.pk)) for job in jobs]


def _day_index(midnights: list[datetime], low: int, high: int) -> Any:
    """The number of `midnights[low:high]` at or before a call's time plus `low`, as a CASE that halves the range at
    each level: about five comparisons a call for thirty days, where a flat CASE makes up to thirty."""
    if low == high:
        return Value(low, output_field=IntegerField())
    middle = (low + high) // 2
    return Case(When(created_at__lt=midnights[middle], then=_day_index(midnights, low, middle)),
                default=_day_index(midnights, middle + 1, high), output_field=IntegerField())


def daily_sends(*, days: int = CHART_DAYS, now: datetime | None = None) -> list[ChartDay]:
    """One entry per local day, oldest first, the last being today; days without sends are zeros."""
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    dates = [first + timedelta(days=i) for i in range(days)]
    chart = [ChartDay(day) for day in dates]
    # The day of a call: how many local midnights (each one made aware on its own) lie at or before it.
    midnights = [_local_midnight(day) for day in dates[1:]]
    chart_sends = filter(_a_send, _calls_since(_local_midnight(first), day=_day_index(midnights, 0, len(midnights))))
    for row in chart_sends:
        entry = chart[row["day"]]
        setattr(entry, row["outcome"], getattr(entry, row["outcome"]) + row["n"])
    return chart


def chart_geometry(days: list[ChartDay], *, width: int = 720, height: int = 200) -> dict[str, Any]:
    """Stacked bars for an inline SVG: accepted at the bottom, then refused, then unknown."""
    pad_left, pad_right, pad_bottom, pad_top = 40, 16, 22, 8
    plot_h = height - pad_bottom - pad_top
    top = max((d.sends for d in days), default=0)
    scale_max = max(_nice_ceiling(top), 1)
    slot = (width - pad_left - pad_right) / max(len(days), 1)
    bar_w = max(slot * 0.7, 1)
    bars = []
    for index, day in enumerate(days):
        x = pad_left + index * slot + (slot - bar_w) / 2
        y = height - pad_bottom
        segments = []
        for outcome, value in (("ok", day.ok), ("refused", day.refused), ("unknown", day.unknown)):
            h = plot_h * value / scale_max
            y -= h
            if value:
                segments.append({"outcome": outcome, "y": round(y, 1), "h": round(h, 1), "value": value})
        bars.append({"day": day, "x": round(x, 1), "w": round(bar_w, 1), "segments": segments,
                     "label_x": round(x + bar_w / 2, 1), "show_label": index % 5 == (len(days) - 1) % 5})
    ticks = [{"value": v, "y": round(height - pad_bottom - plot_h * v / scale_max, 1)}
             for v in sorted({0, scale_max // 2, scale_max})]
    return {"width": width, "height": height, "bars": bars, "ticks": ticks, "axis_x": pad_left,
            "axis_end": width - pad_right,
            "axis_y": height - pad_bottom, "label_y": height - 6,
            "total_sends": sum(d.sends for d in days), "total_failed": sum(d.refused + d.unknown for d in days)}


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^n at or above `value`, so the axis reads in round numbers."""
    if value <= 0:
        return 0
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def dashboard_context(*, site: AdminSite, user: Any, now: datetime | None = None) -> Dashboard:
    sends, sends_total = send_figures(now=now)
    tallies = state_counts()
    unknown_counts, unknown_documents = unknowns(site=site, user=user, tallies=tallies)
    return Dashboard(
        states=state_tables(site=site, user=user, tallies=tallies),
        sends=sends,
        sends_total=sends_total,
        failures=failure_groups(site=site, user=user),
        unknown_counts=unknown_counts,
        unknown_documents=unknown_documents,
        open_jobs=open_jobs(site=site, user=user),
        chart=chart_geometry(daily_sends(now=now)),
        handover=handover(site=site, user=user, tallies=tallies),
        resends=resend_summary(),
    )
