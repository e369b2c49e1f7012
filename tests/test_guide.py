"""The clerk's guide (docs/用户指南.md): a section per task, its pictures those the browser story takes, served in the
portal under 帮助 to whoever is logged in."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.test_story import GUIDE_SHOTS

GUIDE = Path(settings.BASE_DIR, "docs", "用户指南.md")
PICTURES = Path(settings.BASE_DIR, "docs", "guide")
TASKS = ("导入", "修改错误", "校验", "交给财务主管", "发送到旺店通", "处理结果未知", "导出")


def test_the_guide_has_a_section_per_task_and_the_storys_pictures():
    text = GUIDE.read_text(encoding="utf-8")
    sections = re.findall(r"^## \d+\. (.+)$", text, re.MULTILINE)
    assert [next((task for task in TASKS if section.startswith(task)), section) for section in sections] == list(TASKS)
    used = re.findall(r"\]\(guide/([\w-]+)\.png\)", text)
    assert sorted(used) == sorted(GUIDE_SHOTS), "the guide shows exactly the pictures the browser story takes"
    stored = sorted(path.stem for path in PICTURES.glob("*.png"))
    assert stored == sorted(GUIDE_SHOTS), "every picture is committed, none left over"
    assert all(path.stat().st_size < 150_000 for path in PICTURES.glob("*.png")), "small pictures"


@pytest.mark.django_db
def test_the_portal_serves_the_guide_to_whoever_is_logged_in(client, admin_client):
    assert client.get("/admin/help/").status_code == 302  # to the login page
    assert client.get("/admin/help/guide/handover.png").status_code == 302
    page = admin_client.get("/admin/help/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "采购退货门户 用户指南</h1>" in html
    assert all(f"{task}" in html for task in TASKS)
    assert re.search(r'<img alt="导入预览[^"]*" src="guide/import-preview.png"', html)
    picture = admin_client.get("/admin/help/guide/import-preview.png")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert b"".join(picture.streaming_content).startswith(b"\x89PNG")
    for wrong in ("../用户指南.md", "nothing.png", "import-preview.PNG", "x.svg"):
        assert admin_client.get(f"/admin/help/guide/{wrong}").status_code == 404


@pytest.mark.django_db
def test_every_page_links_the_guide_in_its_header(admin_client):
    for url in ("/admin/", "/admin/returns/purchasereturn/", "/admin/help/"):
        assert '<a href="/admin/help/" id="help-link">帮助</a>' in admin_client.get(url).content.decode()
    english = admin_client.get("/admin/help/", headers={"accept-language": "en"}).content.decode()
    assert '>Help</a>' in english and "This guide is in Chinese only" in english
