"""Fixtures of the returns tests.

`odd_wdt`: a flagship gateway over real HTTP that answers every call with the JSON the test sets (`.answer`),
for answers the sandbox never gives (a status-0 answer without `data`, `error_info` naming other numbers). The
portal reaches it through its real client, built from settings as always.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.factories import clerk, supervisor  # noqa: F401


@dataclass
class OddWdt:
    url: str
    answer: Any = None
    bodies: list[Any] = field(default_factory=list)


@pytest.fixture
def odd_wdt(settings) -> Any:
    handle = OddWdt(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            handle.bodies.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            body = json.dumps(handle.answer, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handle.url = f"http://127.0.0.1:{server.server_port}"
    settings.WDT_QJB_URL = handle.url
    yield handle
    server.shutdown()
    server.server_close()
