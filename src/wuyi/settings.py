"""Settings for wuyi, read from the environment (see docs/operations.md).

Local use needs no variables: an SQLite file under ``data/`` and a secret key
generated once and kept there. Production (``WUYI_PRODUCTION=true``) refuses to
start without ``SECRET_KEY`` and ``ALLOWED_HOSTS`` from the environment.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from wuyi.env import ConfigError, env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("WUYI_DATA_DIR", str(Path.cwd() / "data"))).resolve()

PRODUCTION = env_bool("WUYI_PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ConfigError("SECRET_KEY must be set in the environment when WUYI_PRODUCTION=true")
    # Local use: generate once and keep it beside the database, so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigError("ALLOWED_HOSTS must be set in the environment when WUYI_PRODUCTION=true")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The admin, for superusers only and audit logged (wuyi/accounts/admin_site.py).
    "wuyi.accounts.admin_config.WuyiAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "wuyi.core",
    "wuyi.accounts",
    "wuyi.territory",
    "wuyi.people",
    "wuyi.workforce",
    "wuyi.testing",
    "wuyi.coverage",
    "wuyi.risk",
    "wuyi.control",
    "wuyi.services",
    "wuyi.command",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # LocaleMiddleware minus Accept-Language: Chinese unless English is chosen in the top bar.
    "wuyi.core.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it locks out after repeated failed logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wuyi.urls"
WSGI_APPLICATION = "wuyi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
# DATABASE_URL selects the database; the default is an SQLite file in DATA_DIR.
DEFAULT_SQLITE = f"sqlite:///{DATA_DIR / 'wuyi.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", DEFAULT_SQLITE))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # Immediate transactions take the write lock up front, so two writers wait for
        # each other (busy timeout) instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            # Checkpoint every 10,000 pages (40 MB) instead of 1,000: a scan batch dirties
            # hundreds of index pages, and checkpointing after nearly every batch cost a
            # quarter of ingest's time (wuyi bench ingest).
            "PRAGMA wal_autocheckpoint=10000;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA temp_store=MEMORY;"
            "PRAGMA cache_size=-65536;"
            "PRAGMA mmap_size=268435456;"
            # Code paths are digits and upper-case letters: a case-sensitive LIKE
            # lets SQLite answer "everything under X" from the path index.
            "PRAGMA case_sensitive_like=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # Opening a connection runs the PRAGMAs above, a few milliseconds of CPU: keep it open
    # across requests (as for PostgreSQL below), or the single-scan API pays it per scan.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
else:
    # Assigned, not setdefault: dj_database_url always fills CONN_MAX_AGE (with 0), and a
    # new PostgreSQL connection per request (a backend forked each time) held single scans
    # to 192 a second.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Auth -----------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # one working shift
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the template, never read the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Language and time ------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True  # timestamps are stored in UTC and shown in Asia/Shanghai

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

# --- Uploads: result files and spreadsheets can be large ----------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# --- Control of risk persons --------------------------------------------------
# The roles of a five-to-one team (五包一); cities that ran "四包一" list four of them.
CONTROL_TEAM_ROLES = env_list(
    "WUYI_CONTROL_TEAM_ROLES",
    ["community_cadre", "grid_worker", "community_doctor", "police_officer", "volunteer"],
)
# Hours an overdue task waits on the community's and street's lists before it escalates.
CONTROL_ESCALATE_AFTER_HOURS = env_int("WUYI_CONTROL_ESCALATE_AFTER_HOURS", 2)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
