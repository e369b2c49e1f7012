"""`make audit`: known vulnerabilities of the packages installed in the virtualenv, found by pip-audit.

pip-audit asks an advisory database about each installed package: PyPI's JSON API (each release's
"vulnerabilities", from the PyPA advisory database) or OSV. Where neither answers, e.g. on machines that reach only a
package index, pip-audit reports every package as "skipped" and still exits 0, which reads like a clean audit. So
this script first asks each database about one package, and when none answers it says plainly that nothing was
audited. Exit status: 0 no known vulnerability; 1 vulnerabilities found (listed with the versions that fix them);
2 not audited (no database reachable, or some packages could not be looked up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 15
# A release's JSON, as pip-audit asks for it (some mirrors answer a project's JSON but not a release's).
# Overridable so that the tests can point them at a closed port.
PYPI_PROBE = os.environ.get("AUDIT_PYPI_PROBE", "https://pypi.org/pypi/django/4.2/json")
OSV_PROBE = os.environ.get("AUDIT_OSV_PROBE", "https://api.osv.dev/v1/query")
NOT_AUDITED = 2


def _fetch_json(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - our https URLs (or a test's)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        return json.load(response)


def probe(service: str) -> str | None:
    """None when `service` answers as an advisory database does, otherwise why not."""
    try:
        if service == "pypi":
            answer = _fetch_json(PYPI_PROBE)
            ok = isinstance(answer, dict) and "vulnerabilities" in answer
        else:
            answer = _fetch_json(OSV_PROBE, {"package": {"name": "pip", "ecosystem": "PyPI"}, "version": "1.0"})
            ok = isinstance(answer, dict)
    except (OSError, ValueError, urllib.error.URLError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if ok else "the answer is not an advisory database's"


def summarise(report: dict[str, Any]) -> tuple[int, list[str]]:
    """(exit status, lines to print) for pip-audit's JSON report."""
    lines, vulnerable, skipped = [], 0, []
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            skipped.append(f"{dependency['name']}: {dependency['skip_reason']}")
        for vuln in dependency.get("vulns", []):
            vulnerable += 1
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"  {dependency['name']} {dependency.get('version', '')}: {vuln['id']} (fixed in {fixes})")
    audited = len(report.get("dependencies", [])) - len(skipped)
    if not audited:
        return NOT_AUDITED, [f"make audit: NOT AUDITED - the advisory database knew none of the {len(skipped)} "
                             f"installed packages (first: {skipped[0] if skipped else '-'})."]
    if vulnerable:
        lines.insert(0, f"make audit: {vulnerable} known vulnerabilities in {audited} packages audited:")
    else:
        lines.append(f"make audit: no known vulnerabilities in {audited} packages audited.")
    if skipped:
        lines.append(f"make audit: {len(skipped)} packages could NOT be audited:")
        lines.extend(f"  {line}" for line in skipped)
    return (1 if vulnerable else NOT_AUDITED if skipped else 0), lines


def main() -> int:
    reasons = {}
    for service in ("pypi", "osv"):
        reasons[service] = probe(service)
        if reasons[service] is None:
            break
    else:
        print("make audit: NOT AUDITED - no advisory database can be reached from this machine:")
        print(f"  PyPI JSON API ({PYPI_PROBE}): {reasons['pypi']}")
        print(f"  OSV ({OSV_PROBE}): {reasons['osv']}")
        print("Run `make audit` where one of them can be reached (a developer's machine, CI with internet).")
        return NOT_AUDITED
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, "-m", "pip_audit", "--vulnerability-service", service, "--format", "json",
                   "--output", out.name, "--progress-spinner", "off"]
        print(f"make audit: pip-audit of {sys.prefix} against {service}")
        finished = subprocess.run(command, check=False)  # noqa: S603 - our own command line
        try:
            report = json.loads(out.read() or b"{}")
        except ValueError:
            report = {}
    if not report.get("dependencies"):
        print(f"make audit: NOT AUDITED - pip-audit gave no report (exit status {finished.returncode}).")
        return NOT_AUDITED
    status, lines = summarise(report)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
