"""Channel-layer groups: the templates their names are made from, and the message sent to them.

A group is a named set of websocket connections that want the same news. The domain speaks to
it and the API listens, so this module sits below both: the services (through a domain module
such as ``events.realtime``) tell a group, after their transaction has committed, that
something happened; a subscription resolver listens to it through its context::

    # events/realtime.py, called by the service inside the transaction that changes the event
    broadcast_on_commit(group_name(EVENT_CHANGES, id=event.pk), {"event": event.pk})

    # schema/events/subscriptions.py
    stream = info.context.listen(group_name(EVENT_CHANGES, id=pk))

Every group name comes from a template below, so that the speaker and the listeners cannot
drift apart. Add a template here when a new kind of news appears; keep the convention:

- lower-case words separated by dots: ``<object>.{id}.<what>`` for the news of one object,
  ``<objects>.<what>`` for news about any of them;
- ``{id}`` is the database primary key, not the API's global ID: global IDs are base64 and may
  hold ``=``, which group names may not;
- the result must be a valid Channels group name (letters, digits, ``-``, ``_``, ``.``; fewer
  than 100 characters): ``group_name`` checks it, so both channel layers accept it.

The message a group receives is ``{"type": "broadcast", "group": <name>, "payload": {...}}``;
each server process's websocket hub (``graphql_server.websocket.group_hub``) reads it and hands
the payload to each operation of the process listening to that group. Payloads travel through
Redis as msgpack: only dicts, lists, strings, numbers, booleans and None (send IDs and ISO
dates, not model instances). Everyone in the group receives the payload, so it carries nothing
that some member may not see: preferably just IDs, which the subscription resolves for its
viewer.

Nothing here knows GraphQL: it needs Channels and Django's transactions only.
"""

import asyncio
import logging
import os
import re
import threading
from collections.abc import Callable, Coroutine

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# One event's edits, cancellation and schedule changes.
EVENT_CHANGES = "event.{id}.changes"
# The chat of one event.
EVENT_CHAT = "event.{id}.chat"
# How many are in one event's chat room, whenever it changes.
EVENT_CHAT_PRESENCE = "event.{id}.chat.presence"
# Any event newly announced (published), for lists that show upcoming events.
EVENTS_ANNOUNCED = "events.announced"
# The announcements one city publishes.
CITY_ANNOUNCEMENTS = "city.{id}.announcements"
# Every announcement any city publishes, for feeds not tied to one city.
ANNOUNCEMENTS_POSTED = "announcements.posted"
# One user's sign-in and rights changed: a session revoked, the account deactivated, changed or
# deleted, an office role given, changed or taken away. Each of the user's open websockets
# checks its token again, as a request would be checked now, and reads the user afresh.
USER_ACCOUNT = "user.{id}.account"

# The message type group members receive.
BROADCAST = "broadcast"

# Channels' own rule for group names (both the in-memory and the Redis layer enforce it).
_VALID_NAME = re.compile(r"[a-zA-Z\d\-_.]{1,99}")


def group_name(template: str, **ids) -> str:
    """The name of a group, from one of this module's templates: ``group_name(EVENT_CHAT,
    id=7)`` is ``"event.7.chat"``. Raises ValueError for a name the channel layers refuse."""
    name = template.format(**ids)
    if not _VALID_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid group name.")
    return name


def broadcast_message(group: str, payload: dict) -> dict:
    """The channel-layer message that delivers ``payload`` to the listeners of ``group``."""
    return {"type": BROADCAST, "group": group, "payload": payload}


async def broadcast(group: str, payload: dict) -> None:
    """Send ``payload`` to every connection listening to ``group``, in every process."""
    await get_channel_layer().group_send(group, broadcast_message(group, payload))


class _KeptLoop:
    """An event loop of the process's own, running in a daemon thread, for broadcasts sent
    from plain synchronous code (a WSGI worker's request, a Celery task, a management command).

    ``async_to_sync`` run from such code makes a new event loop for every call, and the Redis
    channel layer keeps its connections per event loop: every broadcast connected to Redis
    anew, then made its four round trips, about 5 ms of a chat message's send. On this loop the
    layer keeps its connections from one broadcast to the next. Made on first use, and again in
    a forked child (a gunicorn worker), which does not inherit the parent's thread.
    """

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid: int | None = None

    @classmethod
    def run(cls, coroutine: Coroutine) -> None:
        """Run ``coroutine`` on the kept loop and wait for its end; its error is raised here."""
        asyncio.run_coroutine_threadsafe(coroutine, cls._running()).result()

    @classmethod
    def _running(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="channel-layer-broadcasts", daemon=True
                ).start()
                cls._loop, cls._pid = loop, os.getpid()
            return cls._loop


def _under_an_event_loop() -> bool:
    """Whether this synchronous code runs in a thread on behalf of an event loop of this
    process (a request of the ASGI tier, a websocket's operation): ``async_to_sync`` then
    sends on that loop, whose channel-layer connections are kept already."""
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        pass
    return (
        getattr(SyncToAsync.threadlocal, "main_event_loop", None) is not None
        and getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) == os.getpid()
    )


def send_broadcast(group: str, payload: dict) -> None:
    """Send ``payload`` to ``group`` from synchronous code, and wait until it is sent."""
    if _under_an_event_loop():
        async_to_sync(broadcast)(group, payload)
    else:
        _KeptLoop.run(broadcast(group, payload))


def broadcast_on_commit(
    group: str, payload: dict, *, if_lost: Callable[[Exception], None] | None = None
) -> None:
    """Send ``payload`` to ``group`` once the current transaction commits (at once outside one).

    Listeners then only hear of changes that are really in the database. A channel layer that
    is down loses the broadcast but does not fail the request whose data has been saved: Django
    logs the failure (a ``robust`` on-commit callback), or, given ``if_lost``, calls it with the
    error instead, for news whose loss must be reported in its own words.
    """

    def send() -> None:
        try:
            send_broadcast(group, payload)
        except Exception as error:
            if if_lost is None:
                raise
            if_lost(error)

    transaction.on_commit(send, robust=True)
