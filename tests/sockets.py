"""The client's side of ``graphql-transport-ws`` in tests: frames sent to and expected from the
websocket consumer through Channels' WebsocketCommunicator, and the thread its database work
runs in."""

from asgiref.sync import sync_to_async

PROTOCOL = "graphql-transport-ws"
HOST = "localhost:8000"


async def disconnect(socket):
    # The consumer's clean-up runs at once; what may lag is channels-redis giving up its
    # blocking read, which the communicator then cancels: no need to wait its default second.
    await socket.disconnect(timeout=0.2)


async def close_all(sockets):
    """End a test's sockets: disconnect those still open, and fail the test with the error of
    any consumer that crashed (a socket the test disconnected itself is left as it is)."""
    for socket in sockets:
        if socket.future.done():
            if not socket.future.cancelled():
                socket.future.result()
            continue
        await disconnect(socket)


async def init(socket, payload=None):
    message = {"type": "connection_init"}
    if payload is not None:
        message["payload"] = payload
    await socket.send_json_to(message)


async def subscribe(socket, operation_id, query, variables=None):
    payload = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    await socket.send_json_to({"id": operation_id, "type": "subscribe", "payload": payload})


async def receive(socket):
    return await socket.receive_json_from(timeout=2)


async def assert_closed(socket, code, reason):
    assert await socket.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": code,
        "reason": reason,
    }


# The pong of ``sentinel_ping``: it carries the ping's payload back, so it cannot be mistaken
# for the pong of any other ping.
SENTINEL_PONG = {"type": "pong", "payload": {"sentinel": True}}


async def sentinel_ping(socket):
    """A ping as sentinel (``tests.sentinels``) for a frame the consumer itself would send: it
    answers frames in order, so its pong comes after anything earlier frames made it send."""
    await socket.send_json_to({"type": "ping", "payload": SENTINEL_PONG["payload"]})


def next_frame(operation_id, data):
    return {"id": operation_id, "type": "next", "payload": {"data": data}}


def complete_frame(operation_id):
    return {"id": operation_id, "type": "complete"}


def error_frame(operation_id, *errors):
    return {"id": operation_id, "type": "error", "payload": list(errors)}


async def in_db(function, *args):
    """Run ORM code from an async test in the consumer's database thread (``database_thread``).

    Not asgiref's one shared thread: Channels closes old connections there before every
    message, and a connection left open in it (SQLite's in-memory test database ignores
    close()) would trip pytest-django's database blocker in the next test without a database.
    """

    return await sync_to_async(function, thread_sensitive=False)(*args)
