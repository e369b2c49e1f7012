"""Fixtures shared by the whole suite.

`wdt_sandbox`: the offline WDT sandbox served by pytest-django's live server over real HTTP, with both gateway
URLs pointed at it, its state empty and every fault off. Helpers: `.url`, `.faults(**kw)`, `.seed_return(...)`,
`.seed_demo_set()`, `.state` (the module), `.qjb_client()` / `.enterprise_client()` (built from settings, as
the portal builds them), `.returns()`, `.outbounds()`, `.settlements()`.
"""

from dataclasses import dataclass
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
