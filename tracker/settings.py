"""Settings for the transplant timeline tracker.

Every value that differs between a laptop and a clinic server comes from the environment
through the small helpers below, which fail loudly on a value they cannot read.
"""

import os
import re
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from tracker.rules import reminders
from tracker.rules.registry import RegistryRules

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or set DEBUG=true for a local run."
        )
    SECRET_KEY = "development-only-not-secret"  # noqa: S105 (only ever used with DEBUG on)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "django_tasks",
    "huey.contrib.djhuey",
    "tracker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tracker.http.HeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tracker.http.BadRequestBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tracker.http.HtmxLoginMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "tracker.http.IdleSessionMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
            "builtins": [
                "template_partials.templatetags.partials",
                "tracker.templatetags.tracker_tags",
            ],
        },
    },
]

# SQLite by default: WAL lets readers run beside a writer; IMMEDIATE transactions take the
# write lock up front, so concurrent writers wait (busy timeout) instead of failing with
# "database is locked" half-way through a transaction.
SQLITE_PATH = env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))
# Both databases keep a server's connection open for CONN_MAX_AGE seconds instead of opening
# one per request (0 does that, Django's default); a connection that broke in the meantime (a
# restarted PostgreSQL) is noticed and replaced before a request uses it (health checks).
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 600)
if CONN_MAX_AGE < 0:
    raise ImproperlyConfigured(f"CONN_MAX_AGE={CONN_MAX_AGE} is negative; use 0 or more seconds.")
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend, with the real limit on SQL variables (see the module).
            "ENGINE": "tracker.db.sqlite3",
            "NAME": SQLITE_PATH,
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
            # Tests use a file too (not Django's shared in-memory database), so concurrent
            # writers in the concurrency test meet SQLite's real locking, as in production.
            "TEST": {
                "NAME": env_str(
                    "SQLITE_TEST_PATH",
                    str(Path(tempfile.gettempdir()) / f"tracker-test-{os.getpid()}.sqlite3"),
                )
            },
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# "Today" in the clinic is the date in the clinic's time zone, not UTC and not the server's.
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE={TIME_ZONE!r} is not a time zone name (e.g. Europe/London)."
    ) from None
USE_TZ = True
LANGUAGE_CODE = "en-gb"
USE_I18N = True

# Medical record numbers: what a centre's numbers look like. Stored upper-case.
MRN_PATTERN = env_str("MRN_PATTERN", r"^[A-Z0-9][A-Z0-9-]{3,19}$")
try:
    re.compile(MRN_PATTERN)
except re.error as error:
    raise ImproperlyConfigured(f"MRN_PATTERN is not a regular expression: {error}") from None
MRN_HELP = env_str(
    "MRN_HELP", "4 to 20 letters, digits or hyphens, starting with a letter or digit."
)
# The FHIR identifier system of the centre's MRNs (the hospital's own URI or OID, e.g.
# "urn:oid:1.2.3.4"): a receiving system matches patients by it (docs/fhir.md).
FHIR_MRN_SYSTEM = env_str("FHIR_MRN_SYSTEM", "https://transplant-tracker.example/fhir/sid/mrn")
if not re.match(r"^(https?://|urn:(oid|uuid):)\S+$", FHIR_MRN_SYSTEM):
    raise ImproperlyConfigured(
        "FHIR_MRN_SYSTEM is an absolute URI (https://..., urn:oid:... or urn:uuid:...)."
    )

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SESSION_COOKIE_HTTPONLY = True
# htmx sends the token from the page (hx-headers on <body>), so scripts never read the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS proxy in production: HTTPS only, remembered by browsers (HSTS). Off for a local
# run; `make serve` turns them off to try production settings on http://127.0.0.1.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer asks over plain HTTP
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # Joining the browsers' preload list is a decision for the owner of the hospital's domain.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
if env_bool("BEHIND_TLS_PROXY", not DEBUG):
    # The proxy terminates TLS and says so; gunicorn trusts it with --forwarded-allow-ips.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): our own files only, no inline code or styles, so
# htmx runs without eval (see the htmx-config meta tag in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# No page needs the camera, microphone, location and the like.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# Login throttling (django-axes) on the app's and the admin's login: after AXES_FAILURE_LIMIT
# wrong passwords for one username, or from one address, logins from there wait
# AXES_COOLOFF_MINUTES; an administrator can unlock at once (admin: Axes, or
# `manage.py axes_reset_username NAME`).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Behind PROXY_COUNT proxies, the client's address is the one the outermost proxy appended
# to X-Forwarded-For (tracker.http.client_ip); with none, the connecting address.
PROXY_COUNT = env_int("PROXY_COUNT", 0 if DEBUG else 1)
AXES_CLIENT_IP_CALLABLE = "tracker.http.client_ip"

# Three caches. `default` counts password resets across every app server and worker: the
# database's own table (made by `make migrate` with createcachetable). `pages` keeps drawn
# pages and large parts of them (course pages, patients' pages, feeds, the follow-up list's
# rows; about 150 KB each) and `fragments` each drawn milestone (about 3 KB): their keys change
# with every change (tracker/views/fragments.py). Both live in each worker's memory, bounded by
# entries (PAGE_CACHE_ENTRIES × 150 KB is the most a worker holds of pages). With several app
# servers, set CACHE_URL (redis://host:6379/0, with the `redis` extra installed) and all three
# use that Redis instead. FRAGMENT_CACHE_ENTRIES=0 keeps nothing: every page is drawn
# (bench/pages.py's "first view" measures that).
CACHE_URL = env_str("CACHE_URL", "")
FRAGMENT_CACHE_ENTRIES = env_int("FRAGMENT_CACHE_ENTRIES", 5000)
PAGE_CACHE_ENTRIES = env_int("PAGE_CACHE_ENTRIES", 300)
KEPT_A_DAY = 24 * 60 * 60
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"CACHE_URL={CACHE_URL!r} is not a Redis address; use redis://host:port/db."
        )
    REDIS = "django.core.cache.backends.redis.RedisCache"
    CACHES: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": REDIS, "LOCATION": CACHE_URL},
        "pages": {"BACKEND": REDIS, "LOCATION": CACHE_URL, "KEY_PREFIX": "pages"},
        "fragments": {"BACKEND": REDIS, "LOCATION": CACHE_URL, "KEY_PREFIX": "fragments"},
    }
    for alias in ("pages", "fragments"):
        CACHES[alias]["TIMEOUT"] = KEPT_A_DAY
else:

    def in_memory(name: str, entries: int) -> dict[str, Any]:
        if entries <= 0 or FRAGMENT_CACHE_ENTRIES <= 0:
            return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": name,
            "TIMEOUT": KEPT_A_DAY,
            "OPTIONS": {"MAX_ENTRIES": entries},
        }

    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "tracker_cache",
        },
        "pages": in_memory("pages", PAGE_CACHE_ENTRIES),
        "fragments": in_memory("fragments", FRAGMENT_CACHE_ENTRIES),
    }

# Immune recovery (CLINICAL.md section 5). The influenza season as "MM-DD/MM-DD" (first and
# last day; it may wrap the new year: the northern default, September to March; a southern
# centre sets 03-01/09-30). PJP prophylaxis stops at least 6 months after engraftment and once
# off immunosuppression; a centre may also wait PJP_MONTHS_OFF_IMMUNOSUPPRESSION months off it
# and for a CD4 count above PJP_CD4_THRESHOLD per µL (0: not used).
INFLUENZA_SEASON = env_str("INFLUENZA_SEASON", "09-01/03-31")


def season_days(value: str) -> None:
    """Fail loudly on a season that is not two real days of the year (29 February is not)."""
    try:
        if not re.fullmatch(r"\d\d-\d\d/\d\d-\d\d", value):
            raise ValueError
        for part in value.split("/"):
            month, day = part.split("-")
            date(2001, int(month), int(day))
    except ValueError:
        raise ImproperlyConfigured(
            f"INFLUENZA_SEASON={value!r}: give the first and last day as MM-DD/MM-DD, "
            "e.g. 09-01/03-31."
        ) from None


season_days(INFLUENZA_SEASON)
PJP_MONTHS_OFF_IMMUNOSUPPRESSION = env_int("PJP_MONTHS_OFF_IMMUNOSUPPRESSION", 0)
PJP_CD4_THRESHOLD = env_int("PJP_CD4_THRESHOLD", 0)

# bench/pages.py measures every page against a bare logged-in view, served only then.
BENCHMARK_VIEWS = env_bool("BENCHMARK_VIEWS", False)

# Password resets: at most this many a quarter of an hour per address and per e-mail.
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 5)

# One line per event: Django's own loggers write through the root handler only (not twice),
# and an expected 403/404/400 is a line without a traceback; a 500 keeps its traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected_client_errors": {"()": "tracker.log.ExpectedClientErrors"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["expected_client_errors"],
        }
    },
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "axes": {"handlers": [], "level": "WARNING", "propagate": True},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Shared clinic workstations: a session ends after this many idle minutes.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# The idle clock restarts with a request, but the session is written at most once a minute
# (tracker.http.IdleSessionMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = 60

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "transplant-tracker@localhost")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)

# Registry reporting (CLINICAL.md section 4; tracker.rules.registry), in day numbers from
# Day 0. Due dates "key=day,...", the 100-day and 6-month windows "first-last", yearly
# forms' window in days after their anniversary "first-" or "first-last", and how many days
# after its anniversary a yearly form is due. The defaults are CIBMTR's.
REGISTRY_DUE_DAYS = env_str("REGISTRY_DUE_DAYS", "pre_ted=30,2006=45,100d=130,6m=225")
REGISTRY_WINDOWS = env_str("REGISTRY_WINDOWS", "100d=85-115,6m=150-210")
REGISTRY_YEARLY_WINDOW = env_str("REGISTRY_YEARLY_WINDOW", "1-")
REGISTRY_YEARLY_DUE_AFTER = env_int("REGISTRY_YEARLY_DUE_AFTER", 45)


def registry_rules() -> RegistryRules:
    """The centre's registry rules from the settings above; fail loudly on a typo."""
    name = "REGISTRY_DUE_DAYS"
    try:
        due = {k: int(v) for k, v in (p.split("=") for p in REGISTRY_DUE_DAYS.split(","))}
        if set(due) != {"pre_ted", "2006", "100d", "6m"}:
            raise ValueError
        name = "REGISTRY_WINDOWS"
        windows = {}
        for part in REGISTRY_WINDOWS.split(","):
            key, span = part.split("=")
            first, last = span.split("-")
            windows[key] = (int(first), int(last))
        if not set(windows) <= {"100d", "6m"}:
            raise ValueError
        name = "REGISTRY_YEARLY_WINDOW"
        first, last = REGISTRY_YEARLY_WINDOW.split("-")
        return RegistryRules(
            due_days=due,
            windows=windows,
            yearly_window_first=int(first),
            yearly_window_last=int(last) if last else None,
            yearly_due_after=REGISTRY_YEARLY_DUE_AFTER,
        )
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}: see tracker/settings.py for its form (e.g. REGISTRY_WINDOWS="
            "100d=85-115,6m=150-210)."
        ) from None


REGISTRY_RULES = registry_rules()

# Jobs: reminders and e-mail go through Django's task interface (django-tasks, the backport
# of Django 6's tasks) on huey. JOBS_URL is where the queue lives: a SQLite file of its own by
# default (no server to run), redis://… or postgres://… when several app servers share it.
# The worker is `manage.py run_huey` (one per queue); JOBS_IMMEDIATE runs each job at once in
# the process that asks for it (no worker; the tests).
JOBS_URL = env_str("JOBS_URL", f"sqlite:///{BASE_DIR / 'jobs.sqlite3'}")
JOBS_IMMEDIATE = env_bool("JOBS_IMMEDIATE", False)
JOBS_WORKERS = env_int("JOBS_WORKERS", 2)


def jobs_queue(url: str) -> dict[str, Any]:
    """huey's storage for JOBS_URL."""
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite" and rest.startswith("/"):
        return {"huey_class": "huey.SqliteHuey", "filename": rest[1:] or "jobs.sqlite3"}
    if scheme in ("redis", "rediss"):
        return {"huey_class": "huey.RedisHuey", "url": url}
    if scheme in ("postgres", "postgresql"):
        return {"huey_class": "huey.PostgresHuey", "dsn": url}
    raise ImproperlyConfigured(
        f"JOBS_URL={url!r}: use sqlite:////path/jobs.sqlite3, redis://host:6379/0 or "
        "postgres://user@host/db."
    )


HUEY = {
    "name": "tracker",
    "immediate": JOBS_IMMEDIATE,
    "utc": True,
    "consumer": {"workers": JOBS_WORKERS, "worker_type": "thread"},
    **jobs_queue(JOBS_URL),
}
TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}

# Reminders (tracker.services.reminders), on the clinic's clock (TIME_ZONE). Patients' e-mails
# the day before go out at the first sweep (every REMINDER_SWEEP_MINUTES) outside the quiet
# hours; the staff digest only within its hours. A failed send is tried again after
# REMINDER_RETRY_MINUTES, then twice as long each time, REMINDER_ATTEMPTS times in all.
# SITE_URL is the address the e-mails link to (the worker has no request to read it from).
REMINDER_SWEEP_MINUTES = env_int("REMINDER_SWEEP_MINUTES", 15)
REMINDER_ATTEMPTS = env_int("REMINDER_ATTEMPTS", 5)
REMINDER_RETRY_MINUTES = env_int("REMINDER_RETRY_MINUTES", 5)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def hours_setting(name: str, default: str) -> reminders.Hours:
    try:
        return reminders.parse_hours(env_str(name, default))
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}.") from None


REMINDER_QUIET_HOURS = hours_setting("REMINDER_QUIET_HOURS", "20:00-08:00")
DIGEST_HOURS = hours_setting("DIGEST_HOURS", "07:00-11:00")
