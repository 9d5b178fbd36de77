"""The request behind a socket: its handshake read as Django reads an HTTP request, for
resolvers written against HttpRequest, and the language it asks for."""

from types import SimpleNamespace

from django.utils import translation

from core.client_ip import client_ip


def request_meta(scope: dict) -> dict[str, str]:
    """The handshake as Django's ``request.META`` shows an HTTP request: ``HTTP_*`` headers,
    ``REMOTE_ADDR``, ``SERVER_NAME``…, for resolvers written against HttpRequest."""
    meta = {
        "PATH_INFO": scope.get("path", ""),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
    }
    if client := scope.get("client"):
        meta["REMOTE_ADDR"], meta["REMOTE_PORT"] = str(client[0]), str(client[1])
    if server := scope.get("server"):
        meta["SERVER_NAME"], meta["SERVER_PORT"] = str(server[0]), str(server[1] or "")
    for name, value in scope.get("headers", ()):
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        value = value.decode("latin-1")
        meta[key] = f"{meta[key]},{value}" if key in meta else value
    return meta


def client_address(meta: dict[str, str]) -> str | None:
    # As over HTTP: the peer, or the hop behind TRUSTED_PROXY_COUNT proxies.
    return client_ip(meta)


def supported_language(code: str) -> str | None:
    """The supported language closest to ``code`` (``ru-RU`` → ``ru``), None if none is."""
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def handshake_language(meta: dict[str, str]) -> str:
    """The language the handshake's Accept-Language asks for, as LocaleMiddleware picks it."""
    # Only META is read: cookies do not count, as nothing else about the socket uses them.
    return translation.get_language_from_request(SimpleNamespace(COOKIES={}, META=meta))
