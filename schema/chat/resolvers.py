"""The reads behind the chat's part of the API; resolvers call these and nothing else."""

import base64
import binascii
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_noop
from graphene.relay import PageInfo

from accounts.blocks import NOBODY, Blocked, blocked
from chat import presence, services
from chat.models import ChatMessage, ChatReaction, ChatReport
from chat.payload import Author, MessageData, author_of
from chat.payload import author_deleted as payload_author_deleted
from chat.permissions import can_moderate_chat
from cities.permissions import MODERATING_ROLES, office_roles
from events.models import Event
from graphql_server.errors import ApiErrorCode, PermissionDeniedError, UserInputError

from ..core.ids import primary_key
from ..core.pagination import cursor_fits, paginate
from ..core.selection import is_selected

_CURSOR_PREFIX = "chat:"


# --- Cursors -------------------------------------------------------------------------------


def cursor_of(seq: int) -> str:
    """The opaque cursor of the message numbered ``seq`` in its room."""
    return base64.b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode()


def seq_of(cursor: str, field: str) -> int:
    """The seq inside a cursor of ``cursor_of``, or INVALID_CURSOR naming ``field``.

    The cursor is a keyset one already: the room's sequence number, which each message takes
    in order under the room's lock and keeps (a deleted message keeps its place), so paging
    by it neither repeats nor skips whatever is sent meanwhile."""
    text = ""
    # Within the limit of every cursor (a chat's is 32 characters at most, and anything up to
    # the limit decodes in microseconds); the seq is then checked to be a bigint.
    if cursor_fits(cursor):
        try:
            text = base64.b64decode(cursor, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
            text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    seq = primary_key(number) if text.startswith(_CURSOR_PREFIX) else None
    if seq is None:
        raise UserInputError(
            gettext_noop("%(field)s is not a cursor of a chat message."),
            ApiErrorCode.INVALID_CURSOR,
            field,
            params={"field": field},
        )
    return seq


# --- Fields of a message ---------------------------------------------------------------------


@dataclass(slots=True)
class HeardMessage:
    """A message as one subscriber heard it broadcast: what the room sees of it, as the
    broadcast told it (``chat.payload``), and the event as the subscriber may see it. The
    ChatMessage type answers from this as it does from a stored message; the viewer's own
    fields (``clientId``, ``reactedByMe``) read the database, once for this subscriber."""

    data: MessageData
    event: Event
    # Read for the viewer when first asked: the clientId (when the viewer wrote the message),
    # and the emojis the viewer reacted with.
    client_id: str | None = None
    client_id_read: bool = False
    viewer_reactions: frozenset[str] | None = None
    # The people the subscriber blocks, as the subscription knew them when it heard the
    # message: a quote of theirs is not shown (``replied_to``), and no query is needed for it.
    hidden: Blocked = NOBODY


Message = ChatMessage | HeardMessage


@dataclass(frozen=True, slots=True)
class ReactionCount:
    message: Message
    emoji: str
    count: int


# The emojis the viewer reacted with, per stored message, once loaded (for one viewer: a
# message instance serves one request or one subscriber).
_VIEWER_REACTIONS = "_chat_viewer_reactions"


def facts(message: Message) -> ChatMessage | MessageData:
    """Where a message's facts that every viewer sees alike are read: the stored message, or
    the data a broadcast carried (which has the model's names for them: ``seq``, the times,
    ``reactions``, ``reply_to_id``)."""
    return message.data if isinstance(message, HeardMessage) else message


def hides(hidden: Blocked, message: ChatMessage | MessageData) -> bool:
    """Whether ``message`` (stored, or as a broadcast carried it) is of an author ``hidden``
    holds: someone the viewer blocks, or the account they deleted since."""
    return hidden.hides(message.author_id, message.author_pseudonym)


def not_hidden(queryset, hidden: Blocked, prefix: str = ""):
    """``queryset`` of messages (or of rows whose ``prefix`` leads to one) without those of the
    authors ``hidden`` holds. A message of a deleted account stays unless its pseudonym is
    held."""
    if hidden.users:
        queryset = queryset.exclude(**{f"{prefix}author__in": sorted(hidden.users)})
    if hidden.pseudonyms:
        queryset = queryset.exclude(**{f"{prefix}author_pseudonym__in": sorted(hidden.pseudonyms)})
    return queryset


def readable_messages(queryset, viewer):
    """The messages ``viewer`` reads by their ID (``node(id:)``): those of a public event's chat,
    but none of the authors they block, as the history leaves them out."""
    queryset = queryset.exclude(event__status=Event.Status.DRAFT)
    return not_hidden(queryset, blocked(viewer))


def message_pk(message: Message) -> int:
    return message.data.id if isinstance(message, HeardMessage) else message.pk


def public_author(message: Message) -> Author | None:
    """Who wrote the message, as the room sees them; None once it is deleted."""
    if isinstance(message, HeardMessage):
        return message.data.author
    if message.deleted_at is not None or message.author_id is None:
        return None
    return author_of(message.author)


def author_deleted(message: Message) -> bool:
    """Whether the message's author deleted their account (the message stays)."""
    if isinstance(message, HeardMessage):
        return message.data.author_deleted
    return payload_author_deleted(message)


def public_body(message: Message) -> str | None:
    """The message's body; None once it is deleted."""
    if isinstance(message, HeardMessage):
        return message.data.body
    return None if message.deleted_at is not None else message.body


def replied_to(message: Message, viewer) -> Message | None:
    """The message this one answers; None when there is none, or when the viewer blocks its
    author (their messages are hidden from the viewer, quoted ones too). A broadcast carries it
    one level deep; beyond, it is read as stored now."""
    if isinstance(message, ChatMessage):
        if message.reply_to_id is None:
            return None
        answered = message.reply_to
        return None if hides(blocked(viewer), answered) else answered
    data, hidden = message.data, message.hidden
    if data.reply is not None:
        if hides(hidden, data.reply):
            return None
        return HeardMessage(data.reply, message.event, hidden=hidden)
    if data.reply_to_id is None:
        return None
    stored = (
        ChatMessage.objects.select_related("author__avatar")
        .filter(pk=data.reply_to_id, event=message.event)
        .first()
    )
    if stored is None or hides(hidden, stored):
        return None
    stored.event = message.event
    return stored


def _emoji_order() -> dict[str, int]:
    return {emoji: index for index, emoji in enumerate(settings.CHAT_REACTIONS)}


def reaction_counts(message: Message) -> list[ReactionCount]:
    """The message's reactions in the order the settings offer them; reactions since removed
    from the offer still count, after the others."""
    order = _emoji_order()
    reactions = facts(message).reactions or {}
    counts = [(emoji, count) for emoji, count in reactions.items() if count > 0]
    counts.sort(key=lambda item: (order.get(item[0], len(order)), item[0]))
    return [ReactionCount(message, emoji, count) for emoji, count in counts]


def attach_viewer_reactions(messages: list[ChatMessage], viewer) -> None:
    """Which emojis the viewer reacted with, for many stored messages in one query."""
    mine = _viewer_reactions([message.pk for message in messages], viewer)
    for message in messages:
        setattr(message, _VIEWER_REACTIONS, mine[message.pk])


def _viewer_reactions(message_ids: list[int], viewer) -> dict[int, frozenset[str]]:
    mine: dict[int, set[str]] = {pk: set() for pk in message_ids}
    if viewer.is_authenticated and mine:
        for message_id, emoji in ChatReaction.objects.filter(
            user=viewer, message__in=list(mine)
        ).values_list("message_id", "emoji"):
            mine[message_id].add(emoji)
    return {pk: frozenset(emojis) for pk, emojis in mine.items()}


def reacted_by_viewer(message: Message, emoji: str, viewer) -> bool:
    if not viewer.is_authenticated:
        return False
    if isinstance(message, HeardMessage):
        if message.viewer_reactions is None:
            pk = message.data.id
            message.viewer_reactions = _viewer_reactions([pk], viewer)[pk]
        return emoji in message.viewer_reactions
    if not hasattr(message, _VIEWER_REACTIONS):
        attach_viewer_reactions([message], viewer)
    return emoji in getattr(message, _VIEWER_REACTIONS)


def client_id_for_viewer(message: Message, viewer) -> str | None:
    """The message's clientId if the viewer wrote it; read from the database only for a
    message heard from a broadcast (which does not carry it)."""
    if not viewer.is_authenticated:
        return None
    if isinstance(message, ChatMessage):
        return message.client_id if message.author_id == viewer.pk else None
    author = message.data.author
    if author is None or author.id != viewer.pk:
        return None
    if not message.client_id_read:
        message.client_id = (
            ChatMessage.objects.filter(pk=message.data.id, author=viewer)
            .values_list("client_id", flat=True)
            .first()
        )
        message.client_id_read = True
    return message.client_id


# --- History ---------------------------------------------------------------------------------


def _history_joins(paths: frozenset[str]) -> list[str]:
    """The joins the selected fields need: the author, and each level of replies selected
    with its author, so that a page costs the same queries whatever its size."""
    # An author is shown with their avatar's row (``chat.payload.author_of``): joined too.
    joins = ["author__avatar"] if is_selected(paths, "author") else []
    path, join = "replyTo", "reply_to"
    while is_selected(paths, path):
        joins.append(join)
        if is_selected(paths, f"{path}.author"):
            joins.append(f"{join}__author__avatar")
        path, join = f"{path}.replyTo", f"{join}__reply_to"
    return joins


def _with_replies(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages and those they reply to, as far as the joins loaded them."""
    found, queue = [], list(messages)
    while queue:
        message = queue.pop()
        found.append(message)
        cached = ChatMessage.reply_to.is_cached(message)
        if cached and message.reply_to is not None:
            queue.append(message.reply_to)
    return found


def history_page(event: Event, viewer, last: int | None, before: str | None, paths, connection):
    """The ``last`` messages of the event's chat before the cursor ``before`` (the newest
    without it), oldest first, as an instance of ``connection``; None for a draft.

    The messages of the people the viewer blocks are left out (their tombstones too), so a page
    may skip numbers; its cursors still page by ``seq``, and the next page starts where it
    ended."""
    if not services.has_room(event):
        return None
    size = settings.GRAPHQL_DEFAULT_PAGE_SIZE if last is None else last
    if not 0 <= size <= settings.GRAPHQL_MAX_PAGE_SIZE:
        raise UserInputError(
            gettext_noop("%(field)s must be between 0 and %(limit)s."),
            ApiErrorCode.INVALID_PAGE_SIZE,
            "last",
            params={"field": "last", "limit": settings.GRAPHQL_MAX_PAGE_SIZE},
        )
    queryset = ChatMessage.objects.filter(event=event)
    if before is not None:
        queryset = queryset.filter(seq__lt=seq_of(before, "before"))
    # Messages whose author's account is gone (author null) stay, unless the viewer blocked
    # the author before (their pseudonym).
    queryset = not_hidden(queryset, blocked(viewer))
    joins = _history_joins(paths)
    if joins:
        queryset = queryset.select_related(*joins)
    rows = list(queryset.order_by("-seq")[: size + 1]) if size else []
    has_previous = len(rows) > size
    rows = rows[:size]
    rows.reverse()
    loaded = _with_replies(rows)
    for message in loaded:
        # Every message of the page is of this event: its `event` field costs nothing.
        message.event = event
    if any(path.endswith("reactedByMe") for path in paths):
        attach_viewer_reactions(loaded, viewer)
    edges = [connection.Edge(node=row, cursor=cursor_of(row.seq)) for row in rows]
    return connection(
        edges=edges,
        page_info=_page_info(edges, has_previous=has_previous, has_next=before is not None),
    )


def _page_info(edges, has_previous: bool, has_next: bool):
    return PageInfo(
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
        has_previous_page=has_previous,
        has_next_page=has_next,
    )


def backlog(event: Event, after_seq: int, until_seq: int | None = None, limit: int = 100):
    """Messages of the event numbered above ``after_seq`` (up to ``until_seq``), oldest first,
    at most ``limit``: what a subscriber catching up replays. Every one of them, those of people
    the subscriber blocks too: the subscription skips those itself, having counted them as
    seen, so that their numbers leave no gap to fill from the database again."""
    queryset = ChatMessage.objects.filter(event=event, seq__gt=after_seq)
    if until_seq is not None:
        queryset = queryset.filter(seq__lte=until_seq)
    rows = list(
        queryset.select_related("author__avatar", "reply_to__author__avatar").order_by("seq")[
            :limit
        ]
    )
    for message in _with_replies(rows):
        message.event = event
    return rows


# --- Rooms -----------------------------------------------------------------------------------


def chat_room(event: Event) -> Event | None:
    """The event stands for its room; a draft has none."""
    return event if services.has_room(event) else None


def room_window(event: Event):
    return services.room_window(event)


def room_is_open(event: Event) -> bool:
    return services.is_open(event)


def present_count(event: Event) -> int:
    return presence.present_count(event.pk)


# --- Reports ---------------------------------------------------------------------------------


def readable_reports(queryset, viewer):
    """The reports ``viewer`` may read: their own, and all those of the events they moderate."""
    if not viewer.is_authenticated:
        return queryset.none()
    if viewer.is_superuser:
        return queryset
    offices = [office for office, roles in office_roles(viewer).items() if roles & MODERATING_ROLES]
    return queryset.filter(Q(reporter=viewer) | Q(event__in=Event.objects.acted_for_by(offices)))


def reports_page(event: Event, viewer, first, after, status, connection):
    """``Event.chatReports``: the event's reports, newest first, for its moderators."""
    if not can_moderate_chat(viewer, event):
        raise PermissionDeniedError(
            gettext_noop("Only the event's moderators read its chat's reports.")
        )
    queryset = ChatReport.objects.filter(event=event)
    if status is not None:
        queryset = queryset.filter(status=getattr(status, "value", status))
    queryset = queryset.select_related(
        "message__author__avatar",
        "message__reply_to__author__avatar",
        "reporter__avatar",
        "resolved_by__avatar",
    ).order_by("-created_at", "-id")

    def after_fetch(rows):
        for report in rows:
            report.event = event
            report.message.event = event
            if report.message.reply_to_id is not None:
                report.message.reply_to.event = event

    return paginate(queryset, connection, first, after, after_fetch)
