"""Stopping each process gracefully, end to end: SIGTERM under load, as a deploy or a scale-down
sends it, to the processes started with production's commands.

Every process must stop taking new work (new connections are refused at the socket, so that
the proxy and clients retry elsewhere), finish what is in flight (every request gets its whole
answer), close its websockets with 1001 (graphql-ws reconnects, to another process, and its
subscriptions resume there) and exit 0, all within GRACEFUL_SHUTDOWN_SECONDS (a few seconds
here).

A request is kept in flight for as long as a test wants by signing it in with a Firebase ID
token: the server fetches the token's certificates from the test's key server
(FIREBASE_AUTH_CERT_URL), which holds its answers until the test releases them. Nothing in
the server is replaced: it waits as it would on a slow Google endpoint.
"""

import asyncio
import contextlib
import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from core import channel_groups
from tests.accounts.firebase_keys import (  # noqa: F401 (a fixture, found by pytest by name)
    KID,
    PROJECT_ID,
    FirebaseTokens,
    firebase_signing_keys,
)
from tests.e2e.clients import post_graphql
from tests.e2e.conftest import PROBE, gid
from tests.e2e.live_server import LiveServer
from tests.e2e.test_session_end import EVENT_CANCEL, EVENT_CHANGED
from tests.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)

# The servers' graceful time here, and what a stop may take beyond it (the interpreter's exit,
# a busy machine).
GRACEFUL_SECONDS = 3
MARGIN_SECONDS = 2
WAIT_SECONDS = 10
# The close code of a server that goes away (graphql_server.websocket.protocol.CloseCode).
GOING_AWAY = 1001
ME = "query Me { me { id } }"


class HeldKeyServer:
    """Google's certificate endpoint for Firebase ID tokens, on 127.0.0.1. Answers at once
    until ``hold()``; from then on each request waits until ``release()``. ``held`` counts the
    requests waiting or answered since ``hold()``."""

    def __init__(self, certificates: dict[str, str]):
        self.body = json.dumps(certificates).encode()
        self.held = 0
        self._holding = False
        self._released = threading.Event()
        self._lock = threading.Lock()
        keys = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self):
                with keys._lock:
                    holding = keys._holding
                    keys.held += holding
                if holding:
                    keys._released.wait(WAIT_SECONDS)
                # A server that stopped meanwhile has gone: nobody to answer.
                with contextlib.suppress(ConnectionError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(keys.body)))
                    # Fetched again for every token: each request is held.
                    self.send_header("Cache-Control", "no-store, max-age=0")
                    self.end_headers()
                    self.wfile.write(keys.body)

            def log_message(self, format, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/x509"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def hold(self) -> None:
        with self._lock:
            self._holding = True

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self.release()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def keys(firebase_signing_keys):  # noqa: F811
    server = HeldKeyServer({KID: firebase_signing_keys.certificate_pem})
    yield server
    server.stop()


@pytest.fixture
def firebase_token(firebase_signing_keys, keys) -> str:  # noqa: F811
    return FirebaseTokens(keys=firebase_signing_keys, key_server=keys).sign()


@pytest.fixture
def serve(live_database, tmp_path, keys):
    """Start a server of a tier (``serve(tier, name)``) with a short graceful time and Firebase
    sign-in on the held key server; each is stopped after the test."""
    started = []

    def serve_(tier: str, name: str) -> LiveServer:
        environment = {
            "GRACEFUL_SHUTDOWN_SECONDS": str(GRACEFUL_SECONDS),
            "FIREBASE_PROJECT_ID": PROJECT_ID,
            "FIREBASE_AUTH_CERT_URL": keys.url,
            "FIREBASE_AUTH_EMULATOR_HOST": "",
            "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1",
            # The HTTP tier: two sync workers, each holding one of the test's two requests.
            "WEB_CONCURRENCY": "2",
        }
        server = LiveServer(tmp_path / f"{name}.log", live_database, environment, tier=tier)
        started.append(server)
        server.start()
        return server

    yield serve_
    for server in started:
        server.stop()


async def held_request(server: LiveServer, token: str) -> httpx.Response:
    """POST a query signed in with a Firebase ``token`` (held while the key server holds)."""
    async with httpx.AsyncClient(trust_env=False, timeout=WAIT_SECONDS) as client:
        return await client.post(
            f"{server.url}/graphql/",
            json={"query": ME},
            headers={"Authorization": f"Bearer {token}"},
        )


async def refuses_connections(server: LiveServer) -> bool:
    """Whether a new connection to the server is refused at the socket."""
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


async def exit_status(server: LiveServer) -> int:
    return await asyncio.to_thread(server.wait, GRACEFUL_SECONDS + MARGIN_SECONDS + WAIT_SECONDS)


def answered_in_full(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"]["id"], response.json()


async def test_the_websocket_tier_finishes_its_answers_closes_its_sockets_with_1001_and_exits_0(
    serve,
    clients,
    keys,
    firebase_token,
    public_event,
    publisher_token,
):
    stopping, other = serve("websocket", "stopping"), serve("websocket", "other")
    # Given a subscriber (graphql-ws) that reconnects to the other process when its own goes
    node = await clients.connect("node", server=stopping, fallback_url=other.ws_url)
    changes = await node.subscribe(EVENT_CHANGED, {"event": gid(public_event)})
    await listening(stopping, node, public_event)
    # and, while the certificates are held, a query over a socket and one over HTTP in flight
    python = await clients.connect("python", token=firebase_token, server=stopping)
    keys.hold()
    over_socket = asyncio.create_task(python.execute(ME))
    over_http = asyncio.create_task(held_request(stopping, firebase_token))
    await eventually(lambda: keys.held >= 2, timeout=WAIT_SECONDS)

    # When the process is told to stop
    stopping.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()

    # Then it takes no new connection
    await eventually(lambda: refuses_connections(stopping), timeout=GRACEFUL_SECONDS)
    # and the requests in flight get their whole answers
    keys.release()
    answered_in_full(await over_http)
    assert (await over_socket)["data"]["me"]["id"]
    # its sockets close with 1001, and graphql-ws resumes its subscription on the other process
    assert await python.closed() == GOING_AWAY
    assert (await node.closed()) == GOING_AWAY
    await listening(other, node, public_event)
    cancelled = await post_graphql(
        f"{other.url}/graphql/", EVENT_CANCEL, {"id": gid(public_event)}, publisher_token
    )
    assert cancelled["data"]["eventCancel"]["errors"] == []
    assert (await changes.next())["data"]["eventChanged"]["status"] == "CANCELLED"
    # and it exits 0 within its graceful time
    assert await exit_status(stopping) == 0, stopping.log()[-4000:]
    assert time.monotonic() - signalled < GRACEFUL_SECONDS + MARGIN_SECONDS


async def test_the_websocket_tier_cut_short_exits_at_once_with_1(serve, keys, firebase_token):
    # Given a request that is still waiting when the graceful time is up
    stopping = serve("websocket", "stopping")
    keys.hold()
    over_http = asyncio.create_task(held_request(stopping, firebase_token))
    await eventually(lambda: keys.held >= 1, timeout=WAIT_SECONDS)

    # When the process is told to stop
    stopping.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()

    # Then it does not wait for the request's thread: it exits 1 (work was cut short) at once
    assert await exit_status(stopping) == 1, stopping.log()[-4000:]
    assert time.monotonic() - signalled < GRACEFUL_SECONDS + MARGIN_SECONDS
    assert "work cut short" in stopping.log()
    keys.release()
    with pytest.raises(httpx.TransportError):
        await over_http


async def test_the_http_tier_finishes_its_requests_refuses_new_connections_and_exits_0(
    serve, keys, firebase_token
):
    stopping = serve("http", "stopping")
    # Given a request in flight on each worker
    keys.hold()
    in_flight = [asyncio.create_task(held_request(stopping, firebase_token)) for _ in range(2)]
    await eventually(lambda: keys.held >= 2, timeout=WAIT_SECONDS)

    # When the process is told to stop
    stopping.process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()

    # Then it takes no new connection
    await eventually(lambda: refuses_connections(stopping), timeout=GRACEFUL_SECONDS)
    # and the requests in flight get their whole answers
    keys.release()
    for response in await asyncio.gather(*in_flight):
        answered_in_full(response)
    # and it exits 0 within its graceful time
    assert await exit_status(stopping) == 0, stopping.log()[-4000:]
    assert time.monotonic() - signalled < GRACEFUL_SECONDS + MARGIN_SECONDS


async def listening(server: LiveServer, client, event) -> None:
    """Wait until ``server`` listens to ``event``'s changes for the client (see the ``listen``
    fixture): a query answered after the subscription, and on Redis the group's member."""
    assert await client.execute(PROBE) == {"data": {"__typename": "Query"}}
    group = channel_groups.group_name(channel_groups.EVENT_CHANGES, id=event.pk)
    if server.group_members(group) is not None:
        await eventually(lambda: server.group_members(group))
