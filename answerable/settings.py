"""Settings from environment variables, with defaults that run the whole desk on one machine.

Every variable is listed in docs/configuration.md. A malformed value stops start-up with a clear message.
"""

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """Only true/false (and 1/0, yes/no): 'flase' must fail loudly instead of meaning False."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


DATA_DIR = Path(os.environ.get("ANSWERABLE_DATA_DIR", BASE_DIR.parent / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment (or a *_FILE), else generated once and kept in DATA_DIR."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if os.environ.get("SECRET_KEY_FILE"):
        return Path(os.environ["SECRET_KEY_FILE"]).read_text().strip()
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting together keep one key between them.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("ANSWERABLE_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('ANSWERABLE_PORT', '8000')}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "answerable.staff",
    "answerable.customers",
    "answerable.tickets",
    "answerable.console",
    "answerable.demo",
    "answerable.mail",
    "answerable.promises",
    "answerable.coach",
    "answerable.satisfaction",
    "answerable.accounts",
    "answerable.portal",
    "answerable.search",
    "answerable.insights",
    "answerable.api",
    "answerable.webhooks",
    "answerable.worker",
]

MIDDLEWARE = [
    "answerable.lib.timing.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "answerable.lib.hostile.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "answerable.lib.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "answerable.staff.middleware.AgentTimezoneMiddleware",
]

ROOT_URLCONF = "answerable.urls"
WSGI_APPLICATION = "answerable.wsgi.application"

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
                "answerable.promises.context_processors.promise_warnings",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'answerable.sqlite3'}"
DATABASES = {"default": env.db_url_config(os.environ.get("DATABASE_URL") or _default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions and a busy timeout: concurrent writers (web, worker, mail receiver) wait
    # instead of failing with "database is locked"; WAL lets readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "staff.Agent"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Login rate limiting (answerable/staff/login.py): failed attempts per username and per address in a window.
LOGIN_MAX_FAILURES_PER_USERNAME = env_int("LOGIN_MAX_FAILURES_PER_USERNAME", 5)
LOGIN_MAX_FAILURES_PER_IP = env_int("LOGIN_MAX_FAILURES_PER_IP", 20)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)  # an agent logs in again after a day's work
# The cookie also goes when the browser closes (a shared desk computer); the server-side age still applies.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
# Secure cookies whenever the site is served over HTTPS outside DEBUG; SECURE_COOKIES overrides either way.
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=SITE_URL.startswith("https://") and not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # the console reads the token from the page (hx-headers), never the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy on every HTML page (lib/csp.py) except under these URL namespaces, whose
# pages still carry inline scripts or load assets from elsewhere.
CSP_EXEMPT_NAMESPACES = ["admin", "portal", "api"]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request without it
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders as well, so a fresh checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True

# Background jobs: the database worker in embedded mode (`manage.py db_worker`), no broker needed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
BROKER_URL = os.environ.get("BROKER_URL", "")
# Scale-out: with a broker (redis://... or amqp://...) the same jobs run on Celery workers
# (`celery -A answerable.worker.celery_app worker`); see docs/deploy.md.
BROKER_QUEUE_PREFIX = os.environ.get("BROKER_QUEUE_PREFIX", "answerable.")
BROKER_VISIBILITY_TIMEOUT = env_int("BROKER_VISIBILITY_TIMEOUT", 600)
if BROKER_URL:
    TASKS = {"default": {"BACKEND": "answerable.worker.backend.CeleryBackend", "QUEUES": ["default"]}}

# Outbound mail: EMAIL_URL (smtp://user:pass@host:port, consolemail://, filemail:///path) or a file outbox.
_email = env.email_url_config(os.environ.get("EMAIL_URL") or "filemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
# django-environ drops the leading "/" of filemail:///abs/path; an empty path means the embedded outbox.
_file_path = _email.get("EMAIL_FILE_PATH") or ""
EMAIL_FILE_PATH = ("/" + _file_path.lstrip("/")) if _file_path else str(DATA_DIR / "outbox")
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# Bounds every SMTP step, well inside the outbox's lease: a hung server must not outlive the lease, or a
# second sender could take the message while the first is still sending it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 120)
OUTBOX_RETRY_SECONDS = env_int("OUTBOX_RETRY_SECONDS", 30)  # the first retry; each next one waits twice
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@answerable.localhost")

# The local mail receiver (`manage.py mail_receiver`) for the teams' inbound addresses.
MAIL_RECEIVER_HOST = os.environ.get("MAIL_RECEIVER_HOST", "127.0.0.1")
MAIL_RECEIVER_PORT = env_int("MAIL_RECEIVER_PORT", 2525)

# Attachments: refused over this size, and refused when their content contradicts a safe declared type.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)

# Cost to serve (accounts): handling hours x the hourly cost + messages x the cost per message, in the
# currency of the organisations' yearly values. Checked at start-up (accounts.checks).
ACCOUNTS_HOURLY_COST = os.environ.get("ACCOUNTS_HOURLY_COST", "40")
ACCOUNTS_COST_PER_MESSAGE = os.environ.get("ACCOUNTS_COST_PER_MESSAGE", "0")
# The API (docs/api.md): requests a minute per token, counted in the cache; a shared cache (CACHE_URL, e.g.
# redis://127.0.0.1:6379/1) makes the limit hold across web processes, the default counts per process.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
CACHES = {"default": env.cache_url_config(os.environ.get("CACHE_URL") or "locmemcache://")}
# Webhooks: attempts per delivery (backoff from 1 minute, doubling), failed attempts in a row that disable a
# subscription, seconds to wait for a receiver.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 50)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # aiosmtpd logs every connection at INFO; keep its warnings only.
    "loggers": {"mail.log": {"level": "WARNING"}},
}
