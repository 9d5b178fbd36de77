"""Proving that nothing arrives on a websocket: with a sentinel sent after it, never a silence.

A test that must show that some action sends no frame cannot show it by waiting a moment and
seeing nothing: the frame may simply not have arrived *yet* (a broadcast leaves on commit, goes
through the channel layer, is rendered in a worker thread), and a short silence passes just as
well on a slow machine where the frame comes a little later, so the test stays green while the
behaviour it guards is broken. Waiting longer only makes every run slower and still proves
nothing.

Instead, after the action, the test causes something that travels the same way and must
arrive (a later chat message committed in the same room, a newer presence count told to the
same group; a ping only where the unwanted frame would come from the consumer itself), and
asserts that the very next frame is the sentinel's. Frames of one path arrive in the order they
were caused, so an unwanted frame would have come first: the test then fails, whatever the
speed of the machine, and passes as soon as the sentinel is in.
"""

from collections.abc import Awaitable

from channels.testing import WebsocketCommunicator

# How long a sentinel's frame may take: generous for a busy machine, only ever reached when the
# test is failing.
SENTINEL_SECONDS = 10.0


async def nothing_before(sentinel: Awaitable, frames: dict[WebsocketCommunicator, dict]) -> None:
    """Cause ``sentinel`` (awaited once), then assert that each socket's very next frame is the
    one ``frames`` expects of it: nothing else arrived in between (see the module's docstring).

    The sentinel must travel the same path as the frames that must not arrive, and be caused
    after them.
    """
    await sentinel
    for socket, frame in frames.items():
        assert await socket.receive_json_from(timeout=SENTINEL_SECONDS) == frame
