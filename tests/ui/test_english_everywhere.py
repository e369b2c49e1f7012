"""Every admin page a person can open reads in English when the browser asks for English: no Chinese left over,
except what is Chinese on purpose (the spreadsheet's column names, which are the vendor's, and 简体中文 in the
language switcher)."""

import contextlib
import re

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from returns.resources import ReturnsImporter
from settlements.resources import SettlementsImporter
from tests.factories import make_draft, make_return
from wdtportal.documents.groups import GROUPS

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
ON_PURPOSE = {
    "简体中文",
    *GROUPS,  # group names are data
    *(col.header for importer in (ReturnsImporter, SettlementsImporter) for col in importer.layout.columns),
}


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def leftover_chinese(html: str) -> set[str]:
    punctuation = set("，、：（）")
    return {run for run in CJK.findall(visible_text(html)) if run not in ON_PURPOSE and not set(run) <= punctuation}


# Django stores permission names in the database when it creates them (from our Chinese verbose names) and shows
# them as stored: the group page's permission picker stays Chinese. A known limit, not a missing translation.
STORED_NAMES_PAGES = {"/admin/auth/group/add/"}


def admin_pages() -> list[str]:
    pages = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        for view in ("changelist", "add", "import", "export"):
            with contextlib.suppress(NoReverseMatch):  # only some lists import or export
                pages.append(reverse(f"admin:{info[0]}_{info[1]}_{view}"))
    return [page for page in pages if page not in STORED_NAMES_PAGES]


@pytest.fixture
def documents():
    purchase_return = make_return("CR-EN-1", remark="back to supplier")
    make_draft("CR-EN-1", purchase_return=purchase_return)
    return purchase_return


def test_every_admin_page_is_english(admin_client_zh, documents):
    english = {"accept-language": "en"}
    pages = admin_pages()
    assert len(pages) > 15
    documents_pages = [reverse("admin:returns_purchasereturn_change", args=[documents.pk]),
                       reverse("admin:returns_purchasereturn_payload", args=[documents.pk])]
    problems, checked = {}, 0
    for url in pages + documents_pages:
        response = admin_client_zh.get(url, headers=english, follow=True)
        if response.status_code == 403:  # e.g. no "add" on read-only lists
            continue
        assert response.status_code == 200, url
        checked += 1
        left = leftover_chinese(response.text)
        if left:
            problems[url] = sorted(left)
    assert checked > 15
    assert not problems, problems


def test_the_login_page_is_english(client):
    assert not leftover_chinese(client.get("/admin/login/", headers={"accept-language": "en"}).text)


def test_the_check_finds_chinese_when_there_is_some(admin_client_zh, documents):
    chinese = admin_client_zh.get("/admin/returns/purchasereturn/").text
    assert {"出库单状态", "停止等待状态"} <= leftover_chinese(chinese)
