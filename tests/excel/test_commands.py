"""`manage.py import_returns FILE [--dry-run]`: for scheduled jobs, a non-zero exit and every error printed."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from returns.models import PurchaseReturn
from tests.excel.files import return_row, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "退货.xlsx"
    path.write_bytes(xlsx([return_row("R001", "SKU-1"), return_row("R001", "SKU-2")]))
    return path


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "有错误的退货.xlsx"
    path.write_bytes(xlsx([return_row("R001", "SKU-1", 0), return_row("R002", "SKU-1", "x")]))
    return path


def test_import_returns_writes_and_reports(good_file, capsys):
    call_command("import_returns", str(good_file))
    out = capsys.readouterr().out
    assert "1 张单据，2 行明细：新建 1" in out
    assert PurchaseReturn.objects.get().lines.count() == 2


def test_dry_run_writes_nothing(good_file, capsys):
    call_command("import_returns", str(good_file), "--dry-run")
    assert "检查通过" in capsys.readouterr().out
    assert PurchaseReturn.objects.count() == 0


def test_errors_are_all_printed_and_the_command_fails(bad_file, capsys):
    with pytest.raises(CommandError, match="发现 2 个错误"):
        call_command("import_returns", str(bad_file))
    err = capsys.readouterr().err
    assert "第2行（R001）退货数量: 必须大于0" in err
    assert "第3行（R002）退货数量: 应为数字，现为“x”" in err
    assert PurchaseReturn.objects.count() == 0


def test_exit_status_is_non_zero_from_the_shell(bad_file, good_file, tmp_path):
    # A real process, as a scheduler runs it (its own SQLite file, migrated first).
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cmd.sqlite3'}", "DJANGO_SETTINGS_MODULE": "wdtportal.settings_test",
           "PATH": "/usr/bin:/bin"}
    manage = [sys.executable, "manage.py"]
    cwd = Path(__file__).resolve().parents[2]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=cwd, env=env, check=True)
    failed = subprocess.run([*manage, "import_returns", str(bad_file), "--dry-run"], cwd=cwd, env=env,
                            capture_output=True, text=True)
    assert failed.returncode != 0
    assert "第2行（R001）退货数量: 必须大于0" in failed.stderr
    ok = subprocess.run([*manage, "import_returns", str(good_file), "--dry-run"], cwd=cwd, env=env,
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_an_unreadable_file_fails_with_its_reason(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not excel")
    with pytest.raises(CommandError, match="文件已损坏"):
        call_command("import_returns", str(path))
