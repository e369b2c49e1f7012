"""`manage.py rundemo` (what `make demo` runs): the web server with its sandbox and a worker, on any port.

The worker must send to the sandbox of this demo, wherever it listens: `make demo PORT=8001` used to send to :8000.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from settlements import job_kinds as settlements_kinds
from settlements.models import SettlementDraft
from tests.bulk import seed_settlement_drafts
from tests.worker import database_url
from wdtportal.demo.management.commands.rundemo import child_environment
from wdtportal.documents.states import DocumentState
from wdtportal.jobs.models import Job
from wdtportal.jobs.services import job_start
from wdtportal.wdt.sandbox import faults as sandbox_faults
from wdtportal.wdt.sandbox.models import SandboxSettlement

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demos_children_reach_the_sandbox_where_the_demo_listens_unless_told_otherwise():
    assert child_environment("127.0.0.1", "8001", {})["WDT_SANDBOX_URL"] == "http://127.0.0.1:8001/sandbox"
    everywhere = "0.0.0.0"  # noqa: S104 - the demo listening on every interface
    assert child_environment(everywhere, 9000, {})["WDT_SANDBOX_URL"] == "http://127.0.0.1:9000/sandbox"
    assert child_environment("::1", 9000, {})["WDT_SANDBOX_URL"] == "http://[::1]:9000/sandbox"
    explicit = {"WDT_SANDBOX_URL": "http://sandbox.example:8000/sandbox", "PATH": "/bin"}
    assert child_environment("127.0.0.1", "8001", explicit) == explicit
    assert child_environment("127.0.0.1", "8001", {"WDT_SANDBOX_URL": ""})["WDT_SANDBOX_URL"].endswith(":8001/sandbox")


def test_make_demo_on_another_port_sends_a_job_to_its_own_sandbox(supervisor):
    sandbox_faults.configure()
    drafts = seed_settlement_drafts(3, prefix="CRD")
    job = job_start(kind=settlements_kinds.SUBMIT, documents=drafts, user=supervisor)
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("WDT_SANDBOX_URL", "WDT_QJB_URL", "WDT_ENT_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "wdtportal.settings_test", "DATABASE_URL": database_url(),
                "LOG_LEVEL": "WARNING"})
    log = open(Path(settings.BASE_DIR) / "tmp" / "rundemo.log", "w")  # noqa: SIM115 - closed below
    demo = subprocess.Popen([sys.executable, "manage.py", "rundemo", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while Job.objects.get(pk=job.pk).finished_at is None:
            assert demo.poll() is None, "rundemo exited"
            assert time.monotonic() < deadline, "the demo's worker did not finish the job"
            time.sleep(0.3)
    finally:
        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole group
        try:
            demo.wait(timeout=30)
        finally:
            log.close()
    job.refresh_from_db()
    assert (job.done, job.failed, job.unknown) == (3, 0, 0), Path(log.name).read_text()[-2000:]
    assert SandboxSettlement.objects.count() == 3
    assert set(SettlementDraft.objects.values_list("state", flat=True)) == {DocumentState.DONE}
    assert demo.returncode is not None
