"""Test overrides. The database and Redis still come from the environment, so the same suite
runs on the embedded default and, in CI's second leg, on PostgreSQL and Redis."""

import os

os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from .settings import *  # noqa: F403

# Fast hashing: tests create users, and the real hashers are slow by design.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
# Serve static files from the apps, as in development: the suite runs without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
