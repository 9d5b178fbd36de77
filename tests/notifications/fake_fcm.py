"""A fake Firebase Cloud Messaging server that speaks the HTTP v1 API over real HTTP.

The FCM backend runs the real firebase-admin against it, so requests, authentication, error
parsing and the mapping to outcomes are all exercised as in production. It serves the three
endpoints firebase-admin 7.7 calls:

- ``POST /v1/projects/{project}/messages:send`` with ``{"message": {...}, "validate_only"?}``,
  answering ``{"name": "projects/{project}/messages/<n>"}``;
- ``POST /v1/projects/{project}/registrations/{token}/topicSubscriptions?topic_name={topic}``,
  answering the new TopicSubscription, or 409 ALREADY_EXISTS when it exists (firebase-admin
  counts that as success);
- ``DELETE /v1/projects/{project}/registrations/{token}/topicSubscriptions/{topic}
  ?allow_missing=true``, answering ``{}``.

Errors are FCM's own bodies (google.rpc.Status with an FcmError detail), per token, on demand.
The server is meant for thousands of requests a second: one thread per keep-alive connection,
a small HTTP/1.1 parser of its own and one ``sendall`` per response, no logging.
"""

import contextlib
import datetime
import json
import re
import socket
import socketserver
import threading
from collections import Counter
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

from firebase_admin import credentials
from google.oauth2.credentials import Credentials

ACCESS_TOKEN = "test-access-token"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
# Seconds in the Retry-After of a quota error when the test does not choose.
DEFAULT_QUOTA_RETRY_AFTER = 60
TOPIC_NAME = re.compile(r"[a-zA-Z0-9\-_.~%]{1,900}")


class StaticCredential(credentials.Base):
    """A firebase-admin credential with a fixed access token, valid and never refreshed, so it
    needs no network: firebase-admin sends ``Authorization: Bearer test-access-token``."""

    def __init__(self, token: str = ACCESS_TOKEN):
        self._google_credential = Credentials(token=token)

    def get_credential(self):
        return self._google_credential


def _fcm_detail(code: str) -> dict:
    return {"@type": FCM_ERROR_TYPE, "errorCode": code}


def _status(code: int, status: str, message: str, details: list | None = None) -> dict:
    error = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


# FCM's error answers, as it sends them, by the name tests pass to ``FakeFcm.fail``.
ERRORS: dict[str, dict] = {
    "UNREGISTERED": _status(
        404, "NOT_FOUND", "Requested entity was not found.", [_fcm_detail("UNREGISTERED")]
    ),
    "SENDER_ID_MISMATCH": _status(
        403, "PERMISSION_DENIED", "SenderId mismatch", [_fcm_detail("SENDER_ID_MISMATCH")]
    ),
    "INVALID_ARGUMENT": _status(
        400,
        "INVALID_ARGUMENT",
        "Request contains an invalid argument.",
        [
            _fcm_detail("INVALID_ARGUMENT"),
            {
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [
                    {"field": "message.token", "description": "Invalid registration token"}
                ],
            },
        ],
    ),
    # The device or topic message rate.
    "QUOTA_EXCEEDED": _status(
        429,
        "RESOURCE_EXHAUSTED",
        "Resource has been exhausted (e.g. check quota).",
        [_fcm_detail("QUOTA_EXCEEDED")],
    ),
    # The project's per-minute quota: a plain Google API quota error, without an FCM code.
    "RATE_LIMIT_EXCEEDED": _status(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' "
        "of service 'fcm.googleapis.com' for consumer 'project_number:000000000000'.",
        [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_metric": "fcm.googleapis.com/send_requests",
                    "quota_limit": "SendsPerMinutePerProject",
                    "service": "fcm.googleapis.com",
                },
            }
        ],
    ),
    "UNAVAILABLE": _status(
        503, "UNAVAILABLE", "The service is currently unavailable.", [_fcm_detail("UNAVAILABLE")]
    ),
    "INTERNAL": _status(500, "INTERNAL", "Internal error encountered.", [_fcm_detail("INTERNAL")]),
}
QUOTA_ERRORS = frozenset({"QUOTA_EXCEEDED", "RATE_LIMIT_EXCEEDED"})

UNAUTHENTICATED = _status(
    401,
    "UNAUTHENTICATED",
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential.",
)
NO_RECIPIENT = _status(
    400,
    "INVALID_ARGUMENT",
    "Recipient of the message is not set.",
    [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [
                {"field": "message", "description": "Recipient of the message is not set."}
            ],
        },
        _fcm_detail("INVALID_ARGUMENT"),
    ],
)
NON_STRING_DATA = _status(
    400, "INVALID_ARGUMENT", "Invalid value at 'message.data[0].value' (TYPE_STRING)."
)
BAD_JSON = _status(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
BAD_TOPIC = _status(400, "INVALID_ARGUMENT", "Invalid topic name.")
NO_ROUTE = _status(404, "NOT_FOUND", "The requested URL was not found on this server.")
SUBSCRIPTION_NOT_FOUND = _status(404, "NOT_FOUND", "Requested entity was not found.")
ALREADY_SUBSCRIBED = _status(409, "ALREADY_EXISTS", "Requested entity already exists.")


class _Failure:
    __slots__ = ("error", "remaining", "retry_after")

    def __init__(self, error: str, remaining: int | None, retry_after: str | None):
        self.error, self.remaining, self.retry_after = error, remaining, retry_after


def _response(status: int, body: dict, headers: tuple[str, ...] = ()) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: application/json; charset=UTF-8\r\n"
        f"Content-Length: {len(payload)}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n"
    )
    return head.encode("latin-1") + payload


class _Handler(socketserver.StreamRequestHandler):
    """One keep-alive connection: read a request, answer it, until the client closes."""

    disable_nagle_algorithm = True  # one write per response; never wait for a delayed ACK

    def handle(self) -> None:
        try:
            while self._one_request():
                pass
        except OSError:
            pass  # reset by the client, or shut by FakeFcm.stop

    def _one_request(self) -> bool:
        """Read one request and answer it; False when the connection is over."""
        line = self.rfile.readline(65537)
        try:
            method, target, _version = line.decode("latin-1").split()
        except ValueError:
            return False  # closed (empty line) or not HTTP
        headers = {}
        while True:
            header = self.rfile.readline(65537)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        self.connection.sendall(self.server.fake.answer(method, target, headers, body))
        return headers.get("connection", "").lower() != "close"


class _Server(ThreadingHTTPServer):
    # Non-daemon handler threads, so that closing the server joins them; ``FakeFcm.stop``
    # shuts their sockets first, which ends each thread's wait for the next request.
    daemon_threads = False
    block_on_close = True
    request_queue_size = 128

    def __init__(self, fake: "FakeFcm"):
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self):
        # HTTPServer would look up the host's FQDN, a DNS query, for a name nothing here uses.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)


class FakeFcm:
    """A running fake FCM: ``url`` to point ``FCM_API_URL`` at, and what it received.

    - ``messages``: the messages it accepted, as FCM JSON (``token`` or ``condition``,
      ``notification``, ``data``, ``android``, ``apns``), in arrival order;
    - ``topics``: topic → set of subscribed tokens;
    - ``authorizations``: every distinct Authorization header;
    - ``attempts``: requests per target (token, condition or topic) and ``request_count``,
      all requests, including refused ones.

    ``fail`` makes a token (or a condition) answer with one of FCM's errors; ``message_to``
    finds the message a token or condition got; ``watch`` calls a function of the test's at
    each request, once it has been taken in and before it is answered.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-fcm",
            daemon=True,
        )
        self.reset()

    def start(self) -> "FakeFcm":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end every open connection and wait for the handler threads."""
        self._server.shutdown()
        with self._server.connections_lock:
            connections = list(self._server.open_connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # the client closed it first
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join()

    def reset(self) -> None:
        """Forget everything received and every planned failure."""
        with self._lock:
            self.messages: list[dict] = []
            self.topics: dict[str, set[str]] = {}
            self.authorizations: set[str] = set()
            self.attempts: Counter[str] = Counter()
            self.request_count = 0
            self._failures: dict[str, _Failure] = {}
            self._next_id = 0
            self._watchers: list = []

    def watch(self, watcher) -> None:
        """Call ``watcher(request, target)`` in the server's thread at each request, after it
        is taken in (a message accepted is already in ``messages``) and before its answer is
        sent: ``request`` is "send", "subscribe" or "unsubscribe", ``target`` the token or
        condition. What the sender does meanwhile can be checked there, or the sender killed
        between sending and hearing back. Forgotten at ``reset``."""
        with self._lock:
            self._watchers.append(watcher)

    def _watched(self, request: str, target: str, response: bytes) -> bytes:
        with self._lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            watcher(request, target)
        return response

    def fail(
        self,
        target: str,
        outcome: str,
        times: int | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """Answer requests for ``target`` (a token, for sends and topic calls alike, or a
        condition) with FCM's error for ``outcome``: a key of ``ERRORS``, e.g. "UNREGISTERED"
        (an ``Outcome`` works too). ``times``: only the next that many requests, then succeed;
        ``None``: always. ``retry_after`` (seconds or an HTTP date) is sent as Retry-After;
        quota errors send ``DEFAULT_QUOTA_RETRY_AFTER`` unless told otherwise."""
        error = str(outcome)
        if error not in ERRORS:
            raise ValueError(f"Unknown FCM error {error!r}; one of {sorted(ERRORS)}.")
        if retry_after is None and error in QUOTA_ERRORS:
            retry_after = DEFAULT_QUOTA_RETRY_AFTER
        if isinstance(retry_after, float) and retry_after.is_integer():
            retry_after = int(retry_after)
        with self._lock:
            self._failures[target] = _Failure(
                error, times, None if retry_after is None else str(retry_after)
            )

    def message_to(self, target: str) -> dict | None:
        """The last message accepted for a token or condition."""
        with self._lock:
            for message in reversed(self.messages):
                if target in (message.get("token"), message.get("condition")):
                    return message
        return None

    # --- answering requests (handler threads) ---------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        """The complete HTTP response to one request."""
        authorization = headers.get("authorization", "")
        with self._lock:
            self.request_count += 1
            self.authorizations.add(authorization)
        if not authorization.startswith("Bearer "):
            return _response(401, UNAUTHENTICATED)
        path, _, query = target.partition("?")
        parts = path.split("/")
        if len(parts) < 5 or parts[1] != "v1" or parts[2] != "projects":
            return _response(404, NO_ROUTE)
        project, rest = unquote(parts[3]), parts[4:]
        if method == "POST" and rest == ["messages:send"]:
            response, target = self._send(project, body)
            return self._watched("send", target, response)
        if len(rest) >= 3 and rest[0] == "registrations" and rest[2] == "topicSubscriptions":
            token = unquote(rest[1])
            params = parse_qs(query)
            if method == "POST" and len(rest) == 3:
                response = self._subscribe(project, token, params.get("topic_name", [""])[0])
                return self._watched("subscribe", token, response)
            if method == "DELETE" and len(rest) == 4:
                allow_missing = params.get("allow_missing", ["false"])[0] == "true"
                response = self._unsubscribe(token, unquote(rest[3]), allow_missing)
                return self._watched("unsubscribe", token, response)
        return _response(404, NO_ROUTE)

    def _planned_failure(self, target: str) -> bytes | None:
        """Count a request for ``target``; FCM's error for it, if one is planned."""
        with self._lock:
            self.attempts[target] += 1
            failure = self._failures.get(target)
            if failure is None:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    del self._failures[target]
        body = ERRORS[failure.error]
        headers = () if failure.retry_after is None else (f"Retry-After: {failure.retry_after}",)
        return _response(body["error"]["code"], body, headers)

    def _send(self, project: str, body: bytes) -> tuple[bytes, str]:
        """The answer to a send, and its target ("" when it has none)."""
        try:
            request = json.loads(body)
            message = request["message"]
        except (ValueError, KeyError, TypeError):
            return _response(400, BAD_JSON), ""
        targets = [message[key] for key in ("token", "fid", "topic", "condition") if key in message]
        if len(targets) != 1:
            return _response(400, NO_RECIPIENT), ""
        target = targets[0]
        refusal = self._planned_failure(target)
        if refusal is not None:
            return refusal, target
        if not all(isinstance(value, str) for value in message.get("data", {}).values()):
            return _response(400, NON_STRING_DATA), target
        if request.get("validate_only"):
            # A dry run: validated, not delivered, and FCM's fixed id for it.
            return _response(200, {"name": f"projects/{project}/messages/fake_message_id"}), target
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            self.messages.append(message)
        return _response(200, {"name": f"projects/{project}/messages/{message_id}"}), target

    def _subscribe(self, project: str, token: str, topic: str) -> bytes:
        if not TOPIC_NAME.fullmatch(topic):
            return _response(400, BAD_TOPIC)
        refusal = self._planned_failure(token)
        if refusal is not None:
            return refusal
        with self._lock:
            tokens = self.topics.setdefault(topic, set())
            if token in tokens:
                return _response(409, ALREADY_SUBSCRIBED)
            tokens.add(token)
        created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        subscription = {
            "name": f"projects/{project}/registrations/{token}/topicSubscriptions/{topic}",
            "topic_name": topic,
            "create_time": created,
        }
        return _response(200, subscription)

    def _unsubscribe(self, token: str, topic: str, allow_missing: bool) -> bytes:
        refusal = self._planned_failure(token)
        if refusal is not None:
            return refusal
        with self._lock:
            tokens = self.topics.get(topic, set())
            if token not in tokens and not allow_missing:
                return _response(404, SUBSCRIPTION_NOT_FOUND)
            tokens.discard(token)
        return _response(200, {})
