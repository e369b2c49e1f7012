"""The clerk's and the supervisor's day, in Chromium at 1366×768 with the sidebar open, in Chinese and in English,
against the sandbox in training mode over HTTP (as in `make demo`: the clerk's own returns, which the sandbox has
never seen, are learnt when they are sent).

Clerk: logs in, downloads the import template (its 填写说明 gives each column's rules), uploads her file with errors
from the keyboard (each error names its row and return; the error copy has 错误 first, red rows, her sheet's name),
uploads the fixed file (the preview adds up documents, lines, quantity and amount), confirms; finds a return by its
tracking number; sees quantity and amount in a list that fits the screen, times in local time; validates (told it
waits for the 财务主管); creates settlement drafts; is refused the send.
Supervisor: sees what waits for her on the dashboard, creates the outbound orders (the job page says what they were
worth, in her language, never WDT's "succeed"), resolves one whose answer was lost, stops waiting, sends the
settlements, sees the JS numbers, opens a done return (read-only, no save button), exports (each line's amount and
a 合计 sheet); the test opens the exported file and checks it.

Each step leaves a numbered screenshot under test-artifacts/screenshots/. The Chinese run's `guide` shots are the
pictures of docs/用户指南.md: `UPDATE_GUIDE_SCREENSHOTS=1 pytest tests/e2e/test_story.py` writes them to docs/guide/.
"""

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from returns.models import OutboundLine, PurchaseReturn
from settlements.models import SettlementDraft
from tests.factories import make_user
from tests.worker import run_worker_until_idle
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import DocumentState as S
from wdtportal.excel.errors import RowError
from wdtportal.wdt.sandbox.models import LearntFrom

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# (return no., merchant SKU, quantity, unit price) as the supplier's file has them: returns the sandbox has never
# seen (training mode learns them when they are sent).
LINES = [
    ("CR2026112201", "SKU-A", "2", "10.50"),
    ("CR2026112201", "SKU-B", "1", "1234.5"),
    ("CR2026112202", "SKU-C", "12", "0.25"),
    ("CR2026112203", "SKU-D", "5", "8"),
]
# Σ quantity 20; Σ amount 2 × 10.50 + 1 × 1,234.50 + 12 × 0.25 + 5 × 8 = 1,298.50
AMOUNTS = {"CR2026112201": ("3", "1,255.50"), "CR2026112202": ("12", "3.00"), "CR2026112203": ("5", "40.00")}
SHEET_NAME = "供应商退货"
# The pictures of docs/用户指南.md, in the order the story takes them (tests/test_guide.py checks the guide uses
# exactly these).
GUIDE_SHOTS = ("import-errors", "import-preview", "returns-list", "validated", "handover", "send-job",
               "resolve-unknown", "done-readonly", "settlements-sent")


def fill_template(template: Path, lines: list[tuple[str, str, object, object]], out: Path) -> Path:
    """The clerk's file, in a sheet of her own name: the downloaded template's header, then the supplier's lines."""
    header = [cell.value for cell in load_workbook(template).worksheets[0][1]]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(header)
    for return_no, spec_no, num, price in lines:
        values = {"退货单号": return_no, "物流公司编号": "SF", "物流单号": f"SF{return_no}", "商家编码": spec_no,
                  "退货数量": num, "单价": price, "是否审核": "是", "备注": "供应商质量问题退货，按对账单退回"}
        sheet.append([values.get(name) for name in header])
    workbook.save(out)
    return out


def focused(page: Page) -> str:
    return page.evaluate("() => { const e = document.activeElement;"
                         " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +"
                         " (e.className ? '.' + String(e.className).split(' ').join('.') : ''); }")


def tab_to(page: Page, selector: str, *, most: int = 8) -> int:
    """Press Tab until the element matching `selector` has focus; fail if it takes more than `most` presses."""
    target = page.locator(selector).first
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            assert target.evaluate("e => e.matches(':focus-visible')"), f"{selector} has focus but shows no ring"
            return presses
    raise AssertionError(f"{selector} not reached with {most} Tab presses; focus is on {focused(page)}")


def skip_to_content(page: Page) -> None:
    """The admin's first stop for a keyboard: "skip to main content", which lands in front of the page's form."""
    # The browser may resume from where the last click or screenshot left its focus starting point, at the end
    # of the page: then the next Tab leaves the page and the one after wraps round to the skip link.
    # The preview's table scrolls sideways in its own box, which Chromium makes a stop of its own: one more.
    tab_to(page, "a.skip-to-content-link", most=5)
    page.keyboard.press("Enter")


def upload_from_keyboard(page: Page, file: Path) -> None:
    """Kind of import (the default, returns), the file, submit: Tab, Tab (file), Tab, Enter."""
    tab_to(page, "#id_resource")
    expect(page.locator("#id_resource")).to_have_value("0")
    tab_to(page, "#id_import_file", most=1)
    # The browser's own file input: Space opens the system's file dialog, which is not part of the page; the test
    # hands the file to the focused input instead.
    page.locator("#id_import_file:focus").set_input_files(str(file))
    tab_to(page, "form input[type=submit]", most=1)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def select_rows(page: Page, *numbers: str) -> None:
    """Tick the rows of these documents (every row when none is named)."""
    if not numbers:
        page.locator("#action-toggle").check()
        return
    for number in numbers:
        page.locator("#result_list tbody tr", has=page.get_by_role("link", name=number, exact=True)).locator(
            "input.action-select").check()


def run_action(page: Page, action: str, *numbers: str) -> None:
    """Tick the rows (all, or those named), choose the action, press Go."""
    select_rows(page, *numbers)
    page.locator("select[name=action]").select_option(action)
    with page.expect_navigation():
        page.locator("button[name=index]").click()


def report_rows(page: Page) -> dict[str, str]:
    """The per-document report of an action: document → outcome and message."""
    rows = {}
    for row in page.locator("table.wdt-report tbody tr.wdt-row").all():
        cells = row.locator("td").all_inner_texts()
        rows[cells[0].strip()] = " ".join(c.strip() for c in cells[1:])
    return rows


def list_cells(page: Page, column: str) -> dict[str, str]:
    """Document number → the text of one column of the change list."""
    cells = {}
    for row in page.locator("#result_list tbody tr").all():
        number = row.locator("th, td.field-return_no").first.inner_text().strip()
        cells[number] = row.locator(f"td.field-{column}").inner_text().strip()
    return cells


def assert_the_list_fits(page: Page) -> None:
    """1366×768 with the sidebar open: the page does not scroll sideways, the table stays within its container."""
    sizes = page.evaluate("""() => {
        const table = document.querySelector('#result_list');
        const box = table.parentElement;
        return {page: document.scrollingElement.scrollWidth, view: document.scrollingElement.clientWidth,
                table: table.getBoundingClientRect().right, box: box.getBoundingClientRect().right,
                boxScroll: box.scrollWidth, boxView: box.clientWidth,
                sidebar: document.querySelector('.main').classList.contains('shifted')}; }""")
    assert sizes["sidebar"], "the navigation sidebar is open"
    assert sizes["page"] <= sizes["view"], sizes
    assert sizes["table"] <= sizes["box"] + 0.5 and sizes["boxScroll"] <= sizes["boxView"], sizes


def sheet(data: bytes | Path, index: int = 0) -> list[dict]:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    rows = list(load_workbook(source).worksheets[index].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def near_now(text: str) -> bool:
    """Whether `text` holds the local date and a time within two minutes of now, as a clerk in Shanghai reads it."""
    now = datetime.now(SHANGHAI)
    return any(f"{moment:%Y-%m-%d}" in text and f"{moment:%H:%M}" in text
               for moment in (now + timedelta(minutes=m) for m in range(-2, 1)))


class Words:
    """What the pages say in the story's language, from the portal's own catalogue."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, text: str, **values: object) -> str:
        with translation.override(self.language):
            said = gettext(text)
        return said % values if values else said

    def error(self, row: int, column: str, message: str, key: str) -> str:
        with translation.override(self.language):
            return str(RowError(row, column, gettext(message), key))


@pytest.fixture(params=["zh-hans", "en"])
def story(request, browser, live_server, e2e_settings, wdt_sandbox, shots):
    """A browser at 1366×768 in the story's language, the sandbox in training mode (as `make demo` runs it)."""
    e2e_settings.WDT_SANDBOX_TRAINING = True
    context = browser.new_context(locale="zh-CN" if request.param == "zh-hans" else "en-US",
                                  timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 768},
                                  accept_downloads=True)
    try:
        yield context.new_page(), Words(request.param)
    finally:
        context.close()


def test_clerk_and_supervisor_story(story, live_server, wdt_sandbox, shots, tmp_path):
    page, t = story
    base = live_server.url
    chinese = t.language == "zh-hans"

    def guide(name: str, target: object = None) -> None:
        assert name in GUIDE_SHOTS
        shots.guide(target or page.locator("#content"), name, update=chinese)

    make_user("clerk1", "财务专员")
    make_user("boss1", "财务主管")

    # --- the clerk: the template and its rules ------------------------------------------------------------
    login(page, base, "clerk1", PASSWORD)
    expect(page.locator("h2#dash-states-h")).to_have_text(t("单据状态"))
    expect(page.locator("#help-link")).to_have_text(t("帮助"))
    shots(page, "clerk-dashboard")

    page.goto(f"{base}/admin/returns/purchasereturn/")
    expect(page.locator("p.wdt-handover")).to_contain_text(t(
        "发送到旺店通由财务主管操作：请先选中单据执行“校验”，校验通过（已校验）的单据会出现在财务主管的工作台上，"
        "由财务主管发送。"))
    page.locator("a.import_link").click()
    expect(page.locator("h1")).to_have_text("导入" if chinese else "Import")  # import-export's own words
    if not chinese:  # the file's columns are Chinese; an English page says what they mean
        expect(page.locator("#content")).to_contain_text("Return no. (退货单号)")
    shots(page, "clerk-import-page")

    # From the keyboard: skip the navigation, the first stop is the returns template; Enter downloads it.
    skip_to_content(page)
    assert tab_to(page, "a.excel-template-link", most=1) == 1
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    assert {"退货单号", "商家编码", "退货数量", "单价"} <= set(sheet(template)[0])
    notes = [row for row in load_workbook(template).worksheets[1].iter_rows(values_only=True) if row and row[0]]
    rules = {row[0]: row for row in notes[notes.index(next(r for r in notes if r[1] == t("接口字段名"))) + 1:]}
    assert rules["批次号"][3] == 20 and rules["退货单号"][2] == t("是")  # max length, required: written down

    # --- her file with errors: each names its row and return; the error copy -------------------------------
    bad = [*LINES[:1], ("CR2026112201", "SKU-B", "0", "1234.5"), ("CR2026112202", "SKU-C", "12", "-1")]
    upload_from_keyboard(page, fill_template(template, bad, tmp_path / "退货-有错.xlsx"))
    errors = page.locator("ul.excel-errors li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_have_text(t.error(3, "退货数量", "必须大于0", "CR2026112201"))
    expect(errors.nth(1)).to_contain_text(t.error(4, "单价", "不能小于0", "CR2026112202"))
    shots(page, "clerk-import-errors")
    guide("import-errors")
    assert not PurchaseReturn.objects.exists()  # a file with errors changes nothing
    with page.expect_download() as download:
        page.locator("a.excel-error-copy").click()
    copy = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    errors_sheet = copy.worksheets[0]
    assert (copy.sheetnames, errors_sheet.freeze_panes) == ([SHEET_NAME], "B2")  # her sheet, header frozen
    assert errors_sheet["A1"].value == "错误"  # first
    assert [errors_sheet.cell(row, 1).value for row in (2, 3, 4)] == [
        None, t.error(3, "退货数量", "必须大于0", "CR2026112201"), t.error(4, "单价", "不能小于0", "CR2026112202")]
    assert errors_sheet["B3"].fill.fgColor.rgb.endswith("FFC7CE") and errors_sheet["B2"].fill.fill_type is None

    # --- the fixed file: the preview adds it up --------------------------------------------------------------
    skip_to_content(page)
    upload_from_keyboard(page, fill_template(template, LINES, tmp_path / "退货.xlsx"))
    expect(page.locator("ul.excel-errors")).to_have_count(0)
    new = page.locator("table.excel-totals tr.excel-totals-new td").all_inner_texts()
    total = page.locator("table.excel-totals tr.excel-totals-file td").all_inner_texts()
    assert new == total == ["3", "4", "20", "1,298.50"], (new, total)  # documents, lines, Σ quantity, Σ amount
    preview = page.locator("table.import-preview")
    expect(preview.locator("tbody tr").first).to_contain_text("10.50")  # the price as every page shows it
    assert page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    shots(page, "clerk-import-preview")
    guide("import-preview")
    assert not PurchaseReturn.objects.exists()  # the preview writes nothing
    skip_to_content(page)
    tab_to(page, "input[name=confirm]", most=3)
    with page.expect_navigation(url=f"{base}/admin/returns/purchasereturn/?import_batch__id__exact=*"):
        page.keyboard.press("Enter")
    expect(page.locator("ul.messagelist li.success")).to_contain_text(t("导入完成：%(summary)s", summary="").strip())
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    assert ImportBatch.objects.get().documents == 3 and OutboundLine.objects.count() == 4

    # --- the list: totals, fits the screen, local times, search by tracking number --------------------------
    assert list_cells(page, "quantity_shown") == {no: quantity for no, (quantity, _amount) in AMOUNTS.items()}
    assert list_cells(page, "amount_shown") == {no: amount for no, (_quantity, amount) in AMOUNTS.items()}
    assert_the_list_fits(page)
    assert all(near_now(text) for text in list_cells(page, "created_shown").values())
    assert page.locator("th.field-return_no").first.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    batch_filter = page.locator("#changelist-filter").inner_text()
    assert near_now(batch_filter), "the import batch's label in local time"  # 退货.xlsx (2026-11-22 08:05)
    page.locator("#searchbar").fill("SFCR2026112202")  # the tracking number the supplier's statement gives
    with page.expect_navigation():
        page.locator("#searchbar").press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody")).to_contain_text("CR2026112202")
    page.goto(f"{base}/admin/returns/purchasereturn/")
    shots(page, "clerk-imported", full_page=False)
    guide("returns-list", page)

    # --- the clerk: validate (handed over), drafts, and the send refused ----------------------------------------
    run_action(page, "validate")
    waits = f'{t("校验通过")} {t("已校验，等待财务主管发送")}'
    assert report_rows(page) == dict.fromkeys(AMOUNTS, waits)
    shots(page, "clerk-validated")
    guide("validated")
    assert set(PurchaseReturn.objects.values_list("outbound_state", flat=True)) == {S.READY}

    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "create_settlement_drafts")
    assert report_rows(page) == dict.fromkeys(AMOUNTS, f'{t("已生成")} {t("已生成结算单草稿")}')
    shots(page, "clerk-drafts-created")
    assert SettlementDraft.objects.count() == 3

    page.goto(f"{base}/admin/settlements/settlementdraft/")
    assert_the_list_fits(page)
    assert list_cells(page, "amount_shown") == {no: amount for no, (_quantity, amount) in AMOUNTS.items()}
    # The send is not offered to a clerk, and forcing it is refused by the server.
    expect(page.locator("select[name=action] option[value=submit]")).to_have_count(0)
    page.evaluate("""() => {
        const select = document.querySelector('select[name=action]');
        select.add(new Option('在旺店通创建结算单', 'submit'));
    }""")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("submit")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("button[name=index]").click()
    assert posted.value.status == 403
    expect(page.locator("h1")).to_have_text(t("没有权限"))
    shots(page, "clerk-send-refused")
    assert wdt_sandbox.settlements().count() == 0
    page.context.clear_cookies()

    # --- the supervisor: what waits for her -----------------------------------------------------------------
    login(page, base, "boss1", PASSWORD)
    handover = page.locator("section.dash-handover")
    expect(handover.get_by_test_id("handover-1")).to_contain_text("3")
    shots(page, "supervisor-dashboard")
    guide("handover", handover)

    # --- her own returns, which the sandbox had never seen, are sent (training mode) ---------------------------
    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "push_outbound", "CR2026112201", "CR2026112202")
    finish_job(page, t, done=2)
    expect(page.locator("#job-amount")).to_have_text("1,258.50")
    expect(page.locator("#job-amount-done")).to_have_text("1,258.50")
    assert near_now(page.locator("#job > p").first.inner_text())  # 创建时间 in local time
    if chinese:  # no vendor English on a Chinese page
        assert "succeed" not in page.locator("#content").inner_text().lower()
    shots(page, "supervisor-outbound-created")
    guide("send-job")
    learnt = dict(wdt_sandbox.returns().values_list("return_no", "learnt_from"))
    assert learnt == {"CR2026112201": LearntFrom.OUTBOUND, "CR2026112202": LearntFrom.OUTBOUND}

    # An answer lost after WDT executed it: unknown, resolved by the supervisor (sent again: one order, not two).
    wdt_sandbox.faults(lost_answer_rate=1.0, max_faults=1)
    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "push_outbound", "CR2026112203")
    expect(page).to_have_url(re.compile(r"/admin/jobs/job/\d+/progress/$"))
    run_worker_until_idle()
    expect(page.locator("#job-unknown")).to_have_text("1", timeout=10_000)
    page.goto(f"{base}/admin/returns/purchasereturn/?outbound_state__exact=unknown")
    run_action(page, "resolve_unknown")
    expect(page.locator("div.wdt-duplicate-cost")).to_be_visible()
    shots(page, "supervisor-resolve-unknown")
    guide("resolve-unknown")
    with page.expect_navigation():
        page.locator("button[value=send_again]").click()
    finish_job(page, t, done=1)
    assert wdt_sandbox.outbounds().filter(return_no="CR2026112203").count() == 1

    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "stop_waiting")
    finish_job(page, t, done=3)
    assert not wdt_sandbox.returns().filter(waiting=True).exists()

    # A done return opens read-only: nothing to save, its figures as the list shows them.
    done = PurchaseReturn.objects.get(return_no="CR2026112201")
    assert done.outbound_state == S.DONE
    page.goto(f"{base}/admin/returns/purchasereturn/{done.pk}/change/")
    expect(page.locator("input[name=_save], input[name=_continue], input[name=_addanother]")).to_have_count(0)
    expect(page.locator("td.field-price_shown").nth(1)).to_have_text("1,234.50")
    expect(page.locator("td.field-num_shown").first).to_have_text("2")
    if chinese:
        assert "succeed" not in page.locator("#content").inner_text().lower()
    shots(page, "supervisor-done-readonly")
    guide("done-readonly")

    page.goto(f"{base}/admin/settlements/settlementdraft/")
    run_action(page, "submit")
    finish_job(page, t, done=3)
    expect(page.locator("#job-amount-done")).to_have_text("1,298.50")
    shots(page, "supervisor-settlements-sent")

    page.goto(f"{base}/admin/settlements/settlementdraft/")
    js_numbers = sorted(page.locator("td.field-js_order_no").all_inner_texts())
    assert js_numbers == sorted(wdt_sandbox.settlements().values_list("order_no", flat=True))
    assert all(n.startswith("JS") for n in js_numbers) and len(js_numbers) == 3
    assert_the_list_fits(page)
    shots(page, "supervisor-js-numbers", full_page=False)
    guide("settlements-sent", page)

    # Export the result and read the file: each line's amount, and the totals on a sheet of their own.
    page.locator("a.export_link").click()
    page.wait_for_load_state()
    shots(page, "supervisor-export-page")
    with page.expect_download() as download:
        page.locator("form input[type=submit]").click()
    data = download.value.path().read_bytes()
    exported = sheet(data)
    assert sorted((row["采购退货单号"], row["商家编码"], row["状态"], row["结算单号"], row["金额"])
                  for row in exported) == sorted(
        (no, spec, t("已完成"), SettlementDraft.objects.get(return_no=no).js_order_no, float(num) * float(price))
        for no, spec, num, price in LINES)
    totals = {row[0]: row[1] for row in load_workbook(io.BytesIO(data)).worksheets[1].iter_rows(values_only=True)}
    assert (totals["单据数"], totals["明细行数"], totals["数量合计"], totals["金额合计"]) == (3, 4, 20, 1298.5)

    page.goto(f"{base}/admin/")
    # Documents sent today: 2 outbound orders, 1 whose answer was lost and 1 sent again, 3 stopped, 3 settlements.
    expect(page.get_by_test_id("sends-total").locator("td").first).to_have_text("10")
    shots(page, "supervisor-dashboard-evening")


def finish_job(page: Page, t: Words, *, done: int) -> None:
    """A send action queued a job and opened its progress page: a worker runs it, the page updates itself."""
    expect(page).to_have_url(re.compile(r"/admin/jobs/job/\d+/progress/$"))
    run_worker_until_idle()
    expect(page.locator("#job-status")).to_have_text(t("已结束"), timeout=10_000)  # by polling, without a reload
    expect(page.locator("#job-done")).to_have_text(str(done))
    expect(page.locator("#job-percent")).to_have_text("100")
    expect(page.locator("#job-items tr.job-item-done")).to_have_count(done)  # each document listed, done too
    expect(page.locator("#job-items tr.job-item-done td.job-state-done").first).to_have_text(t("已完成"))
