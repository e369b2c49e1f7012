"""`manage.py wdt_sandbox --port 8765 [--host 127.0.0.1]`: the sandbox alone, for a portal running elsewhere.

A threaded WSGI server with only the sandbox's URLs, at the same paths as inside the portal, so the portal's
gateway base URL is `http://host:port/sandbox`. It uses this project's database (run `migrate` first) and
accepts the WDT_QJB_* / WDT_ENT_* credentials of its own settings.
"""

import contextlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.servers.basehttp import WSGIServer, run
from django.core.wsgi import get_wsgi_application

STANDALONE_URLCONF = "wdtportal.wdt.sandbox.standalone_urls"


class Command(BaseCommand):
    help = "Serve the offline WDT sandbox alone (both gateways) on its own port."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)

    def handle(self, *args, host: str, port: int, **options) -> None:
        # This process serves nothing but the sandbox, whatever WDT_SANDBOX says.
        settings.ROOT_URLCONF = STANDALONE_URLCONF
        # It serves plain HTTP: under production settings the SSL redirect would answer every request with a 301.
        settings.SECURE_SSL_REDIRECT = False
        if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
        missing = [name for name in ("WDT_QJB_SID", "WDT_QJB_APPKEY", "WDT_QJB_APPSECRET", "WDT_ENT_SID",
                                     "WDT_ENT_APPKEY", "WDT_ENT_APPSECRET") if not getattr(settings, name)]
        if missing:
            self.stderr.write("未配置这些凭据，对应网关会拒绝所有请求；设置它们，或设 WDT_SANDBOX=1 使用沙箱演示凭据 / "
                              "credentials not set (set them, or WDT_SANDBOX=1 for the demo ones): "
                              + ", ".join(missing))

        def announce(bound_port: int) -> None:
            self.stdout.write(f"旺店通沙箱 / WDT sandbox: http://{host}:{bound_port}/sandbox  (Ctrl-C 停止)",
                              ending="\n")
            self.stdout.flush()

        with contextlib.suppress(KeyboardInterrupt):
            run(host, port, get_wsgi_application(), threading=True, on_bind=announce, server_cls=WSGIServer)
