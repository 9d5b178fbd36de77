"""Settings for Twinning, read from the environment (see README, "Configuration").

With no environment at all the project runs on its embedded default: SQLite, the in-memory
channel layer, the local-memory cache and Celery tasks run in-process. Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false.
"""

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from corsheaders.defaults import default_headers as default_cors_headers

from core import app_links
from core.i18n import DEFAULT_LANGUAGE
from core.i18n import LANGUAGES as SUPPORTED_LANGUAGES
from core.ratelimit import Rate

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file beside manage.py is read when present (docker compose and local runs share it);
# real environment variables win over it.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)


def env_rate(name: str, default: str) -> Rate:
    """A rate limit such as "30/m" from the environment; a malformed one stops the start."""
    try:
        return Rate.parse(env.str(name, default=default))
    except ValueError as error:
        raise environ.ImproperlyConfigured(f"{name}: {error}") from error


def env_app_link(name: str, parse):
    """A value of the app's identity (core.app_links) from the environment, as ``parse`` reads
    it; empty when unset. A malformed one stops the start, saying what was expected."""
    try:
        return parse(env.str(name, default=""))
    except ValueError as error:
        raise environ.ImproperlyConfigured(f"{name}: {error}") from error


def env_gc_thresholds(name: str, default: str) -> tuple[int, ...]:
    """The collector's thresholds (``gc.set_threshold``) such as "50000,20,10"; empty: Python's
    own. A malformed value stops the start."""
    text = env.str(name, default=default).strip()
    if not text:
        return ()
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not 1 <= len(values) <= 3 or any(value < 0 for value in values):
        raise environ.ImproperlyConfigured(
            f"{name}: {text!r} is not one to three whole numbers such as 50000,20,10."
        )
    return values


# ---------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)

# Without DEBUG a secret key must be given; the development key only exists for local runs.
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "insecure-development-key-only-for-debug" if DEBUG else ""
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for a local run).")

# The Android emulator reaches the machine it runs on at 10.0.2.2 (its alias of the host's
# loopback), and sends that as the Host: allowed by default with DEBUG only, so that an app in
# the emulator reaches `make run` as it is. Set ALLOWED_HOSTS and exactly what it names is served
# (a phone on the network: README, "Signing in locally").
ANDROID_EMULATOR_HOST = "10.0.2.2"
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["127.0.0.1", "localhost", "[::1]", *([ANDROID_EMULATOR_HOST] if DEBUG else [])],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Trigram lookups for search on PostgreSQL; harmless on SQLite.
    "django.contrib.postgres",
    "channels",
    "corsheaders",
    "graphene_django",
    # Its templates and static files: GraphiQL's page, served without a CDN.
    "graphql_server",
    "images",
    "accounts",
    "cities",
    "events",
    "chat",
    "notifications",
    "reports",
]

MIDDLEWARE = [
    # First: everything after it logs with the request's ID, and is counted and timed.
    "core.middleware.RequestIdMiddleware",
    "core.middleware.MetricsMiddleware",
    # Before anything that can answer on its own, so that such answers carry CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    # Before anything that reads the Host: the API answers a host it does not serve with a coded
    # GraphQL error, not Django's HTML page (every other view still gets that page).
    "core.middleware.DisallowedHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks the language from Accept-Language among LANGUAGES; falls back to LANGUAGE_CODE.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # On the admin's pages, the signed-in user's own language wins over the browser's.
    "accounts.middleware.AdminLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A NUL in a query string reaches no view (the GraphQL endpoint answers its own).
    "core.middleware.NulInQueryMiddleware",
    # A view that meets a database or Redis outage answers 503 with Retry-After, not 500.
    "core.middleware.OutageMiddleware",
]

ROOT_URLCONF = "backend.urls"
ASGI_APPLICATION = "backend.asgi.application"
# The cyclic garbage collector's thresholds in the server processes (backend/asgi.py). With
# Python's own (700, 10, 10), a process holding a thousand websockets collected everything
# every few seconds, each time pausing every socket for about 0.2 s; with these, such full
# collections are rare (docs/benchmarks.md, "Websocket chat"). Empty: Python's own.
ASGI_GC_THRESHOLDS = env_gc_thresholds("ASGI_GC_THRESHOLDS", default="50000,20,10")
WSGI_APPLICATION = "backend.wsgi.application"
# What every process (the HTTP and websocket tiers, the Celery worker and beat) does with SIGTERM:
# it stops taking new work, finishes what is in flight for at most this many seconds, closes its
# websockets with 1001 (clients reconnect to another process) and exits 0. Past it, the
# websocket tier cancels what still runs and exits 1; the worker gives its running tasks back to
# the queue (backend/celery.py); gunicorn kills its workers. docker-compose.yml's
# stop_grace_period leaves 10 s more before Docker kills the process (a test keeps it so).
GRACEFUL_SHUTDOWN_SECONDS = env.float("GRACEFUL_SHUTDOWN_SECONDS", default=20.0)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The admin's header with its language chooser (templates/admin/base_site.html).
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

# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Seconds a connection is kept open after a request, for the next one of the same thread. Under
# an ASGI server every request runs its synchronous code in a thread of its own, so a kept
# connection is never used again and stays open until garbage collection: 16 concurrent
# requests to two processes reached PostgreSQL's 100 connections in seconds (bench/feed.py).
# So 0, a connection per request; a long-lived single-threaded process (a Celery worker) may
# set more. The pool below keeps connections under either server. SQLite ignores it.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL connections of one process kept in a pool (psycopg's, through Django's "pool"
# option): each request borrows one and gives it back when it ends, whichever thread runs it,
# so connections are reused under WSGI and ASGI alike and a process never holds more than
# DATABASE_POOL_MAX_SIZE. 0 turns the pool off.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=0)
# Connections the pool opens at start and keeps open while idle.
DATABASE_POOL_MIN_SIZE = env.int("DATABASE_POOL_MIN_SIZE", default=1)
# A request that finds no connection to borrow waits this long for one, then fails as in an
# outage (503, SERVICE_UNAVAILABLE). With a pool as large as the process's threads no request
# waits for another; it is PostgreSQL down or refusing connections that this bounds.
DATABASE_POOL_TIMEOUT_SECONDS = env.float("DATABASE_POOL_TIMEOUT_SECONDS", default=2.0)
if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # CONN_HEALTH_CHECKS (above) has the pool check a connection (one round trip) before it
    # is lent: after PostgreSQL restarts or ends a connection, the next request gets a new one
    # instead of an error.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(DATABASE_POOL_MIN_SIZE, DATABASE_POOL_MAX_SIZE),
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": DATABASE_POOL_TIMEOUT_SECONDS,
    }
    # Django refuses a pool with persistent connections: the pool is what keeps them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves requests on several threads. A write transaction takes
    # SQLite's write lock when it begins (IMMEDIATE) and waits up to 20 s for it, rather than
    # starting as a reader and failing with "database is locked" when two such transactions
    # both try to upgrade (two chat messages sent at once, say).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Redis: channel layer, cache and Celery broker
# ---------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The channel layer's keys in Redis start with this: deployments (or test runs) that share one
# Redis database keep apart by giving each its own.
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="asgi")
# How long a cache call waits for Redis to connect or answer before it fails as if Redis were
# down (see CACHES below).
REDIS_CACHE_TIMEOUT_SECONDS = env.float("REDIS_CACHE_TIMEOUT_SECONDS", default=1.0)

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels-redis waits for a connection's next message with a blocking read of 5 s,
            # and redis-py gives up on a read after 5 s unless told otherwise: every websocket
            # that had heard nothing for 5 s failed with a read timeout (closed 1011). Reads
            # may take twice that here; a Redis that stops answering still fails them.
            "CONFIG": {
                # A Redis that does not even accept the connection within 2 s counts as down
                # (graphql_server.websocket.group_hub heals once it is back): a broadcast
                # leaving a request must not hold it for the read timeout.
                "hosts": [
                    {"address": REDIS_URL, "socket_timeout": 10, "socket_connect_timeout": 2}
                ],
                # Each server process hears every group its websockets listen to on one channel
                # (graphql_server.websocket.group_hub): room for bursts, beyond which
                # broadcasts are dropped.
                "channel_capacity": {"websocket-groups.*": 10_000},
                "prefix": CHANNEL_LAYER_PREFIX,
            },
        }
    }
    CACHES = {
        "default": {
            # Django's Redis cache, but clearing it leaves the rest of the database (the
            # channel layer's groups, the broker's queues) alone: see core/redis_cache.py.
            "BACKEND": "core.redis_cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            # A cache call takes well under a millisecond; one that has not connected or been
            # answered within a second meets a Redis that hangs (stopped, packets dropped), and
            # fails as if it were down, rather than holding every request that reads the cache
            # for the system's own timeouts.
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
            },
        }
    }
else:
    # The embedded default: one process, so in-memory layers are enough.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
# Without a broker, tasks run in-process (after commit, where the caller asks for that).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# Publishing fails fast when the broker is down: the notification is already in the outbox,
# and the sweep below enqueues it once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
# Run by `celery beat` (the beat service in docker-compose.yml).
CELERY_BEAT_SCHEDULE = {
    "push-sweep": {"task": "notifications.tasks.sweep_notifications", "schedule": 60.0},
    "push-reminders": {"task": "notifications.tasks.send_reminders", "schedule": 60.0},
    # Drafts and announcements whose chosen time has come. A run left in the queue past the
    # next one's start is dropped rather than piled up: the next run does the same work.
    "publish-scheduled": {
        "task": "events.tasks.publish_scheduled",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Pictures nothing shows any more, and files of uploads whose change failed.
    "prune-images": {"task": "images.tasks.prune_images", "schedule": 86400.0},
}

# ---------------------------------------------------------------------------------------------
# Push notifications
# ---------------------------------------------------------------------------------------------
# Audiences larger than this (devices) go to FCM topics instead of device by device.
PUSH_TOPIC_THRESHOLD = env.int("PUSH_TOPIC_THRESHOLD", default=50_000)
# Attempts per delivery on retryable errors (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED).
PUSH_MAX_ATTEMPTS = env.int("PUSH_MAX_ATTEMPTS", default=5)
# Exponential backoff between attempts: base × 2^(attempt−1), capped, with ±50 % jitter.
PUSH_RETRY_BASE_SECONDS = env.float("PUSH_RETRY_BASE_SECONDS", default=10.0)
PUSH_RETRY_MAX_SECONDS = env.float("PUSH_RETRY_MAX_SECONDS", default=600.0)
# Threads per worker process sending to FCM at once (one HTTP request per message).
PUSH_SEND_THREADS = env.int("PUSH_SEND_THREADS", default=32)
# How many workers share the sending of one large notification (match the worker pool).
PUSH_PARALLEL_SENDERS = env.int("PUSH_PARALLEL_SENDERS", default=2)
# How long a worker owns a batch it took; a dead worker's batch is retried after this.
PUSH_LEASE_SECONDS = env.int("PUSH_LEASE_SECONDS", default=300)
# A notification still pending after this long is enqueued again by the sweep.
PUSH_SWEEP_AFTER_SECONDS = env.int("PUSH_SWEEP_AFTER_SECONDS", default=60)
# Minutes before an event starts when those GOING get a reminder.
PUSH_REMINDER_MINUTES = env.int("PUSH_REMINDER_MINUTES", default=60)

# ---------------------------------------------------------------------------------------------
# Chat during events (chat/)
# ---------------------------------------------------------------------------------------------
# An event's room opens this long before it starts and closes this long after it ends, so that
# people can gather before and talk it over after; outside it, sending fails with CHAT_CLOSED.
CHAT_OPENS_BEFORE_MINUTES = env.int("CHAT_OPENS_BEFORE_MINUTES", default=60)
CHAT_CLOSES_AFTER_MINUTES = env.int("CHAT_CLOSES_AFTER_MINUTES", default=120)
# Messages one user may send to one room (core.ratelimit's format: "5/10s", "30/m"; "0/m" is
# no limit). Five in ten seconds is faster than anyone types and slower than any script.
CHAT_RATE = env.str("CHAT_RATE", default="5/10s")
# The reactions offered; anything else is INVALID_REACTION. Comma-separated.
CHAT_REACTIONS = env.list(
    "CHAT_REACTIONS",
    default=["👍", "❤️", "😂", "😮", "😢", "👏", "🎉", "🔥"],
)
# The longest a moderator may mute someone in one room (30 days).
CHAT_MAX_MUTE_MINUTES = env.int("CHAT_MAX_MUTE_MINUTES", default=30 * 24 * 60)
# How long a connection counts as present in a room without its process renewing it: a server
# process that dies stops being counted after this (renewed every third of it).
CHAT_PRESENCE_LEASE_SECONDS = env.int("CHAT_PRESENCE_LEASE_SECONDS", default=60)

# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The backend's own tokens (staff tools, and app sign-in where no Firebase project exists).
# Access tokens are checked without state, so they are short; refresh tokens rotate on use.
ACCESS_TOKEN_LIFETIME_SECONDS = env.int("ACCESS_TOKEN_LIFETIME_SECONDS", default=15 * 60)
REFRESH_TOKEN_LIFETIME_SECONDS = env.int("REFRESH_TOKEN_LIFETIME_SECONDS", default=30 * 86400)
# After this many failed sign-ins for one e-mail or one client address within the window,
# sign-in is refused until the window passes.
SIGNIN_MAX_FAILURES = env.int("SIGNIN_MAX_FAILURES", default=5)
SIGNIN_FAILURE_WINDOW_SECONDS = env.int("SIGNIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
# Deleting one's account asks for a sign-in (the token's auth_time, kept by refreshes) at most
# this old: five minutes, as Firebase's own "requires recent login" for deleting its users.
ACCOUNT_DELETION_SIGN_IN_SECONDS = env.int("ACCOUNT_DELETION_SIGN_IN_SECONDS", default=5 * 60)
# Exports of one's own data (`me { export }`) per user: each reads every table that holds
# something of theirs.
ACCOUNT_EXPORT_RATE = env_rate("ACCOUNT_EXPORT_RATE", default="10/h")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ---------------------------------------------------------------------------------------------
# E-mail and the offices' teams (invitations)
# ---------------------------------------------------------------------------------------------
# How mail leaves: "smtp+tls://user:password@host:587" (or smtp+ssl://…:465) in production; the
# default writes each message to the server's standard output, so a local run needs no server.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Twinning <noreply@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# The address people reach the admin at, e.g. "https://twinning.example.org": links in e-mails
# start with it. Empty: the address of the request that sent the mail (fine behind a proxy
# that passes the Host header on, wrong when it does not).
# Events' share links (Event.shareUrl) start with it too: set it wherever the app is used, as
# the app's links are verified for that host only.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
if PUBLIC_BASE_URL and not re.fullmatch(r"https?://[^/?#\s@]+", PUBLIC_BASE_URL):
    raise environ.ImproperlyConfigured(
        f"PUBLIC_BASE_URL: {PUBLIC_BASE_URL!r} is not a scheme and a host such as "
        "https://twinning.example.org (no path: links are made from the root)."
    )
# An invitation to an office's team works this many days, once.
OFFICE_INVITATION_DAYS = env.int("OFFICE_INVITATION_DAYS", default=7)
# Invitation e-mails (new or sent again) one office may send in 24 hours: enough for any
# office, too few to turn the form into a way of mailing strangers.
OFFICE_INVITATIONS_PER_DAY = env.int("OFFICE_INVITATIONS_PER_DAY", default=30)

# ---------------------------------------------------------------------------------------------
# Links that open the app: events' share links (/e/<number>) and /.well-known/ (README, "Share
# links"). Empty: the links open the page in a browser, and /.well-known/ answers 404.
# ---------------------------------------------------------------------------------------------
# The Android app's application ID, and the SHA-256 fingerprints of the certificates it is
# signed with (comma-separated: the upload key's and Play App Signing's), for App Links.
ANDROID_PACKAGE_NAME = env_app_link("ANDROID_PACKAGE_NAME", app_links.android_package)
ANDROID_SHA256_CERT_FINGERPRINTS = env_app_link(
    "ANDROID_SHA256_CERT_FINGERPRINTS",
    lambda text: app_links.sha256_fingerprints(text.split(",")),
)
# The iOS app's team ID (its application identifier prefix) and bundle ID, for universal links.
IOS_TEAM_ID = env_app_link("IOS_TEAM_ID", app_links.ios_team_id)
IOS_BUNDLE_ID = env_app_link("IOS_BUNDLE_ID", app_links.ios_bundle_id)
# The iOS app's number in the App Store: the share page's App Store link and Safari's banner.
IOS_APP_STORE_ID = env_app_link("IOS_APP_STORE_ID", app_links.ios_app_store_id)
for _pair in (
    (
        ("ANDROID_PACKAGE_NAME", ANDROID_PACKAGE_NAME),
        ("ANDROID_SHA256_CERT_FINGERPRINTS", ANDROID_SHA256_CERT_FINGERPRINTS),
    ),
    (("IOS_TEAM_ID", IOS_TEAM_ID), ("IOS_BUNDLE_ID", IOS_BUNDLE_ID)),
):
    try:
        app_links.both_or_neither(*_pair)
    except ValueError as error:
        raise environ.ImproperlyConfigured(str(error)) from error

# ---------------------------------------------------------------------------------------------
# Firebase
# ---------------------------------------------------------------------------------------------
# The project whose ID tokens the app signs in with; tokens must name it as audience and issuer.
# Empty turns Firebase sign-in off (every attempt answers FIREBASE_NOT_CONFIGURED).
FIREBASE_PROJECT_ID = env.str("FIREBASE_PROJECT_ID", default="")
# Path to a service-account JSON; only needed for calls beyond verifying ID tokens.
FIREBASE_CREDENTIALS = env.str("FIREBASE_CREDENTIALS", default="")
# Where the token-signing certificates are fetched; empty means Google's own endpoint. Set for
# a private mirror of that endpoint, and by the tests, which serve their own keys.
FIREBASE_AUTH_CERT_URL = env.str("FIREBASE_AUTH_CERT_URL", default="")
# "fcm" pushes through Firebase Cloud Messaging; "log" only logs (default without credentials).
PUSH_BACKEND = env.str(
    "PUSH_BACKEND",
    default="fcm"
    if (FIREBASE_CREDENTIALS or env.str("GOOGLE_APPLICATION_CREDENTIALS", default=""))
    else "log",
)
# FCM HTTP v1 base URL for a private relay or the tests' fake; empty: https://fcm.googleapis.com.
FCM_API_URL = env.str("FCM_API_URL", default="")

# ---------------------------------------------------------------------------------------------
# Languages and time
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = DEFAULT_LANGUAGE
LANGUAGES = [(language.code, language.english_name) for language in SUPPORTED_LANGUAGES]
USE_I18N = True
# The project's own catalogues (ru, kk, ur; README, "The admin for city offices", Translations).
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language picked in the admin's header is remembered for the admin's pages only: the API
# keeps choosing its language from Accept-Language alone.
LANGUAGE_COOKIE_PATH = "/admin/"
# How Kazakh and Urdu write numbers (a price on a share page, a number in the admin): Django has
# no formats of its own for them, and would write both as English does without its grouping.
FORMAT_MODULE_PATH = ["backend.formats"]
# Times are stored in UTC; each event carries its venue's zone for display.
TIME_ZONE = "UTC"
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Static files
# ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
# Where `manage.py collectstatic` writes the files and WhiteNoise serves them from. Without
# DEBUG they must be collected before the server starts: it refuses to start otherwise, and so
# does `manage.py check --deploy` (backend/checks.py); the image collects them as it is built,
# `make serve` before serving.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# WhiteNoise serves the admin's and GraphiQL's files from the HTTP tier (the proxy keeps them
# after the first request; see deploy/nginx/twinning.conf.template); in DEBUG straight from the
# apps, so that a changed file shows without collecting again.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# ---------------------------------------------------------------------------------------------
# Uploaded images (events' pictures, avatars; see images/ and README, "Images")
# ---------------------------------------------------------------------------------------------
# Where they are served from, e.g. "https://cdn.example.org" (a CDN in front of the bucket, or
# of the proxy's /media/): the API's URLs start with it. Empty: /media/ on the server itself
# (local file system), or the bucket's own address (S3).
MEDIA_PUBLIC_BASE_URL = env.str("MEDIA_PUBLIC_BASE_URL", default="").rstrip("/")
# The local file system's directory (the embedded default, and production without a bucket:
# the proxy serves it, see deploy/nginx/twinning.conf.template).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "mediafiles")))
MEDIA_URL = f"{MEDIA_PUBLIC_BASE_URL}/" if MEDIA_PUBLIC_BASE_URL else "/media/"
# An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Ceph...): when set, files go there
# through django-storages instead of the local file system.
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
# Files are named by their content, so a name is never written with other bytes: every cache
# may keep them for a year (CDNs and phones alike).
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"
if MEDIA_S3_BUCKET:
    from botocore.config import Config as S3Config

    _media_public = urlsplit(MEDIA_PUBLIC_BASE_URL) if MEDIA_PUBLIC_BASE_URL else None
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            # Empty: AWS itself; else the provider's (https://<account>.r2.cloudflarestorage.com,
            # http://minio:9000).
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            # Empty: boto3 finds credentials itself (an instance or task role, AWS_* variables).
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            # The pictures are public (anyone in a chat sees an avatar, anyone an event's
            # picture) under unguessable names: plain URLs, no expiring signatures, which would
            # change every answer and break the response cache. Public reading is the bucket's
            # policy, not a per-object ACL (many providers have no ACLs).
            "querystring_auth": False,
            "default_acl": None,
            "file_overwrite": True,
            "object_parameters": {"CacheControl": MEDIA_CACHE_CONTROL},
            "custom_domain": (
                f"{_media_public.netloc}{_media_public.path}" if _media_public else None
            ),
            "url_protocol": f"{_media_public.scheme}:" if _media_public else "https:",
            "client_config": S3Config(
                # "path" for providers without bucket subdomains (MinIO); empty: boto3's choice.
                s3={"addressing_style": env.str("MEDIA_S3_ADDRESSING_STYLE", default="") or None},
                # A bucket out of reach fails an upload within seconds (SERVICE_UNAVAILABLE, "try
                # again"), rather than holding the request for boto3's minute-long defaults.
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
else:
    STORAGES["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # A name always holds the same bytes: writing it again replaces the file rather than
        # keeping a second copy under another name.
        "OPTIONS": {"allow_overwrite": True},
    }
# The largest upload taken, in bytes: a phone's photo is 2 to 8 MB.
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_BYTES", default=10_000_000)
# The most pixels taken, read from the header before anything is decoded (a small file can
# claim a huge picture: a decompression bomb). 50 million is a 48-megapixel phone photo.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=50_000_000)
# The most memory decoding one picture may take, read from the header too: its pixels (a JPEG's
# at the fraction of its size it is decoded at) times what a pixel of its kind takes (4 bytes
# in colour, 1 in greyscale or a palette), plus what its decoder keeps beside (a progressive
# JPEG's coefficients, WebP's canvases): images.pipeline.decoded_bytes. A 48-megapixel phone
# JPEG takes 48 MB (decoded at half its size); a PNG in colour is taken up to 25 megapixels.
# The decoded picture is the peak of processing (it is resized to the largest variant strip
# by strip, and nothing else of its size is made): at the limits, one upload processed adds at
# most 118 MiB to its process's peak memory, and up to 2 s of a core (bench/images.py;
# docs/benchmarks.md, "Images"), where before this budget a 190 kB PNG added 576 MiB.
IMAGE_MAX_DECODED_BYTES = env.int("IMAGE_MAX_DECODED_BYTES", default=100_000_000)

# ---------------------------------------------------------------------------------------------
# GraphQL
# ---------------------------------------------------------------------------------------------
GRAPHENE = {
    "SCHEMA": "schema.schema.schema",
    "SCHEMA_OUTPUT": "schema/schema.graphql",
    "RELAY_CONNECTION_MAX_LIMIT": 100,
    # graphene-django adds its SQL-debug middleware whenever DEBUG is on; it would put every
    # SQL statement in responses, so the middleware list is explicit. Both transports run
    # the same list (graphql_server.runner).
    "MIDDLEWARE": [
        "graphql_server.mutation_limits.MutationRateLimitMiddleware",
        "schema.core.arguments.TextArgumentsMiddleware",
    ],
}
# Who is calling, over HTTP and the websocket: the GraphQL server knows no accounts and asks
# this class (graphql_server.authenticator says what it answers).
GRAPHQL_SERVER_AUTHENTICATOR = "accounts.authentication.BearerTokenAuthenticator"
# The longest text an argument may hold (TOO_LONG beyond), in characters, checked for every
# field before its resolver runs (schema/core/arguments.py). Text: an event's description in
# one language (four, in Cyrillic, fit the body limit); the domains' own limits are lower.
GRAPHQL_MAX_TEXT_LENGTH = env.int("GRAPHQL_MAX_TEXT_LENGTH", default=10_000)
# IDs and slugs (a global ID is under 40 characters).
GRAPHQL_MAX_ID_LENGTH = env.int("GRAPHQL_MAX_ID_LENGTH", default=256)
# Cursors, which may hold a sort key such as a 200-character name in any script (200 emoji
# of 4 UTF-8 bytes each take about 1,100 characters once encoded).
GRAPHQL_MAX_CURSOR_LENGTH = env.int("GRAPHQL_MAX_CURSOR_LENGTH", default=2048)
# Searches: PostgreSQL's trigram match costs time in the length searched for (90 KB took 4 s);
# longer than any name or title is of no use.
GRAPHQL_MAX_SEARCH_LENGTH = env.int("GRAPHQL_MAX_SEARCH_LENGTH", default=100)
# The largest page any list returns; `first`/`last` above it is an error, not a silent cut.
GRAPHQL_MAX_PAGE_SIZE = 100
GRAPHQL_DEFAULT_PAGE_SIZE = 20
# Limits on the documents clients send (HTTP and websocket alike); 0 turns one off. Each is
# several times what the apps' own operations need (the events feed: 6 levels, ~100 tokens).
# Tokens stop the parser itself, so a huge document is refused before it costs anything.
# Parsing costs about 10 µs a token: 1,000 (GraphiQL's introspection query has 300) keep the
# worst document within a few times the feed's cost (docs/benchmarks.md, "Documents").
GRAPHQL_MAX_TOKENS = env.int("GRAPHQL_MAX_TOKENS", default=1000)
# Nesting of fields; introspection fields do not count (GraphiQL's own query is 13 deep).
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=12)
# Aliases per operation, fragments expanded: aliases are how one request asks for a field
# a thousand times.
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=30)
# Operations in one document (only one runs, but each is parsed and validated).
GRAPHQL_MAX_OPERATIONS = env.int("GRAPHQL_MAX_OPERATIONS", default=10)
# The limits below are checked on the parsed document before graphql-core's validation, whose
# rules are not linear in what they bound (see graphql_server/document_limits.py); a document of
# 2,000 copies of one field, under the token limit, took 0.4 s to validate without them.
# Fragments defined in one document (GraphiQL's introspection query: 3): validation compares
# the fragments spread together pairwise, and follows each operation's variables through them.
GRAPHQL_MAX_FRAGMENTS = env.int("GRAPHQL_MAX_FRAGMENTS", default=50)
# Variables defined by one operation (the apps' largest mutation: under 10).
GRAPHQL_MAX_VARIABLES = env.int("GRAPHQL_MAX_VARIABLES", default=50)
# Fields asked for in one selection set, fragments spread into it counted with their fields
# (every field of Event, the largest type, is 31): validation compares them pairwise.
GRAPHQL_MAX_SELECTIONS = env.int("GRAPHQL_MAX_SELECTIONS", default=100)
# Fields in one operation (or fragment), fragments expanded: GraphiQL's introspection query
# has 230, the events feed 22.
GRAPHQL_MAX_FIELDS = env.int("GRAPHQL_MAX_FIELDS", default=500)
# Arguments of one field or directive (the schema's largest field takes 6), and directives in
# one place (@include and @skip are the only ones a document may use).
GRAPHQL_MAX_ARGUMENTS = env.int("GRAPHQL_MAX_ARGUMENTS", default=20)
GRAPHQL_MAX_DIRECTIVES = env.int("GRAPHQL_MAX_DIRECTIVES", default=5)
# graphql-core's own budget for checking that repeated fields merge, in comparisons of two
# fields: what the limits above leave (fields repeated at several levels). The app's documents
# need none; graphql-core's default, 250,000, is a quarter of a second of one core.
GRAPHQL_MAX_FIELD_COMPARISONS = env.int("GRAPHQL_MAX_FIELD_COMPARISONS", default=5000)
# Estimated cost of an operation's execution, in units of about 10 µs (schema/costs.py: a
# field resolved 1, an object of a list 4 more, a partner 9, a query 100, a count 300, a
# search 2,000; lists count their page or declared size): the events feed of 20 costs ~520,
# of 100 ~2,200; 5 cities with their partners' names ~3,800 (a city may have 74); a search
# with its count ~4,300, the dearest single query. docs/benchmarks.md, "Documents", has what
# it lets run.
GRAPHQL_MAX_COST = env.int("GRAPHQL_MAX_COST", default=4_500)
# Values in an operation's variables (objects, lists and scalars; the apps' largest, an event
# with its texts in four languages, has about 30): graphql-core's coercion of an object is
# quadratic in its unknown fields (8,000 of them took 4 s).
GRAPHQL_MAX_VARIABLE_VALUES = env.int("GRAPHQL_MAX_VARIABLE_VALUES", default=200)
# Introspection and "Did you mean …?" suggestions map the schema for anyone; in production
# the schema is published as schema/schema.graphql to those who need it.
GRAPHQL_INTROSPECTION = env.bool("GRAPHQL_INTROSPECTION", default=DEBUG)
GRAPHQL_FIELD_SUGGESTIONS = env.bool("GRAPHQL_FIELD_SUGGESTIONS", default=DEBUG)
# Request bodies (and GET query strings) above this are refused with 413 before parsing.
# The largest real operations, mutations with text in four languages, are a few KiB.
GRAPHQL_MAX_BODY_BYTES = env.int("GRAPHQL_MAX_BODY_BYTES", default=100 * 1024)
# Files one upload (a multipart request: graphql_server/http/multipart.py) may carry, beside the
# GRAPHQL_MAX_BODY_BYTES of its parameters; a larger request is refused (413) from its
# Content-Length, unread. The pictures' own limit (IMAGE_MAX_BYTES) is checked once it is read.
GRAPHQL_MAX_UPLOAD_BYTES = env.int("GRAPHQL_MAX_UPLOAD_BYTES", default=IMAGE_MAX_BYTES)
# Parsed and validated documents kept per process (an LRU): the apps send the same few dozen.
GRAPHQL_DOCUMENT_CACHE_SIZE = env.int("GRAPHQL_DOCUMENT_CACHE_SIZE", default=1000)
# …and at most this many MB of them, estimated: a parsed document holds about 600 bytes a
# token, so 1,000 new documents of the largest size would take over 600 MB per process.
GRAPHQL_DOCUMENT_CACHE_MB = env.int("GRAPHQL_DOCUMENT_CACHE_MB", default=64)
# Refused documents kept per process (an LRU of their own, of at most ~10 KB each), so that
# sending one again is answered without parsing or validating it again.
GRAPHQL_REFUSED_DOCUMENT_CACHE_SIZE = env.int("GRAPHQL_REFUSED_DOCUMENT_CACHE_SIZE", default=1000)
# How long automatic persisted queries stay in the cache (Redis in production). Apps ship
# the same documents for months; an expired one costs the app one retry with the text.
GRAPHQL_APQ_TTL_SECONDS = env.int("GRAPHQL_APQ_TTL_SECONDS", default=7 * 86400)
# max-age of the answers to anonymous queries, which shared caches and CDNs may keep (by GET),
# and the proxy in front, which keys POSTs by their body (README, "The proxy cache").
GRAPHQL_GET_MAX_AGE_SECONDS = env.int("GRAPHQL_GET_MAX_AGE_SECONDS", default=60)
# Anonymous public reads are answered from the cache (graphql_server/response_cache.py) for at
# most this many seconds; a change to the data they show ends them sooner. It bounds what a
# deploy that changes answers without changing the schema could serve stale. 0: off.
RESPONSE_CACHE_SECONDS = env.int("RESPONSE_CACHE_SECONDS", default=600)
# A signed-in viewer's reads (the for-you feed, the feed with their RSVPs) are kept for that
# viewer alone, for at most this many seconds (and never longer than the above); a change to
# the data they show, or to what the viewer follows, answered or may do, ends them sooner.
# 0: signed-in requests are always executed.
RESPONSE_CACHE_VIEWER_SECONDS = env.int("RESPONSE_CACHE_VIEWER_SECONDS", default=300)

# ---------------------------------------------------------------------------------------------
# Websockets (ws://…/graphql/, the graphql-transport-ws protocol; see graphql_server/websocket/)
# ---------------------------------------------------------------------------------------------
# Browser pages that may open the socket, besides pages on the API's own host; patterns as
# Channels' OriginValidator takes them ("https://app.example.org", ".example.org", "*").
# Clients that send no Origin (the mobile apps) are always allowed.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[])
# The protocol's connectionInitWaitTimeout: a socket that says nothing is closed (4408).
WEBSOCKET_INIT_TIMEOUT_SECONDS = env.float("WEBSOCKET_INIT_TIMEOUT_SECONDS", default=10.0)
# The server's protocol-level ping, so that apps notice a dead link and proxies see traffic
# within their idle timeouts (commonly 60 s); 0 turns it off.
WEBSOCKET_KEEPALIVE_SECONDS = env.float("WEBSOCKET_KEEPALIVE_SECONDS", default=25.0)
# The largest message a client may send (closed with 4413). One document with its variables;
# the largest real ones, mutations with text in four languages, are a few KiB. The websocket
# tier's own limit (backend/websocket_server.py, 1 MiB) still applies before this.
WEBSOCKET_MAX_MESSAGE_BYTES = env.int("WEBSOCKET_MAX_MESSAGE_BYTES", default=64 * 1024)
# Subscriptions running at once on one connection; more get TOO_MANY_SUBSCRIPTIONS.
WEBSOCKET_MAX_SUBSCRIPTIONS = env.int("WEBSOCKET_MAX_SUBSCRIPTIONS", default=50)
# Open connections of one signed-in user across all processes (phone, tablet, browser tabs);
# counted in the cache, so Redis in production. 0: no limit.
WEBSOCKET_MAX_CONNECTIONS_PER_USER = env.int("WEBSOCKET_MAX_CONNECTIONS_PER_USER", default=10)
# Anonymous connections from one client address; generous, as carrier NAT puts many people
# behind one address. 0: no limit.
WEBSOCKET_MAX_ANONYMOUS_CONNECTIONS_PER_IP = env.int(
    "WEBSOCKET_MAX_ANONYMOUS_CONNECTIONS_PER_IP", default=100
)
# Operations one connection may start: a burst (an app's start-up fires a dozen at once),
# then a steady rate; beyond it RATE_LIMITED, and a client that keeps on is closed (4008).
WEBSOCKET_OPERATIONS_PER_SECOND = env.float("WEBSOCKET_OPERATIONS_PER_SECOND", default=10.0)
WEBSOCKET_OPERATIONS_BURST = env.int("WEBSOCKET_OPERATIONS_BURST", default=30)
# How often a signed-in socket checks its token again on its own, as news of the account makes
# it check at once: news that was lost (the channel layer failing as it was sent) holds no
# longer than this, instead of until the token's expiry (a Firebase ID token's hour). Each check
# is one query per signed-in socket (10,000 sockets: about 33 a second); deliveries cost nothing
# more. 0 turns it off.
WEBSOCKET_REAUTHENTICATE_SECONDS = env.float("WEBSOCKET_REAUTHENTICATE_SECONDS", default=300.0)

# ---------------------------------------------------------------------------------------------
# Clients and abuse protection
# ---------------------------------------------------------------------------------------------
# How many proxies of the deployment's own stand in front of the app (see core/client_ip.py).
# 0: REMOTE_ADDR is the client and X-Forwarded-For is ignored, since anyone can write it. Behind
# one TLS-terminating proxy that appends to X-Forwarded-For, 1; the app must then be reachable
# only through those proxies.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Root mutation fields (each one, also within one request or over the websocket) per signed-in
# user and per client address; beyond them RATE_LIMITED with retryAfter. Per address is
# higher, since carrier NAT puts many phones behind one address. "0/m" turns a limit off.
RATE_LIMIT_MUTATIONS_USER = env_rate("RATE_LIMIT_MUTATIONS_USER", default="60/m")
RATE_LIMIT_MUTATIONS_IP = env_rate("RATE_LIMIT_MUTATIONS_IP", default="120/m")
# Every sign-in attempt (tokenCreate) per client address, right or wrong: password guessing
# across many e-mails. Failed sign-ins per e-mail and address have their own limit above.
RATE_LIMIT_SIGN_IN_IP = env_rate("RATE_LIMIT_SIGN_IN_IP", default="20/m")
# Uploads (avatarUpload) per signed-in user, beside the mutations' limit: each costs a second of
# a core or so to check and resize, and people change their picture now and then.
RATE_LIMIT_UPLOADS_USER = env_rate("RATE_LIMIT_UPLOADS_USER", default="20/h")

# ---------------------------------------------------------------------------------------------
# Browser pages on other origins (CORS)
# ---------------------------------------------------------------------------------------------
# Browser pages allowed to call /graphql/ from other origins (CORS), e.g.
# "https://app.example.org"; the mobile apps need none. Only /graphql/ answers CORS at all: the
# admin and the calendar feeds are not for other sites' scripts. With DEBUG, pages served from
# localhost on any port are allowed too, for a web client's development server.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOWED_ORIGIN_REGEXES = (
    [r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"] if DEBUG else []
)
CORS_URLS_REGEX = r"^/graphql/$"
# The bearer token is a header, not a cookie: no credentials mode needed.
CORS_ALLOW_CREDENTIALS = False
# Besides corsheaders' defaults: the request's language, its ID, and the headers Apollo's web
# client sends by default (its name and version for the server's statistics, the operation's
# name, and `apollo-require-preflight`, which upload clients add to force a preflight): a
# browser refuses to send a request with any header the preflight did not allow.
CORS_ALLOW_HEADERS = (
    *default_cors_headers,
    "accept-language",
    "x-request-id",
    "apollographql-client-name",
    "apollographql-client-version",
    "x-apollo-operation-name",
    "apollo-require-preflight",
)
# Let pages read the request ID, to quote it in their error reports.
CORS_EXPOSE_HEADERS = ["X-Request-ID"]

# ---------------------------------------------------------------------------------------------
# Security (effective when DEBUG is off)
# ---------------------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# /healthz and /readyz are probed over plain HTTP from inside the deployment.
# /metrics too: Prometheus scrapes from inside, not through the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# The app is served over HTTPS only, so the domain may join browsers' preload lists; set
# SECURE_HSTS_PRELOAD=false for a domain that must keep plain-HTTP subdomains.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------
# "json": one JSON object a line (time, level, logger, message, request_id, exc_info; task_id in
# Celery tasks), for a log collector: the default in production. "plain": text for a terminal,
# the default with DEBUG.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise environ.ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "core.logs.ContextFilter"},
        "channel_layer_cleanup": {"()": "core.logs.ChannelLayerCleanupFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(context)s %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # channels-redis's unawaited clean-ups while Redis is down: see core/logs.py.
    "loggers": {"asyncio": {"filters": ["channel_layer_cleanup"]}},
}

# ---------------------------------------------------------------------------------------------
# Metrics (Prometheus, at /metrics; see core/metrics.py)
# ---------------------------------------------------------------------------------------------
# Scrapers show this as "Authorization: Bearer <token>" (compared in constant time)...
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# ...or call from one of these addresses or networks ("10.0.0.0/8", "192.0.2.7"), as
# core/client_ip.py finds the client. Without either, /metrics answers 404.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
for _network in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as error:
        raise environ.ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {error}") from error
# Several processes (gunicorn's workers, websocket processes, a Celery worker's pool, containers
# sharing a volume): set PROMETHEUS_MULTIPROC_DIR in the environment of each, to one directory
# that starts empty; prometheus-client reads it from there, so it is not a setting.

# ---------------------------------------------------------------------------------------------
# Error reporting (Sentry; off unless SENTRY_DSN is set)
# ---------------------------------------------------------------------------------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
# Share of requests and tasks traced for performance; 0 sends errors only.
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
if SENTRY_DSN:
    from core.sentry import init_sentry

    init_sentry(SENTRY_DSN, SENTRY_ENVIRONMENT, SENTRY_TRACES_SAMPLE_RATE)
