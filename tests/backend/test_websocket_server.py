"""The websocket tier's server (backend/websocket_server.py): what an open socket keeps of its
handshake. A process holds tens of thousands of idle sockets; each keeps its ASGI scope, with
the request's headers, and nothing more of the handshake once its response is written."""

import asyncio

import pytest
import uvicorn
import websockets

from backend.websocket_server import WebsocketProtocol

PROTOCOL = "graphql-transport-ws"


@pytest.fixture
async def serve():
    """Serve an ASGI app with the tier's protocol on a free port; yields (server, port)."""
    servers = []

    async def start(app):
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, ws=WebsocketProtocol, lifespan="off", log_config=None
        )
        server = uvicorn.Server(config)
        servers.append((server, asyncio.create_task(server.serve())))
        while not server.started:
            await asyncio.sleep(0.01)
        return server, server.servers[0].sockets[0].getsockname()[1]

    yield start
    for server, task in servers:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def open_sockets(server) -> list[WebsocketProtocol]:
    return [c for c in server.server_state.connections if isinstance(c, WebsocketProtocol)]


async def test_an_open_socket_lets_its_handshake_go_and_its_app_keeps_the_headers(serve):
    scopes = []

    async def app(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        scopes.append(scope)
        await send({"type": "websocket.accept", "subprotocol": PROTOCOL})
        while (message := await receive())["type"] != "websocket.disconnect":
            await send({"type": "websocket.send", "text": message["text"].upper()})

    server, port = await serve(app)
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/graphql/",
        subprotocols=[PROTOCOL],
        additional_headers={"Accept-Language": "kk"},
    ) as client:
        assert client.subprotocol == PROTOCOL
        await client.send("salem")
        assert await client.recv() == "SALEM"
        (socket,) = open_sockets(server)

        assert socket.request is None
        assert socket.response is None
        assert (b"accept-language", b"kk") in scopes[0]["headers"]
        assert scopes[0]["subprotocols"] == [PROTOCOL]


async def test_a_refused_handshake_is_answered_as_before(serve):
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.close", "code": 1000})

    _, port = await serve(app)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(f"ws://127.0.0.1:{port}/graphql/"):
            pass

    assert refused.value.response.status_code == 403
