"""Benchmark of the Excel import: our fast path against python-calamine alone and django-import-export's plain import.

    python bench/import_bench.py                      # 100,000 lines in 20,000 returns
    python bench/import_bench.py --lines 20000 --per-return 4 --skip-baseline

One run makes one .xlsx file and measures, each in a fresh process with a freshly migrated SQLite database:

- calamine: python-calamine reading every row of the file, nothing else;
- preview: the admin's preview (ReturnsResource.import_data(dry_run=True): read, clean, validate, compare);
- import: the admin's confirm (ReturnsResource.import_data(dry_run=False): the same plus writing, one transaction);
- again: the same file imported a second time (every return found unchanged, nothing written);
- update: after the file, a second file with the same returns and other lines (every return updated);
  for both, the first import runs in a process of its own before the measured one;
- baseline: django-import-export's plain ModelResource on the same file as the admin would read it (tablib), first
  for the returns (import_id_fields = 退货单号), then for their lines (ForeignKeyWidget on 退货单号);
- baseline-bulk: the same in django-import-export's bulk mode (use_bulk, batch_size 1,000).

Memory is the process's peak resident set size (resource.getrusage ru_maxrss): everything the process held at its
peak, the Python interpreter, Django and python-calamine's Rust buffers included. "before" is the same figure
after Django was set up and the file read into memory, just before the measured step.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["退货单号", "外部单号", "物流公司编号", "物流单号", "邮资", "备注", "是否审核",
          "商家编码", "退货数量", "单价", "货位编号", "批次号", "明细备注"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def make_file(path: Path, lines: int, per_return: int, seed: int = 20260331) -> None:
    """Lines as clerks' files have them: numbers, some numbers typed as text, remarks in Chinese."""
    from openpyxl import Workbook

    rnd = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("采购退货")
    sheet.append(HEADER)
    for index in range(lines):
        doc = index // per_return
        num = rnd.randint(1, 20)
        sheet.append([
            f"CG{doc:010d}", "", "SF", f"SF{doc:012d}", 12.5, "供应商质量问题退货", "是",
            f"SKU-{index % per_return:02d}-{rnd.randint(0, 99999):05d}",
            str(num) if index % 7 == 0 else num,  # some quantities typed as text
            round(rnd.uniform(1, 500), 2), f"A-{rnd.randint(1, 40):02d}", "", "",
        ])
    workbook.save(path)


# --- the measured steps, each run in its own process ------------------------------------------------

def measure(kind: str, file: Path) -> dict:
    import django

    django.setup()
    data = file.read_bytes()
    before = peak_mb()
    start = time.perf_counter()
    outcome: dict = {}
    if kind == "calamine":
        import python_calamine

        rows = 0
        workbook = python_calamine.CalamineWorkbook.from_filelike(__import__("io").BytesIO(data))
        for _row in workbook.get_sheet_by_index(0).iter_rows():
            rows += 1
        outcome = {"rows": rows - 1}
    elif kind in ("seed", "preview", "import", "again", "update"):
        from returns.excel_admin import ReturnsResource
        from wdtportal.excel.admin import SpreadsheetFormat

        def admin_import(content: bytes, *, dry_run: bool) -> object:
            dataset = SpreadsheetFormat().create_dataset(content)
            result = ReturnsResource().import_data(dataset, dry_run=dry_run, file_name=file.name, user=None)
            report = result.excel_report
            assert report.ok, (report.problem, report.error_lines()[:5])
            return report

        if kind == "update":  # the database already holds the file (a "seed" step in another process)
            data = file.with_name("changed.xlsx").read_bytes()
            start = time.perf_counter()
        report = admin_import(data, dry_run=kind == "preview")
        outcome = {"documents": report.documents, "lines": report.rows, "created": report.created,
                   "updated": report.updated, "unchanged": report.unchanged}
    elif kind == "baseline":
        outcome = plain_import_export(data)
    elif kind == "baseline-bulk":
        outcome = plain_import_export(data, bulk=True)
    else:
        raise SystemExit(f"unknown step {kind}")
    wall = time.perf_counter() - start
    return {"kind": kind, "wall_s": wall, "peak_mb": peak_mb(), "before_mb": before, **outcome}


def plain_import_export(data: bytes, *, bulk: bool = False) -> dict:
    """django-import-export as its documentation sets it up: a ModelResource per model, default options; with
    `bulk`, its bulk mode (use_bulk, batches of 1,000), the returns fed one row each (bulk mode cannot upsert one
    return from its five rows within a batch) with an 外部单号 (bulk_create skips the model's save())."""
    import tablib
    from import_export import fields, resources, widgets
    from import_export.formats.base_formats import XLSX

    from returns.models import OutboundLine, PurchaseReturn

    class ReturnResource(resources.ModelResource):
        return_no = fields.Field(attribute="return_no", column_name="退货单号")
        outer_no = fields.Field(attribute="outer_no", column_name="外部单号")
        logistics_code = fields.Field(attribute="logistics_code", column_name="物流公司编号")
        logistics_no = fields.Field(attribute="logistics_no", column_name="物流单号")
        post_cost = fields.Field(attribute="post_cost", column_name="邮资", widget=widgets.DecimalWidget())
        remark = fields.Field(attribute="remark", column_name="备注")

        class Meta:
            model = PurchaseReturn
            import_id_fields = ("return_no",)
            fields = ("return_no", "outer_no", "logistics_code", "logistics_no", "post_cost", "remark")
            use_bulk = bulk
            batch_size = 1000

    class LineResource(resources.ModelResource):
        purchase_return = fields.Field(attribute="purchase_return", column_name="退货单号",
                                       widget=widgets.ForeignKeyWidget(PurchaseReturn, "return_no"))
        spec_no = fields.Field(attribute="spec_no", column_name="商家编码")
        num = fields.Field(attribute="num", column_name="退货数量", widget=widgets.DecimalWidget())
        price = fields.Field(attribute="price", column_name="单价", widget=widgets.DecimalWidget())
        position_no = fields.Field(attribute="position_no", column_name="货位编号")

        class Meta:
            model = OutboundLine
            import_id_fields = ()
            fields = ("purchase_return", "spec_no", "num", "price", "position_no")
            use_bulk = bulk
            batch_size = 1000

    dataset = XLSX().create_dataset(data)
    returns_dataset = dataset
    if bulk:
        seen: set = set()
        returns_dataset = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            if row[0] not in seen:
                seen.add(row[0])
                # bulk_create skips save(), which generates the unique 外部单号 of a return left without one
                returns_dataset.append((row[0], row[1] or f"WB{row[0]}", *row[2:]))
    returns = ReturnResource().import_data(returns_dataset, dry_run=False)
    lines = LineResource().import_data(dataset, dry_run=False)
    assert not returns.has_errors() and not lines.has_errors()
    return {"documents": PurchaseReturn.objects.count(), "lines": OutboundLine.objects.count()}


# --- the driver ---------------------------------------------------------------------------------------

def run_step(kind: str, file: Path, template_db: Path, workdir: Path) -> dict:
    database = workdir / f"{kind}.sqlite3"
    shutil.copy(template_db, database)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "wdtportal.settings_test",
           "PYTHONPATH": str(ROOT)}

    def run(step: str) -> dict:
        done = subprocess.run([sys.executable, __file__, "--measure", step, str(file)], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"{step} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    if kind in ("again", "update"):
        run("seed")  # the first import, in a process of its own: the measured one starts as fresh as the others
    return run(kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--per-return", type=int, default=5, help="lines per return (default 5)")
    parser.add_argument("--skip-baseline", action="store_true", help="leave out django-import-export's plain import")
    parser.add_argument("--measure", nargs=2, metavar=("STEP", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return

    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        workdir = Path(tmp)
        file = workdir / f"returns-{args.lines}.xlsx"
        start = time.perf_counter()
        make_file(file, args.lines, args.per_return)
        make_file(workdir / "changed.xlsx", args.lines, args.per_return, seed=2)
        print(f"file: {args.lines:,} lines in {args.lines // args.per_return:,} returns, "
              f"{file.stat().st_size / 2**20:.1f} MB, written in {time.perf_counter() - start:.1f} s")
        template_db = workdir / "template.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{template_db}",
               "DJANGO_SETTINGS_MODULE": "wdtportal.settings_test"}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)

        steps = ["calamine", "preview", "import", "again", "update"]
        steps += [] if args.skip_baseline else ["baseline", "baseline-bulk"]
        results = {kind: run_step(kind, file, template_db, workdir) for kind in steps}

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite; "
          "memory = peak RSS of the process (ru_maxrss), 'before' = after django.setup() and reading the file")
    print(f"{'step':<14}{'wall s':>9}{'peak MB':>10}{'before MB':>11}  result")
    for kind, r in results.items():
        detail = {k: v for k, v in r.items() if k not in ("kind", "wall_s", "peak_mb", "before_mb")}
        print(f"{kind:<14}{r['wall_s']:>9.2f}{r['peak_mb']:>10.0f}{r['before_mb']:>11.0f}  {detail}")
    ours = results["import"]["wall_s"]
    print(f"import / calamine alone: {ours / results['calamine']['wall_s']:.1f}x")
    print(f"preview / import: {results['preview']['wall_s'] / ours:.2f}x")
    print("again, update: a second import into a database that already holds the file (imported by another process)")
    for name in ("baseline", "baseline-bulk"):
        if name in results:
            base = results[name]
            print(f"django-import-export {name.replace('baseline', 'plain')} / import: {base['wall_s'] / ours:.1f}x "
                  f"slower, {base['peak_mb'] / results['import']['peak_mb']:.1f}x the memory")


if __name__ == "__main__":
    main()
