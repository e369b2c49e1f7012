"""The interface is Chinese by default and English when the browser asks; the English catalogue is complete."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

PO_FILES = sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{(\w*)\}")


def test_admin_front_page_is_chinese_by_default(admin_client_zh):
    response = admin_client_zh.get("/admin/")
    html = response.text
    assert '<html lang="zh-hans"' in html
    for text in ("旺店通采购退货门户", "工作台", "单据状态", "结果未知，等待人工处理", "最近30天每日发送", "草稿",
                 "注销"):
        assert text in html, text
    assert "Dashboard" not in html


def test_admin_front_page_is_english_when_the_browser_asks(admin_client_zh):
    response = admin_client_zh.get("/admin/", headers={"accept-language": "en-US,en;q=0.9"})
    html = response.text
    assert '<html lang="en"' in html
    for text in ("WDT purchase returns portal", "Documents by state", "Unknown outcomes waiting for a person",
                 "Daily sends over the last 30 days", "Draft", "Log out", "Language"):
        assert text in html, text
    for text in ("工作台", "单据状态", "草稿", "注销"):
        assert text not in html, text


def test_a_chinese_browser_gets_chinese(admin_client_zh):
    response = admin_client_zh.get("/admin/", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "单据状态" in response.text


def test_login_page_in_both_languages(client):
    assert "用户名" in client.get("/admin/login/").text
    english = client.get("/admin/login/", headers={"accept-language": "en"}).text
    assert "Username" in english and "WDT purchase returns portal" in english


def test_language_switcher_keeps_the_choice(admin_client_zh):
    page = admin_client_zh.get("/admin/").text
    assert 'id="language-switcher"' in page and 'action="/i18n/setlang/"' in page
    response = admin_client_zh.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert response.status_code == 302 and response.headers["location"] == "/admin/"
    # The cookie set_language wrote now wins over the browser's Chinese.
    page = admin_client_zh.get("/admin/", headers={"accept-language": "zh-CN"}).text
    assert "Documents by state" in page


def _entries(po: Path) -> list[dict]:
    """msgid, msgstr(s) and flags of each entry; enough of the PO format for checking completeness."""
    entries, entry, key = [], None, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,"):
            if entry is not None and entry.get("msgstr"):
                entries.append(entry)
                entry = None
            entry = entry or {"flags": set(), "msgstr": {}}
            entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[(\d)\])?) "(.*)"$', line)
        if match:
            if match.group(1) == "msgid" and entry is not None and entry.get("msgstr"):
                entries.append(entry)
                entry = None
            entry = entry or {"flags": set(), "msgstr": {}}
            key = match.group(1)
            if key.startswith("msgstr"):
                entry["msgstr"][key] = match.group(3)
            else:
                entry[key] = match.group(3)
        elif line.startswith('"') and entry is not None and key:
            if key.startswith("msgstr"):
                entry["msgstr"][key] += line[1:-1]
            else:
                entry[key] += line[1:-1]
        elif not line.strip() and entry is not None and entry.get("msgstr"):
            entries.append(entry)
            entry, key = None, None
    return [e for e in entries if e.get("msgid")]  # the header has an empty msgid


def test_the_english_catalogue_exists():
    english = Path(settings.BASE_DIR, "locale/en/LC_MESSAGES/django.po")
    assert english in PO_FILES
    assert len(_entries(english)) > 300


def test_library_strings_missing_from_their_chinese_are_chinese_here(client, clerk):
    client.force_login(clerk)
    page = client.get("/admin/returns/purchasereturn/import/").text
    assert "内容类型" in page and "Resource" not in page
    english = client.get("/admin/returns/purchasereturn/import/", headers={"accept-language": "en"}).text
    assert "Resource" in english


def test_language_switcher_names_each_language_in_itself(admin_client_zh):
    for accept in ("zh-CN", "en"):
        page = admin_client_zh.get("/admin/", headers={"accept-language": accept}).text
        assert '<option value="zh-hans" lang="zh-hans"' in page
        assert ">简体中文</option>" in page and ">English</option>" in page


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_every_msgid_is_translated(po):
    entries = _entries(po)
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or "fuzzy" in e["flags"]]
    assert not untranslated, f"{po}: translate these (empty or fuzzy msgstr): {untranslated}"


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_translations_keep_their_placeholders(po):
    wrong = []
    for entry in _entries(po):
        wanted = set(PLACEHOLDER.findall(entry["msgid"]))
        for msgstr in entry["msgstr"].values():
            if set(PLACEHOLDER.findall(msgstr)) != wanted:
                wrong.append((entry["msgid"], msgstr))
    assert not wrong


def test_an_export_made_in_english_imports_again(client, clerk):
    """The export's values that the import reads (choice names, yes/no) stay Chinese in an English interface."""
    import io

    from openpyxl import load_workbook

    from tests.factories import make_draft

    make_draft("CR2026112266", invoice_type=3, is_check=True)
    client.force_login(clerk)
    english = {"accept-language": "en"}
    response = client.post("/admin/settlements/settlementdraft/export/", {"format": "0", "resource": "0"},
                           headers=english)
    assert response.status_code == 200, response.text[:500]
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=False))
    assert (row["发票类型"], row["是否审核"]) == ("电子增值税专用发票", "是")


def test_every_marked_string_is_in_the_english_catalogue(tmp_path):
    """A string marked for translation but never extracted would show in Chinese to an English user: extract the
    catalogue afresh from a copy of the code and compare it with the committed one."""
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None:
        pytest.fail("xgettext not found: install Debian's gettext (CI does) to check the catalogue")
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    ignored = shutil.ignore_patterns(".venv", ".git", "tmp", "test-artifacts", "node_modules", "*.mo", "*.sqlite3",
                                     "__pycache__", "staticfiles", "docs")
    shutil.copytree(root, copy, ignore=ignored)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "en", "--ignore=.venv", "--ignore=tests",
                    "-v", "0"], cwd=copy, check=True, capture_output=True, timeout=300)
    committed = {e["msgid"] for e in _entries(root / "locale/en/LC_MESSAGES/django.po")}
    extracted = {e["msgid"] for e in _entries(copy / "locale/en/LC_MESSAGES/django.po")}
    missing = sorted(extracted - committed)
    assert not missing, (f"marked for translation but not in locale/en/LC_MESSAGES/django.po: {missing}; "
                         "run makemessages (see docs/architecture.md) and translate them")
