"""What a room's live subscribers hear: the chat services call these inside their transaction,
and the broadcast leaves once it commits.

Unlike the other subscriptions' payloads (ids only, re-read by each subscriber), a chat payload
carries the message's public data: one message reaches every subscriber of a room, possibly a
thousand, and a read per subscriber would be a thousand queries per message. What it carries is
what anyone who may read the room may see (nothing the author alone sees, such as the message's
clientId, and no body once deleted), plus the event's public flag, which each subscriber checks
before sending anything on.
"""

import uuid
from enum import StrEnum

from core.channel_groups import EVENT_CHAT, broadcast_on_commit, group_name
from core.text import clean_text
from events.models import Event

from .models import ChatMessage


class MessageChange(StrEnum):
    """What happened to a message."""

    CREATED = "CREATED"
    EDITED = "EDITED"
    DELETED = "DELETED"
    REACTIONS = "REACTIONS"


def author_name(user) -> str:
    """The name the chat shows for ``user``: their display name, never their e-mail; a name
    that shows nothing (zero-width characters) counts as none."""
    return clean_text(user.display_name) or f"User {user.pk}"


def _time(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def message_data(message: ChatMessage, *, with_reply: bool = True) -> dict:
    """The public data of a message, as JSON-able values (see ``schema.chat``)."""
    deleted = message.deleted_at is not None
    author = None
    if not deleted and message.author_id is not None:
        author = {"id": message.author_id, "name": author_name(message.author)}
    data = {
        "id": message.pk,
        "seq": message.seq,
        "author": author,
        "body": None if deleted else message.body,
        "replyTo": message.reply_to_id,
        "createdAt": _time(message.created_at),
        "editedAt": _time(message.edited_at),
        "deletedAt": _time(message.deleted_at),
        "reactions": dict(message.reactions or {}),
        "revision": message.revision,
    }
    if with_reply and message.reply_to_id is not None:
        # The message replied to as it is now, one level deep: enough for a quote above the
        # reply.
        data["reply"] = message_data(message.reply_to, with_reply=False)
    return data


def payload(message: ChatMessage, change: MessageChange) -> dict:
    """The broadcast of ``change`` to ``message``. ``broadcast`` is unique to it: the
    subscribers of one process that want the same fields of it share one rendering."""
    event = message.event
    return {
        "broadcast": uuid.uuid4().hex,
        "kind": change.value,
        "event": message.event_id,
        "public": event.status != Event.Status.DRAFT,
        "message": message_data(message),
    }


def _broadcast(message: ChatMessage, change: MessageChange) -> None:
    group = group_name(EVENT_CHAT, id=message.event_id)
    broadcast_on_commit(group, payload(message, change))


def message_created(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.CREATED)


def message_edited(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.EDITED)


def message_deleted(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.DELETED)


def reactions_changed(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.REACTIONS)
