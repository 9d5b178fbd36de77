"""An event's chat, live: the chatMessages and chatPresence subscriptions.

**No query per delivery.** A room may have a thousand subscribers, so a message's broadcast
carries its public data (``chat.payload``), and each subscriber answers from what it decodes of
it, without the database. The permission, checked at subscribe time by reading the event as the
viewer may see it, is checked again for each delivery against the payload's facts: the event it
belongs to and whether that event is public. Only the viewer's own fields (``reactedByMe``,
``clientId``) read the database, and only when selected. Subscriptions that select none of them
(nor the event, which each viewer sees as they may) render alike: the consumer renders each
broadcast once for all of them in the process (``MessageEvent.shared_result_key``).

**Blocked people.** A subscriber is not sent what the people its user blocks write (their
messages, and any change to them), nor their quotes (``replyTo`` is null for it), nor, once
one of them deleted their account, what they wrote before (the payload's pseudonym). Whom the
user blocks is read with the user (``accounts.blocks``), once: the subscription reads it as it
opens the room, and again only when the socket reads its user afresh, which blocking,
unblocking and the deletion of an account blocked make it do at once (``accounts.realtime``).
Every delivery then checks the payload's author against it, without the database. A message
skipped so counts as sent, so that it leaves no gap to fill; a subscriber that hides a quote
renders that message for itself.

**Nothing lost, nothing twice.** Messages are numbered per room in commit order (``seq``) and
broadcast after they commit. A subscriber joins the room's group before it reads anything, so
every message committed from then on reaches it. With ``after`` (a cursor) it first replays the
stored messages numbered above it, then goes on live, skipping what it has already sent. Two
messages' broadcasts may still arrive out of order (each leaves from its own request once its
transaction commits), and a gap in the numbers shows it: the subscriber then reads the missing
messages from the database (all of them have committed, since a later number was only taken
once they had) and sends them in order; their own broadcasts, arriving later, are skipped.
Updates of one message (edits, reactions, deletion) carry its revision, and one older than
what the subscriber has sent of that message (overtaken, or replayed newer) is dropped.

**Presence.** A chatMessages subscription holds its connection's presence in the room
(``chat.presence``) for as long as it runs (the process renews all its leases at once), and
tells the room's presence group when the count changes (at most every
``PRESENCE_TELL_SECONDS`` per process and room, with the newest count). A chatPresence
subscription sends the count at once and then each change it hears of, newest version only;
every third of a lease it also ends leases that ran out (a server process that died), which is
how their end is heard of.
"""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass

import graphene
from asgiref.sync import sync_to_async
from django.utils.translation import gettext_noop

from accounts import blocks
from chat import payload, presence, services
from chat.error_codes import ChatErrorCode
from chat.models import ChatMessage, ChatRoom
from chat.payload import MessageChange
from core.channel_groups import EVENT_CHAT, EVENT_CHAT_PRESENCE, broadcast, group_name
from core.outages import OUTAGE_ERRORS
from events.models import Event
from graphql_server.errors import ApiErrorCode, UserInputError

from ..core.arguments import TextArgument, TextLimit
from ..core.ids import decode_id
from ..core.selection import selected_paths
from ..events.subscriptions import current_viewer, in_thread, joined
from . import resolvers
from .types import ChatMessageEvent, ChatPresence

logger = logging.getLogger(__name__)

# Messages read from the database at a time while catching up.
BACKLOG_BATCH = 100


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """What a chatMessages subscription yields: the root of a ChatMessageEvent, about a stored
    message (replayed) or one heard in a broadcast.

    ``shared_result_key`` (the broadcast's key, for subscriptions whose fields are the same for
    every viewer and need no database) lets the websocket consumer render the event once for
    all such subscribers of the process.
    """

    kind: MessageChange
    message: ChatMessage | resolvers.HeardMessage
    shared_result_key: str | None = None


# Fields whose value depends on the viewer, or needs the database, below chatMessages: a
# subscription selecting any of them renders each event for itself.
_OWN_FIELDS = frozenset({"reactedByMe", "clientId", "event"})


def renders_alike(info) -> bool:
    """Whether every viewer's result of this subscription's events is the same, and rendering
    it needs no database: not when it selects a viewer's own fields, the event (read as each
    viewer may see it), or replies beyond the one level a broadcast carries."""
    for path in selected_paths(info):
        parts = path.split(".")
        if _OWN_FIELDS.intersection(parts) or "replyTo.replyTo" in path:
            return False
    return True


def open_room(account, pk: int) -> tuple[Event | None, int]:
    """The event if the viewer may see it, and the number of its newest message (0 for none),
    read after the subscriber joined the room's group; and the people the viewer blocks, kept
    on ``account`` (``accounts.blocks``) for the deliveries to come."""
    blocks.blocked(account)
    viewer = current_viewer(account)
    event = (
        Event.objects.visible_to(viewer)
        .select_related("host_city", "twinning", "office")
        .filter(pk=pk)
        .first()
    )
    if event is None:
        return None, 0
    last_seq = ChatRoom.objects.filter(pk=pk).values_list("last_seq", flat=True).first()
    return event, last_seq or 0


# Revisions of messages remembered per subscriber, to drop an update older than one sent; the
# oldest are forgotten beyond this (an update that late is not worth remembering for).
REMEMBERED_REVISIONS = 2000

# Broadcasts decoded lately in this process, by the identity of the payload they were decoded
# from (kept with it, so that its identity is not reused meanwhile): the hub hands every
# subscriber of a room in the process the same payload
# (``graphql_server.websocket.group_hub``), which is then decoded once for all of them, not
# once each. The oldest are forgotten beyond this.
DECODED_BROADCASTS = 256
_decoded: dict[int, tuple[dict, payload.MessageBroadcast]] = {}


def decoded(encoded: dict) -> payload.MessageBroadcast:
    """The broadcast ``encoded`` carries (see ``DECODED_BROADCASTS``)."""
    known = _decoded.get(id(encoded))
    if known is not None and known[0] is encoded:
        return known[1]
    heard = payload.decode(encoded)
    _decoded[id(encoded)] = (encoded, heard)
    while len(_decoded) > DECODED_BROADCASTS:
        del _decoded[next(iter(_decoded))]
    return heard


class RoomFeed:
    """The messages one subscriber is sent, in order, each once (see the module's docstring).

    ``sent`` is the number of the last message sent as CREATED: every message up to it has
    been sent, and no other. ``revisions`` holds the revision each message was last sent at,
    for the messages sent since subscribing: an update broadcast about a message can be
    overtaken by a later one, or by the replay of its newer state, and is then dropped.
    """

    def __init__(self, event: Event, sent: int, shared: bool = False, context=None):
        self.event = event
        self.sent = sent
        self.shared = shared
        self.revisions: dict[int, int] = {}
        # The operation's context: its ``user`` (a new object whenever the socket reads its
        # user afresh) is whose blocks hide messages.
        self.context = context

    async def hidden(self) -> blocks.Blocked:
        """The people the subscriber's user blocks: kept on the user object, read from the
        database only for a new one (see the module's docstring)."""
        user = getattr(self.context, "user", None)
        known = blocks.known_blocked(user)
        if known is None:
            known = await in_thread(blocks.blocked)(user)
        return known

    def _newer(self, message_id: int, revision: int) -> bool:
        """Whether this revision of the message is newer than any sent; remembers it if so."""
        if revision <= self.revisions.get(message_id, -1):
            return False
        self.revisions.pop(message_id, None)
        self.revisions[message_id] = revision
        if len(self.revisions) > REMEMBERED_REVISIONS:
            del self.revisions[next(iter(self.revisions))]
        return True

    async def replay(self, until: int | None = None) -> AsyncIterator[MessageEvent]:
        """The stored messages after ``sent`` (up to ``until``), read in batches."""
        while until is None or self.sent < until:
            rows = await in_thread(resolvers.backlog)(self.event, self.sent, until, BACKLOG_BATCH)
            hidden = await self.hidden()
            for message in rows:
                self.sent = message.seq
                self._newer(message.pk, message.revision)
                if resolvers.hides(hidden, message):
                    continue
                yield MessageEvent(MessageChange.CREATED, message)
            if len(rows) < BACKLOG_BATCH:
                return

    async def follow(self, stream) -> AsyncIterator[MessageEvent]:
        """The room's broadcasts as this subscriber is to receive them."""
        async for encoded in stream:
            heard = decoded(encoded)
            if heard.event_id != self.event.pk or not heard.public:
                continue
            data = heard.message
            seq, kind = data.seq, heard.change
            if seq > self.sent + (kind == MessageChange.CREATED):
                # An earlier message's broadcast is late, or this change is to a message whose
                # own has not come yet: read them, as they are now, from the database.
                async for event in self.replay(until=seq):
                    yield event
                continue
            if kind == MessageChange.CREATED:
                if seq <= self.sent:
                    continue  # replayed already
                self.sent = seq
            if not self._newer(data.id, data.revision):
                continue  # older than what was sent of this message
            hidden = await self.hidden()
            if resolvers.hides(hidden, data):
                continue  # written by someone the user blocks
            # A quote the subscriber hides makes its rendering differ from the others'.
            quotes_hidden = data.reply is not None and resolvers.hides(hidden, data.reply)
            shared_key = heard.key if self.shared and not quotes_hidden else None
            message = resolvers.HeardMessage(data, self.event, hidden=hidden)
            yield MessageEvent(kind, message, shared_result_key=shared_key)


async def chat_messages(info, event_id: str, after: str | None) -> AsyncIterator[MessageEvent]:
    """The event's messages as they are sent, edited, deleted and reacted to; with ``after``,
    first those sent after that cursor."""
    pk = decode_id(event_id, "Event", "event")
    after_seq = resolvers.seq_of(after, "after") if after is not None else None
    # Joined before anything is read, so that what commits meanwhile is heard.
    stream = await joined(info, group_name(EVENT_CHAT, id=pk))
    event, last_seq = await in_thread(open_room)(info.context.user, pk)
    if event is None:
        raise UserInputError(gettext_noop("Nothing with this ID."), ApiErrorCode.NOT_FOUND, "event")
    if not services.has_room(event):
        raise UserInputError(
            gettext_noop("This event has no chat: it is a draft."),
            ChatErrorCode.NO_CHAT_ROOM,
            "event",
        )
    sent = last_seq if after_seq is None else min(after_seq, last_seq)
    feed = RoomFeed(event, sent, shared=renders_alike(info), context=info.context)
    connection = getattr(info.context, "connection_id", None)
    return _messages(feed, stream, after_seq is not None, connection)


async def _messages(
    feed: RoomFeed, stream, catch_up: bool, connection: str | None
) -> AsyncIterator[MessageEvent]:
    async with present(feed.event.pk, connection):
        if catch_up:
            async for event in feed.replay():
                yield event
        async for event in feed.follow(stream):
            yield event


# ---------------------------------------------------------------------------------------------
# Presence
# ---------------------------------------------------------------------------------------------


def in_worker(function):
    """``function`` (blocking on Redis, not on the database) as a coroutine run in a thread."""
    return sync_to_async(function, thread_sensitive=False)


# A process tells a room's new count at most this often: a thousand people arriving at once
# make a few broadcasts to the room's watchers, each with the newest count, not a thousand.
PRESENCE_TELL_SECONDS = 0.1


class PresenceTeller:
    """Tells each room's chatPresence subscribers, in every process, the newest count this
    process knows of, at most every ``PRESENCE_TELL_SECONDS`` (one per event loop)."""

    def __init__(self):
        self._pending: dict[int, presence.Snapshot] = {}
        self._tasks: set[asyncio.Task] = set()

    def tell(self, room: int, snapshot: presence.Snapshot) -> None:
        pending = self._pending.get(room)
        if pending is not None:
            # A broadcast is on its way: it will carry the newer of the two.
            if snapshot.version > pending.version:
                self._pending[room] = snapshot
            return
        self._pending[room] = snapshot
        task = asyncio.create_task(self._send(room))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, room: int) -> None:
        try:
            await asyncio.sleep(PRESENCE_TELL_SECONDS)
        finally:
            snapshot = self._pending.pop(room)
        news = {"count": snapshot.count, "version": snapshot.version}
        try:
            await broadcast(group_name(EVENT_CHAT_PRESENCE, id=room), news)
        except OUTAGE_ERRORS:
            # Presence is a courtesy: a count that could not be told is told with the next.
            logger.warning("Chat presence of room %s not told (channel layer down)", room)


_tellers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceTeller]" = (
    weakref.WeakKeyDictionary()
)


def _of_running_loop(registry: weakref.WeakKeyDictionary, make):
    """The running event loop's object in ``registry``, made with ``make()`` the first time."""
    loop = asyncio.get_running_loop()
    found = registry.get(loop)
    if found is None:
        found = registry[loop] = make()
    return found


def tell_presence(room: int, snapshot: presence.Snapshot | None) -> None:
    """Have the room's chatPresence subscribers told its new count (see PresenceTeller)."""
    if snapshot is not None:
        _of_running_loop(_tellers, PresenceTeller).tell(room, snapshot)


class PresenceRenewer:
    """Renews the leases of all the process's presences at once, every third of a lease, while
    any is held: a thousand subscribers cost one write per room, not a thousand (one per event
    loop; its state is only touched on the loop)."""

    def __init__(self):
        self.held = 0
        self._task: asyncio.Task | None = None

    def hold(self) -> None:
        self.held += 1
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    def release(self) -> None:
        self.held -= 1
        if not self.held and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(presence.lease_seconds() / 3)
            await in_worker(presence.holds.renew_all)()


_renewers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceRenewer]" = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def present(room: int, connection: str | None):
    """The connection is present in the room for the duration."""
    if connection is None:
        yield
        return
    tell_presence(room, await in_worker(presence.holds.enter)(room, connection))
    renewer = _of_running_loop(_renewers, PresenceRenewer)
    renewer.hold()
    try:
        yield
    finally:
        renewer.release()
        tell_presence(room, await in_worker(presence.holds.leave)(room, connection))


async def chat_presence(info, event_id: str) -> AsyncIterator["PresenceCount"]:
    """How many are in the event's room: now, then at every change."""
    pk = decode_id(event_id, "Event", "event")
    stream = await joined(info, group_name(EVENT_CHAT_PRESENCE, id=pk))
    event, _ = await in_thread(open_room)(info.context.user, pk)
    if event is None:
        raise UserInputError(gettext_noop("Nothing with this ID."), ApiErrorCode.NOT_FOUND, "event")
    if not services.has_room(event):
        raise UserInputError(
            gettext_noop("This event has no chat: it is a draft."),
            ChatErrorCode.NO_CHAT_ROOM,
            "event",
        )
    return _counts(pk, stream)


@dataclass(frozen=True, slots=True)
class PresenceCount:
    """What a chatPresence subscription yields; the same for everyone (see MessageEvent)."""

    count: int
    room: int

    @property
    def shared_result_key(self) -> str:
        return f"presence:{self.room}:{self.count}"


async def _counts(room: int, stream) -> AsyncIterator[PresenceCount]:
    store = presence.store()
    snapshot = await in_worker(store.snapshot)(room)
    sent, seen = snapshot.count, snapshot.version
    yield PresenceCount(sent, room)
    while True:
        try:
            news = await asyncio.wait_for(anext(stream), presence.lease_seconds() / 3)
        except TimeoutError:
            # Nothing heard for a while: end the leases that ran out, tell everyone if some
            # did, and take the store's word for the count (and version) from now on.
            snapshot, ended = await in_worker(store.sweep)(room)
            if ended:
                tell_presence(room, snapshot)
            seen = snapshot.version
            count = snapshot.count
        else:
            if news["version"] <= seen:
                continue  # older than what this subscriber knows
            seen, count = news["version"], news["count"]
        if count != sent:
            sent = count
            yield PresenceCount(count, room)


class ChatSubscriptions(graphene.ObjectType):
    chat_messages = graphene.Field(
        ChatMessageEvent,
        required=True,
        event=graphene.ID(required=True, description="The Event whose chat to follow."),
        after=TextArgument(
            max_length=TextLimit.CURSOR,
            description=(
                "A message's cursor (from history or an earlier delivery): first every message "
                "sent after it, then the live ones, none missing and none twice."
            ),
        ),
        description="The event's chat messages as they are sent, edited, deleted, reacted to.",
    )

    chat_presence = graphene.Field(
        ChatPresence,
        required=True,
        event=graphene.ID(required=True, description="The Event whose room to watch."),
        description=(
            "How many connections follow the event's chat messages: at once, then at every change."
        ),
    )

    @staticmethod
    async def subscribe_chat_messages(root, info, event, after=None):
        return await chat_messages(info, event, after)

    @staticmethod
    async def subscribe_chat_presence(root, info, event):
        return await chat_presence(info, event)
