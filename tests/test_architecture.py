"""The import rules of docs/architecture.md, as import-linter contracts (pyproject.toml, [tool.importlinter]):
the WDT client knows nothing of documents, the sandbox shares only signing.py with it, models never call WDT,
admin modules call services and never the client, returns never imports settlements, the documents core knows no
particular document, and no package has an import circle between its modules."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_is_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "8 kept, 0 broken" in result.stdout
