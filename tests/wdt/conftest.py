"""`fake_gateway`: a real HTTP server at the gateway's URL that answers what the test says, for answers the sandbox
never gives (a proxy's redirect, a 200 that is not JSON, JSON without a status, a rate-limit message worded otherwise).
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

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
