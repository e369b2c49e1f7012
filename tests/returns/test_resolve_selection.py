"""Resolving unknown outcomes after "select all N": the page counts the selection's documents in unknown and lists
20 of them; its form posts the list's query string and select_across, never N ids (Django refuses a POST of more
than 1,000 fields); "send again" and "mark done" start one job per state field in unknown, whose worker expands the
selection. The request costs the same number of queries for 3 returns or 1,200."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from returns import job_kinds
from returns.models import PurchaseReturn
from returns.services import OUTBOUND_ENDPOINT
from settlements import job_kinds as settlements_kinds
from settlements.models import SettlementDraft
from tests.bulk import seed_settlement_drafts
from tests.factories import clerk, supervisor  # noqa: F401
from tests.jobs.test_selection import seed_returns
from tests.worker import run_worker_until_idle
from wdtportal.documents.models import StateChange
from wdtportal.documents.states import DocumentState as S
from wdtportal.jobs.models import Job
from wdtportal.wdt.models import WdtCall

pytestmark = pytest.mark.django_db(transaction=True)

RETURNS = "admin:returns_purchasereturn_changelist"
DRAFTS = "admin:settlements_settlementdraft_changelist"


def resolve_all(client, query: str, resolve_action: str = "", changelist: str = RETURNS, first_id: int = 0):
    """From the list: "select all N" and 处理结果未知的单据 (`resolve_action` empty), or the page's button."""
    data = {"action": "resolve_unknown", "select_across": "1", "index": "0"}
    if resolve_action:
        data["resolve_action"] = resolve_action  # the page's form: no ids
    else:
        data[ACTION_CHECKBOX_NAME] = [first_id]  # the list's form: the ticks of its first page
    return client.post(reverse(changelist) + query, data)


def jobs_of(response) -> list[Job]:
    assert response.status_code == 302 and response.url.endswith("/progress/"), response.content[:300]
    first = int(response.url.rstrip("/").split("/")[-2])
    return list(Job.objects.filter(pk__gte=first).order_by("pk"))


@pytest.fixture
def unknown_returns(wdt_sandbox):
    """1,200 returns whose outbound order is in unknown (known to the sandbox), 3 others in unknown found by another
    search, and, found by the same search, 7 returns with nothing in unknown."""
    many = seed_returns(1200, prefix="CRK", known_to_wdt=True, outbound_state=S.UNKNOWN)
    few = seed_returns(3, prefix="QQK", known_to_wdt=True, outbound_state=S.UNKNOWN)
    seed_returns(7, prefix="CRKD", outbound_state=S.DONE)
    return many, few


def test_the_page_after_select_all_counts_lists_20_and_carries_the_selection_in_constant_queries(
        client, supervisor, unknown_returns, django_assert_max_num_queries):  # noqa: F811
    many, few = unknown_returns
    client.force_login(supervisor)
    resolve_all(client, "?q=QQK", first_id=few[0])  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as for_few:
        small = resolve_all(client, "?q=QQK", first_id=few[0])
    with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as for_many:
        page = resolve_all(client, "?q=CRK", first_id=many[0])
    assert len(for_many.captured_queries) == len(for_few.captured_queries)
    assert small.status_code == page.status_code == 200
    html = page.content.decode()
    assert "所选单据中有 1,200 张结果未知" in html and "…及其他 1,180 张" in html
    assert "所选单据中有 3 张结果未知" in small.content.decode()
    assert html.count(f'name="{ACTION_CHECKBOX_NAME}"') == 0 and html.count('type="hidden"') <= 25
    assert html.count('href="/admin/returns/purchasereturn/') >= 20 and "CRK01199" in html  # newest first
    form = re.search(r'<form method="post" action="([^"]+)">', html).group(1)
    assert form == reverse(RETURNS) + "?q=CRK"
    assert 'name="select_across" value="1"' in html and 'name="index" value="0"' in html
    assert 'value="send_again"' in html and 'value="mark_done"' in html


def test_send_again_after_select_all_starts_one_job_per_field_in_unknown_and_the_worker_sends_each_once(
        client, supervisor, unknown_returns, wdt_sandbox):  # noqa: F811
    many, few = unknown_returns
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as for_few:
        assert resolve_all(client, "?q=QQK", "send_again").status_code == 302
    with CaptureQueriesContext(connection) as for_many:
        response = resolve_all(client, "?q=CRK", "send_again")
    # The session, the permissions, the list's filters, one count, the job and its tasks: no return read, whatever N.
    assert len(for_many.captured_queries) == len(for_few.captured_queries) <= 20
    [job] = jobs_of(response)  # nothing in unknown waits for its stop-waiting: no second job
    assert job.kind == job_kinds.OUTBOUND_SEND_AGAIN and job.created_by == supervisor
    assert job.selection == {"query": "q=CRK", "only": {"outbound_state": "unknown"}}
    assert not WdtCall.objects.exists()
    assert "1,200 张单据" in client.get(response.url).content.decode()

    run_worker_until_idle()
    job.refresh_from_db()
    assert (job.total, job.done, job.failed, job.unknown, job.skipped) == (1200, 1200, 0, 0, 0) and job.finished_at
    assert PurchaseReturn.objects.filter(pk__in=many, outbound_state=S.DONE).count() == 1200
    assert PurchaseReturn.objects.filter(pk__in=few, outbound_state=S.DONE).count() == 3  # their own job
    assert wdt_sandbox.outbounds().filter(return_no__startswith="CRK").count() == 1200
    calls = WdtCall.objects.filter(method=OUTBOUND_ENDPOINT).count()
    assert calls == 1203  # each return sent once


def test_mark_done_after_select_all_is_a_job_that_marks_every_field_in_unknown_without_calling_wdt(
        client, supervisor, unknown_returns):  # noqa: F811
    many, _few = unknown_returns
    both = many[:10]
    PurchaseReturn.objects.filter(pk__in=both).update(waiting_state=S.UNKNOWN)
    client.force_login(supervisor)
    response = resolve_all(client, "?q=CRK", "mark_done")
    outbound_job, waiting_job = jobs_of(response)
    assert (outbound_job.kind, waiting_job.kind) == (job_kinds.OUTBOUND_MARK_DONE, job_kinds.WAITING_MARK_DONE)
    assert PurchaseReturn.objects.filter(outbound_state=S.UNKNOWN).count() == 1203  # nothing done in the request

    run_worker_until_idle()
    for job, total in ((outbound_job, 1200), (waiting_job, 10)):
        job.refresh_from_db()
        assert (job.total, job.done, job.skipped, job.failed) == (total, total, 0, 0) and job.finished_at
    assert PurchaseReturn.objects.filter(pk__in=many, outbound_state=S.DONE).count() == 1200
    assert PurchaseReturn.objects.filter(pk__in=both, waiting_state=S.DONE).count() == 10
    assert not WdtCall.objects.exists()
    done = StateChange.objects.filter(object_id__in=many, to_state=S.DONE, user=supervisor)
    assert done.count() == 1210
    assert set(done.values_list("reason", flat=True)) == {"主管确认旺店通中已存在，标记为已完成"}
    queued = StateChange.objects.get(object_id=many[0], field="outbound_state", to_state=S.QUEUED)
    assert queued.from_state == S.UNKNOWN and f"#{outbound_job.pk}" in queued.reason and "标记为已完成" in queued.reason


def test_a_selection_with_nothing_in_unknown_starts_no_job(client, supervisor, wdt_sandbox):  # noqa: F811
    seed_returns(3, prefix="CRN", outbound_state=S.DONE)
    client.force_login(supervisor)
    page = resolve_all(client, "?q=CRN", first_id=1)
    assert "所选单据中没有结果未知的单据" in page.content.decode() and b'value="send_again"' not in page.content
    response = resolve_all(client, "?q=CRN", "send_again")
    assert response.status_code == 302 and response.url == reverse(RETURNS) + "?q=CRN"
    assert not Job.objects.exists()


def test_a_clerk_has_no_resolve_action_and_posting_it_after_select_all_is_refused(
        client, clerk, unknown_returns):  # noqa: F811
    client.force_login(clerk)
    assert 'value="resolve_unknown"' not in client.get(reverse(RETURNS)).content.decode()
    for action in ("", "send_again", "mark_done"):
        assert resolve_all(client, "?q=CRK", action, first_id=unknown_returns[0][0]).status_code == 403
    assert not Job.objects.exists()
    assert PurchaseReturn.objects.filter(outbound_state=S.UNKNOWN).count() == 1203


def test_settlements_after_select_all_send_again_in_a_job_and_mark_done_asks_for_ticked_rows(
        client, supervisor, wdt_sandbox):  # noqa: F811
    drafts = seed_settlement_drafts(30, prefix="CRJ")
    SettlementDraft.objects.filter(pk__in=[d.pk for d in drafts]).update(state=S.UNKNOWN)
    client.force_login(supervisor)
    html = resolve_all(client, "?q=CRJ", changelist=DRAFTS, first_id=drafts[0].pk).content.decode()
    assert "所选单据中有 30 张结果未知" in html and "…及其他 10 张" in html
    assert 'value="mark_done"' not in html and "js_order_no_" not in html and "逐张填写" in html

    refused = resolve_all(client, "?q=CRJ", "mark_done", changelist=DRAFTS)
    assert refused.status_code == 302 and refused.url == reverse(DRAFTS) + "?q=CRJ"
    assert "逐张填写" in client.get(refused.url).content.decode()
    assert SettlementDraft.objects.filter(state=S.UNKNOWN).count() == 30

    [job] = jobs_of(resolve_all(client, "?q=CRJ", "send_again", changelist=DRAFTS))
    assert job.kind == settlements_kinds.SEND_AGAIN
    assert job.selection == {"query": "q=CRJ", "only": {"state": "unknown"}}
    run_worker_until_idle()
    job.refresh_from_db()
    assert (job.total, job.done) == (30, 30)
    assert wdt_sandbox.settlements().count() == 30
