"""End-to-end tests in Debian's Chromium, headless, through Playwright for Python.

The browser is the system's (`/usr/bin/chromium`, or the path in CHROMIUM); Playwright's own browsers are never
downloaded. Without a Chromium the tests are skipped at collection with a reason that says so; that is the only
reason they may be skipped. Screenshots of each step go to test-artifacts/screenshots/<test>/.

Every page the tests open is watched for Content-Security-Policy violations (the browser's console and its
`securitypolicyviolation` events): a test that saw one fails, naming the page and what was blocked.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)
SKIP_REASON = (f"no Chromium at {CHROMIUM}: end-to-end tests not run "
               "(apt-get install chromium fonts-wqy-microhei, or set CHROMIUM=/path/to/chromium)")
SCREENSHOTS = Path(settings.BASE_DIR, "test-artifacts", "screenshots")
# Flags from shared/RECIPES.md: a root user in a container, no GPU, no network but the portal's.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAVE_CHROMIUM:
        return
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="session", autouse=True)
def _django_allows_playwrights_event_loop() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running in the test's thread from the first browser test
    to the end of the session; Django's ORM refuses to run where a loop runs unless this is set."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# Runs in every page before the page's own scripts (Playwright injects it; the page's policy does not apply to it).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("CSP violation: " + event.effectiveDirective + " blocked " + (event.blockedURI || "inline code")
                + " in " + document.location.pathname + " (" + (event.sourceFile || "") + ":" + event.lineNumber + ")");
});
"""


class CspViolations:
    """What Chromium reported as blocked by the Content-Security-Policy in the contexts it watches."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, context) -> None:
        context.add_init_script(CSP_LISTENER)
        context.on("console", self._console)

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or text.startswith("CSP violation")):
            self.seen.append(f"{message.location.get('url', '')}: {text}")


@pytest.fixture
def csp_violations() -> Iterator[CspViolations]:
    violations = CspViolations()
    yield violations
    assert not violations.seen, "Content-Security-Policy violations:\n" + "\n".join(violations.seen)


@pytest.fixture
def context(context, csp_violations: CspViolations):
    """pytest-playwright's context, watched for CSP violations (a test's own context: `csp_violations.watch`)."""
    csp_violations.watch(context)
    return context


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # A Chinese clerk's browser; tests that need English open their own context.
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1280, "height": 860}, "accept_downloads": True}


GUIDE = Path(settings.BASE_DIR, "docs", "guide")


class Shots:
    """Numbered screenshots of one test's steps: 01-login.png, 02-dashboard.png, ...; `guide` ones are also the
    pictures of docs/用户指南.md, written to docs/guide/ when UPDATE_GUIDE_SCREENSHOTS is set."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, name: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def guide(self, target, name: str, *, update: bool = True) -> Path:
        """A picture for the guide: `target` a locator (the part of the page the guide shows) or a page (the
        screen). Copied to docs/guide/<name>.png when UPDATE_GUIDE_SCREENSHOTS is set and `update`."""
        path = self.folder / f"guide-{name}.png"
        if hasattr(target, "bounding_box"):
            # The page, clipped to the part: a screenshot of the element itself would scroll it into view and move
            # the keyboard's starting point, which the story's keyboard steps rely on.
            page = target.page
            box = target.bounding_box()
            x, y = page.evaluate("[window.scrollX, window.scrollY]")
            page.screenshot(path=str(path), full_page=True,
                            clip={"x": box["x"] + x, "y": box["y"] + y, "width": box["width"], "height": box["height"]})
        else:
            target.screenshot(path=str(path))
        if update and os.environ.get("UPDATE_GUIDE_SCREENSHOTS"):
            GUIDE.mkdir(exist_ok=True)
            shutil.copyfile(path, GUIDE / f"{name}.png")
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name))


@pytest.fixture
def e2e_settings(settings, live_server):
    """The live server is plain HTTP on 127.0.0.1: cookies must not be Secure-only for the browser to send them."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    return settings


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"{base_url}/admin/")
