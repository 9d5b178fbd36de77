"""Sending cases over the websocket (graphql-transport-ws) and judging what comes back.

Every wait is bounded. A query or mutation must end with ``complete`` or ``error`` within
REQUEST_SECONDS; a subscription is answered at once when it is refused, and otherwise stays
open: subscriptions go out in batches on one connection, the batch waits until every one has
ended or no frame has come for QUIET_SECONDS, the ones still open are completed by the client,
and a query sent last (the sentinel) must still be answered, so a socket that went deaf is
found. A close must carry a documented code; the next case opens a new connection.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from . import answers, wire
from .database import changes
from .documents import Case
from .findings import Findings
from .over_http import Reach, refused_writes
from .server import REQUEST_SECONDS, LiveServer

PROTOCOL = "graphql-transport-ws"
QUIET_SECONDS = 1.0
SUBSCRIPTION_BATCH = 25
# WEBSOCKET_MAX_MESSAGE_BYTES's default, in characters of the (mostly ASCII) frame.
FRAME_LIMIT = 60_000
SENTINEL = '{"id":"sentinel","type":"subscribe","payload":{"query":"{ __typename }"}}'


class Closed(Exception):
    """The server closed the socket (or it dropped): ``code`` 1006 when no close frame came."""

    def __init__(self, code: int, reason: str = ""):
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


def close_problems(code: int) -> list[str]:
    if code in answers.DOCUMENTED_CLOSE_CODES:
        return []
    if code == 1006:
        return ["the connection dropped without a close frame"]
    return [f"closed with {code}, not a documented code"]


def frame_problems(message) -> list[str]:
    """What is wrong with one server message about an operation."""
    if not isinstance(message, dict):
        return [f"a message that is not a JSON object: {str(message)[:200]}"]
    kind = message.get("type")
    if kind == "next":
        return answers.result_problems(message.get("payload"))
    if kind == "error":
        errors = message.get("payload")
        if not isinstance(errors, list) or not errors:
            return [f"an error message without errors: {str(errors)[:200]}"]
        return answers.error_problems(errors)
    if kind in ("complete", "ping", "pong"):
        return []
    return [f"an unexpected message type {kind!r}"]


@dataclass
class Socket:
    """One graphql-transport-ws connection, with what was sent and received on it."""

    url: str
    token: str | None
    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    connection: ClientConnection | None = None

    def open(self, init_payload: dict | None = None, init_frame: str | None = None) -> None:
        """Connect and send ``connection_init`` (the viewer's token unless a payload or a raw
        frame is given); does not wait for the answer."""
        self.connection = connect(
            self.url,
            subprotocols=[PROTOCOL],
            proxy=None,
            compression=None,
            open_timeout=REQUEST_SECONDS,
            close_timeout=5,
            max_size=None,
            ping_interval=None,
        )
        if init_frame is None:
            payload = init_payload
            if payload is None:
                payload = {"authorization": f"Bearer {self.token}"} if self.token else {}
            init_frame = wire.dumps({"type": "connection_init", "payload": payload})
        self.send(init_frame)

    def send(self, text: str) -> None:
        self.sent.append(text.replace(self.token, "$TOKEN") if self.token else text)
        try:
            # A text frame; a raw lone surrogate goes as the bytes it would be (invalid UTF-8).
            self.connection.send(wire.utf8(text), text=True)
        except ConnectionClosed as closed:
            raise _closed(closed) from None

    def receive(self, timeout: float):
        """The next message (None when ``timeout`` passed); answers the server's pings."""
        try:
            text = self.connection.recv(timeout=timeout)
        except TimeoutError:
            return None
        except ConnectionClosed as closed:
            raise _closed(closed) from None
        self.received.append(text if isinstance(text, str) else repr(text))
        try:
            message = json.loads(text)
        except ValueError:
            return text
        if isinstance(message, dict) and message.get("type") == "ping":
            self.send('{"type":"pong"}')
        return message

    def acknowledged(self) -> None:
        """Wait for ``connection_ack``; Closed or TimeoutError otherwise."""
        deadline = time.monotonic() + REQUEST_SECONDS
        while time.monotonic() < deadline:
            message = self.receive(deadline - time.monotonic())
            if isinstance(message, dict) and message.get("type") == "connection_ack":
                return
        raise TimeoutError("no connection_ack")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _closed(closed: ConnectionClosed) -> Closed:
    if closed.rcvd is None:
        return Closed(1006)
    return Closed(closed.rcvd.code, closed.rcvd.reason)


class WebsocketFuzzer:
    """Sends cases as ``subscribe`` messages, one connection reused until it closes."""

    def __init__(self, server: LiveServer, findings: Findings):
        self.server = server
        self.findings = findings
        self.reach = Reach()
        self.socket: Socket | None = None
        self.fingerprint = server.content.fingerprint()
        self._ids = 0

    def _socket(self) -> Socket:
        if self.socket is None:
            socket = Socket(self.server.websocket_url, self.server.token)
            socket.open()
            socket.acknowledged()
            self.socket = socket
        return self.socket

    def _drop(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def close(self) -> None:
        self._drop()

    def _record(
        self, case: Case, problems, socket: Socket | None, frame: str = "", mark=None, answer=()
    ) -> None:
        """Record ``problems`` of ``case``, whose subscribe message was ``frame`` and whose
        messages were ``answer``; ``mark``: where the server log stood before it."""
        if not problems:
            return
        name = self.findings.next_name()
        init = socket.sent[:1] if socket else []
        received = list(answer) or (socket.received[-3:] if socket else [])
        self.findings.add(
            "websocket",
            case,
            problems,
            " | ".join(text[:300] for text in received),
            lambda: wire.frames_replay(
                self.server.websocket_url,
                [*init, frame] if frame else init,
                received,
                self.findings.directory,
                name,
            ),
            self.server.errors_since(mark) if mark is not None else (),
        )

    def _operation_id(self) -> str:
        self._ids += 1
        return f"op{self._ids}"

    def send(self, case: Case) -> None:
        """A query or mutation: every message of it until it ends."""
        self.reach[case.label, "cases"] += 1
        started = time.monotonic()
        problems: list[str] = []
        result = None
        socket = None
        frame = ""
        mark = self.server.log_mark()
        answer: list[str] = []
        try:
            socket = self._socket()
            operation_id = self._operation_id()
            frame = wire.subscribe_frame(case, operation_id)
            socket.send(frame)
            deadline = time.monotonic() + REQUEST_SECONDS
            while True:
                left = deadline - time.monotonic()
                message = socket.receive(left) if left > 0 else None
                if message is None:
                    problems.append(f"no complete or error within {REQUEST_SECONDS} s")
                    self._drop()
                    break
                if not isinstance(message, dict) or message.get("id") != operation_id:
                    continue
                answer.append(socket.received[-1])
                problems += frame_problems(message)
                self.reach[case.label, message.get("type")] += 1
                if message.get("type") == "next":
                    result = message.get("payload")
                if message.get("type") in ("complete", "error"):
                    break
        except Closed as closed:
            problems += close_problems(closed.code)
            answer.append(f"close {closed.code} {closed.reason}")
            self.reach[case.label, f"close {closed.code}"] += 1
            self._drop()
        except (TimeoutError, InvalidStatus, WebSocketException, OSError) as error:
            problems.append(f"could not connect: {error}")
            self._drop()
        self.reach[case.label, "seconds"] += time.monotonic() - started
        if isinstance(result, dict):
            self.server.pools.harvest(result.get("data"))
            if answers.answered(result, case.field):
                self.reach[case.label, "answered"] += 1
            if case.root == "Mutation" and answers.accepted(result, case.field):
                self.reach[case.label, "accepted"] += 1
        after = self.server.content.fingerprint()
        problems += refused_writes(case, result, self.fingerprint, after)
        self.fingerprint = after
        self._record(case, problems, socket, frame, mark, answer)

    def subscribe_all(self, cases: list[Case]) -> None:
        """Subscriptions, in batches on one connection (see the module's docstring). A case
        whose message is over the server's frame limit, which closes the socket (4413), goes
        alone."""
        large = [case for case in cases if len(wire.subscribe_frame(case, "op")) > FRAME_LIMIT]
        for case in large:
            self._batch([case])
        rest = [case for case in cases if case not in large]
        for start in range(0, len(rest), SUBSCRIPTION_BATCH):
            self._batch(rest[start : start + SUBSCRIPTION_BATCH])

    def _batch(self, cases: list[Case]) -> None:
        """One batch. A batch whose socket closes is sent again one case at a time, so that
        the close is put down to the case that caused it."""
        by_id: dict[str, Case] = {}
        frames: dict[str, str] = {}
        problems_of: dict[str, list[str]] = {}
        answers_of: dict[str, list[str]] = {}
        socket = None
        mark = self.server.log_mark()
        started = time.monotonic()
        try:
            socket = self._socket()
            for case in cases:
                operation_id = self._operation_id()
                by_id[operation_id] = case
                problems_of[operation_id] = []
                frames[operation_id] = wire.subscribe_frame(case, operation_id)
                socket.send(frames[operation_id])
            still_open = set(by_id)
            deadline = time.monotonic() + REQUEST_SECONDS
            while still_open and time.monotonic() < deadline:
                message = socket.receive(QUIET_SECONDS)
                if message is None:
                    break  # quiet: the ones still open are listening
                operation_id = message.get("id") if isinstance(message, dict) else None
                if operation_id not in by_id:
                    continue
                label = by_id[operation_id].label
                answers_of.setdefault(operation_id, []).append(socket.received[-1])
                problems_of[operation_id] += frame_problems(message)
                self.reach[label, message.get("type")] += 1
                if message.get("type") in ("complete", "error"):
                    still_open.discard(operation_id)
            for operation_id in still_open:
                self.reach[by_id[operation_id].label, "listening"] += 1
                socket.send(json.dumps({"id": operation_id, "type": "complete"}))
            self._sentinel(socket, cases[-1])
        except Closed as closed:
            self._drop()
            if len(cases) > 1:
                # Halves, until the case that closed it is alone.
                middle = len(cases) // 2
                self._batch(cases[:middle])
                self._batch(cases[middle:])
                return
            self.reach[cases[0].label, f"close {closed.code}"] += 1
            problems_of = {"closed": close_problems(closed.code)}
            frames = {"closed": next(iter(frames.values()), "")}
            by_id = {"closed": cases[0]}
        except (TimeoutError, WebSocketException, OSError) as error:
            self._drop()
            problems_of = {"closed": [f"could not connect: {error}"]}
            by_id = {"closed": cases[-1]}
        seconds = (time.monotonic() - started) / len(cases)
        for case in cases:
            self.reach[case.label, "cases"] += 1
            self.reach[case.label, "seconds"] += seconds
        after = self.server.content.fingerprint()
        written = changes(self.fingerprint, after)
        self.fingerprint = after
        if written:
            tables = ", ".join(f"{table} ({counts})" for table, counts in written.items())
            problems_of.setdefault(next(iter(by_id)), []).append(f"a subscription wrote: {tables}")
        for operation_id, problems in problems_of.items():
            self._record(
                by_id[operation_id],
                problems,
                socket,
                frames.get(operation_id, ""),
                mark,
                answers_of.get(operation_id, ()),
            )

    def _sentinel(self, socket: Socket, case: Case) -> None:
        """A query after the batch must still be answered: the socket serves."""
        socket.send(SENTINEL.replace("sentinel", f"sentinel{self._ids}"))
        deadline = time.monotonic() + REQUEST_SECONDS
        while time.monotonic() < deadline:
            message = socket.receive(deadline - time.monotonic())
            if isinstance(message, dict) and message.get("id") == f"sentinel{self._ids}":
                if message.get("type") == "complete":
                    return
                if message.get("type") == "error":
                    break
        self._record(
            case, ["the socket did not answer a query after the subscriptions"], socket, SENTINEL
        )


def hostile_init(url: str, token: str, frames: list[str], check: Callable | None = None):
    """Open a socket, send ``frames`` (the first being its connection_init), and return the
    problems: an ack must be followed by a working socket, anything else must be a documented
    close, and nothing may hang."""
    socket = Socket(url, token)
    problems: list[str] = []
    try:
        socket.connection = connect(
            url,
            subprotocols=[PROTOCOL],
            proxy=None,
            compression=None,
            open_timeout=REQUEST_SECONDS,
            close_timeout=5,
            max_size=None,
            ping_interval=None,
        )
        for frame in frames:
            socket.send(frame)
        socket.acknowledged()
        socket.send(SENTINEL)
        deadline = time.monotonic() + REQUEST_SECONDS
        while True:
            message = socket.receive(max(0.0, deadline - time.monotonic()))
            if message is None:
                problems.append("acknowledged, then no answer to a query")
                break
            if isinstance(message, dict) and message.get("id") == "sentinel":
                problems += frame_problems(message)
                if message.get("type") in ("complete", "error"):
                    break
    except Closed as closed:
        # A text frame that is not UTF-8 fails the connection (RFC 6455 §8.1), which daphne's
        # websocket layer does by dropping it: no close frame to expect then.
        invalid_utf8 = any(wire.SURROGATE.search(frame) for frame in frames)
        if not (closed.code == 1006 and invalid_utf8):
            problems += close_problems(closed.code)
    except TimeoutError:
        problems.append(f"neither acknowledged nor closed within {REQUEST_SECONDS} s")
    except (WebSocketException, OSError) as error:
        problems.append(f"could not connect: {error}")
    finally:
        socket.close()
    return problems, socket


# Beginnings of a connection that are not what the protocol says, each sent as it is; the
# ``{token}`` is the viewer's.
RAW_INITS = (
    '{"type":"connection_init","payload":[]}',
    '{"type":"connection_init","payload":"\\ud800"}',
    '{"type":"connection_init","payload":1e400}',
    '{"type":"connection_init","payload":{"authorization":"Bearer \\ud800"}}',
    '{"type":"connection_init","payload":{"language":"\\udfff"}}',
    '{"type":"connection_init\\u0000"}',
    '{"type":"\\ud800"}',
    '{"type":"connection_init","payload":' + "[" * 5000 + "]" * 5000 + "}",
    '{"type":"connection_init","payload":{"language":"' + "a" * 70_000 + '"}}',
    "\ud800",
    "not json",
    "",
    "null",
    '{"type":"connection_init"',
    '{"type":"connection_init","type":"subscribe"}',
    '{"id":"1","type":"subscribe","payload":{"query":"{ me { email } }"}}',
)
# What may follow an accepted connection_init.
FOLLOWERS = (
    '{"type":"connection_init","payload":{}}',
    '{"type":"ping","payload":{"\\ud800":"\\udfff"}}',
    '{"type":"pong","payload":"x"}',
    '{"id":"\\ud800","type":"subscribe","payload":{"query":"{ __typename }"}}',
    '{"id":"\\u0000","type":"subscribe","payload":{"query":"{ __typename }"}}',
    '{"id":"","type":"subscribe","payload":{"query":"{ __typename }"}}',
    '{"id":"' + "i" * 60_000 + '","type":"subscribe","payload":{"query":"{ __typename }"}}',
    '{"id":"a","type":"subscribe","payload":{"query":1}}',
    '{"id":"a","type":"subscribe","payload":{"query":"{ __typename }","variables":[]}}',
    '{"id":"a","type":"subscribe","payload":{"query":"{ __typename }","operationName":"\\ud800"}}',
    '{"id":"\\udfff","type":"complete"}',
    '{"type":"next","id":"a","payload":{}}',
)


def fixed_beginnings(token: str) -> list[list[str]]:
    """Every raw beginning alone, and every follower after a valid connection_init."""
    valid = wire.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    return [[frame] for frame in RAW_INITS] + [[valid, frame] for frame in FOLLOWERS]


def init_payloads(token: str):
    """``connection_init`` messages with hostile tokens, languages and keys, alone or mixed
    with the viewer's valid token."""
    from hypothesis import strategies as st

    from . import values

    texts = st.sampled_from(values.THEMES).flatmap(values.texts)
    bearer = st.one_of(
        st.just(f"Bearer {token}"),
        texts.map(lambda text: f"Bearer {text}" if isinstance(text, str) else text),
        st.sampled_from(
            (
                f"Bearer {token}\x00",
                f"Bearer {token}\ud800",
                f"bearer {token}",
                f"Bearer  {token}",
                f"Bearer {token[:-2]}",
                f"Bearer {token}.{token}",
                f"Basic {token}",
                "Bearer " + "a" * 60_000,
                "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
            )
        ),
        values.wrong_kinds(),
    )
    language = st.one_of(
        st.sampled_from(("ru", "kk-KZ", "ur", "xx", "")), texts, values.wrong_kinds()
    )
    payload = st.fixed_dictionaries(
        {},
        optional={
            "authorization": bearer,
            "Authorization": bearer,
            "token": bearer,
            "language": language,
            "\ud800": texts,
            "": texts,
        },
    )
    return payload.map(lambda p: [wire.dumps({"type": "connection_init", "payload": p})])
