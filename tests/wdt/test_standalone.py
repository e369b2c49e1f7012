"""The sandbox in other processes: `manage.py wdt_sandbox` on its own port, and under gunicorn (lost answers)."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from django.db import connection

from wdtportal.wdt.client import qjb_client_from_settings
from wdtportal.wdt.errors import WdtTransportError
from wdtportal.wdt.sandbox import faults, state
from wdtportal.wdt.sandbox.models import SandboxSettlement

ROOT = Path(__file__).resolve().parents[2]
UPLOAD = "finance.settle.PurchaseReturn.upload"


def database_url_for_other_processes(settings) -> str:
    """The test database, as a DATABASE_URL another process can open."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def serve(command: list[str], settings, pattern: str, env: dict[str, str] | None = None):
    """Start `command` on the test database; return (process, base URL) once it says where it listens.
    `env` replaces the test process's environment (default: it, with the test settings)."""
    env = (os.environ | {"DJANGO_SETTINGS_MODULE": "wdtportal.settings_test"} if env is None else env) | {
        "DATABASE_URL": database_url_for_other_processes(settings)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    found: list[str] = []
    seen: list[str] = []

    def read() -> None:
        for line in process.stdout:
            seen.append(line)
            match = re.search(pattern, line)
            if match and not found:
                found.append(match.group(1))

    process.lines = seen  # everything it printed, for tests that read its log
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    for _ in range(200):
        if found or process.poll() is not None:
            break
        threading.Event().wait(0.05)
    if not found:
        process.kill()
        pytest.fail("server did not start:\n" + "".join(seen))
    return process, found[0]


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_wdt_sandbox_command_serves_only_the_sandbox(transactional_db, settings):
    state.seed_return("CR1", [{"spec_no": "SKU-A", "num": "1"}])
    faults.configure()
    process, url = serve([sys.executable, "manage.py", "wdt_sandbox", "--port", "0"], settings,
                         r"(http://127\.0\.0\.1:\d+/sandbox)")
    try:
        settings.WDT_QJB_URL = url
        data = qjb_client_from_settings().call(UPLOAD, {"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": "1"}])
        assert SandboxSettlement.objects.get().order_no == data["order_no"]
        base = url.removesuffix("/sandbox")
        assert requests.get(f"{base}/admin/", timeout=10).status_code == 404
    finally:
        stop(process)


def test_wdt_sandbox_command_serves_plain_http_under_production_settings(transactional_db, settings):
    state.seed_return("CR1", [{"spec_no": "SKU-A", "num": "1"}])
    faults.configure()
    ours = ("WDT_", "DEBUG", "SECRET_KEY", "DJANGO_", "SECURE_", "ALLOWED_HOSTS")
    production = {k: v for k, v in os.environ.items() if not k.startswith(ours)} | {
        "DJANGO_SETTINGS_MODULE": "wdtportal.settings", "DEBUG": "0", "SECRET_KEY": "x" * 60,
        "WDT_SANDBOX": "1"}  # for the demo credentials only; SECURE_SSL_REDIRECT is left at its production default
    process, url = serve([sys.executable, "manage.py", "wdt_sandbox", "--port", "0"], settings,
                         r"(http://127\.0\.0\.1:\d+/sandbox)", env=production)
    try:
        assert requests.post(f"{url}/openapi", timeout=10, allow_redirects=False).status_code == 200
        settings.WDT_QJB_URL = url
        data = qjb_client_from_settings().call(UPLOAD, {"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": "1"}])
        assert SandboxSettlement.objects.get().order_no == data["order_no"]
    finally:
        stop(process)


def test_the_sandbox_servers_request_log_leaves_the_query_with_salt_and_sign_out(transactional_db, settings):
    faults.configure(error_rate=1)  # a 503, which the server logs as an error with its request line
    process, url = serve([sys.executable, "manage.py", "wdt_sandbox", "--port", "0"], settings,
                         r"(http://127\.0\.0\.1:\d+/sandbox)")
    try:
        settings.WDT_QJB_URL = url
        with pytest.raises(WdtTransportError):
            qjb_client_from_settings().call(UPLOAD, {"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": "1"}])
        for _ in range(100):
            if any(" 503 " in line for line in process.lines):
                break
            threading.Event().wait(0.05)
    finally:
        stop(process)
    output = "".join(process.lines)
    assert '"POST /sandbox/openapi HTTP/1.1" 503' in output
    salt = settings.WDT_QJB_APPSECRET.split(":")[1]
    assert salt not in output and "sign=" not in output


def test_lost_answer_under_gunicorn_drops_the_connection_after_commit(transactional_db, settings):
    state.seed_return("CR1", [{"spec_no": "SKU-A", "num": "1"}])
    faults.configure(lost_answer_rate=1)
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process, base = serve([gunicorn, "wdtportal.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"], settings,
                          r"Listening at: (http://127\.0\.0\.1:\d+)")
    try:
        settings.WDT_QJB_URL = base + "/sandbox"
        client = qjb_client_from_settings(timeout=(2, 20))
        with pytest.raises(WdtTransportError) as caught:
            client.call(UPLOAD, {"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": "1"}])
        assert caught.value.may_have_reached
        assert "timeout" not in caught.value.message, "the socket was dropped, not left to time out"
        assert SandboxSettlement.objects.count() == 1
    finally:
        stop(process)


def test_settlement_numbers_stay_unique_across_several_processes(transactional_db, settings):
    state.seed_return("CR1", [{"spec_no": "SKU-A", "num": "1"}])
    faults.configure()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    process, base = serve([gunicorn, "wdtportal.wsgi", "--bind", "127.0.0.1:0", "--workers", "3"], settings,
                          r"Listening at: (http://127\.0\.0\.1:\d+)")
    numbers: list[str] = []
    errors: list[Exception] = []

    def upload() -> None:
        client = qjb_client_from_settings(recorder=None)
        try:
            for _ in range(4):
                data = client.call(UPLOAD, {"return_no": "CR1"}, [{"spec_no": "SKU-A", "settle_num": "1"}])
                numbers.append(data["order_no"])
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()  # the pacer's queries opened this thread's own connection

    try:
        settings.WDT_QJB_URL = base + "/sandbox"
        threads = [threading.Thread(target=upload) for _ in range(9)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop(process)
    assert not errors
    assert len(numbers) == len(set(numbers)) == 36
    assert sorted(numbers)[-1].endswith("0036")
    assert SandboxSettlement.objects.count() == 36
