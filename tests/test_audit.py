"""`make audit` (.ci/audit.py): pip-audit where an advisory database answers; a plain NOT AUDITED where none does,
never a clean-looking report of packages that were all skipped."""

import importlib.util
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "audit.py"


def _audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with ends: connections are refused


def test_without_an_advisory_database_it_says_not_audited():
    port = _closed_port()
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "AUDIT_PYPI_PROBE": f"http://127.0.0.1:{port}/pypi",
                                 "AUDIT_OSV_PROBE": f"http://127.0.0.1:{port}/osv"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "NOT AUDITED - no advisory database can be reached" in result.stdout
    assert "Connection refused" in result.stdout


def test_the_report_lists_vulnerabilities_with_their_fixes():
    status, lines = _audit_module().summarise({"dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}]},
        {"name": "qrcode", "version": "8.2", "vulns": []}]})
    assert status == 1
    assert lines == ["make audit: 1 known vulnerabilities in 2 packages audited:",
                     "  django 5.2.0: PYSEC-1 (fixed in 5.2.1)"]


def test_packages_the_database_does_not_know_are_not_a_clean_audit():
    module = _audit_module()
    status, lines = module.summarise({"dependencies": [
        {"name": "django", "skip_reason": "Dependency not found on PyPI"}]})
    assert status == 2 and "NOT AUDITED" in lines[0]
    status, lines = module.summarise({"dependencies": [
        {"name": "django", "version": "5.2.19", "vulns": []}, {"name": "local", "skip_reason": "not on PyPI"}]})
    assert status == 2 and "could NOT be audited" in lines[-2]
    assert module.summarise({"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}) == (
        0, ["make audit: no known vulnerabilities in 1 packages audited."])
