"""Each Excel test keeps its uploads (between preview and confirm) in a folder of its own."""

import pytest

from wdtportal.excel.admin import SpreadsheetTmpStorage


@pytest.fixture(autouse=True)
def upload_folder(tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setattr(SpreadsheetTmpStorage, "FOLDER", str(folder))
    return folder
