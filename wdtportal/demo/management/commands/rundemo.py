"""`manage.py rundemo`: the portal with the sandbox, and one background worker, for `make demo`.

Ctrl-C stops everything it started: the terminal's SIGINT reaches the children too; whatever is still running a
few seconds later is asked again with SIGTERM, then killed. A job cut short goes on at the next start.

The children reach the sandbox where this server really is (`--host`/`--port`, e.g. `make demo PORT=8001`), unless
WDT_SANDBOX_URL is set (in the environment or .env).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal (and its sandbox) and run one background worker, for the demo."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-worker", action="store_true", help="Serve only; start no background worker.")

    def handle(self, *args, host: str, port: str, no_worker: bool, **options) -> None:
        # SIGTERM (a process manager) stops the demo the way Ctrl-C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        environment = child_environment(host, port)
        self.stdout.write(f"门户 / portal: http://{host}:{port}/   "
                          f"沙箱接口 / sandbox API: {environment['WDT_SANDBOX_URL']}/ "
                          f"(在后台查看 / in the admin: http://{host}:{port}/admin/wdt_sandbox/)")
        manage = [sys.executable, "manage.py"]
        commands = [[*manage, "runserver", f"{host}:{port}", "--noreload"]]
        if not no_worker:
            # The portal's db_worker also restarts jobs whose worker died and sweeps documents stuck in sending
            # (wdtportal/jobs/management/commands/db_worker.py): the demo needs no cron.
            self.stdout.write("后台任务工作进程 / background worker: manage.py db_worker")
            commands.append([*manage, "db_worker", "--no-reload", "--interval", "0.5", "--verbosity", "0"])
        processes = [subprocess.Popen(command, env=environment) for command in commands]  # noqa: S603
        try:
            # Polled, not Popen.wait(): a Ctrl-C that interrupts wait() can leave its internal lock taken, and the
            # final wait for the children would then hang forever.
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
            self.stderr.write("一个子进程已退出，正在停止其余进程 / a child process ended; stopping the others")
        except KeyboardInterrupt:
            pass
        finally:
            _stop(processes)


def child_environment(host: str, port: str | int, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the web server and the worker: WDT_SANDBOX_URL points at this demo's own sandbox unless
    it was set (settings' default, port 8000, would be wrong for any other port)."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("WDT_SANDBOX_URL"):
        reach = "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host  # noqa: S104 - listen on all
        if ":" in reach and not reach.startswith("["):
            reach = f"[{reach}]"
        env["WDT_SANDBOX_URL"] = f"http://{reach}:{port}/sandbox"
    return env


def _stop(processes: list[subprocess.Popen]) -> None:
    """Let the children end (they had the terminal's Ctrl-C), then SIGTERM, then SIGKILL. Further Ctrl-Cs are
    ignored meanwhile: stopping half-way would leave children running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for grace, how in ((5, None), (10, signal.SIGTERM), (5, signal.SIGKILL)):
        running = [p for p in processes if p.poll() is None]
        if not running:
            return
        for p in running:
            if how == signal.SIGKILL or os.name != "posix":
                p.kill()
            elif how is not None:
                p.send_signal(how)
        deadline = time.monotonic() + grace
        while any(p.poll() is None for p in running) and time.monotonic() < deadline:
            time.sleep(0.1)
