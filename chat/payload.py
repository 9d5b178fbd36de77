"""What a room's live subscribers are told of a change to a message: one typed contract, its
encoding for the channel layer and its decoding side by side. ``chat.realtime`` encodes it
when a service changes a message; the API's chatMessages subscription decodes it and answers
each subscriber from it.

Unlike the other subscriptions' payloads (ids only, re-read by each subscriber), a chat payload
carries the message's public data: one message reaches every subscriber of a room, possibly a
thousand, and a read per subscriber would be a thousand queries per message. What it carries is
what anyone who may read the room may see (nothing the author alone sees, such as the message's
clientId, and no author or body once deleted), plus the event's public flag, which each
subscriber checks before sending anything on, and the id of the message's author even once it
is deleted (or, once the author's account is deleted, the pseudonym the deletion gave its
messages), which no subscriber shows: each one hides what the people its user blocks wrote
(``accounts.blocks``), their tombstones included.

On the wire a payload is a dict of JSON-able values with camelCase keys, which every channel
layer carries as it is.
"""

import datetime
import uuid
from dataclasses import dataclass
from enum import StrEnum

from accounts.display_names import shown_name
from events.models import Event

from .models import ChatMessage


class MessageChange(StrEnum):
    """What happened to a message."""

    CREATED = "CREATED"
    EDITED = "EDITED"
    DELETED = "DELETED"
    REACTIONS = "REACTIONS"


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a message, as everyone in the room sees them (never their e-mail): their name
    and their avatar, as its variants are stored (``images.models.Image.variants``: each
    size's storage name, width, height and format), or None."""

    id: int
    name: str
    avatar: dict | None = None


def author_name(user) -> str:
    """The name the chat shows for ``user``: their display name, never their e-mail
    (``accounts.display_names.shown_name``)."""
    return shown_name(user.display_name, user.pk)


def author_of(user) -> Author:
    """``user`` as the chat shows people (their avatar's row is read unless it was joined)."""
    avatar = user.avatar.variants if user.avatar_id is not None else None
    return Author(user.pk, author_name(user), avatar)


@dataclass(frozen=True, slots=True)
class MessageData:
    """What anyone who may read a room sees of one of its messages. A deleted message shows
    neither author nor body; a message whose author deleted their account shows its body
    without an author (``author_deleted``). The fields it shares with ``ChatMessage`` have its
    names."""

    id: int
    seq: int
    author: Author | None
    body: str | None
    reply_to_id: int | None
    created_at: datetime.datetime
    edited_at: datetime.datetime | None
    deleted_at: datetime.datetime | None
    # Counts per emoji: {"👍": 3}.
    reactions: dict[str, int]
    # Of two payloads about the message, the one with the higher revision is the newer.
    revision: int
    # The message replied to as it is now, one level deep (its own ``reply`` is None): enough
    # for a quote above the reply.
    reply: "MessageData | None" = None
    # The author deleted their account: the message stays, shown as a deleted account's.
    author_deleted: bool = False
    # Who wrote it, deleted or not (None once the account is gone): never shown, only read by
    # the subscribers of people who block its author, who skip it.
    author_id: int | None = None
    # Once the author's account is gone, the pseudonym its messages took: read as author_id is.
    author_pseudonym: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class MessageBroadcast:
    """One change to a message, as its room's group hears it."""

    # Unique to this broadcast: the subscribers of one process that want the same fields of
    # it share one rendering.
    key: str
    change: MessageChange
    event_id: int
    # Whether the event is public: a subscriber sends nothing on about one that is not.
    public: bool
    message: MessageData


def message_data(message: ChatMessage, *, with_reply: bool = True) -> MessageData:
    """What the room sees of ``message`` (its author, and the message it replies to, loaded)."""
    deleted = message.deleted_at is not None
    author = None
    if not deleted and message.author_id is not None:
        author = author_of(message.author)
    reply = None
    if with_reply and message.reply_to_id is not None:
        reply = message_data(message.reply_to, with_reply=False)
    return MessageData(
        id=message.pk,
        seq=message.seq,
        author=author,
        body=None if deleted else message.body,
        reply_to_id=message.reply_to_id,
        created_at=message.created_at,
        edited_at=message.edited_at,
        deleted_at=message.deleted_at,
        reactions=dict(message.reactions or {}),
        revision=message.revision,
        reply=reply,
        author_deleted=author_deleted(message),
        author_id=message.author_id,
        author_pseudonym=message.author_pseudonym,
    )


def author_deleted(message: ChatMessage) -> bool:
    """Whether ``message`` (not itself deleted) lost its author to the deletion of their
    account: the only way a message comes to have none."""
    return message.deleted_at is None and message.author_id is None


def broadcast_of(message: ChatMessage, change: MessageChange) -> MessageBroadcast:
    """The broadcast of ``change`` to ``message`` (its event loaded), with a new key."""
    return MessageBroadcast(
        key=uuid.uuid4().hex,
        change=change,
        event_id=message.event_id,
        public=message.event.status != Event.Status.DRAFT,
        message=message_data(message),
    )


# --- The wire --------------------------------------------------------------------------------


def _time(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parse_time(text: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text) if text is not None else None


def _parse_uuid(text: str | None) -> uuid.UUID | None:
    return uuid.UUID(text) if text is not None else None


def _encode_message(data: MessageData) -> dict:
    author = data.author
    encoded = {
        "id": data.id,
        "seq": data.seq,
        "author": (
            {"id": author.id, "name": author.name, "avatar": author.avatar}
            if author is not None
            else None
        ),
        "body": data.body,
        "replyTo": data.reply_to_id,
        "createdAt": _time(data.created_at),
        "editedAt": _time(data.edited_at),
        "deletedAt": _time(data.deleted_at),
        "reactions": dict(data.reactions),
        "revision": data.revision,
        "authorDeleted": data.author_deleted,
        "authorId": data.author_id,
        "authorPseudonym": (
            str(data.author_pseudonym) if data.author_pseudonym is not None else None
        ),
    }
    if data.reply is not None:
        encoded["reply"] = _encode_message(data.reply)
    return encoded


def _decode_message(encoded: dict) -> MessageData:
    author = encoded["author"]
    reply = encoded.get("reply")
    return MessageData(
        id=encoded["id"],
        seq=encoded["seq"],
        # A payload from a server process older than avatars has none.
        author=(
            Author(author["id"], author["name"], author.get("avatar"))
            if author is not None
            else None
        ),
        body=encoded["body"],
        reply_to_id=encoded["replyTo"],
        created_at=_parse_time(encoded["createdAt"]),
        edited_at=_parse_time(encoded["editedAt"]),
        deleted_at=_parse_time(encoded["deletedAt"]),
        reactions=dict(encoded["reactions"]),
        revision=encoded["revision"],
        reply=_decode_message(reply) if reply is not None else None,
        # Absent from what a process of an earlier version sent.
        author_deleted=encoded.get("authorDeleted", False),
        # Absent from the payloads of a process of an earlier release (a rolling deploy).
        author_id=encoded.get("authorId"),
        author_pseudonym=_parse_uuid(encoded.get("authorPseudonym")),
    )


def encode(broadcast: MessageBroadcast) -> dict:
    """``broadcast`` as the channel layer carries it."""
    return {
        "broadcast": broadcast.key,
        "kind": broadcast.change.value,
        "event": broadcast.event_id,
        "public": broadcast.public,
        "message": _encode_message(broadcast.message),
    }


def decode(payload: dict) -> MessageBroadcast:
    """The broadcast ``encode`` made ``payload`` of."""
    return MessageBroadcast(
        key=payload["broadcast"],
        change=MessageChange(payload["kind"]),
        event_id=payload["event"],
        public=payload["public"],
        message=_decode_message(payload["message"]),
    )
