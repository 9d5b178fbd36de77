"""Test overrides. The database and Redis still come from the environment, so the same suite
runs on the embedded default and, in CI's second leg, on PostgreSQL and Redis."""

import os
import tempfile
import uuid
from urllib.parse import urlsplit, urlunsplit

os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Each run keeps its channel-layer keys under a prefix of its own (set in the environment, so
# that the servers the end-to-end tests start share it): groups that a run killed halfway left
# in Redis are not members of the next run's groups. tests/conftest.py removes them at the end.
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"asgi-test-{uuid.uuid4().hex[:12]}")
# Uploaded pictures of a run (and of the servers it starts) go to a directory of its own, never
# beside the code; tests/conftest.py removes it at the end.
os.environ.setdefault("TEST_MEDIA_ROOT", tempfile.mkdtemp(prefix="twinning-test-media-"))
os.environ["MEDIA_ROOT"] = os.environ["TEST_MEDIA_ROOT"]

# Under pytest-xdist (`make test` runs a worker per core) each worker gets a Redis database of
# its own, the next ones after REDIS_URL's (set in the environment, so that the servers its
# tests start use it too, and marked done there: they inherit the worker's variables): a test
# empties the cache, which must not empty another worker's.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if (
    _worker.startswith("gw")
    and os.environ.get("REDIS_URL")
    and "TEST_WORKER_REDIS" not in os.environ
):
    _url = urlsplit(os.environ["REDIS_URL"])
    _database = (int(_url.path.strip("/") or 0) + 1 + int(_worker[2:])) % 16
    os.environ["REDIS_URL"] = os.environ["TEST_WORKER_REDIS"] = urlunsplit(
        _url._replace(path=f"/{_database}")
    )

from .settings import *  # noqa: E402, F403

# Fast hashing: tests create users, and the real hashers are slow by design.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
# Serve static files from the apps, as in development: the suite runs without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
