"""Settings for the pension eligibility certification backend.

Everything comes from environment variables with safe defaults for the embedded mode
(SQLite, django-q2 ORM broker, console SMS, the development face pack next to the repo).
A production deployment sets ``DEBUG=False`` and must then provide ``SECRET_KEY``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)


def _secret_key() -> str:
    """A dev key is generated once into var/ so sessions survive restarts; production must set one."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    key_file = BASE_DIR / "var" / "dev-secret-key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Public https origin Twilio calls back on; signatures are computed over this URL.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "accounts",
    "selfservice",
    "casework",
    "notifications",
    "facecheck",
    "chatbot",
    "silent",
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

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # IMMEDIATE makes concurrent writers (web + django-q2 ORM broker) wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "backend" / "locale"]

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Evidence and face photos: private, never served by URL; staff read them through views that check scope.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.DefaultPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "backend.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "backend.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"login_code": env.str("THROTTLE_LOGIN_CODE", default="30/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

REST_KNOX = {
    # Elderly users keep one phone for a long time: long-lived, auto-refreshed, per-device tokens.
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTO_REFRESH": True,
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_LIMIT_PER_USER": env.int("API_TOKEN_LIMIT_PER_USER", default=10),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "养老保险待遇资格认证 API",
    "DESCRIPTION": (
        "Pension eligibility certification backend: SMS-code login, certification status, "
        "face self-certification, reports and casework. Errors share one shape: "
        '{"code": "...", "message": "<中文>", "fields": {...}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}


# --- Login codes --------------------------------------------------------------------------
LOGIN_CODE_TTL_SECONDS = env.int("LOGIN_CODE_TTL_SECONDS", default=300)
LOGIN_CODE_MAX_ATTEMPTS = env.int("LOGIN_CODE_MAX_ATTEMPTS", default=5)
LOGIN_CODE_RESEND_SECONDS = env.int("LOGIN_CODE_RESEND_SECONDS", default=60)
LOGIN_CODE_DAILY_LIMIT = env.int("LOGIN_CODE_DAILY_LIMIT", default=10)

# --- Certification ------------------------------------------------------------------------
CERTIFICATION_VALIDITY_MONTHS = env.int("CERTIFICATION_VALIDITY_MONTHS", default=12)
CERTIFICATION_DUE_SOON_DAYS = env.int("CERTIFICATION_DUE_SOON_DAYS", default=30)
SERVICE_HOTLINE = env.str("SERVICE_HOTLINE", default="12333")

# --- SMS ----------------------------------------------------------------------------------
# console | file | memory | twilio
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_FILE_PATH = Path(env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms.log")))
SMS_SIGNATURE = env.str("SMS_SIGNATURE", default="【人社局】")

# --- Background tasks (django-q2) ---------------------------------------------------------
Q_CLUSTER = {
    "name": "pension",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=300),
    # retry must exceed timeout, or a long task runs twice; max_attempts 0 would retry forever.
    "retry": env.int("Q_RETRY", default=360),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=5),
    "catch_up": False,
    "save_limit": 1000,
    "label": _("Background tasks"),
}
if env.str("Q_REDIS_URL", default=""):
    Q_CLUSTER["redis"] = env.str("Q_REDIS_URL")
else:
    Q_CLUSTER["orm"] = "default"
Q_CLUSTER["sync"] = env.bool("Q_SYNC", default=False)

# Load face models and train the chatbot classifier when a WSGI worker starts, not on its first request.
WARM_UP_ON_START = env.bool("WARM_UP_ON_START", default=not DEBUG)

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- App sections (each app's owner edits only its own block) -----------------------------
# facecheck
FACECHECK_MODEL_DIR = Path(
    env.str("FACECHECK_MODEL_DIR", default=str(BASE_DIR.parent / "shared" / "models" / "face_pack_dev"))
)
# Optional: a detector file replacing the pack's one; a second recogniser asked only in the fusion band
# (default: the development second opinion next to the repo when present; "" switches fusion off).
FACECHECK_DETECTOR_FILE = env.str("FACECHECK_DETECTOR_FILE", default="")
_FACECHECK_SECOND_DEV = BASE_DIR.parent / "shared" / "models" / "alternatives" / "faceplugin_fr_feature_512d.onnx"
FACECHECK_SECOND_RECOGNIZER_FILE = env.str(
    "FACECHECK_SECOND_RECOGNIZER_FILE", default=str(_FACECHECK_SECOND_DEV) if _FACECHECK_SECOND_DEV.is_file() else ""
)
FACECHECK_DET_SIZE = env.int("FACECHECK_DET_SIZE", default=640)
FACECHECK_ORT_THREADS = env.int("FACECHECK_ORT_THREADS", default=0)  # 0: one per core
FACECHECK_MAX_UPLOAD_BYTES = env.int("FACECHECK_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
FACECHECK_MAX_PIXELS = env.int("FACECHECK_MAX_PIXELS", default=50_000_000)
# Per recogniser, or "primary+second" when fusing (scores on another scale). Chosen with facecheck_eval on
# the East-Asian set so the false-accept rate holds there (FAR <= 0.1 %); see docs/facecheck.md.
FACECHECK_THRESHOLDS = {
    "mobilefacenet_ms1m_128d@b7120c095d60094f": {
        "accept": 0.47,
        "reject": 0.36,
        "replay": 0.95,
        "duplicate": 0.65,
        "ageing": 0.55,
    },
    "mobilefacenet_ms1m_128d@b7120c095d60094f+faceplugin_fr_feature_512d@87aacdfe57510db2": {
        "accept": 0.45,
        "reject": 0.36,
        "replay": 0.95,
        "duplicate": 0.65,
        "ageing": 0.55,
        "fusion_low": 0.36,
        "fusion_high": 0.55,
    },
}
FACECHECK_DAILY_ATTEMPTS = env.int("FACECHECK_DAILY_ATTEMPTS", default=5)  # compared selfies per pensioner per day
FACECHECK_DAILY_SUBMISSIONS = env.int("FACECHECK_DAILY_SUBMISSIONS", default=20)  # incl. unusable photos
FACECHECK_PHASH_MAX_DISTANCE = env.int("FACECHECK_PHASH_MAX_DISTANCE", default=6)  # of 64 bits: "same picture"
FACECHECK_FACE_PHASH_MAX_DISTANCE = env.int("FACECHECK_FACE_PHASH_MAX_DISTANCE", default=4)  # face crop: review
FACECHECK_RETRY_WINDOW_SECONDS = env.int("FACECHECK_RETRY_WINDOW_SECONDS", default=600)  # same upload = same answer
FACECHECK_AGEING_MAX_TEMPLATES = env.int("FACECHECK_AGEING_MAX_TEMPLATES", default=3)
FACECHECK_DUPLICATE_SCAN_CRON = env.str("FACECHECK_DUPLICATE_SCAN_CRON", default="15 2 * * *")
# end facecheck

# chatbot
# Below this classifier probability the bot asks one clarifying question instead of answering.
CHATBOT_CONFIDENCE_THRESHOLD = env.float("CHATBOT_CONFIDENCE_THRESHOLD", default=0.45)
# After this pause a new conversation starts (any half-finished flow is dropped).
CHATBOT_CONVERSATION_IDLE_MINUTES = env.int("CHATBOT_CONVERSATION_IDLE_MINUTES", default=30)
# A second hand-off request from the same phone within this window does not create another callback.
CHATBOT_CALLBACK_DEDUPE_HOURS = env.int("CHATBOT_CALLBACK_DEDUPE_HOURS", default=24)
# end chatbot

# notifications
# twilio: the real client when SMS_BACKEND=twilio. A messaging service SID wins over a sender number.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_FROM = env.str("TWILIO_FROM", default="")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
# Delivery reports go to PUBLIC_BASE_URL + /api/v1/sms/status-callback (signed by twilio).
SMS_STATUS_CALLBACK = env.bool("SMS_STATUS_CALLBACK", default=True)
# Sending: messages per second for the outbox drain (0 = unlimited); login codes are not paced.
SMS_RATE_PER_SECOND = env.float("SMS_RATE_PER_SECOND", default=10.0)
SMS_DRAIN_SECONDS = env.int("SMS_DRAIN_SECONDS", default=50)  # one drain per minute: keep below 60
SMS_DRAIN_BATCH = env.int("SMS_DRAIN_BATCH", default=200)
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=5)
SMS_RETRY_BACKOFF_SECONDS = env.list("SMS_RETRY_BACKOFF_SECONDS", cast=int, default=[30, 120, 600, 3600])
SMS_STUCK_AFTER_SECONDS = env.int("SMS_STUCK_AFTER_SECONDS", default=600)
# Quiet hours (local time of SMS_QUIET_HOURS_TZ): only login codes and replies go out.
SMS_QUIET_HOURS_START = env.str("SMS_QUIET_HOURS_START", default="21:00")
SMS_QUIET_HOURS_END = env.str("SMS_QUIET_HOURS_END", default="08:00")
SMS_QUIET_HOURS_TZ = env.str("SMS_QUIET_HOURS_TZ", default="Asia/Shanghai")
# Inbound keywords (whole message, case- and width-insensitive).
SMS_OPT_OUT_KEYWORDS = env.list(
    "SMS_OPT_OUT_KEYWORDS",
    default=["退订", "TD", "T", "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "取消提醒"],
)
SMS_OPT_IN_KEYWORDS = env.list("SMS_OPT_IN_KEYWORDS", default=["DY", "订阅", "START", "UNSTOP"])
# Schedules: reminder stages (days before the due date), grace before suspension, daily run time.
SMS_REMINDER_STAGES = sorted(set(env.list("SMS_REMINDER_STAGES", cast=int, default=[30, 7, 1])), reverse=True)
OVERDUE_GRACE_DAYS = env.int("OVERDUE_GRACE_DAYS", default=30)
NOTIFICATIONS_DAILY_CRON = env.str("NOTIFICATIONS_DAILY_CRON", default="30 7 * * *")
NOTIFICATIONS_PLAN_CHUNK = env.int("NOTIFICATIONS_PLAN_CHUNK", default=2000)
# end notifications

# casework
# Village monthly reports are due on this day of the following month.
CASEWORK_MONTHLY_REPORT_DUE_DAY = env.int("CASEWORK_MONTHLY_REPORT_DUE_DAY", default=5)
# Evidence photos/scans (JPEG, PNG, PDF checked by content); stored under MEDIA_ROOT, never served by URL.
CASEWORK_EVIDENCE_MAX_BYTES = env.int("CASEWORK_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
CASEWORK_EVIDENCE_MAX_FILES = env.int("CASEWORK_EVIDENCE_MAX_FILES", default=10)
# A new case is due for a decision this many days after it is opened.
CASEWORK_CASE_DEADLINE_DAYS = env.int("CASEWORK_CASE_DEADLINE_DAYS", default=30)
# Day of the month the monthly benefit is paid (payment ledger).
CASEWORK_PAY_DAY = env.int("CASEWORK_PAY_DAY", default=10)
# end casework

# silent (docs/silent.md explains each value)
# A strong or weak proof certifies only when the person is due within this many days (or overdue):
# earlier proofs would re-certify the same people every week and text them each time.
SILENT_CERTIFY_WINDOW_DAYS = env.int("SILENT_CERTIFY_WINDOW_DAYS", default=90)
# Weak evidence: a source counts weight × (1 - age / validity); extra events of one source add
# SILENT_WEAK_REPEAT_BONUS each (at most SILENT_WEAK_REPEAT_CAP of them), so breadth beats volume.
SILENT_WEAK_CERTIFY_SCORE = env.float("SILENT_WEAK_CERTIFY_SCORE", default=1.0)
SILENT_WEAK_MIN_SOURCES = env.int("SILENT_WEAK_MIN_SOURCES", default=2)
SILENT_WEAK_REPEAT_BONUS = env.float("SILENT_WEAK_REPEAT_BONUS", default=0.1)
SILENT_WEAK_REPEAT_CAP = env.int("SILENT_WEAK_REPEAT_CAP", default=2)
# Survival grade: strong = would certify; medium = at least this weak score; low = less.
SILENT_GRADE_MEDIUM_SCORE = env.float("SILENT_GRADE_MEDIUM_SCORE", default=0.3)
# The safety net's list: people due within this many days whose grade is medium or low.
SILENT_SAFETY_NET_DAYS = env.int("SILENT_SAFETY_NET_DAYS", default=60)
SILENT_ROUND_CRON = env.str("SILENT_ROUND_CRON", default="0 5 * * *")
# Ingestion: rows per chunk on the simple (SQLite) path; API batches: max rows, rejects kept per batch.
SILENT_INGEST_CHUNK = env.int("SILENT_INGEST_CHUNK", default=2000)
SILENT_API_MAX_ROWS = env.int("SILENT_API_MAX_ROWS", default=20000)
SILENT_REJECTS_KEPT = env.int("SILENT_REJECTS_KEPT", default=1000)
# end silent
