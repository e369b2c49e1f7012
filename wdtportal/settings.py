"""Settings for the WDT returns portal.

Every value comes from an environment variable or an optional `.env` file beside manage.py;
`.env.example` documents each one. Defaults are safe for production: DEBUG off, sandbox off.
"""

import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
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
    "axes",  # login lockout (wdtportal/security/lockout.py)
    "django_otp",  # two-factor for supervisors (wdtportal/security/two_factor.py)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
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
    "wdtportal.security",  # last: re-registers the libraries' admin pages (wdtportal/security/admin.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one: every response gets the policy, error pages and refusals of the limit below included.
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body (sessions, CSRF, forms): an oversized request is refused unread.
    "wdtportal.security.request_size.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "wdtportal.security.session_timeout.SessionTimeoutMiddleware",
    "wdtportal.security.two_factor.SupervisorTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout noted during the login into the lockout page.
    "axes.middleware.AxesMiddleware",
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

# django-axes first: it refuses a locked-out username + address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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

# --- Security: lockout, content policy, sessions, two-factor, request sizes --------------------------
# Login lockout (django-axes): a username from one address is locked after AXES_FAILURE_LIMIT wrong passwords
# for AXES_COOLOFF_MINUTES; the superuser sees attempts and lockouts in the admin and unlocks by deleting them.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A locked-out person trying again does not push the end of the lockout further: the time on the page holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "wdtportal.security.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "wdtportal.security.lockout.client_ip"
# The header a trusted TLS proxy puts the client's address in (X-Forwarded-For or X-Real-IP); empty: the
# address of the connection (REMOTE_ADDR). Set it only behind a proxy that overwrites or appends that header.
AXES_CLIENT_IP_HEADER = env.str("AXES_CLIENT_IP_HEADER", default="")

# Content-Security-Policy (django-csp) on every response: only the portal's own scripts, styles and images; no inline
# script or style (the admin's and import-export's pages need none; ours keep theirs in static files), no framing,
# forms post only to the portal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Sessions end after SESSION_IDLE_TIMEOUT seconds without a page opened (the job page's polling does not count)
# and SESSION_ABSOLUTE_TIMEOUT seconds after the login whatever happens (wdtportal/security/session_timeout.py).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

# Two-factor (django-otp, TOTP + recovery codes) for the supervisors (财务主管), who send to WDT: on unless DEBUG.
REQUIRE_2FA_SUPERVISORS = env.bool("REQUIRE_2FA_SUPERVISORS", default=not DEBUG)
# The name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = "旺店通采购退货门户"
# The admin never shows a TOTP key or a recovery code, not even to the superuser.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Request bodies: forms up to DATA_UPLOAD_MAX_MEMORY_SIZE; a file only on the import pages, up to IMPORT_MAX_BYTES
# (below). Larger requests are refused from their Content-Length, before a byte of the body is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_HANDLERS = [
    "wdtportal.security.request_size.FilesOnlyWhereExpected",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

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
# Seconds to wait before each automatic re-send of an outbound order or a stop-waiting whose outcome is unknown
# (WDT deduplicates both: re-sending is safe), one number per attempt: "60,300,1800" = three attempts, after 1, 5
# and 30 minutes. After the last one the document waits for a supervisor. Empty: never re-sent automatically.
# A settlement upload is never re-sent automatically (no deduplication key).
WDT_AUTO_RESEND_DELAYS = [int(s) for s in env.list("WDT_AUTO_RESEND_DELAYS", default=["60", "300", "1800"]) if s]
# Days the call log keeps a call: older rows are deleted by the workers' maintenance (wdt/retention.py). 0 keeps all.
WDT_CALL_LOG_DAYS = env.int("WDT_CALL_LOG_DAYS", default=180)

# Training mode (on in `make demo`): a return the sandbox does not know is learnt from what is pushed, stopped or
# settled instead of refused (采购退货单号不存在), so that a clerk can train with her own files. Off by default.
WDT_SANDBOX_TRAINING = env.bool("WDT_SANDBOX_TRAINING", default=False)

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
# A rate-limit refusal halves every worker's rate (down to a tenth); each request after it raises the rate by a
# step, so that this many requests bring a halved rate back to the configured one (see wdtportal/wdt/pacing.py).
WDT_RATE_LIMIT_RECOVERY = env.int("WDT_RATE_LIMIT_RECOVERY", default=6)

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
# Exports of more documents than this run in the background (a file to download from the job's page); smaller ones
# download at once.
JOBS_EXPORT_THRESHOLD = env.int("JOBS_EXPORT_THRESHOLD", default=500)
# Hours an export's file is kept (in the database) before the workers' maintenance removes it.
JOBS_EXPORT_KEEP_HOURS = env.float("JOBS_EXPORT_KEEP_HOURS", default=24.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_query_strings": {"()": "wdtportal.wdt.logfilters.DropQueryStrings"},
                "one_line_below_500": {"()": "wdtportal.wdt.logfilters.OneLineBelow500"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django gives "django" a console handler of its own (DEBUG only) and lets it propagate to the root's: every
        # warning printed twice in the demo. One handler, the root's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A refused request (403, 404...) is one line; a 500 keeps its traceback.
        "django.request": {"filters": ["one_line_below_500"]},
        # urllib3 logs request lines, query strings included; keep it quiet so that no sign or salt is logged.
        "urllib3": {"level": "WARNING"},
        # django-axes: login failures and lockouts (WARNING) are kept; its start banner and each login are not.
        "axes": {"level": "WARNING"},
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
