"""Fixtures shared by the whole suite.

`wdt_sandbox`: the offline WDT sandbox served by pytest-django's live server over real HTTP, with both gateway
URLs pointed at it, its state empty and every fault off. Helpers: `.url`, `.faults(**kw)`, `.seed_return(...)`,
`.seed_demo_set()`, `.state` (the module), `.qjb_client()` / `.enterprise_client()` (built from settings, as
the portal builds them), `.returns()`, `.outbounds()`, `.settlements()`.

`fake_gateway`: a real HTTP server that answers what the test says, for answers the sandbox never gives (a proxy's
redirect, a 200 that is not JSON, a success without `data`, a rate-limit message worded otherwise). Point a gateway
at `.url` (it ends in /sandbox, like the sandbox's) and the portal reaches it through its real client.
"""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import pytest
from django.utils import translation

from wdtportal.wdt.client import EnterpriseClient, QjbClient, enterprise_client_from_settings, qjb_client_from_settings
from wdtportal.wdt.sandbox import faults as sandbox_faults
from wdtportal.wdt.sandbox import state as sandbox_state
from wdtportal.wdt.sandbox.models import (
    FaultSettings,
    SandboxOutbound,
    SandboxReturn,
    SandboxSettlement,
)


@dataclass
class WdtSandbox:
    """Handle on the sandbox a test talks to."""

    url: str
    state: ModuleType = sandbox_state

    def faults(self, **values: Any) -> FaultSettings:
        """Set the faults (latency_ms, error_rate, rate_limit_rate, lost_answer_rate, methods, max_faults);
        fields not named are off. `faults()` switches everything off."""
        return sandbox_faults.configure(**values)

    def seed_return(self, return_no: str, lines: list[dict[str, Any]] | None = None, **kwargs: Any) -> SandboxReturn:
        return sandbox_state.seed_return(return_no, lines, **kwargs)

    def seed_demo_set(self) -> list[SandboxReturn]:
        return sandbox_state.seed_demo_set()

    def qjb_client(self, **overrides: Any) -> QjbClient:
        return qjb_client_from_settings(**overrides)

    def enterprise_client(self, **overrides: Any) -> EnterpriseClient:
        return enterprise_client_from_settings(**overrides)

    def returns(self):
        return SandboxReturn.objects.all()

    def outbounds(self):
        return SandboxOutbound.objects.all()

    def settlements(self):
        return SandboxSettlement.objects.all()


@pytest.fixture(autouse=True)
def chinese() -> Any:
    """Every test starts with the Chinese source strings active, whatever an earlier test (a client request in
    English) left active in this thread."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def wdt_sandbox(live_server, settings) -> WdtSandbox:
    """The sandbox over real HTTP; both gateways point at it, state empty, faults off."""
    url = live_server.url + "/sandbox"
    settings.WDT_SANDBOX = True
    settings.WDT_SANDBOX_URL = url
    settings.WDT_QJB_URL = url
    settings.WDT_ENT_URL = url
    sandbox_state.reset()
    # A saved all-off row: WDT_SANDBOX_* from the environment cannot leak into tests.
    sandbox_faults.configure()
    return WdtSandbox(url=url)


# (HTTP status, headers, body) for the request's path (query included).
Answer = Callable[[str], tuple[int, dict[str, str], bytes]]


@dataclass
class FakeGateway:
    url: str
    paths: list[str] = field(default_factory=list)
    answer: Answer = lambda path: (404, {}, b"")

    def answers(self, status: int, body: bytes | str = b"", headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.answer = lambda path: (status, headers or {"Content-Type": "application/json; charset=utf-8"}, data)

    def answers_json(self, answer: Any) -> None:
        """HTTP 200 with `answer` as JSON, to every request."""
        self.answers(200, json.dumps(answer, ensure_ascii=False))


@pytest.fixture
def fake_gateway() -> Iterator[FakeGateway]:
    gateway: FakeGateway

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            gateway.paths.append(self.path)
            status, headers, body = gateway.answer(self.path)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    gateway = FakeGateway(url=f"http://127.0.0.1:{server.server_port}/sandbox")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
