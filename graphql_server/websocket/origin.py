"""Which browser pages may open a socket to the API."""

from urllib.parse import urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

# Channels' pattern matching ("https://app.example.com", ".example.com", "*"), reused.
_ORIGIN_PATTERNS = OriginValidator(None, ())


class AllowedOriginMiddleware:
    """Refuses websocket handshakes from browser pages of sites not allowed to use the API.

    A browser sends an Origin header with every handshake and lets any page open a socket to
    any site, so the check is the server's. Allowed: no Origin at all (the mobile apps and
    other native clients, which have no page to protect); an Origin on the very host the
    socket was opened on (GraphiQL, the admin); and the patterns in ``allowed_origins``,
    ``settings.WEBSOCKET_ALLOWED_ORIGINS`` by default, read at each handshake. A refused
    handshake is closed before it is accepted, which the server answers with HTTP 403.

    Sockets authenticate by the token in `connection_init`, never by cookie, so a hostile page
    could not act as its visitor anyway; the check keeps others' pages off the API altogether.
    """

    def __init__(self, application, allowed_origins: list[str] | None = None):
        self.application = application
        self.allowed_origins = allowed_origins

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not self.allows(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

    def allows(self, scope) -> bool:
        headers = dict(scope.get("headers", ()))
        if b"origin" not in headers:
            return True
        origin = urlparse(headers[b"origin"].decode("latin-1"))
        host = headers.get(b"host", b"").decode("latin-1").lower()
        if origin.hostname and host and origin.netloc.lower() == host:
            return True
        patterns = self.allowed_origins
        if patterns is None:
            patterns = settings.WEBSOCKET_ALLOWED_ORIGINS
        try:
            return any(
                pattern == "*" or _ORIGIN_PATTERNS.match_allowed_origin(origin, pattern)
                for pattern in patterns
            )
        except ValueError:  # a port that is not a number: no browser sends that
            return False
