"""Django settings for Alliance.

One settings module, driven by environment variables so the same code runs the
embedded SQLite demo, the test suite and an académie deployment on PostgreSQL:

- ``ALLIANCE_DATABASE_URL``: a database URL (default: SQLite file ``var/alliance.sqlite3``).
- ``ALLIANCE_SECRET_KEY``: required when ``ALLIANCE_DEBUG`` is off.
- ``ALLIANCE_DEBUG``: ``1`` for development (the demo sets it).
- ``ALLIANCE_ALLOWED_HOSTS``: comma-separated host names.
- ``ALLIANCE_TASKS_BACKEND``: ``database`` (background jobs run by ``manage.py db_worker``) or
  ``immediate`` (jobs run inside the request). Default: ``immediate`` with ``ALLIANCE_DEBUG=1``
  and in tests, ``database`` otherwise (docs/decisions/0006-background-jobs.md).
- ``ALLIANCE_JOBS_INLINE_MAX_ROWS``: imports of at most this many rows run inline (2000).
- ``ALLIANCE_CERTIFIED_HEALTH_HOSTING``: ``1`` only when the deployment runs on certified
  health-data hosting (HDS); otherwise health and social professionals record only published
  summary items, never note bodies (docs/decisions/0007-need-to-know-and-secrecy.md).
- ``ALLIANCE_MASTER_KEY`` (URL-safe base64 of 32 random bytes) or ``ALLIANCE_MASTER_KEY_FILE``
  (a file holding it): the master key of encryption at rest, required when ``ALLIANCE_DEBUG``
  is off; with ``ALLIANCE_DEBUG=1`` and neither, a development key is made in
  ``var/dev-master.key`` (docs/decisions/0016-encryption-and-backups.md).
- ``ALLIANCE_RETENTION_CASE_YEARS`` (2), ``ALLIANCE_RETENTION_LEFT_PUPIL_YEARS`` (1),
  ``ALLIANCE_RETENTION_DETECTION_YEARS`` (2), ``ALLIANCE_RETENTION_AUDIT_MONTHS`` (12),
  ``ALLIANCE_RETENTION_HISTORY_MONTHS`` (12): the retention schedule applied daily by
  ``manage.py purge_expired`` (docs/decisions/0015-official-boundary-and-retention.md).
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ALLIANCE_VAR_DIR", BASE_DIR / "var"))

DEBUG = os.environ.get("ALLIANCE_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("ALLIANCE_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("ALLIANCE_TESTING") != "1":
        raise RuntimeError("ALLIANCE_SECRET_KEY must be set when ALLIANCE_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLIANCE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "dsfr",
    "widget_tweaks",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "django_tasks_db",
    "alliance.core",
    "alliance.people",
    "alliance.tenancy",
    "alliance.partners",
    "alliance.charter",
    "alliance.pupils",
    "alliance.cases",
    "alliance.meetings",
    "alliance.plans",
    "alliance.agreements",
    "alliance.audit",
    "alliance.privacy",
    "alliance.jobs",
    "alliance.detection",
    "alliance.www",
    "alliance.demo",
    "alliance.vault",
    "alliance.backups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "alliance.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "alliance.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "alliance.tenancy.middleware.CurrentMembershipMiddleware",
    "alliance.charter.middleware.CharterGateMiddleware",
    "alliance.core.middleware.NoStoreMiddleware",
    "alliance.vault.middleware.DecryptionErrorMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "alliance.urls"
WSGI_APPLICATION = "alliance.wsgi.application"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "alliance" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alliance.core.context_processors.alliance",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("ALLIANCE_DATABASE_URL", f"sqlite:///{VAR_DIR / 'alliance.sqlite3'}"),
        conn_max_age=int(os.environ.get("ALLIANCE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; the busy timeout makes a
    # second writer wait instead of failing at once. A 64 MiB page cache per connection
    # (default 2 MiB) and temporary tables in memory: an import of a school's year writes
    # ~110,000 rows through several indexes per table (decision 0012, "The importer").
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "alliance" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and os.environ.get("ALLIANCE_TESTING") != "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("ALLIANCE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Certified health-data hosting (HDS): without it, secrecy-bound professions store no notes.
ALLIANCE_CERTIFIED_HEALTH_HOSTING = os.environ.get("ALLIANCE_CERTIFIED_HEALTH_HOSTING", "0") == "1"


# Retention schedule (issue 5 point 4; alliance.privacy.retention, docs/decisions/0015): whole
# school years, except the logs and import history, in months. The DPO confirms them in the DPIA.
def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, str(default)).strip()
    if not value.isdigit():
        raise RuntimeError(f"{name} must be a whole number (found {value!r}).")
    return int(value)


ALLIANCE_RETENTION_CASE_YEARS = _whole_number("ALLIANCE_RETENTION_CASE_YEARS", 2)
ALLIANCE_RETENTION_LEFT_PUPIL_YEARS = _whole_number("ALLIANCE_RETENTION_LEFT_PUPIL_YEARS", 1)
ALLIANCE_RETENTION_DETECTION_YEARS = _whole_number("ALLIANCE_RETENTION_DETECTION_YEARS", 2)
ALLIANCE_RETENTION_AUDIT_MONTHS = _whole_number("ALLIANCE_RETENTION_AUDIT_MONTHS", 12)
ALLIANCE_RETENTION_HISTORY_MONTHS = _whole_number("ALLIANCE_RETENTION_HISTORY_MONTHS", 12)

# Encryption at rest: the master key that wraps every school's data keys (alliance.vault).
# Never stored in the database nor in backups; the operator keeps it separately.
ALLIANCE_MASTER_KEY = os.environ.get("ALLIANCE_MASTER_KEY", "")
ALLIANCE_MASTER_KEY_FILE = os.environ.get("ALLIANCE_MASTER_KEY_FILE", "")
_NO_MASTER_KEY = not (ALLIANCE_MASTER_KEY or ALLIANCE_MASTER_KEY_FILE)
if _NO_MASTER_KEY and not DEBUG and os.environ.get("ALLIANCE_TESTING") != "1":
    raise RuntimeError(
        "ALLIANCE_MASTER_KEY or ALLIANCE_MASTER_KEY_FILE must be set when ALLIANCE_DEBUG is off."
    )

# Background jobs (django-tasks): the database backend with `manage.py db_worker` processes in
# production; the immediate backend (inline, no worker) in tests and in the demo.
_TASKS_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
_TASKS_DEFAULT = "immediate" if DEBUG or os.environ.get("ALLIANCE_TESTING") == "1" else "database"
TASKS = {
    "default": {
        "BACKEND": _TASKS_BACKENDS[os.environ.get("ALLIANCE_TASKS_BACKEND", _TASKS_DEFAULT)],
    }
}
JOBS_INLINE_MAX_ROWS = int(os.environ.get("ALLIANCE_JOBS_INLINE_MAX_ROWS", "2000"))

# django-dsfr reads its integrity checksums from the package.
DSFR_USE_INTEGRITY_CHECKSUMS = True

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Logs name objects by public id only, never by a person's data.
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
