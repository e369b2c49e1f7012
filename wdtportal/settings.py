"""Settings for the WDT returns portal.

Every value comes from an environment variable or an optional `.env` file beside manage.py;
`.env.example` documents each one. Defaults are safe for production: DEBUG off, sandbox off.
"""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

class _SetVariables(Mapping[str, str]):
    """The process environment without its blank variables. A `.env` copied from `.env.example` has lines like
    `WDT_QJB_SID=`: blank counts as unset, so it neither overrides a default (the sandbox's demo credentials) nor
    fails to parse as a number; a required setting left blank is reported as not set."""

    def __init__(self, variables: Mapping[str, str]):
        self._variables = variables

    def __getitem__(self, name: str) -> str:
        value = self._variables[name]
        if not value.strip():
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (name for name, value in self._variables.items() if value.strip())

    def __len__(self) -> int:
        return sum(1 for _name in self)


environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
env = environ.Env()
env.ENVIRON = _SetVariables(os.environ)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example).")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "wdtportal.admin_site.PortalAdminConfig",  # django.contrib.admin with the portal's site (dashboard)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Trigram indexes for contains-search on PostgreSQL (wdtportal/lists/trigram.py); inert on SQLite.
    "django.contrib.postgres",
    "import_export",
    "django_tasks",
    # Before django_tasks_db: its `db_worker` command extends the library's (jobs' recovery, the sweep).
    "wdtportal.jobs",
    "django_tasks_db",
    "wdtportal.wdt",
    "wdtportal.wdt.sandbox",
    "wdtportal.documents",
    "returns",
    "settlements",
    "wdtportal.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wdtportal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "wdtportal.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file: wait for locks instead of failing, and take the
    # write lock at BEGIN so that two writers queue up rather than deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, English when the browser asks for it.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# ISO dates (2026-11-22 14:05) and comma-grouped thousands in both languages.
FORMAT_MODULE_PATH = ["wdtportal.formats"]
# Amounts and quantities shown as 1,234.5000 (form inputs stay plain: Django localizes only what it displays).
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"

# Production hardening: on unless DEBUG. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_ENABLED.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- WDT -------------------------------------------------------------------------------------------
# The offline sandbox stands in for both gateways (demo and tests). Off by default in production.
WDT_SANDBOX = env.bool("WDT_SANDBOX", default=False)
# Where the portal reaches its own sandbox when a gateway URL is unset and WDT_SANDBOX is on.
WDT_SANDBOX_URL = env.str("WDT_SANDBOX_URL", default="http://127.0.0.1:8000/sandbox")
# Demo credentials the sandbox accepts when none are configured; not secrets, never used against WDT.
_SANDBOX_DEFAULTS = {
    "QJB_SID": "sandbox-sid",
    "QJB_APPKEY": "sandbox-appkey",
    "QJB_APPSECRET": "sandbox-secret:sandbox-salt",
    "ENT_SID": "sandbox-sid",
    "ENT_APPKEY": "sandbox-appkey",
    "ENT_APPSECRET": "sandbox-secret",
}


def _wdt_setting(name: str) -> str:
    return env.str(f"WDT_{name}", default=_SANDBOX_DEFAULTS.get(name, "") if WDT_SANDBOX else "")


# Flagship (旗舰版, "qjb") gateway: purchase.PurchaseReturn.pending, finance.settle.PurchaseReturn.upload.
WDT_QJB_URL = env.str("WDT_QJB_URL", default="")
WDT_QJB_SID = _wdt_setting("QJB_SID")
WDT_QJB_APPKEY = _wdt_setting("QJB_APPKEY")
WDT_QJB_APPSECRET = _wdt_setting("QJB_APPSECRET")  # "secret:salt"
# Enterprise (企业版) gateway: purchase_return_order_push.php.
WDT_ENT_URL = env.str("WDT_ENT_URL", default="")
WDT_ENT_SID = _wdt_setting("ENT_SID")
WDT_ENT_APPKEY = _wdt_setting("ENT_APPKEY")
WDT_ENT_APPSECRET = _wdt_setting("ENT_APPSECRET")
# Seconds: "connect,read" or one number for both.
WDT_TIMEOUT = env.str("WDT_TIMEOUT", default="5,30")
# Client retries of refusals that are safe to repeat (rate limits, failures to connect).
WDT_MAX_RETRIES = env.int("WDT_MAX_RETRIES", default=3)
WDT_RETRY_BACKOFF = env.float("WDT_RETRY_BACKOFF", default=0.5)
# Seconds a document may stay in "sending" before `manage.py sweep_sending` holds it as unknown (the process
# that sent it must have died). Longer than the read timeout times the retries.
WDT_SENDING_TIMEOUT = env.int("WDT_SENDING_TIMEOUT", default=300)
# Days the call log keeps a call: older rows are deleted by the workers' maintenance (wdt/retention.py). 0 keeps all.
WDT_CALL_LOG_DAYS = env.int("WDT_CALL_LOG_DAYS", default=180)

# Sandbox faults, also settable from its admin page: latency in ms, shares from 0 to 1.
WDT_SANDBOX_LATENCY_MS = env.int("WDT_SANDBOX_LATENCY_MS", default=0)
WDT_SANDBOX_ERROR_RATE = env.float("WDT_SANDBOX_ERROR_RATE", default=0.0)
WDT_SANDBOX_RATE_LIMIT_RATE = env.float("WDT_SANDBOX_RATE_LIMIT_RATE", default=0.0)
WDT_SANDBOX_LOST_ANSWER_RATE = env.float("WDT_SANDBOX_LOST_ANSWER_RATE", default=0.0)

# Pacing: what each WDT account allows, shared by every worker on every machine (through the database).
# Requests per second (0 = unpaced) and requests in flight at once (0 = unlimited).
WDT_QJB_RATE = env.float("WDT_QJB_RATE", default=10.0)
WDT_QJB_CONCURRENCY = env.int("WDT_QJB_CONCURRENCY", default=4)
WDT_ENT_RATE = env.float("WDT_ENT_RATE", default=10.0)
WDT_ENT_CONCURRENCY = env.int("WDT_ENT_CONCURRENCY", default=4)
# After a rate-limit refusal every worker sends at half the rate (again halved on further refusals, down to a
# tenth) for this many seconds.
WDT_RATE_LIMIT_COOLDOWN = env.float("WDT_RATE_LIMIT_COOLDOWN", default=10.0)

# --- Background jobs ---------------------------------------------------------------------------------
# Django's Tasks API (the django-tasks backport). The default backend keeps the queue in the database
# (django-tasks-db: workers claim tasks with SELECT ... FOR UPDATE SKIP LOCKED); any other backend of the
# Tasks API (e.g. django_tasks_rq.RQBackend) can replace it by setting TASKS_BACKEND.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Each job runs as this many tasks at once (on as many workers as are free), each with this many threads.
JOBS_RUNNERS = env.int("JOBS_RUNNERS", default=3)
JOBS_THREADS = env.int("JOBS_THREADS", default=4)
# A runner whose heartbeat is older than this (seconds) is taken for dead: its documents go back to the job.
JOBS_STALE_AFTER = env.float("JOBS_STALE_AFTER", default=20.0)
# Every worker (`manage.py db_worker`), at start and then this often (seconds): restart unfinished jobs whose
# runners died, and sweep documents stuck in sending (as `manage.py sweep_sending` does).
JOBS_MAINTENANCE_INTERVAL = env.float("JOBS_MAINTENANCE_INTERVAL", default=JOBS_STALE_AFTER / 2)
# Excel imports with more rows than this run in the background.
JOBS_IMPORT_THRESHOLD = env.int("JOBS_IMPORT_THRESHOLD", default=500)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_query_strings": {"()": "wdtportal.wdt.logfilters.DropQueryStrings"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # urllib3 logs request lines, query strings included; keep it quiet so that no sign or salt is logged.
        "urllib3": {"level": "WARNING"},
        # The development servers' request lines (the sandbox's 4xx/5xx among them), without their query strings.
        "django.server": {"handlers": ["console"], "level": "WARNING", "filters": ["no_query_strings"],
                          "propagate": False},
    },
}

# --- Excel import ----------------------------------------------------------------------------------
# Largest file accepted (bytes), most data rows in one file, and the most an .xlsx may inflate to (zip-bomb guard).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=30 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=400 * 1024 * 1024)
# The first sheet's used range (first to last cell): python-calamine allocates it as one rectangle, so a stray cell
# at XFD1048576 would cost gigabytes. Columns, and rows x columns.
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=1000)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=10_000_000)
