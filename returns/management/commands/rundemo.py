"""`manage.py rundemo`: the portal with the sandbox for `make demo`; Ctrl-C stops everything it started."""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal (and its sandbox) for the demo."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options) -> None:
        self.stdout.write(f"门户 / portal: http://{host}:{port}/   沙箱 / sandbox: http://{host}:{port}/sandbox/")
        processes = [
            subprocess.Popen([sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"]),  # noqa: S603
        ]
        try:
            while all(p.poll() is None for p in processes):
                try:
                    processes[0].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        except KeyboardInterrupt:
            pass
        finally:
            for p in processes:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT if os.name == "posix" else signal.SIGTERM)
            for p in processes:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
