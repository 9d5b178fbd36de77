"""Real GraphQL clients for the end-to-end tests, behind one small interface.

- ``NodeClient``: the reference client, the ``graphql-ws`` npm package, in a Node process
  (``node/client.mjs``) that prints what it hears as JSON lines.
- ``PythonClient``: gql's ``WebsocketsTransport`` speaking graphql-transport-ws.

Both connect with a bearer token in the ``connection_init`` payload (graphql-ws calls it
``connectionParams``, gql ``init_payload``), run operations over the one socket, and give each
result as the protocol's ``next`` payload, ``{"data": …}`` with ``"errors"`` when there are any,
so that a test reads the same whichever client it runs with. Mutations over HTTP go through
``post_graphql``.
"""

import asyncio
import itertools
import json
import shutil
from pathlib import Path

import httpx
import websockets
from gql import Client, GraphQLRequest
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportQueryError,
)
from gql.transport.websockets import WebsocketsTransport

from tests.waiting import eventually

NODE_PROJECT = Path(__file__).resolve().parent / "node"
NODE_SCRIPT = NODE_PROJECT / "client.mjs"
# How long a test waits for anything it expects from the server.
WAIT_SECONDS = 10
# The clients' own pings when a test asks for them, and how long they wait for the pong.
CLIENT_PING_SECONDS = 0.2
CLIENT_PONG_TIMEOUT_SECONDS = 0.5

_node_logs = itertools.count(1)


class Refused(Exception):
    """The server closed the socket instead of acknowledging ``connection_init``."""

    def __init__(self, code: int | None):
        super().__init__(f"The server closed the socket with {code}.")
        self.code = code


class Ended(AssertionError):
    """An operation ended, or the socket closed, where a result was expected."""


def node_missing() -> str | None:
    """Why the Node client cannot run here, or None if it can."""
    if shutil.which("node") is None:
        return "Node.js (20 or newer) is not installed: the graphql-ws client runs on it."
    if not (NODE_PROJECT / "node_modules" / "graphql-ws").is_dir():
        return (
            f"The graphql-ws client's packages are not installed in {NODE_PROJECT}: run "
            "`make install` (which runs `npm ci` there when npm is installed)."
        )
    return None


async def post_graphql(url: str, query: str, variables: dict | None = None, token=None) -> dict:
    """POST one operation to ``url`` (the live server's /graphql/), as the apps do; returns the
    decoded body, which must come with 200."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        response = await client.post(
            url, json={"query": query, "variables": variables or {}}, headers=headers
        )
    assert response.status_code == 200, response.text
    return response.json()


class Subscription:
    """The results of one operation, in the order the server sent them."""

    def __init__(self, name: str):
        self.name = name
        self._inbox: asyncio.Queue = asyncio.Queue()

    def put(self, kind: str, value=None) -> None:
        self._inbox.put_nowait((kind, value))

    async def next(self, timeout: float = WAIT_SECONDS) -> dict:
        """The next result (a ``next`` payload); fails if the operation ended instead."""
        try:
            async with asyncio.timeout(timeout):
                kind, value = await self._inbox.get()
        except TimeoutError:
            raise AssertionError(f"No result of {self.name!r} within {timeout} s.") from None
        if kind != "next":
            raise Ended(f"{self.name!r} ended ({kind}: {value!r}) instead of sending a result.")
        return value

    async def results(self, count: int, timeout: float = WAIT_SECONDS) -> list[dict]:
        return [await self.next(timeout) for _ in range(count)]


class NodeClient:
    """The graphql-ws client in a Node process; see ``node/client.mjs``."""

    kind = "node"

    def __init__(
        self, process: asyncio.subprocess.Process, stderr_path: Path, reconnects: bool = False
    ):
        self.process = process
        self.stderr_path = stderr_path
        # Whether the client reconnects when the socket closes (see ``connect``).
        self.reconnects = reconnects
        self.events: list[dict] = []
        self._event_arrived = asyncio.Event()
        self._subscriptions: dict[str, Subscription] = {}
        self._names = (f"op{n}" for n in itertools.count(1))
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls,
        url: str,
        token=None,
        keep_alive=False,
        *,
        log_dir: Path,
        refresh_token: str | None = None,
        http_url: str | None = None,
        fallback_url: str | None = None,
    ):
        """A connected client; raises Refused if the server closes the socket instead.

        With ``refresh_token`` (and the server's ``http_url``) the client reconnects as an app
        does when the server closes the socket: with a fresh access token, from
        ``tokenRefresh``, its subscriptions subscribed again. With ``fallback_url`` it reconnects
        there when the server closes the socket, its subscriptions subscribed again.
        """
        command = ["node", str(NODE_SCRIPT), "--url", url]
        if token is not None:
            command += ["--token", token]
        if keep_alive:
            command += ["--keep-alive", str(int(CLIENT_PING_SECONDS * 1000))]
        if refresh_token is not None:
            command += ["--refresh-token", refresh_token, "--http-url", http_url]
        if fallback_url is not None:
            command += ["--fallback-url", fallback_url]
        stderr_path = log_dir / f"node-client-{next(_node_logs)}.log"
        with stderr_path.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=NODE_PROJECT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        reconnects = refresh_token is not None or fallback_url is not None
        client = cls(process, stderr_path, reconnects=reconnects)
        try:
            first = await client._next_event(
                lambda event: event["event"] in ("connected", "closed")
            )
        except BaseException:
            await client.close()
            raise
        if first["event"] == "closed":
            await client.close()
            raise Refused(first["code"])
        return client

    async def _read(self) -> None:
        async for line in self.process.stdout:
            message = json.loads(line)
            if "event" in message:
                self.events.append(message)
                self._event_arrived.set()
                if message["event"] == "closed" and not self.reconnects:
                    for subscription in self._subscriptions.values():
                        subscription.put("closed", message)
                continue
            subscription = self._subscriptions[message["id"]]
            for kind in ("next", "errors", "failed"):
                if kind in message:
                    subscription.put(kind, message[kind])
            if message.get("complete"):
                subscription.put("complete")

    async def _next_event(self, wanted, timeout: float = WAIT_SECONDS) -> dict:
        """The first event so far or to come that is ``wanted``; fails if the socket closes
        first."""
        seen = 0
        async with asyncio.timeout(timeout):
            while True:
                for event in self.events[seen:]:
                    if wanted(event):
                        return event
                    if event["event"] in ("closed", "pong-timeout"):
                        raise Ended(f"The socket closed: {event}")
                seen = len(self.events)
                if self._reader.done():
                    raise Ended(f"The Node client ended:\n{self.stderr()}")
                self._event_arrived.clear()
                await self._event_arrived.wait()

    def _send(self, command: dict) -> None:
        self.process.stdin.write(json.dumps(command).encode() + b"\n")

    async def subscribe(self, query: str, variables: dict | None = None) -> Subscription:
        subscription = Subscription(next(self._names))
        self._subscriptions[subscription.name] = subscription
        self._send({"subscribe": subscription.name, "query": query, "variables": variables})
        await self.process.stdin.drain()
        return subscription

    async def execute(self, query: str, variables: dict | None = None) -> dict:
        """The one result of a query or mutation run over the socket."""
        return await (await self.subscribe(query, variables)).next()

    async def event(self, wanted, after: int = 0, timeout: float = WAIT_SECONDS) -> int:
        """The position among ``events`` of the first one from ``after`` on that is
        ``wanted``, closes included; waits for it."""
        async with asyncio.timeout(timeout):
            while True:
                for position in range(after, len(self.events)):
                    if wanted(self.events[position]):
                        return position
                if self._reader.done():
                    raise Ended(f"The Node client ended:\n{self.stderr()}")
                self._event_arrived.clear()
                await self._event_arrived.wait()

    async def closed(self, timeout: float = WAIT_SECONDS) -> int | None:
        """The code the socket was closed with, once it is."""
        position = await self.event(lambda event: event["event"] == "closed", timeout=timeout)
        return self.events[position]["code"]

    def count(self, event: str, received: bool) -> int:
        return sum(
            1 for line in self.events if line["event"] == event and line["received"] is received
        )

    async def keep_alive(self, rounds: int) -> None:
        """Wait until the server has pinged ``rounds`` times, graphql-ws has answered each,
        and the server has answered as many of the client's own pings."""

        def enough(_event) -> bool:
            return all(
                self.count(kind, received) >= rounds
                for kind, received in (("ping", True), ("pong", False), ("pong", True))
            )

        await self._next_event(enough)

    def closes(self) -> list[dict]:
        """The socket's ``closed`` and ``pong-timeout`` events so far."""
        return [event for event in self.events if event["event"] in ("closed", "pong-timeout")]

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    async def close(self) -> None:
        """Ask the client to close the socket (1000), which ends it; killed if it does not.
        Once is enough."""
        if self.process.returncode is None:
            try:
                self._send({"close": True})
                self.process.stdin.close()
            except ConnectionError:
                pass  # it has exited already: its socket closed
            try:
                async with asyncio.timeout(WAIT_SECONDS):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self._reader


class PythonClient:
    """gql's websockets transport, speaking graphql-transport-ws."""

    kind = "python"

    def __init__(self, client: Client, transport: WebsocketsTransport, session):
        self.client = client
        self.transport = transport
        self.session = session
        self._closed = False
        self._tasks: set[asyncio.Task] = set()
        self._names = (f"op{n}" for n in itertools.count(1))

    @classmethod
    async def connect(cls, url: str, token=None, keep_alive=False, *, log_dir: Path):
        """A connected client; raises Refused if the server closes the socket instead."""
        transport = WebsocketsTransport(
            url=url,
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            init_payload={"authorization": f"Bearer {token}"} if token is not None else {},
            ping_interval=CLIENT_PING_SECONDS if keep_alive else None,
            pong_timeout=CLIENT_PONG_TIMEOUT_SECONDS if keep_alive else None,
            # The server is local: a proxy configured in the environment must not stand between.
            connect_args={"proxy": None},
            ack_timeout=WAIT_SECONDS,
        )
        client = Client(transport=transport)
        try:
            session = await client.connect_async()
        except TransportConnectionFailed as error:
            await transport.adapter.close()
            raise Refused(_close_code(error)) from error
        return cls(client, transport, session)

    async def subscribe(self, query: str, variables: dict | None = None) -> Subscription:
        subscription = Subscription(next(self._names))
        request = GraphQLRequest(query, variable_values=variables)
        # Returns once the `subscribe` message is sent, as the Node client's does: gql then
        # registers the operation's listener.
        before = set(self.transport.listeners)
        task = asyncio.create_task(self._listen(subscription, request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await eventually(
            lambda: set(self.transport.listeners) - before or task.done(), timeout=WAIT_SECONDS
        )
        return subscription

    async def _listen(self, subscription: Subscription, request: GraphQLRequest) -> None:
        try:
            async for result in self.session.subscribe(request, get_execution_result=True):
                subscription.put("next", _payload(result))
            subscription.put("complete")
        except TransportQueryError as error:
            subscription.put("errors", error.errors)
        except TransportError as error:
            subscription.put("failed", repr(error))

    async def execute(self, query: str, variables: dict | None = None) -> dict:
        """The one result of a query or mutation run over the socket."""
        request = GraphQLRequest(query, variable_values=variables)
        try:
            result = await self.session.execute(request, get_execution_result=True)
        except TransportQueryError as error:
            return {"data": error.data, "errors": error.errors}
        return _payload(result)

    async def keep_alive(self, rounds: int) -> None:
        """Wait until the server has pinged ``rounds`` times (gql answers each); gql's own pings
        fail the connection if a pong does not follow within its pong timeout."""

        def pinged() -> bool:
            if self.transport.close_exception is not None:
                raise Ended(f"The socket closed: {self.transport.close_exception!r}")
            return self.transport.ping_received.is_set()

        for _ in range(rounds):
            await eventually(pinged, timeout=WAIT_SECONDS)
            self.transport.ping_received.clear()
        assert "pong" in self.transport.payloads  # the server has answered gql's pings

    async def closed(self, timeout: float = WAIT_SECONDS) -> int | None:
        """The code the socket was closed with, once it is."""
        await eventually(lambda: self.transport.close_exception is not None, timeout=timeout)
        return _close_code(self.transport.close_exception)

    def closes(self) -> list[str]:
        """Why the connection failed, if it has."""
        failure = self.transport.close_exception
        return [] if failure is None else [repr(failure)]

    async def close(self) -> None:
        """Stop the operations and close the socket (1000); once is enough."""
        if self._closed:
            return
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.close_async()


def _payload(result) -> dict:
    payload = {"data": result.data}
    if result.errors:
        payload["errors"] = result.errors
    return payload


def _close_code(error: BaseException) -> int | None:
    """The close code the server sent, from the websockets exception under gql's."""
    while error is not None:
        if isinstance(error, websockets.ConnectionClosed):
            return error.rcvd.code if error.rcvd is not None else None
        error = error.__cause__ or error.__context__
    return None
