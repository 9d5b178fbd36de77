"""A client that has gone while the server still sends to it: uvicorn (the websocket tier's
server) raises an OSError from such a send, as the ASGI specification asks, where daphne drops
the frame. The consumer takes the socket as closed, quietly: no error logged, no 4500, and the
disconnect that follows ends it as usual."""

import logging

from channels.testing import WebsocketCommunicator

from backend.asgi import application
from tests.sockets import HOST, PROTOCOL, init, receive
from tests.waiting import eventually


class ClientGoneServer:
    """The application as a server that raises on a send once its client has gone (``gone``),
    and keeps what it refused to send."""

    def __init__(self, app):
        self.app = app
        self.gone = False
        self.refused: list[dict] = []

    async def __call__(self, scope, receive, send):
        async def send_unless_gone(message):
            if self.gone:
                self.refused.append(message)
                raise OSError("the client has disconnected")
            await send(message)

        await self.app(scope, receive, send_unless_gone)


async def test_a_send_to_a_client_that_has_gone_closes_the_socket_quietly(caplog):
    # Given an acknowledged connection
    server = ClientGoneServer(application)
    socket = WebsocketCommunicator(
        server, "/graphql/", subprotocols=[PROTOCOL], headers=[(b"host", HOST.encode())]
    )
    assert (await socket.connect())[0]
    await init(socket)
    assert await receive(socket) == {"type": "connection_ack"}

    with caplog.at_level(logging.WARNING, logger="graphql_server.websocket"):
        # When its client has gone, and the server has a frame for it (the pong of a ping
        # that was on its way)
        server.gone = True
        await socket.send_json_to({"type": "ping"})
        await eventually(lambda: server.refused)

        # Then nothing else is tried (no 4500 close after it), and the disconnect ends the
        # connection cleanly
        await socket.send_input({"type": "websocket.disconnect", "code": 1006})
        await socket.wait(timeout=2)

    assert server.refused == [{"type": "websocket.send", "text": '{"type":"pong"}'}]
    assert [record.getMessage() for record in caplog.records] == []
