"""The ``graphql-transport-ws`` protocol's side of the socket: its messages, checked as they come
in, the codes it closes with and the codes of the errors the server's own limits send.

The protocol is the ``graphql-ws`` project's PROTOCOL.md; ``consumer`` speaks it.
"""

import json
from enum import IntEnum, StrEnum

from core.text import unencodable_path

# The subprotocol a client must offer in its handshake.
PROTOCOL = "graphql-transport-ws"
# The WebSocket protocol's limit on a close frame's reason, in UTF-8 bytes.
MAX_REASON_BYTES = 123
# The close reason when the connection's token expires.
TOKEN_EXPIRED = "The token expired; reconnect with a fresh one."  # noqa: S105 (not a secret)
# The reason of a 1001 close.
GOING_AWAY_REASON = "The server is restarting; reconnect."
# The reasons of a 4503 close: the channel layer lost, or another service (the database, Redis)
# unavailable to the connection or to one of its subscriptions.
LIVE_UPDATES_UNAVAILABLE = "Live updates unavailable; reconnect"
SERVICE_UNAVAILABLE = "Service unavailable"


class CloseCode(IntEnum):
    """Why the server closed the socket.

    The 44xx codes and 4500 are the protocol's own (each is 4000 plus the HTTP status of the
    same meaning). The two limits the protocol does not cover follow the same pattern or RFC
    6455's: daphne (autobahn underneath) only sends 1000 and 3000–4999, so RFC 6455's own 1008
    and 1009 cannot be used.
    """

    BAD_REQUEST = 4400  # an invalid message; the reason says what was wrong
    UNAUTHORIZED = 4401  # `subscribe` before `connection_ack`
    # The token of `connection_init` was refused, then or later (expired, its session revoked,
    # the account deactivated): the reason says which. Apps reconnect with a fresh token.
    FORBIDDEN = 4403
    SUBPROTOCOL_NOT_ACCEPTABLE = 4406  # the client did not offer graphql-transport-ws
    INIT_TIMEOUT = 4408  # no `connection_init` in time
    SUBSCRIBER_ALREADY_EXISTS = 4409  # `subscribe` with the ID of a running operation
    TOO_MANY_INIT_REQUESTS = 4429  # a second `connection_init`
    INTERNAL_SERVER_ERROR = 4500  # a bug; logged, the reason is generic
    # A message over WEBSOCKET_MAX_MESSAGE_BYTES: HTTP's 413 Content Too Large, as 4000 + 413.
    MESSAGE_TOO_BIG = 4413
    # Too many connections for one user or address, or a client that keeps starting operations
    # after being told it is rate limited: RFC 6455's 1008 Policy Violation, in the private
    # range. Distinct from 4403 so that an app does not take it for a refused token (daphne
    # drops close reasons, so the code is all a client may see), and unlike 4429 graphql-ws
    # clients retry it with backoff, by when another connection may have closed.
    POLICY_VIOLATION = 4008
    # The server cannot serve the connection now (it lost Redis or the database), and what its
    # subscriptions were to hear meanwhile may be lost: HTTP's 503, as 4000 + 503. graphql-ws
    # reconnects and subscribes again on its own; apps resume the chat with `after`
    # (graphql_server.websocket.group_hub says why the socket is closed rather than left deaf).
    SERVICE_UNAVAILABLE = 4503
    # The server process is stopping (a deploy, a scale-down): RFC 6455's 1001 Going Away, which
    # graphql-ws retries at once; the client reconnects to another process and subscribes again
    # (``going_away``).
    GOING_AWAY = 1001


class WebsocketErrorCode(StrEnum):
    """``extensions.code`` of the `error` messages this server sends for its own limits."""

    RATE_LIMITED = "RATE_LIMITED"
    TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
    TOO_MANY_EVENTS = "TOO_MANY_EVENTS"


class CloseConnection(Exception):
    """Raised by a handler to close the socket for an expected cause."""

    def __init__(self, code: CloseCode, reason: str):
        super().__init__(f"{int(code)}: {reason}")
        self.code = code
        self.reason = reason


def invalid(reason: str) -> CloseConnection:
    return CloseConnection(CloseCode.BAD_REQUEST, reason)


def parse_message(text: str) -> dict:
    """A client's message, checked against PROTOCOL.md; CloseConnection(4400) when it is not one.

    Server-to-client types (`connection_ack`, `next`, `error`) are invalid from a client.
    Text that is not valid Unicode anywhere in a message (a lone surrogate escaped in JSON, in
    the document, a variable, the operation's name, the extensions or the `connection_init`
    payload) is refused as the HTTP endpoint refuses it, before anything reads the message.
    """
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid("Message is not valid JSON") from None
    if not isinstance(message, dict):
        raise invalid("Message must be a JSON object")
    if (path := unencodable_path(message)) is not None:
        raise invalid(f"Message is not valid Unicode: a lone surrogate at {path}")
    kind = message.get("type")
    if not isinstance(kind, str) or not kind:
        raise invalid("Message is missing the 'type' property")
    if kind in ("connection_init", "ping", "pong"):
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            raise invalid(f"'{kind}' payload must be an object or null")
    elif kind in ("subscribe", "complete"):
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not operation_id:
            raise invalid(f"'{kind}' message needs a non-empty string 'id'")
        if kind == "subscribe":
            _check_subscribe_payload(message.get("payload"))
    else:
        raise invalid(f"Unexpected message type {kind[:40]!r}")
    return message


def _check_subscribe_payload(payload) -> None:
    if not isinstance(payload, dict):
        raise invalid("'subscribe' payload must be an object")
    if not isinstance(payload.get("query"), str):
        raise invalid("'subscribe' payload needs a string 'query'")
    if not isinstance(payload.get("operationName"), str | None):
        raise invalid("'subscribe' payload 'operationName' must be a string or null")
    for key in ("variables", "extensions"):
        if not isinstance(payload.get(key), dict | None):
            raise invalid(f"'subscribe' payload '{key}' must be an object or null")


def fit_reason(reason: str) -> str:
    """``reason`` cut to what a close frame can carry."""
    return reason.encode()[:MAX_REASON_BYTES].decode(errors="ignore")


def to_json(value) -> str:
    """``value`` as the text of a frame: compact, and not escaping what UTF-8 carries."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def utf8_length(text: str) -> int:
    """The size of a text frame, in the bytes the message limit counts."""
    return len(text.encode())
