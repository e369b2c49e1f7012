"""Content-Security-Policy on every kind of response (django-csp), and no page of ours that needs an exception to it:
no inline script or style anywhere. (In Chromium, tests/e2e report any violation the browser sees.)"""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.excel.files import return_row, xlsx
from tests.factories import make_draft, make_return
from tests.ui.test_english_everywhere import admin_pages
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.models import Job

from .conftest import login_form
from .policy import assert_strict_policy, inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_superuser(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def documents():
    purchase_return = make_return("CR-CSP-1", outbound_state=DocumentState.UNKNOWN, remark="csp")
    draft = make_draft("CR-CSP-1", purchase_return=purchase_return, post_fee=Decimal("1.5"))
    return purchase_return, draft


def test_the_policy_is_strict():
    from django.conf import settings

    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]


def test_every_admin_page_has_the_policy_and_no_inline_code(as_superuser, documents, supervisor):
    purchase_return, draft = documents
    job_page = as_superuser.post(reverse("admin:returns_purchasereturn_changelist"), {
        "action": "push_outbound", ACTION_CHECKBOX_NAME: [purchase_return.pk], "index": "0"})
    job = Job.objects.get()
    pages = [
        *admin_pages(),
        reverse("admin:returns_purchasereturn_change", args=[purchase_return.pk]),
        reverse("admin:returns_purchasereturn_payload", args=[purchase_return.pk]),
        reverse("admin:returns_purchasereturn_resolve", args=[purchase_return.pk]),
        reverse("admin:settlements_settlementdraft_change", args=[draft.pk]),
        reverse("admin:settlements_settlementdraft_payload", args=[draft.pk]),
        reverse("admin:jobs_job_progress", args=[job.pk]),
        reverse("admin:jobs_job_change", args=[job.pk]),
        reverse("admin:returns_purchasereturn_changelist") + "?outbound_state__exact=unknown",
    ]
    assert job_page.status_code == 302
    checked = 0
    for url in pages:
        response = as_superuser.get(url, follow=True)
        assert_strict_policy(response, url)
        if response.status_code == 200 and "html" in response.headers["Content-Type"]:
            assert inline_code(response.text) == {}, url
            checked += 1
    assert checked > 25
    progress = as_superuser.get(reverse("admin:jobs_job_progress_json", args=[job.pk]))
    assert_strict_policy(progress, "progress.json")


def test_the_import_preview_and_the_action_report_have_no_inline_code(as_superuser, documents):
    preview = as_superuser.post(reverse("admin:returns_purchasereturn_import"), {
        "resource": "0", "format": "0", "import_file": SimpleUploadedFile("退货.xlsx", xlsx([return_row("CSP-2")]))})
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert_strict_policy(preview)
    assert inline_code(preview.text) == {}
    assert "wdtportal/excel_import.js" in preview.text  # the page's script, as a file
    report = as_superuser.post(reverse("admin:returns_purchasereturn_changelist"), {
        "action": "validate", ACTION_CHECKBOX_NAME: [documents[0].pk], "index": "0"})
    assert report.status_code == 200 and "wdt-badge state-bg-" in report.text
    assert_strict_policy(report)
    assert inline_code(report.text) == {}


def test_the_login_page_lockout_and_error_pages_have_the_policy(client, clerk, as_superuser):
    anonymous = client.__class__()
    login = anonymous.get("/admin/login/")
    assert_strict_policy(login)
    assert inline_code(login.text) == {}
    missing = anonymous.get("/no-such-page/")
    assert missing.status_code == 404
    assert_strict_policy(missing)
    assert inline_code(missing.text) == {}
    for _ in range(5):
        locked = login_form(anonymous, "clerk1", "wrong")
    assert locked.status_code == 429
    assert_strict_policy(locked)
    assert inline_code(locked.text) == {}
    refused = as_superuser.get(reverse("admin:returns_purchasereturn_changelist") + "?remark__regex=x")
    assert refused.status_code == 400
    assert_strict_policy(refused)
    assert inline_code(refused.text) == {}
    too_large = anonymous.post("/admin/login/", data=b"", content_type="application/x-www-form-urlencoded",
                               CONTENT_LENGTH=str(50 * 2**20))
    assert too_large.status_code == 413
    assert_strict_policy(too_large)
    assert inline_code(too_large.text) == {}


def test_a_clerks_403_has_the_policy(client, clerk, documents):
    client.force_login(clerk)
    forbidden = client.post(reverse("admin:settlements_settlementdraft_changelist"), {
        "action": "submit", ACTION_CHECKBOX_NAME: [documents[1].pk], "index": "0"})
    assert forbidden.status_code == 403
    assert_strict_policy(forbidden)
    assert inline_code(forbidden.text) == {}


@pytest.mark.urls("tests.security.urls_with_an_error")
def test_the_500_page_has_the_policy_and_no_inline_style(client):
    client.raise_request_exception = False
    broken = client.get("/broken/")
    assert broken.status_code == 500 and "服务器出错" in broken.text
    assert_strict_policy(broken)
    assert inline_code(broken.text) == {}
    assert "wdtportal/error.css" in broken.text


def test_the_sandbox_answers_with_the_policy_too(client, wdt_sandbox):
    answer = client.post("/sandbox/openapi", data="{}", content_type="application/json")
    assert_strict_policy(answer, "/sandbox/openapi")
    elsewhere = client.post("/sandbox/openapi2/nothing.php", data={"x": "1"})
    assert_strict_policy(elsewhere, "/sandbox/openapi2/nothing.php")


@pytest.mark.urls("wdtportal.wdt.sandbox.standalone_urls")
def test_the_standalone_sandboxs_pages_have_the_policy(client):
    missing = client.get("/admin/")
    assert missing.status_code == 404
    assert_strict_policy(missing, "the standalone sandbox's 404")


def test_static_files_have_the_policy(client):
    script = client.get("/static/wdtportal/job_progress.js")
    assert script.status_code == 200
    assert_strict_policy(script, "a static file")


def test_the_checker_finds_each_kind_of_inline_code():
    html = ('<script>alert(1)</script><script src="/static/x.js"></script>'
            '<script type="application/json" id="d">{}</script><style>p{}</style><p style="color:red">'
            '<a href="javascript:history.back()">back</a><button onclick="go()">go</button>')
    assert sorted(inline_code(html)) == ["<style> element", "event handler attribute", "inline script",
                                         "javascript: URL", "style attribute"]
    assert inline_code(html)["inline script"] == ["<script>"]
