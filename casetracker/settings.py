"""Settings for the Case Tracker, configured by the environment.

Every helper below fails loudly on a value it cannot read, so a typo in the
environment stops the process at start instead of running with a surprise.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


DEBUG = env_bool("DEBUG", False)

_DEV_SECRET = "dev-only-secret-key-not-for-production-use-0123456789abcdefghijklmnop"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "accounts.admin_config.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "cases",
    "jobs",
    "ledger",
    "dashboard",
    "sync",
    "devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.timezones.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.AdminScopesMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "casetracker.urls"
WSGI_APPLICATION = "casetracker.wsgi.application"

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

DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://casetracker_app@127.0.0.1/casetracker")}
"""The application's role: it owns nothing and row-level security applies to it (accounts/rls.py).
Migrations run as the owner: `DATABASE_URL=$DATABASE_OWNER_URL manage.py migrate` (README)."""
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
"""A persistent connection is checked before each request reuses it: a PostgreSQL restart costs a
reconnect, not a 500."""

WEB_DB_TIMEOUTS = {
    "statement_timeout": env_int("WEB_DB_STATEMENT_TIMEOUT", 30),
    "lock_timeout": env_int("WEB_DB_LOCK_TIMEOUT", 10),
    "idle_in_transaction_session_timeout": env_int("WEB_DB_IDLE_IN_TRANSACTION_TIMEOUT", 60),
}
"""Seconds that bound one statement, one lock wait and an idle open transaction of the web process
(0 turns one off). Only the web: casetracker/wsgi.py sets CASETRACKER_WEB before the settings load,
so Celery workers and management commands (big imports, polls, rebuild_rollups) are not bound."""
for _name, _seconds in WEB_DB_TIMEOUTS.items():
    if _seconds < 0:
        raise ImproperlyConfigured(f"the web's {_name} is {_seconds} s; use 0 (off) or more")
if env_bool("CASETRACKER_WEB", False):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(
        f"-c {name}={seconds * 1000}" for name, seconds in WEB_DB_TIMEOUTS.items()
    )
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_casetracker")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
LANGUAGES = [
    ("en", "English"),
    ("en-gb", "English (UK)"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("ja", "日本語"),
]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    # A message left unacknowledged by a killed worker is redelivered once the visibility timeout
    # has passed; sweep for such messages often enough to notice it promptly.
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "schedule"
"""Short tasks; also where a task not routed below goes, so that a worker always consumes it."""
CELERY_TASK_ROUTES = {
    "sync.tasks.poll_account": {"queue": "polls"},
    "sync.tasks.poll_due_accounts": {"queue": "schedule"},
    "*.send_daily_digests": {"queue": "email"},
}
"""Polls (up to half an hour each, waiting on Amazon) have their own workers, so slow polls never
delay the scheduler or the email. The Procfile and docker-compose.yml run a worker for each list."""
CELERY_TASK_MAX_DELIVERIES = env_int("CELERY_TASK_MAX_DELIVERIES", 3)
"""A message is run at most this many times without finishing (its worker killed or crashed each
time); its next delivery sets it aside (jobs.SetAsideTask) instead of running it again."""
if CELERY_TASK_MAX_DELIVERIES < 1:
    raise ImproperlyConfigured(f"CELERY_TASK_MAX_DELIVERIES={CELERY_TASK_MAX_DELIVERIES} must be 1 or more")

# Locked doors: login lockout, two-factor admin, idle sessions, CSP (docs/security.md)
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
"""A username at one address is refused for this long after this many wrong passwords in a row."""
if LOGIN_FAILURE_LIMIT < 1 or LOGIN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured(
        f"LOGIN_FAILURE_LIMIT={LOGIN_FAILURE_LIMIT} and LOGIN_LOCKOUT_MINUTES={LOGIN_LOCKOUT_MINUTES} "
        "must both be 1 or more"
    )
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.locked_out_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Case Tracker")
"""The name authenticator apps show next to a staff member's code."""

STAFF_SESSION_IDLE_MINUTES = env_int("STAFF_SESSION_IDLE_MINUTES", 30)
SELLER_SESSION_IDLE_MINUTES = env_int("SELLER_SESSION_IDLE_MINUTES", 8 * 60)
"""A session not used for this long is over: staff, who reach every tenant, sooner than sellers."""
if STAFF_SESSION_IDLE_MINUTES < 1 or SELLER_SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured(
        f"STAFF_SESSION_IDLE_MINUTES={STAFF_SESSION_IDLE_MINUTES} and SELLER_SESSION_IDLE_MINUTES="
        f"{SELLER_SESSION_IDLE_MINUTES} must both be 1 or more"
    )
SESSION_COOKIE_AGE = SELLER_SESSION_IDLE_MINUTES * 60
SESSION_COOKIE_HTTPONLY = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
    },
}
"""No inline script or style anywhere, Django admin included (tests/accounts/test_csp.py reads the pages)."""

# Marketplace sync
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
"""Fernet key(s) for credentials at rest, comma-separated, newest first; derived from SECRET_KEY when empty."""
_field_keys = [key.strip() for key in FIELD_ENCRYPTION_KEY.split(",") if key.strip()]
for _position, _key in enumerate(_field_keys, start=1):
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEY: key {_position} of {len(_field_keys)} is not a Fernet key (32 url-safe "
            "base64-encoded bytes); make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from None
SANDBOX_SEED = env_int("SANDBOX_SEED", 1)
SANDBOX_DELAY_SECONDS = env_int("SANDBOX_DELAY_SECONDS", 0)

# Email: the daily digest of reimbursed cases
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
"""Scheme and host the links in emails point to."""
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Case Tracker <noreply@localhost>")

# Operations: health probes, Prometheus metrics, logs (monitoring app; see docs/operations.md)
INSTALLED_APPS.append("monitoring")
MIDDLEWARE.insert(0, "casetracker.probes.MonitoringMiddleware")
"""First: it answers /healthz, /readyz and /metrics before the host check and the HTTPS redirect."""
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
READYZ_BEAT_MAX_AGE = env_int("READYZ_BEAT_MAX_AGE", 180)
"""Seconds since beat's last tick (it ticks every minute) after which /readyz fails."""
READYZ_WORKER_MAX_AGE = env_int("READYZ_WORKER_MAX_AGE", 60)
"""Seconds since the last worker heartbeat (each worker beats every 2 s) after which /readyz fails."""
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
"""Bearer token Prometheus sends to /metrics; without one, /metrics answers 404."""
_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if _multiproc_dir and not Path(_multiproc_dir).is_dir():
    raise ImproperlyConfigured(
        f"PROMETHEUS_MULTIPROC_DIR={_multiproc_dir!r} is not a directory; create it (empty) before the processes start"
    )
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be json or plain")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
"""Celery workers log through LOGGING below, in the same format and with the same context."""

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "monitoring.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"},
        "json": {"()": "monitoring.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # At INFO they log every request's URL, and the report document's URL is pre-signed.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

if not DEBUG:
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not FIELD_ENCRYPTION_KEY:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set when DEBUG is off: marketplace credentials are encrypted "
            "with it, and deriving it from SECRET_KEY would lose them when that key rotates"
        )
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
