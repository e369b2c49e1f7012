"""Request bodies are refused by their declared size before a byte is read: an anonymous 200 MB POST to the login
page, an import file over IMPORT_MAX_BYTES; and a file posted where none is expected is never stored. Checked through
Django with a body that counts what is read, and against gunicorn (what `make serve` runs) over a real socket."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from tests.test_settings import _clean_env

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
MB = 2**20


class CountingBody:
    """A request body of any length that records how much of it was read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = 64 * 1024 if size is None or size < 0 else size
        self.read_bytes += size
        return b"a" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def post_claiming(client, path: str, length: int, content_type: str, **extra):
    body = CountingBody()
    # The test client sets no CONTENT_TYPE for an empty body: the headers are given as a browser sends them.
    response = client.generic("POST", path, b"", CONTENT_TYPE=content_type, CONTENT_LENGTH=str(length),
                              **{"wsgi.input": body}, **extra)
    return response, body


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz"])
def test_an_anonymous_200_mb_post_to_the_login_page_is_refused_unread(client, content_type):
    response, body = post_claiming(client, "/admin/login/", 200 * MB, content_type)
    assert response.status_code == 413
    assert body.read_bytes == 0
    assert "提交的内容太大" in response.text and "200.0 MB" in response.text


def test_forms_are_limited_to_data_upload_max_memory_size(client):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 2_621_440
    response, body = post_claiming(client, "/admin/login/", limit + 1, "application/x-www-form-urlencoded")
    assert response.status_code == 413 and body.read_bytes == 0


def test_an_import_file_over_the_limit_is_refused_before_it_is_read(client, clerk):
    client.force_login(clerk)
    limit = settings.IMPORT_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response, body = post_claiming(client, reverse("admin:returns_purchasereturn_import"), limit + 1,
                                   "multipart/form-data; boundary=xyz")
    assert response.status_code == 413 and body.read_bytes == 0
    assert "导入文件最大 30 MB" in response.text and "拆成几个" in response.text


def test_the_413_in_english(client):
    response, _body = post_claiming(client, "/admin/login/", 200 * MB, "application/x-www-form-urlencoded",
                                    headers={"accept-language": "en"})
    assert response.status_code == 413 and "Request too large" in response.text


def test_a_file_is_kept_only_where_a_file_is_expected(clerk):
    factory = RequestFactory()
    elsewhere = factory.post("/admin/login/", {"username": "x", "f": SimpleUploadedFile("a.xlsx", b"PK" * 1000)})
    assert dict(elsewhere.FILES) == {} and elsewhere.POST["username"] == "x"
    importing = factory.post(reverse("admin:returns_purchasereturn_import"),
                             {"import_file": SimpleUploadedFile("a.xlsx", b"PK" * 1000)})
    assert importing.FILES["import_file"].size == 2000


def test_uploads_within_the_limit_still_work(client, clerk, tmp_path, monkeypatch):
    from tests.excel.files import return_row, xlsx
    from wdtportal.excel.admin import SpreadsheetTmpStorage

    monkeypatch.setattr(SpreadsheetTmpStorage, "FOLDER", str(tmp_path))
    client.force_login(clerk)
    preview = client.post(reverse("admin:returns_purchasereturn_import"), {
        "resource": "0", "format": "0", "import_file": SimpleUploadedFile("退货.xlsx", xlsx([return_row("R-SIZE")]))})
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn as `make serve` starts it (its config file), on a free port; yields (port, access log path)."""
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = _clean_env() | {"DJANGO_SETTINGS_MODULE": "wdtportal.settings_test",
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wdtportal.wsgi", "-c", "gunicorn.conf.py",
                                   "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _ask(port: int, head: str, body: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(head.encode() + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"</html>" in answer:
                break
        return answer


def test_gunicorn_answers_a_200_mb_login_post_at_once_without_the_body(gunicorn):
    port, _log = gunicorn
    started = time.monotonic()
    # Headers claiming 200 MB and one kilobyte of it: the answer comes without the rest ever being sent.
    answer = _ask(port, "POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        f"Content-Length: {200 * MB}\r\n\r\n", b"a" * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 10


def test_gunicorns_access_log_leaves_out_query_strings(gunicorn):
    port, log = gunicorn
    answer = _ask(port, "GET /sandbox/nowhere?sid=s&salt=SECRET-SALT&sign=SECRET-SIGN HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404")
    deadline = time.monotonic() + 10
    while "/sandbox/nowhere HTTP/1.1" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text()
    assert '"GET /sandbox/nowhere HTTP/1.1" 404' in text
    assert "SECRET" not in text and "salt=" not in text
