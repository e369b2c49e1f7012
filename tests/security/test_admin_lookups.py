"""A list accepts only the filters it offers: `?remark__regex=^(a+)+$` (catastrophic backtracking) and `(.*` (an
invalid pattern, a database error) are refused with a 400 before any query; every offered filter, the date
drill-down and the dashboard's links still work. Every admin page with an id answers 404 for a malformed one."""

from datetime import datetime, time, timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from returns import job_kinds as returns_kinds
from returns.models import PurchaseReturn
from settlements import job_kinds as settlements_kinds
from tests.factories import make_draft, make_return
from wdtportal.admin_lookups import OfferedLookupsOnly
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.services import job_start

pytestmark = pytest.mark.django_db

EVIL = ["^(a+)+$", "(.*"]
# (list, a field of its model that no filter offers)
LISTS = [
    ("admin:returns_purchasereturn_changelist", "remark"),
    ("admin:settlements_settlementdraft_changelist", "remark"),
    ("admin:jobs_job_changelist", "label"),
    ("admin:jobs_jobitem_changelist", "message"),
    ("admin:wdt_wdtcall_changelist", "error_message"),
    ("admin:wdt_sandbox_sandboxreturn_changelist", "return_no"),
    ("admin:wdt_sandbox_sandboxoutbound_changelist", "outer_no"),
    ("admin:wdt_sandbox_sandboxsettlement_changelist", "order_no"),
    ("admin:axes_accessattempt_changelist", "username"),
    ("admin:otp_totp_totpdevice_changelist", "name"),
    ("admin:auth_user_changelist", "username"),
    ("admin:django_tasks_database_dbtaskresult_changelist", "task_path"),
]


@pytest.fixture
def as_superuser(client, superuser):
    client.force_login(superuser)
    return client


def test_every_list_in_the_admin_accepts_only_its_filters():
    assert {type(a).__name__ for a in admin.site._registry.values() if not isinstance(a, OfferedLookupsOnly)} == set()


@pytest.mark.parametrize(("url", "field"), LISTS)
def test_a_regex_or_any_lookup_no_filter_offers_is_refused_before_any_query(as_superuser, url, field):
    for query in [*(f"{field}__regex={pattern}" for pattern in EVIL), f"{field}__contains=a", f"{field}=a",
                  f"{field}__iregex=a"]:
        with CaptureQueriesContext(connection) as queries:
            response = as_superuser.get(reverse(url), {k: v for k, v in [query.split("=", 1)]})
        assert response.status_code == 400, (url, query)
        assert "请求无效" in response.text
        assert not any("REGEXP" in q["sql"].upper() or " ~ " in q["sql"] or "LIKE" in q["sql"].upper()
                       for q in queries.captured_queries), (url, query)


def test_the_backtracking_regex_of_the_review_answers_at_once(as_superuser):
    make_return("CR-REGEX-1", remark="a" * 25 + "!")
    response = as_superuser.get(reverse("admin:returns_purchasereturn_changelist"), {"remark__regex": "^(a+)+$"})
    assert response.status_code == 400


def test_the_offered_filters_still_filter(as_superuser, superuser):
    batch = ImportBatch.objects.create(file_name="x.xlsx", created_by=superuser)
    failed = make_return("CR-F-1", outbound_state=DocumentState.FAILED, last_message="商家编码不存在",
                         created_by=superuser, import_batch=batch)
    make_return("CR-D-1")
    url = reverse("admin:returns_purchasereturn_changelist")
    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    for query in [{"outbound_state__exact": "failed"}, {"created_by__id__exact": superuser.pk},
                  {"import_batch__id__exact": batch.pk}, {"created_by__isnull": "False"},
                  {"outbound_state__exact": "failed", "last_message": "商家编码不存在"},  # the dashboard's link
                  {"created_at__gte": str(midnight), "created_at__lt": str(midnight + timedelta(days=1)),
                   "outbound_state__exact": "failed"}]:  # as the date filter's links write them
        response = as_superuser.get(url, query)
        assert response.status_code == 200, query
        assert [o.pk for o in response.context["cl"].result_list] == [failed.pk], query
    assert as_superuser.get(url, {"q": "CR-F"}).context["cl"].result_count == 1  # search is not a lookup
    # No date hierarchy (its year links GROUP BY the whole table at a million rows): its parameters are refused.
    assert as_superuser.get(url, {"created_at__year": today.year}).status_code == 400
    drafts = as_superuser.get(reverse("admin:settlements_settlementdraft_changelist"),
                              {"state__exact": "draft", "invoice_type__exact": "0"})
    assert drafts.status_code == 200
    assert as_superuser.get(reverse("admin:jobs_job_changelist"), {"kind": settlements_kinds.SUBMIT,
                                                                   "created_by__id__exact": 1}).status_code == 200
    assert as_superuser.get(reverse("admin:wdt_wdtcall_changelist"),
                            {"outcome__exact": "ok", "method": "x"}).status_code == 200
    assert as_superuser.get(reverse("admin:axes_accessattempt_changelist"), {"locked_out": "yes"}).status_code == 200


def test_a_bad_value_of_an_offered_filter_is_no_500(as_superuser):
    url = reverse("admin:returns_purchasereturn_changelist")
    for query in [{"created_at__gte": "not-a-date"}, {"created_by__id__exact": "abc"}]:
        response = as_superuser.get(url, query)
        # Django's own answer to a value it cannot use: the list with an error flag (?e=1) or the filter ignored.
        assert response.status_code in (200, 302), query
        assert response.status_code == 200 or response.url.endswith("?e=1"), query


def test_facets_cannot_be_asked_for_in_the_query_string(as_superuser):
    make_return("CR-FACET-1")
    response = as_superuser.get(reverse("admin:returns_purchasereturn_changelist"), {"_facets": "True"})
    assert response.status_code == 200 and response.context["cl"].add_facets is False


def test_a_clerk_gets_the_same_400(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("admin:returns_purchasereturn_changelist"), {"remark__regex": "(.*"})
    assert response.status_code == 400 and "筛选" in response.text


MALFORMED = ["abc", "1.5", "-1", "1e3", "99999999999999999999999", "%20", "1/2"]


def test_malformed_ids_on_every_custom_admin_page_are_404(as_superuser, superuser):
    purchase_return = make_return("CR-404-1")
    draft = make_draft("CR-404-1")
    job = job_start(kind=returns_kinds.PUSH_OUTBOUND, documents=[purchase_return], user=superuser)
    pages = {
        "returns payload": "/admin/returns/purchasereturn/{}/payload/",
        "returns resolve": "/admin/returns/purchasereturn/{}/resolve/",
        "settlement payload": "/admin/settlements/settlementdraft/{}/payload/",
        "settlement resolve": "/admin/settlements/settlementdraft/{}/resolve/",
        "job progress": "/admin/jobs/job/{}/progress/",
        "job progress json": "/admin/jobs/job/{}/progress.json",
        "import template": "/admin/returns/purchasereturn/import/template/{}/",
    }
    well_formed = {"returns payload": purchase_return.pk, "returns resolve": purchase_return.pk,
                   "settlement payload": draft.pk, "settlement resolve": draft.pk, "job progress": job.pk,
                   "job progress json": job.pk, "import template": 0}
    for name, pattern in pages.items():
        assert as_superuser.get(pattern.format(well_formed[name])).status_code == 200, name
        for bad in [*MALFORMED, "12345678"]:
            response = as_superuser.get(pattern.format(bad))
            assert response.status_code == 404, (name, bad, response.status_code)
    assert PurchaseReturn.objects.count() == 1
