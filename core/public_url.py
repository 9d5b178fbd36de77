"""Where people reach this server, for the links it hands out (invitations' e-mails, events'
share links)."""

from django.conf import settings


def public_base_url(request) -> str:
    """``PUBLIC_BASE_URL``, else the address ``request`` came to (its scheme and host)."""
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
