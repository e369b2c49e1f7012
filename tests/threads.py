"""Running a piece of test code in several threads at once, as several workers or clerks would."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection


def at_once(n: int, target: Callable[[], Any], *, timeout: float = 60) -> list[Any]:
    """Call `target` in `n` threads released together; return what each returned (in no order). Raises the first
    exception a thread raised. Each thread closes its own database connection (PostgreSQL cannot drop the test
    database while one is open)."""
    start = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(target())
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    assert not any(t.is_alive() for t in threads), f"a thread still ran after {timeout} s"
    return results
