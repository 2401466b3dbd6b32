"""Settings for Six Ways, read from environment variables.

Every value has a safe default for a laptop (SQLite, DEBUG off unless asked for). A value that
cannot be parsed stops start-up with a message naming the variable, rather than running with a
silently wrong setting.
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def envint(name: str, default: str, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name, default).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "0")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
# The address used in links we print or send (participant links, emails).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://; got {SITE_URL!r}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.microsoft",
    "sixways.core",
    "sixways.instruments",
    "sixways.partnerships",
    "sixways.rounds",
    "sixways.results",
    "sixways.actions",
    "sixways.returns",
    "sixways.workshops",
    "sixways.accounts",
    "sixways.sharing",
    "sixways.design",
]

MIDDLEWARE = [
    # A workshop phone's poll with nothing new is an empty 304 from one row, before the rest.
    "sixways.workshops.middleware.answer_unchanged_polls",
    # Then this, so it compresses every page (a question page: 22 KB to under 3 KB); it pads each
    # compressed response with random bytes against BREACH-style guessing of the CSRF token.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sixways.design.middleware.no_store_for_private_pages",
    "sixways.accounts.middleware.require_two_factor",
    "sixways.accounts.middleware.limit_link_guessing",
]

ROOT_URLCONF = "sixways.urls"
WSGI_APPLICATION = "sixways.wsgi.application"

TEMPLATES = [
    {
        # Our pages: Jinja2 with the NHS.UK frontend macros.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "sixways" / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "sixways.jinja2.environment",
            "context_processors": ["sixways.accounts.context.accounts"],
        },
    },
    {
        # Django's own templates: the admin.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default so a laptop needs nothing else; PostgreSQL when DATABASE_URL says so.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL could not be read: {error}") from None
    if DATABASES["default"]["ENGINE"] not in (
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    ):
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL or SQLite")
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while one writer writes; IMMEDIATE takes the write lock at the
    # start of a transaction so two writers queue on the busy timeout instead of failing with
    # "database is locked" when one upgrades a read lock (see docs/adr/0002).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_PATH") or None}
    # Opening a SQLite connection (the pragmas above, Django's functions) was a tenth of a
    # participant page's time: each worker keeps its connection, as with PostgreSQL.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sign-in and sessions -------------------------------------------------------------------
# django-allauth does sign-in: email and password, a one-time code by email, TOTP two-factor,
# and Microsoft Entra ID when configured. Nobody signs up: people arrive by invitation.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    # Django's list of 20,000 passwords seen in breaches; refused whatever their length.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "partnerships:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"
SESSION_COOKIE_AGE = 60 * 60 * 8
# Participants are not signed in: a signed cookie names their response (sixways/rounds/
# participant.py). It lasts as long as a session would, and "Give me more time" cannot keep
# it past this long from when the link was used (docs/adr/0007). Over 20 hours, WCAG 2.2.1's
# limit for an end that needs no way to extend it.
PARTICIPANT_COOKIE_NAME = "participant"
PARTICIPANT_COOKIE_MAX_AGE = 60 * 60 * 24
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

ACCOUNT_ADAPTER = "sixways.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "sixways.accounts.forms.SignInForm",
    "request_login_code": "sixways.accounts.forms.RequestCodeForm",
    "confirm_login_code": "sixways.accounts.forms.ConfirmCodeForm",
    "reauthenticate": "sixways.accounts.forms.ReauthenticateForm",
    "change_password": "sixways.accounts.forms.ChangePasswordForm",
    "set_password": "sixways.accounts.forms.SetPasswordForm",
    "reset_password": "sixways.accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "sixways.accounts.forms.ResetPasswordKeyForm",
}
# Our pages are Jinja2 in the NHS.UK style: allauth looks for account/login.jinja and so on,
# which only our Jinja2 engine has, so no unstyled allauth page can appear by accident.
ACCOUNT_TEMPLATE_EXTENSION = "jinja"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
# Addresses are proven by the invitation email or set by a service administrator; nobody
# chooses their own, so there is nothing left to verify.
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_CHANGE_EMAIL = False
ACCOUNT_PREVENT_ENUMERATION = True
# No email to addresses without an account: nobody can use the service to mail strangers.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# A session ends when the browser closes, and after SESSION_COOKIE_AGE in any case: partners
# use shared computers in meeting rooms.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # the other sessions end; this one carries on
ACCOUNT_LOGIN_BY_CODE_ENABLED = envbool("LOGIN_BY_CODE", "1")
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Six Ways: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https://") else "http"
# Brute force, without letting anyone lock a real person out (docs/adr/0006). Each sign-in
# way is counted three ways: per network address, whichever accounts it tries; per account
# from one network address, strictly (ours: sixways/accounts/adapter.py); and per account from
# everywhere, over one minute only, more than one network address can reach on its own. So
# someone trying another person's address from elsewhere never uses up that person's count.
# Only failed passwords count, and a right password gives its attempts back. Password
# failures never stop a code by email, which can be tried 3 times
# (ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,10/m/key",
    "login_failed_from_address": "5/5m/key",
    "request_login_code": "20/m/ip,10/m/key",
    "request_login_code_from_address": "3/5m/key",
    "reauthenticate": "10/m/user",
    "change_password": "5/m/user",
    "reset_password": "20/m/ip,10/m/key",
    "reset_password_from_address": "3/5m/key",
    "reset_password_from_key": "20/m/ip",
}
# How many proxies in front of the service add themselves to X-Forwarded-For; the address
# before them is the person's, used for rate limits. 0 (whatever DEBUG is) reads REMOTE_ADDR:
# anyone can send X-Forwarded-For, so it is believed only when we are told a proxy writes it.
# Behind one proxy that sets it, TRUSTED_PROXY_COUNT=1.
ALLAUTH_TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0", minimum=0)

# Two-factor: TOTP apps, with recovery codes for a lost phone. Required for service
# administrators and facilitators unless MFA_REQUIRED is off (only ever for development).
MFA_ADAPTER = "sixways.accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Six Ways"
MFA_TOTP_TOLERANCE = 1  # one 30-second step either way, for phones whose clocks drift
MFA_ALLOW_UNVERIFIED_EMAIL = True  # see ACCOUNT_EMAIL_VERIFICATION
MFA_REQUIRED = envbool("MFA_REQUIRED", "0" if DEBUG else "1")
MFA_FORMS = {
    "authenticate": "sixways.accounts.forms.AuthenticateForm",
    "reauthenticate": "sixways.accounts.forms.MfaReauthenticateForm",
    "activate_totp": "sixways.accounts.forms.ActivateTOTPForm",
}

# Microsoft Entra ID (NHSmail and council tenants): on when ENTRA_CLIENT_ID is set. Only the
# listed tenants (their directory IDs) may sign in, and only for an existing account with the
# same email address: Entra ID never creates an account or a role.
ENTRA_CLIENT_ID = os.environ.get("ENTRA_CLIENT_ID", "")
ENTRA_CLIENT_SECRET = os.environ.get("ENTRA_CLIENT_SECRET", "")
ENTRA_ALLOWED_TENANTS = envlist("ENTRA_ALLOWED_TENANTS", "")
ENTRA_ALLOWED_DOMAINS = [d.lower() for d in envlist("ENTRA_ALLOWED_DOMAINS", "")]
if ENTRA_CLIENT_ID and (not ENTRA_CLIENT_SECRET or not ENTRA_ALLOWED_TENANTS):
    raise ImproperlyConfigured(
        "ENTRA_CLIENT_ID needs ENTRA_CLIENT_SECRET and ENTRA_ALLOWED_TENANTS as well"
    )
SOCIALACCOUNT_ADAPTER = "sixways.accounts.adapter.SocialAccountAdapter"
ENTRA_ENABLED = bool(ENTRA_CLIENT_ID)
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "microsoft": {
        "SCOPE": ["openid", "email", "profile", "User.Read"],
        "APPS": [
            {
                "client_id": ENTRA_CLIENT_ID,
                "secret": ENTRA_CLIENT_SECRET,
                # Multi-tenant app: Microsoft signs in anyone with a work account, and we
                # then refuse every tenant not on ENTRA_ALLOWED_TENANTS.
                "settings": {"tenant": "organizations"},
            }
        ]
        if ENTRA_CLIENT_ID
        else [],
    }
}

# Rate limits and one-time codes need one store that every worker shares: the database.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "sixways_cache",
    },
    # Results of closed rounds, which never change (sixways/results/queries.py). Each worker
    # keeps its own: the key changes when a round reopens or its answers are deleted, so no
    # worker needs telling, and a worker that restarts works a round out once again.
    "results": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sixways-results",
        "TIMEOUT": 3600,  # so a renamed organisation shows within the hour
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
}
# Wrong participant links from one network address before it is asked to wait.
PARTICIPANT_LINK_FAILURES = os.environ.get("PARTICIPANT_LINK_FAILURES", "20/h")
if not re.fullmatch(r"[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]", PARTICIPANT_LINK_FAILURES):
    raise ImproperlyConfigured("PARTICIPANT_LINK_FAILURES must look like 20/h or 50/10m")

# Board links (read-only links to a round's results) last this many days unless their
# facilitator chooses otherwise, and never more than a year; API tokens last a year by default.
BOARD_LINK_DAYS = envint("BOARD_LINK_DAYS", "90", minimum=1)
BOARD_LINK_MAX_DAYS = 366
API_TOKEN_DAYS = envint("API_TOKEN_DAYS", "365", minimum=1)
# Requests one API token may make, and wrong tokens one address may send, before waiting.
API_RATE = os.environ.get("API_RATE", "600/h")
if not re.fullmatch(r"[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]", API_RATE):
    raise ImproperlyConfigured("API_RATE must look like 600/h or 100/10m")

# --- Privacy --------------------------------------------------------------------------------
# No group with fewer respondents than this is shown on its own in individual mode.
MIN_GROUP_SIZE = envint("MIN_GROUP_SIZE", "5", minimum=3)
# The benchmark across partnerships is shown only for a cohort of at least this many
# partnerships (sixways/results/cohorts.py).
BENCHMARK_MIN_PARTNERSHIPS = envint("BENCHMARK_MIN_PARTNERSHIPS", "10", minimum=5)
# Participant invitation email addresses are removed this many days after their round closes.
INVITATION_EMAIL_RETENTION_DAYS = envint("INVITATION_EMAIL_RETENTION_DAYS", "30", minimum=0)
# Individual answers and comments are deleted this many days after their round closes; each
# organisation's totals per behaviour are kept first, so scores and trends survive.
ANSWER_RETENTION_DAYS = envint("ANSWER_RETENTION_DAYS", str(3 * 365), minimum=30)
# How long an invitation to a role can be accepted.
ROLE_INVITATION_DAYS = envint("ROLE_INVITATION_DAYS", "14", minimum=1)

# --- Requests: refuse oversized or field-stuffed bodies early with a 400 ------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Security headers -----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

HTTPS = envbool("HTTPS", "0" if DEBUG else "1")
if HTTPS:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365), minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    PARTICIPANT_COOKIE_NAME = "__Host-participant"

# --- Static files ---------------------------------------------------------------------------
# The NHS.UK frontend CSS refers to its images at /assets/images/, so static files live there.
STATIC_URL = "/assets/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NHSUK_FRONTEND = BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
STATICFILES_DIRS = [
    BASE_DIR / "sixways" / "static",
    ("nhsuk", NHSUK_FRONTEND),
    ("images", NHSUK_FRONTEND / "assets" / "images"),
]
# Built board reports and workbooks, one a round, kind and view, kept for every worker until
# their figures change; the retention rules delete a round's with its answers
# (sixways/results/downloads.py). Never served from a URL of their own: only the download views
# read them, after checking who is asking. Anything here can be built again.
MEDIA_ROOT = Path(
    os.environ.get("DOWNLOADS_DIR")
    or (
        Path(DATABASES["default"]["NAME"]).parent
        if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        else BASE_DIR
    )
    / "downloads"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production (after collectstatic); plain ones otherwise.
        "BACKEND": "sixways.design.storage.StaticFilesStorage"
        if envbool("STATIC_MANIFEST", "0" if DEBUG else "1")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Background work and email --------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Django's console backend prints emails for development; SMTP in production.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND}}
if EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": envint("EMAIL_PORT", "587", minimum=1),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": envbool("EMAIL_USE_TLS", "1"),
    }
del EMAIL_BACKEND  # MAILERS replaces the old EMAIL_* settings in Django 6.1
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Six Ways <noreply@sixways.invalid>")
# Participants' invitations and reminders come from "<partnership> via Six Ways" at the address
# above. Where people may reply (a team mailbox, say), set the address replies go to.
PARTICIPANT_REPLY_TO = os.environ.get("PARTICIPANT_REPLY_TO", "")
# Beside a round's agreed answers: an agreed Yes or Sometimes is flagged as hiding dissent when
# at least this many per cent of people answered Not always or No (sixways/results/layers.py).
MASKED_DISSENT_PERCENT = int(os.environ.get("MASKED_DISSENT_PERCENT", "30"))
# How many days before an action's due date its owner is reminded (sixways/actions/reminders.py).
ACTION_REMINDER_DAYS = int(os.environ.get("ACTION_REMINDER_DAYS", "7"))
# Files of paper returns (sixways/returns/): the largest file and the most rows taken, and how
# long an uploaded file is kept when it is never imported. Files up to RETURNS_CHECK_NOW_BYTES
# are checked while the facilitator waits; larger ones by the background worker.
RETURNS_MAX_BYTES = envint("RETURNS_MAX_BYTES", str(20 * 1024 * 1024), minimum=1024)
RETURNS_MAX_ROWS = envint("RETURNS_MAX_ROWS", "50000", minimum=1)
RETURNS_CHECK_NOW_BYTES = envint("RETURNS_CHECK_NOW_BYTES", str(256 * 1024), minimum=0)
RETURNS_KEEP_HOURS = envint("RETURNS_KEEP_HOURS", "24", minimum=1)

# --- Locale ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Logging: never log request bodies (they carry comments) -------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "sixways.accounts.logging.RedactSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
