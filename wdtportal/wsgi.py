"""WSGI entry point (gunicorn wdtportal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wdtportal.settings")
application = get_wsgi_application()
