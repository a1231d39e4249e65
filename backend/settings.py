"""Settings for the pension eligibility certification backend.

Everything comes from environment variables with safe defaults for the embedded mode
(SQLite, django-q2 ORM broker, console SMS, the development face pack next to the repo).
A production deployment sets ``DEBUG=False`` and must then provide ``SECRET_KEY``,
``FIELD_ENCRYPTION_KEYS`` and ``FIELD_BLIND_INDEX_KEY``.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)


def _secret_key() -> str:
    """Production must set one. In DEBUG: the random key scripts/setup.sh wrote into var/, so sessions survive
    restarts; without it (setup not run) a key derived from the checkout's path, marked insecure so that
    ``check --deploy`` flags it. Importing settings never writes a file."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    key_file = BASE_DIR / "var" / "dev-secret-key"
    if key_file.is_file():
        return key_file.read_text().strip()
    return "django-insecure-" + hashlib.sha256(f"pension-dev-key:{BASE_DIR}".encode()).hexdigest()


SECRET_KEY = _secret_key()


def _field_key(variable: str, dev_file: str, purpose: str) -> str:
    """Keys for personal data at rest (backend.crypto), read like SECRET_KEY: production must set the
    variable; in DEBUG, the random key scripts/setup.sh wrote into var/; without it (setup not run) a key
    derived from the checkout's path, which ``check --deploy`` flags (backend.W002)."""
    key = env.str(variable, default="")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(f"{variable} must be set when DEBUG is off.")
    key_file = BASE_DIR / "var" / dev_file
    if key_file.is_file():
        return key_file.read_text().strip()
    return base64.urlsafe_b64encode(hashlib.sha256(f"{INSECURE_FIELD_KEY_SEED}{purpose}:{BASE_DIR}".encode()).digest())[
        :43
    ].decode()


INSECURE_FIELD_KEY_SEED = "pension-insecure-field-key:"
# AES-GCM keys for ID numbers, names, phones, bank accounts, face photos, evidence and embeddings:
# comma-separated base64 32-byte keys, the current one first (it encrypts; every one decrypts).
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in _field_key("FIELD_ENCRYPTION_KEYS", "dev-field-encryption-key", "encryption").split(",")
    if k.strip()
]
# HMAC key of the blind indexes (exact lookups by ID number, phone, name); a separate key.
FIELD_BLIND_INDEX_KEY = _field_key("FIELD_BLIND_INDEX_KEY", "dev-blind-index-key", "blind-index")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "backend.api.errors.csrf_failure_view"  # JSON error shape under /api/
# Public https origin Twilio calls back on; signatures are computed over this URL.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "backend.apps.ServiceAdminConfig",  # django.contrib.admin, titled as the service, OTP-aware
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "accounts",
    "selfservice",
    "casework",
    "notifications",
    "facecheck",
    "chatbot",
    "dashboard",
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
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],  # overrides (Redoc without external fonts)
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
    # var/ (the SQLite file's folder) is created by scripts/setup.sh, not here: importing settings writes nothing.
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

# --- Staff sign-in: lockout (django-axes) and a second factor (django-otp TOTP) ---------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # counts failures and refuses locked-out sign-ins first
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "backend.api.clients.client_ip"  # same NUM_PROXIES rule as the throttles
AXES_LOCKOUT_CALLABLE = "backend.admin_site.lockout_response"
# Staff need username + password + a TOTP code (admin), or SMS code + TOTP code (API login).
STAFF_OTP_REQUIRED = env.bool("STAFF_OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="养老保险待遇资格认证")

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
STATIC_ROOT = BASE_DIR / "var" / "static"  # created by scripts/setup.sh (collectstatic in production)
# Evidence and face photos: private, never served by URL; staff read them through views that check scope.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    # Files encrypted at rest (AES-GCM, backend.crypto), mode 0600; files written before still read.
    "default": {"BACKEND": "backend.storage.EncryptedFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.TokenAuthentication",
        "backend.api.auth.SessionAuthentication",  # OTP-verified staff sessions; a clear CSRF error
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.DefaultPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "backend.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "backend.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {
        "login_code": env.str("THROTTLE_LOGIN_CODE", default="30/min"),
        # per client address and day over all phones (carrier NAT puts many people behind one address)
        "login_code_daily": env.str("THROTTLE_LOGIN_CODE_DAILY", default="500/day"),
        # per signed-in user: requests to act for a family member (each may text a pensioner)
        "relative_link": env.str("THROTTLE_RELATIVE_LINK", default="10/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Reverse proxies in front of the app that append to X-Forwarded-For. 0: the header is ignored
    # (a forged one would otherwise give every request a fresh throttle budget). See backend/api/clients.py.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
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

_SYSTEM_FONTS = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", system-ui, sans-serif'
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
    # System fonts only (the stock page loads Google Fonts, unreachable from many networks in China).
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": _SYSTEM_FONTS,
                "headings": {"fontFamily": _SYSTEM_FONTS},
                "code": {"fontFamily": "ui-monospace, Menlo, Consolas, monospace"},
            }
        }
    },
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}


# When the daily retention jobs run (selfies: facecheck.retention; evidence: casework.retention).
RETENTION_CRON = env.str("RETENTION_CRON", default="45 3 * * *")

# --- Login codes --------------------------------------------------------------------------
LOGIN_CODE_TTL_SECONDS = env.int("LOGIN_CODE_TTL_SECONDS", default=300)
LOGIN_CODE_MAX_ATTEMPTS = env.int("LOGIN_CODE_MAX_ATTEMPTS", default=5)
LOGIN_CODE_RESEND_SECONDS = env.int("LOGIN_CODE_RESEND_SECONDS", default=60)
LOGIN_CODE_DAILY_LIMIT = env.int("LOGIN_CODE_DAILY_LIMIT", default=10)  # per phone, purpose and requester
# Per phone and purpose from requesters the phone never logged in from (bounds SMS to a stranger's phone;
# the phone's own app, with its device key, is not held back by it). See docs/security.md.
LOGIN_CODE_PHONE_DAILY_LIMIT = env.int("LOGIN_CODE_PHONE_DAILY_LIMIT", default=20)
# A request to act for a family member answers no sooner than this, matched or not (no timing oracle).
RELATIVE_LINK_MIN_RESPONSE_SECONDS = env.float("RELATIVE_LINK_MIN_RESPONSE_SECONDS", default=0.4)

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
    # HTTPS only (the proxy sets X-Forwarded-Proto); HSTS for a year. See docs/security.md.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- App sections (each app's owner edits only its own block) -----------------------------
# facecheck
FACECHECK_MODEL_DIR = Path(
    env.str("FACECHECK_MODEL_DIR", default=str(BASE_DIR.parent / "shared" / "models" / "face_pack_dev"))
)
# Optional: a detector file replacing the pack's one; a second recogniser asked only in the fusion band
# (default: the development second opinion next to the repo when present; "" switches fusion off).
FACECHECK_DETECTOR_FILE = env.str("FACECHECK_DETECTOR_FILE", default="")
# A fusion recogniser run on every request (default: the development 192-d MobileFaceNet next to the repo
# when present; "" switches it off). With it, the slow second recogniser is off by default: on held-out
# East-Asian people it added 0.4 points (83.35 -> 83.76 %) for ~0.2 s on 18 % of genuine attempts.
_FACECHECK_FUSION_DEV = BASE_DIR.parent / "shared" / "models" / "alternatives" / "mobilefacenet_sirius_192d.onnx"
FACECHECK_FUSION_RECOGNIZER_FILE = env.str(
    "FACECHECK_FUSION_RECOGNIZER_FILE", default=str(_FACECHECK_FUSION_DEV) if _FACECHECK_FUSION_DEV.is_file() else ""
)
FACECHECK_FUSION_FLIP_AVERAGE = env.bool("FACECHECK_FUSION_FLIP_AVERAGE", default=True)  # +1.8 points held out
_FACECHECK_SECOND_DEV = BASE_DIR.parent / "shared" / "models" / "alternatives" / "faceplugin_fr_feature_512d.onnx"
FACECHECK_SECOND_RECOGNIZER_FILE = env.str(
    "FACECHECK_SECOND_RECOGNIZER_FILE",
    default=str(_FACECHECK_SECOND_DEV)
    if _FACECHECK_SECOND_DEV.is_file() and not FACECHECK_FUSION_RECOGNIZER_FILE
    else "",
)
# Overrides of facecheck.engine.config.QualityLimits fields (blur, size, pose...); {} keeps the engine's own.
FACECHECK_QUALITY: dict[str, float] = {}
FACECHECK_DET_SIZE = env.int("FACECHECK_DET_SIZE", default=640)
FACECHECK_ORT_THREADS = env.int("FACECHECK_ORT_THREADS", default=0)  # 0: one per core
FACECHECK_MAX_UPLOAD_BYTES = env.int("FACECHECK_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
FACECHECK_MAX_PIXELS = env.int("FACECHECK_MAX_PIXELS", default=50_000_000)
# Estimated peak memory of decoding one photo, from its header (a 16-bit 7000x7000 PNG is refused).
FACECHECK_MAX_DECODE_BYTES = env.int("FACECHECK_MAX_DECODE_BYTES", default=256 * 1024 * 1024)
# Per recogniser, or "primary+fusion[+second]" / "primary+second" when fusing (scores on another scale).
# Chosen on the East-Asian set so the false-accept rate holds there (FAR <= 0.1 %); the fusion entries on
# its calibration half only (bench/face_verify/calibrate.py), checked on the held-out half (docs/facecheck.md).
# duplicate 0.62: above every different-person pair of the calibration half (max 0.592; primary cosine).
_FACECHECK_FUSION_Z = {
    "z_primary_mean": 0.05954,
    "z_primary_sd": 0.12909,
    "z_fusion_mean": 0.15555,
    "z_fusion_sd": 0.15097,
}
FACECHECK_THRESHOLDS = {
    "mobilefacenet_ms1m_128d@b7120c095d60094f": {
        "accept": 0.47,
        "reject": 0.36,
        "replay": 0.95,
        "duplicate": 0.62,
        "ageing": 0.55,
    },
    "mobilefacenet_ms1m_128d@b7120c095d60094f+mobilefacenet_sirius_192d@ddd5cce57090c76b": {
        "accept": 0.416,
        "reject": 0.345,
        "accept_primary_only": 0.47,  # a template without the 192-d embedding: the primary-only accept
        "replay": 0.95,
        "duplicate": 0.62,
        "ageing": 0.55,
        **_FACECHECK_FUSION_Z,
    },
    "mobilefacenet_ms1m_128d@b7120c095d60094f+mobilefacenet_sirius_192d@ddd5cce57090c76b"
    "+faceplugin_fr_feature_512d@87aacdfe57510db2": {
        "accept": 0.413,
        "reject": 0.345,
        "accept_primary_only": 0.47,
        "replay": 0.95,
        "duplicate": 0.62,
        "ageing": 0.55,
        "fusion_low": 0.345,
        "fusion_high": 0.495,
        "z_second_mean": 0.0634,
        "z_second_sd": 0.1314,
        **_FACECHECK_FUSION_Z,
    },
    "mobilefacenet_ms1m_128d@b7120c095d60094f+faceplugin_fr_feature_512d@87aacdfe57510db2": {
        "accept": 0.45,
        "reject": 0.36,
        "replay": 0.95,
        "duplicate": 0.62,
        "ageing": 0.55,
        "fusion_low": 0.36,
        "fusion_high": 0.55,
    },
}
FACECHECK_DAILY_ATTEMPTS: int = env.int("FACECHECK_DAILY_ATTEMPTS", default=5)  # compared selfies per pensioner per day
FACECHECK_DAILY_SUBMISSIONS = env.int("FACECHECK_DAILY_SUBMISSIONS", default=20)  # incl. unusable photos
FACECHECK_PHASH_MAX_DISTANCE = env.int("FACECHECK_PHASH_MAX_DISTANCE", default=6)  # of 64 bits: "same picture"
FACECHECK_FACE_PHASH_MAX_DISTANCE = env.int("FACECHECK_FACE_PHASH_MAX_DISTANCE", default=4)  # face crop: review
FACECHECK_RETRY_WINDOW_SECONDS = env.int("FACECHECK_RETRY_WINDOW_SECONDS", default=600)  # same upload = same answer
FACECHECK_AGEING_MAX_TEMPLATES = env.int("FACECHECK_AGEING_MAX_TEMPLATES", default=3)
FACECHECK_DUPLICATE_SCAN_CRON = env.str("FACECHECK_DUPLICATE_SCAN_CRON", default="15 2 * * *")
# Above FACECHECK_ANN_MIN_TEMPLATES the nightly scan queries the index with the templates created in the
# last N hours only (0: all; at 10 M all takes ~5.7 h, docs/benchmarks.md).
FACECHECK_DUPLICATE_SCAN_WINDOW_HOURS = env.int("FACECHECK_DUPLICATE_SCAN_WINDOW_HOURS", default=48)
# Expected strangers flagged per duplicate search: the 1:1 `duplicate` threshold is raised with the gallery
# size to keep it (0: the 1:1 threshold at any size; docs/facecheck.md, "The duplicate threshold at scale").
FACECHECK_DUPLICATE_FALSE_MATCHES_PER_SEARCH = env.float("FACECHECK_DUPLICATE_FALSE_MATCHES_PER_SEARCH", default=0.01)
# 1:N: exact search below this many active templates, the approximate index (faiss IVF with an HNSW
# cell search, 4-bit fast-scan codes in each template's 2 nearest cells, the best candidates re-scored on
# 8-bit codes) from it on (0: always exact); every candidate is confirmed on the stored embedding.
# FACECHECK_ANN: AnnIndex's settings, measured in docs/benchmarks.md ("1:N at provincial scale"):
# nlist 0 = ~1 cell per 600 templates; pq_m: 4-bit sub-quantizers per code (32 bytes at 64); rerank:
# fast-scan candidates re-scored beyond the k wanted.
FACECHECK_ANN_MIN_TEMPLATES = env.int("FACECHECK_ANN_MIN_TEMPLATES", default=1_000_000)
FACECHECK_ANN: dict[str, float] = {
    "nlist": env.int("FACECHECK_ANN_NLIST", default=0),
    "nprobe": env.int("FACECHECK_ANN_NPROBE", default=0),  # 0: nlist / 16
    "spill": env.int("FACECHECK_ANN_SPILL", default=2),
    "candidate_margin": env.float("FACECHECK_ANN_CANDIDATE_MARGIN", default=0.05),
    "train_rounds": env.int("FACECHECK_ANN_TRAIN_ROUNDS", default=4),
    "pq_m": env.int("FACECHECK_ANN_PQ_M", default=64),
    "rerank": env.int("FACECHECK_ANN_RERANK", default=100),
}
# Selfies (face attempt photos) are deleted after this many days unless their review case is open
# or the photo became an ageing template (PIPL: keep no longer than needed). Daily at RETENTION_CRON.
FACECHECK_SELFIE_RETENTION_DAYS = env.int("FACECHECK_SELFIE_RETENTION_DAYS", default=90)
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
SMS_REMINDER_STAGES: list[int] = sorted(
    set(env.list("SMS_REMINDER_STAGES", cast=int, default=[30, 7, 1])), reverse=True
)
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
# Decoding a photo is refused before a pixel is decoded when it would take more memory than this.
CASEWORK_EVIDENCE_MAX_DECODE_BYTES = env.int("CASEWORK_EVIDENCE_MAX_DECODE_BYTES", default=256 * 1024 * 1024)
CASEWORK_EVIDENCE_MAX_PDF_PAGES = env.int("CASEWORK_EVIDENCE_MAX_PDF_PAGES", default=50)
# Per-user upload quota over the local calendar day (HTTP 429 beyond it); staff included.
CASEWORK_EVIDENCE_DAILY_MAX_FILES = env.int("CASEWORK_EVIDENCE_DAILY_MAX_FILES", default=40)
CASEWORK_EVIDENCE_DAILY_MAX_BYTES = env.int("CASEWORK_EVIDENCE_DAILY_MAX_BYTES", default=100 * 1024 * 1024)
# Uploads never attached to a report, case or proof are deleted by a daily task this many hours later.
CASEWORK_EVIDENCE_ORPHAN_HOURS = env.int("CASEWORK_EVIDENCE_ORPHAN_HOURS", default=48)
# A new case is due for a decision this many days after it is opened.
CASEWORK_CASE_DEADLINE_DAYS = env.int("CASEWORK_CASE_DEADLINE_DAYS", default=30)
# Day of the month the monthly benefit is paid (payment ledger).
CASEWORK_PAY_DAY = env.int("CASEWORK_PAY_DAY", default=10)
# The safety net (on-site visits): who gets a visit task, and how long the visitor has.
CASEWORK_VISIT_OVERDUE_DAYS = env.int("CASEWORK_VISIT_OVERDUE_DAYS", default=14)  # overdue beyond this
CASEWORK_VISIT_FACE_FAILURES = env.int("CASEWORK_VISIT_FACE_FAILURES", default=3)  # failed selfies in 30 days
CASEWORK_VISIT_NO_CONTACT_HORIZON_DAYS = env.int("CASEWORK_VISIT_NO_CONTACT_HORIZON_DAYS", default=30)
CASEWORK_VISIT_LOW_GRADE_HORIZON_DAYS = env.int("CASEWORK_VISIT_LOW_GRADE_HORIZON_DAYS", default=60)
CASEWORK_VISIT_TASK_DAYS = env.int("CASEWORK_VISIT_TASK_DAYS", default=14)  # due date of a new task
CASEWORK_VISIT_COOLDOWN_DAYS = env.int("CASEWORK_VISIT_COOLDOWN_DAYS", default=30)  # no new task sooner
# An on-site or counter proof of life must be recorded within this many days of the visit.
CASEWORK_PROOF_MAX_AGE_DAYS = env.int("CASEWORK_PROOF_MAX_AGE_DAYS", default=30)
# Evidence files are deleted this many days after the last case they belong to was closed: the legal
# keeping period, to be set from the office's archive rules (default 10 years).
CASEWORK_EVIDENCE_RETENTION_DAYS = env.int("CASEWORK_EVIDENCE_RETENTION_DAYS", default=3650)
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
# PostgreSQL work_mem for the grading statement only (two hash aggregates of ~10^6 groups at 1M people).
SILENT_GRADE_WORK_MEM = env.str("SILENT_GRADE_WORK_MEM", default="256MB")
# PostgreSQL: memory for one load's staging table (temp_buffers, taken only as the table grows).
SILENT_INGEST_TEMP_BUFFERS = env.str("SILENT_INGEST_TEMP_BUFFERS", default="1GB")
SILENT_CERTIFY_CHUNK = env.int("SILENT_CERTIFY_CHUNK", default=5000)  # people per bulk certification
SILENT_API_MAX_ROWS = env.int("SILENT_API_MAX_ROWS", default=20000)
SILENT_REJECTS_KEPT = env.int("SILENT_REJECTS_KEPT", default=1000)
# end silent
