"""Outages under a live server, with real clients: Redis killed and restarted mid-chat, and
PostgreSQL's connections to the server terminated mid-request.

**Redis** (CI's Redis leg): the server runs on a Redis of the test's own (``redis-server`` on a
free port, no persistence, so a restart comes back empty, as Redis restarted without
persistence or failed over does). Chat apps follow a room: graphql-ws on Node, which reconnects
by itself, and gql in Python, reconnecting as an app would; each resumes with ``after`` at the
last message it received. Redis is killed (SIGKILL) mid-chat, messages are sent over HTTP while
it is down, it is restarted on the same port, and the chat goes on: every app must end with
every committed message, in order, exactly once, and ``/readyz`` must be 503 while the server
cannot deliver and 200 once it has healed.

**PostgreSQL** (CI's PostgreSQL leg): the server's connections are terminated with
``pg_terminate_backend`` (only the server's: others share the machine's PostgreSQL) while a
message is being sent over HTTP and another over a socket, and while a chat subscription runs.
The requests caught fail with an answer that says to try again (``SERVICE_UNAVAILABLE``, over
HTTP a 503 with Retry-After when nothing ran), not a hang nor an internal error; then
everything works again, over HTTP and over the sockets already open, on every worker thread.
"""

import asyncio
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import uuid
from contextlib import suppress
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from asgiref.sync import sync_to_async
from django.db import connection
from django.utils import timezone
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from chat.models import ChatMessage, ChatRoom
from tests.conftest import bearer_for
from tests.e2e.clients import NODE_PROJECT, NodeClient, _close_code, node_missing
from tests.e2e.conftest import gid
from tests.e2e.live_server import LiveServer
from tests.waiting import eventually, eventually_sync

pytestmark = pytest.mark.django_db(transaction=True)

# The close code of a socket whose live updates were lost
# (graphql_server.websocket.protocol.CloseCode).
SERVICE_UNAVAILABLE = 4503
# What a request may take while a service is down before it counts as hanging.
REQUEST_SECONDS = 5
# How long anything the test waits for may take: generous for a busy machine.
WAIT_SECONDS = 20
# The Python app's pause before it connects again (graphql-ws's retryWait, for the Node app).
APP_RETRY_SECONDS = 0.2

CHAT_MESSAGE_SEND = """
mutation Send($event: ID!, $body: String!, $clientId: String!) {
  chatMessageSend(event: $event, body: $body, clientId: $clientId) {
    message { seq cursor }
    errors { field code message }
  }
}
"""
CHAT_MESSAGES = """
subscription Chat($event: ID!, $after: String) {
  chatMessages(event: $event, after: $after) { kind cursor message { seq body } }
}
"""


# ---------------------------------------------------------------------------------------------
# A Redis of the test's own, and a server on it
# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """``redis-server`` on a port of its own, without persistence; ``kill()`` is SIGKILL, and
    ``start()`` again brings it back on the same port, empty."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            shutil.which("redis-server"),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (a fixed command line)
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        eventually_sync(self.answers, timeout=WAIT_SECONDS)

    def answers(self) -> bool:
        try:
            with redis.Redis.from_url(self.url, socket_timeout=1) as client:
                return client.ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=WAIT_SECONDS)


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed", pytrace=False)
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    yield server
    server.kill()


def serve(tmp_path, live_database, **environment) -> LiveServer:
    server = LiveServer(tmp_path / "websocket.log", live_database, environment=environment)
    server.start()
    return server


def stop(server: LiveServer) -> None:
    """Stop the server; its log goes to the test's output, which a failed test shows."""
    status = server.stop()
    print(f"--- the live server's log ---\n{server.log()}")
    assert status == 0, f"the server did not exit cleanly ({status})"


@pytest.fixture
def redis_server(own_redis, tmp_path, live_database):
    """A live server whose channel layer, cache and presence are on the test's own Redis."""
    server = serve(tmp_path, live_database, REDIS_URL=own_redis.url)
    yield server
    stop(server)


async def readiness(server: LiveServer) -> tuple[int, dict]:
    async with httpx.AsyncClient(trust_env=False, timeout=REQUEST_SECONDS) as client:
        response = await client.get(f"{server.url}/readyz")
    return response.status_code, response.json()


# ---------------------------------------------------------------------------------------------
# Sending, and the apps that follow the room
# ---------------------------------------------------------------------------------------------
async def post(server: LiveServer, query: str, variables: dict, token: str) -> dict:
    """One GraphQL request over HTTP; it must be answered, as JSON, within REQUEST_SECONDS:
    200, or 503 with Retry-After when an outage stopped it before anything ran."""
    async with httpx.AsyncClient(trust_env=False, timeout=REQUEST_SECONDS) as client:
        response = await client.post(
            f"{server.url}/graphql/",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    assert response.status_code in (200, 503), response.text
    if response.status_code == 503:
        assert response.headers["Retry-After"] == "5", response.headers
        assert unavailable(response.json()), response.text
    return response.json()


def assert_clean(answer: dict) -> None:
    """An answer is data, or errors that each say what happened with a code."""
    for error in answer.get("errors", ()):
        assert error.get("extensions", {}).get("code"), answer


async def say(server: LiveServer, token: str, event, body: str) -> dict | None:
    """Send ``body`` over HTTP; the message as stored, or None if the send failed cleanly."""
    answer = await post(
        server,
        CHAT_MESSAGE_SEND,
        {"event": gid(event), "body": body, "clientId": uuid.uuid4().hex},
        token,
    )
    assert_clean(answer)
    payload = (answer.get("data") or {}).get("chatMessageSend")
    if payload is None or payload["errors"]:
        return None
    return payload["message"]


def committed_seqs(event, after: int) -> list[int]:
    """The numbers of the event's messages stored after ``after``, read in a thread of its own
    (which closes its connection: the test database is dropped at the end)."""
    try:
        return list(
            ChatMessage.objects.filter(event=event, seq__gt=after)
            .order_by("seq")
            .values_list("seq", flat=True)
        )
    finally:
        connection.close()


class NodeChatApp:
    """``node/chat_app.mjs``: graphql-ws, reconnecting and resuming by itself."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.messages: list[dict] = []
        self.events: list[dict] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, server: LiveServer, token: str, event, after: str, log_dir: Path):
        if missing := node_missing():
            pytest.fail(missing, pytrace=False)
        command = ["node", str(NODE_PROJECT / "chat_app.mjs"), "--url", server.ws_url]
        command += ["--token", token, "--event", gid(event), "--after", after]
        with (log_dir / f"chat-app-{uuid.uuid4().hex[:8]}.log").open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=NODE_PROJECT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        return cls(process)

    async def _read(self) -> None:
        async for line in self.process.stdout:
            item = json.loads(line)
            if "message" in item:
                self.messages.append(item["message"])
            else:
                self.events.append(item)

    def seqs(self) -> list[int]:
        return [message["seq"] for message in self.messages if message["kind"] == "CREATED"]

    def close_codes(self) -> list[int]:
        return [event["code"] for event in self.events if event["event"] == "closed"]

    def failures(self) -> list[dict]:
        return [event for event in self.events if event["event"] in ("failed", "completed")]

    async def close(self) -> None:
        if self.process.returncode is None:
            with suppress(ConnectionError):
                self.process.stdin.close()
            try:
                async with asyncio.timeout(WAIT_SECONDS):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await self._reader


class PythonChatApp:
    """gql, as an app uses it: subscribes with ``after`` at the last message received, and
    when the socket closes, connects again and resumes from there."""

    def __init__(self, server: LiveServer, token: str, event, after: str):
        self.server, self.token, self.event, self.after = server, token, event, after
        self.messages: list[dict] = []
        self.closes: list[int | None] = []
        self.failed: list = []
        self._task = asyncio.create_task(self._run())

    @classmethod
    async def start(cls, server: LiveServer, token: str, event, after: str, log_dir: Path):
        return cls(server, token, event, after)

    async def _run(self) -> None:
        while True:
            transport = WebsocketsTransport(
                url=self.server.ws_url,
                subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
                init_payload={"authorization": f"Bearer {self.token}"},
                connect_args={"proxy": None},
                ack_timeout=WAIT_SECONDS,
            )
            client = Client(transport=transport)
            try:
                session = await client.connect_async()
                request = GraphQLRequest(
                    CHAT_MESSAGES, variable_values={"event": gid(self.event), "after": self.after}
                )
                async for result in session.subscribe(request):
                    delivery = result["chatMessages"]
                    message = {**delivery["message"], "kind": delivery["kind"]}
                    self.messages.append(message)
                    if delivery["kind"] == "CREATED":
                        self.after = delivery["cursor"]
                self.failed.append("completed")
                return
            except TransportQueryError as error:  # an `error` for the operation: it has ended
                self.failed.append(error.errors)
                return
            except (TransportError, OSError) as error:
                self.closes.append(_close_code(error))
            finally:
                with suppress(Exception):
                    await client.close_async()
            await asyncio.sleep(APP_RETRY_SECONDS)

    def seqs(self) -> list[int]:
        return [message["seq"] for message in self.messages if message["kind"] == "CREATED"]

    def close_codes(self) -> list[int | None]:
        return list(self.closes)

    def failures(self) -> list:
        return list(self.failed)

    async def close(self) -> None:
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task


@pytest.fixture
async def chat_apps(tmp_path):
    """Start chat apps: ``await chat_apps(kind, server, token, event, after)``; all stopped
    after the test."""
    started = []
    kinds = {"node": NodeChatApp, "python": PythonChatApp}

    async def start(kind, server, token, event, after):
        app = await kinds[kind].start(server, token, event, after, tmp_path)
        started.append(app)
        return app

    yield start
    await asyncio.gather(*(app.close() for app in started))


@pytest.fixture
def chat_event(event_factory, office_factory):
    """A public event starting in ten minutes: its room is open."""
    return event_factory(
        office=office_factory(), starts_at=timezone.now() + datetime.timedelta(minutes=10)
    )


@pytest.fixture
def tokens(user_factory) -> dict[str, str]:
    return {name: bearer_for(user_factory(display_name=name)) for name in ("Ada", "Bob")}


# ---------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"),
    reason="The Redis outage runs in CI's Redis leg (REDIS_URL=redis://…).",
)
async def test_chat_apps_miss_nothing_when_redis_restarts_mid_chat(
    own_redis, redis_server, chat_apps, chat_event, tokens
):
    server, bob = redis_server, tokens["Bob"]
    start = await say(server, bob, chat_event, "Before anyone listens")
    apps = [
        await chat_apps(kind, server, tokens["Ada"], chat_event, start["cursor"])
        for kind in ("node", "node", "python", "python")
    ]
    before = [await say(server, bob, chat_event, f"Before {n}") for n in range(3)]
    await eventually(
        lambda: all(app.seqs() == [m["seq"] for m in before] for app in apps), WAIT_SECONDS
    )

    # Redis dies mid-chat.
    own_redis.kill()

    # Every app's socket is closed for it to resume, and the server says it is not ready.
    await eventually(
        lambda: all(SERVICE_UNAVAILABLE in app.close_codes() for app in apps), WAIT_SECONDS
    )
    status, body = await readiness(server)
    assert (status, body["checks"]["channel_layer"]) == (503, "unavailable")
    # Messages sent meanwhile are answered at once, stored or refused with a code.
    during = [await say(server, bob, chat_event, f"While Redis is down {n}") for n in range(5)]

    # Redis is back, empty; the server heals, and the chat goes on.
    own_redis.start()
    await eventually(lambda: readiness_is(server, 200), WAIT_SECONDS)
    after = [await say(server, bob, chat_event, f"After {n}") for n in range(5)]
    last = await say(server, bob, chat_event, "The last one")

    # Every app has every message stored since it started, in order, each once.
    committed = await sync_to_async(committed_seqs)(chat_event, start["seq"])
    assert committed[-1] == last["seq"]
    assert {m["seq"] for m in before + during + after if m} <= set(committed)
    await eventually(lambda: all(last["seq"] in app.seqs() for app in apps), WAIT_SECONDS)
    for app in apps:
        assert app.seqs() == committed, type(app).__name__
        assert app.failures() == []


async def readiness_is(server: LiveServer, expected: int) -> bool:
    status, _ = await readiness(server)
    return status == expected


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
EVENT = "query Event($event: ID!) { event(id: $event) { id title } }"
# Concurrent reads at a time: more than the server's worker threads (asyncio's default pool
# has at most 32; on CI's two cores, 6), so that every thread that held a connection is used.
READERS = 40


class Database:
    """The test database as a separate client sees it: locks, and the server's sessions,
    which carry an application name of their own."""

    def __init__(self, application_name: str):
        settings = connection.settings_dict
        self.application_name = application_name
        self.conninfo = psycopg.conninfo.make_conninfo(
            dbname=settings["NAME"],
            user=settings["USER"] or None,
            password=settings["PASSWORD"] or None,
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
        )

    def server_url(self, live_database: str) -> str:
        return f"{live_database}?application_name={self.application_name}"

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.conninfo, autocommit=True) as client:
            return client.execute(sql, params).fetchall()

    def server_sessions_waiting_for_a_lock(self) -> int:
        (count,) = self.query(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND wait_event_type = 'Lock'",
            self.application_name,
        )[0]
        return count

    def terminate_server_sessions(self) -> int:
        """pg_terminate_backend on every session of the server (none of anyone else's)."""
        return len(
            self.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                self.application_name,
            )
        )

    def lock_room(self, event) -> psycopg.Connection:
        """Holds the row every send of the event's chat must lock, until the connection
        returned is closed: sends wait on it, inside their transaction."""
        locker = psycopg.connect(self.conninfo)
        locker.execute(
            f"SELECT 1 FROM {ChatRoom._meta.db_table} WHERE event_id = %s FOR UPDATE",  # noqa: S608
            (event.pk,),
        )
        return locker


@pytest.fixture
def database():
    return Database(f"twinning-outage-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["0", "60"], ids=["connection-per-request", "kept-connections"])
def postgres_server(request, database, tmp_path, live_database):
    """A live server whose database sessions carry the test's application name; with
    connections closed after each request (the default), or kept by each thread."""
    server = serve(
        tmp_path,
        database.server_url(live_database),
        DATABASE_CONN_MAX_AGE=request.param,
    )
    yield server
    stop(server)


def send_variables(event, body: str) -> dict:
    return {"event": gid(event), "body": body, "clientId": uuid.uuid4().hex}


def stored(answer: dict) -> dict:
    """The message an answer says was stored; fails on any error."""
    assert "errors" not in answer, answer
    payload = answer["data"]["chatMessageSend"]
    assert payload["errors"] == [], payload
    return payload["message"]


def unavailable(answer: dict) -> bool:
    """An answer that says to try again: errors, each SERVICE_UNAVAILABLE (an outage, not a
    bug), with when."""
    errors = answer.get("errors") or []
    return bool(errors) and all(
        error.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE"
        and error["extensions"].get("retryAfter") == 5
        for error in errors
    )


def refused(answer: dict) -> bool:
    """An answer without the message: a top-level error instead."""
    return bool(answer.get("errors")) and answer["data"] == {"chatMessageSend": None}


@pytest.mark.postgresql
async def test_requests_caught_by_lost_database_connections_fail_cleanly_and_all_recovers(
    database, postgres_server, chat_apps, chat_event, tokens, tmp_path
):
    server, bob = postgres_server, tokens["Bob"]
    start = await say(server, bob, chat_event, "Before the outage")
    follower = await chat_apps("node", server, tokens["Ada"], chat_event, start["cursor"])
    sockets = [await NodeClient.connect(server.ws_url, bob, log_dir=tmp_path) for _ in range(2)]
    event = {"event": gid(chat_event)}
    expected = await post(server, EVENT, event, bob)
    assert expected["data"]["event"]["id"] == gid(chat_event)
    try:
        # A send over HTTP and one over a socket wait for the room's row, inside their
        # transactions, and readers come and go over both.
        locker = await sync_to_async(database.lock_room)(chat_event)
        try:
            over_http = asyncio.create_task(
                post(server, CHAT_MESSAGE_SEND, send_variables(chat_event, "Over HTTP"), bob)
            )
            over_socket = asyncio.create_task(
                sockets[0].execute(CHAT_MESSAGE_SEND, send_variables(chat_event, "Over a socket"))
            )
            await eventually(
                sync_to_async(lambda: database.server_sessions_waiting_for_a_lock() == 2),
                WAIT_SECONDS,
            )
            http_readers = [asyncio.create_task(post(server, EVENT, event, bob)) for _ in range(4)]
            socket_readers = [
                asyncio.create_task(sockets[1].execute(EVENT, event)) for _ in range(4)
            ]

            # PostgreSQL drops every session of the server.
            assert await sync_to_async(database.terminate_server_sessions)() >= 2
        finally:
            await sync_to_async(locker.close)()

        # The requests caught are answered at once, saying to try again (an outage, not a
        # bug), over either transport; nothing was stored.
        async with asyncio.timeout(REQUEST_SECONDS):
            caught = [await over_http, await over_socket]
            read_over_http = await asyncio.gather(*http_readers)
            read_over_socket = await asyncio.gather(*socket_readers)
        assert all(refused(answer) and unavailable(answer) for answer in caught), caught
        for answer in read_over_http + read_over_socket:
            assert answer == expected or unavailable(answer), answer

        # Then everything works: over HTTP, over the sockets already open, on every thread.
        after = [
            stored(await post(server, CHAT_MESSAGE_SEND, send_variables(chat_event, "HTTP"), bob)),
            stored(
                await sockets[0].execute(CHAT_MESSAGE_SEND, send_variables(chat_event, "Socket"))
            ),
        ]
        answers = await asyncio.gather(
            *(sockets[n % 2].execute(EVENT, event) for n in range(READERS)),
            *(post(server, EVENT, event, bob) for _ in range(8)),
        )
        assert answers == [expected] * (READERS + 8)
        assert [client.closes() for client in sockets] == [[], []]
        # And the chat's follower has every message stored, in order, each once.
        committed = await sync_to_async(committed_seqs)(chat_event, start["seq"])
        assert committed == [message["seq"] for message in after]
        await eventually(lambda: follower.seqs() == committed, WAIT_SECONDS)
        assert follower.failures() == []
    finally:
        await asyncio.gather(*(client.close() for client in sockets))
