"""What a room's live subscribers hear: the chat services call these inside their transaction,
and the broadcast (``chat.payload``) leaves once it commits."""

from core.channel_groups import EVENT_CHAT, broadcast_on_commit, group_name

from . import payload
from .models import ChatMessage
from .payload import MessageChange


def _broadcast(message: ChatMessage, change: MessageChange) -> None:
    group = group_name(EVENT_CHAT, id=message.event_id)
    broadcast_on_commit(group, payload.encode(payload.broadcast_of(message, change)))


def message_created(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.CREATED)


def message_edited(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.EDITED)


def message_deleted(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.DELETED)


def reactions_changed(message: ChatMessage) -> None:
    _broadcast(message, MessageChange.REACTIONS)
