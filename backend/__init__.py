"""Configuration: settings, ASGI routing, URLs, the Celery app and the deployment's checks."""

# Registered here, with the first import of the settings, so that every command sees them.
from . import checks  # noqa: F401
from .celery import app as celery_app

__all__ = ("celery_app",)
