"""The clerk's and the supervisor's day, in Chromium, against the sandbox over HTTP.

Clerk: logs in, downloads the import template, uploads a file with errors (from the keyboard), sees them, uploads
the fixed file, confirms; validates; creates settlement drafts; is refused the send.
Supervisor: creates the outbound orders, stops waiting, sends the settlements, sees the JS numbers, exports the
result; the test opens the exported file and checks it.
Each step leaves a numbered screenshot under test-artifacts/screenshots/.
"""

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

from returns.models import OutboundLine, PurchaseReturn
from settlements.models import SettlementDraft
from tests.factories import make_user
from tests.worker import run_worker_until_idle
from wdtportal.documents.models import ImportBatch
from wdtportal.documents.states import DocumentState as S

from .conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests-only"
# (return no., merchant SKU, quantity, unit price) as the supplier's file has them.
LINES = [
    ("CR2026112201", "SKU-A", "2", "10.50"),
    ("CR2026112201", "SKU-B", "1", "1234.5"),
    ("CR2026112202", "SKU-C", "12", "0.25"),
]


def fill_template(template: Path, lines: list[tuple[str, str, object, object]], out: Path) -> Path:
    """The clerk's file: the downloaded template with its example row replaced by the supplier's lines."""
    header = [cell.value for cell in load_workbook(template).worksheets[0][1]]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for return_no, spec_no, num, price in lines:
        values = {"退货单号": return_no, "物流公司编号": "SF", "物流单号": f"SF{return_no}", "商家编码": spec_no,
                  "退货数量": num, "单价": price, "是否审核": "是"}
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
    tab_to(page, "a.skip-to-content-link", most=3)
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


def run_action(page: Page, action: str) -> None:
    """Tick every row of the change list, choose the action, press Go."""
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(action)
    with page.expect_navigation():
        page.locator("button[name=index]").click()


def finish_job(page: Page, *, done: int) -> None:
    """A send action queued a job and opened its progress page: a worker runs it, the page updates itself."""
    expect(page).to_have_url(re.compile(r"/admin/jobs/job/\d+/progress/$"))
    run_worker_until_idle()
    expect(page.locator("#job-status")).to_have_text("已结束", timeout=10_000)  # by polling, without a reload
    expect(page.locator("#job-done")).to_have_text(str(done))
    expect(page.locator("#job-percent")).to_have_text("100")
    expect(page.locator("#job-items tr.job-item-done")).to_have_count(done)  # each document listed, done too


def report_rows(page: Page) -> dict[str, str]:
    """The per-document report of an action: document → outcome and message."""
    rows = {}
    for row in page.locator("table.wdt-report tbody tr.wdt-row").all():
        cells = row.locator("td").all_inner_texts()
        rows[cells[0].strip()] = " ".join(c.strip() for c in cells[1:])
    return rows


def sheet(data: bytes | Path) -> list[dict]:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    rows = list(load_workbook(source).worksheets[0].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def test_clerk_and_supervisor_story(page, live_server, e2e_settings, wdt_sandbox, shots, tmp_path):
    base = live_server.url
    make_user("clerk1", "财务专员")
    make_user("boss1", "财务主管")
    for return_no in {no for no, *_ in LINES}:
        wdt_sandbox.seed_return(return_no, [{"spec_no": s, "num": n, "price": p}
                                            for no, s, n, p in LINES if no == return_no])

    # --- the clerk: import ---------------------------------------------------------------------------
    login(page, base, "clerk1", PASSWORD)
    expect(page.locator("h2#dash-states-h")).to_have_text("单据状态")
    shots(page, "clerk-dashboard")

    page.goto(f"{base}/admin/returns/purchasereturn/")
    page.locator("a.import_link").click()
    expect(page.locator("h1")).to_have_text("导入")
    shots(page, "clerk-import-page")

    # From the keyboard: skip the navigation, the first stop is the returns template; Enter downloads it.
    skip_to_content(page)
    assert tab_to(page, "a.excel-template-link", most=1) == 1
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    header = list(sheet(template)[0])
    assert {"退货单号", "商家编码", "退货数量", "单价"} <= set(header)

    bad = [*LINES[:1], ("CR2026112201", "SKU-B", "0", "1234.5"), ("CR2026112202", "SKU-C", "12", "-1")]
    upload_from_keyboard(page, fill_template(template, bad, tmp_path / "退货-有错.xlsx"))
    errors = page.locator("ul.excel-errors li")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_have_text("第3行 退货数量: 必须大于0")
    expect(errors.nth(1)).to_contain_text("第4行 单价")
    shots(page, "clerk-import-errors")
    assert not PurchaseReturn.objects.exists()  # a file with errors changes nothing
    with page.expect_download() as download:
        page.locator("a.excel-error-copy").click()
    copy = sheet(download.value.path().read_bytes())
    assert [row["错误"] for row in copy] == [None, "退货数量: 必须大于0", copy[2]["错误"]] and copy[2]["错误"]

    # The fixed file, from the keyboard again, on the same page.
    skip_to_content(page)
    upload_from_keyboard(page, fill_template(template, LINES, tmp_path / "退货.xlsx"))
    expect(page.locator("ul.excel-errors")).to_have_count(0)
    totals = page.locator("table.excel-totals tbody td").all_inner_texts()
    assert totals[:3] == ["2", "3", "2"], totals  # documents, lines, new
    shots(page, "clerk-import-preview")
    assert not PurchaseReturn.objects.exists()  # the preview writes nothing
    skip_to_content(page)
    tab_to(page, "input[name=confirm]", most=3)
    with page.expect_navigation(url=f"{base}/admin/returns/purchasereturn/?import_batch__id__exact=*"):
        page.keyboard.press("Enter")
    expect(page.locator("ul.messagelist")).to_contain_text("导入完成：2 张单据，3 行明细：新建 2")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    shots(page, "clerk-imported")
    assert ImportBatch.objects.get().documents == 2 and OutboundLine.objects.count() == 3
    # Money right-aligned, document numbers on one line.
    assert page.locator("th.field-return_no").first.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"

    # --- the clerk: validate, drafts, and the send refused ---------------------------------------------
    run_action(page, "validate")
    assert report_rows(page) == {"CR2026112201": "已完成 校验通过", "CR2026112202": "已完成 校验通过"}
    shots(page, "clerk-validated")
    assert set(PurchaseReturn.objects.values_list("outbound_state", flat=True)) == {S.READY}

    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "create_settlement_drafts")
    assert set(report_rows(page)) == {"CR2026112201", "CR2026112202"}
    shots(page, "clerk-drafts-created")
    assert SettlementDraft.objects.count() == 2

    # The send is not offered to a clerk, and forcing it is refused by the server.
    page.goto(f"{base}/admin/settlements/settlementdraft/")
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
    expect(page.locator("h1")).to_have_text("没有权限")
    shots(page, "clerk-send-refused")
    assert wdt_sandbox.settlements().count() == 0
    page.context.clear_cookies()

    # --- the supervisor --------------------------------------------------------------------------------
    login(page, base, "boss1", PASSWORD)
    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "push_outbound")
    finish_job(page, done=2)
    shots(page, "supervisor-outbound-created")
    assert wdt_sandbox.outbounds().count() == 2

    page.goto(f"{base}/admin/returns/purchasereturn/")
    run_action(page, "stop_waiting")
    finish_job(page, done=2)
    shots(page, "supervisor-stopped-waiting")
    assert not wdt_sandbox.returns().filter(waiting=True).exists()

    page.goto(f"{base}/admin/settlements/settlementdraft/")
    run_action(page, "submit")
    finish_job(page, done=2)
    shots(page, "supervisor-settlements-sent")

    page.goto(f"{base}/admin/settlements/settlementdraft/")
    js_numbers = sorted(page.locator("td.field-js_order_no").all_inner_texts())
    assert js_numbers == sorted(wdt_sandbox.settlements().values_list("order_no", flat=True))
    assert all(n.startswith("JS") for n in js_numbers) and len(js_numbers) == 2
    shots(page, "supervisor-js-numbers")

    # Export the result and read the file.
    page.locator("a.export_link").click()
    page.wait_for_load_state()
    shots(page, "supervisor-export-page")
    with page.expect_download() as download:
        page.locator("form input[type=submit]").click()
    exported = sheet(download.value.path().read_bytes())
    assert sorted((row["采购退货单号"], row["商家编码"], row["状态"], row["结算单号"]) for row in exported) == sorted(
        (no, spec, "已完成", SettlementDraft.objects.get(return_no=no).js_order_no) for no, spec, *_ in LINES)
    assert {row["结算单号"] for row in exported} == set(js_numbers)

    page.goto(f"{base}/admin/")
    expect(page.get_by_test_id("sends-total").locator("td").first).to_have_text("5")
    shots(page, "supervisor-dashboard")
