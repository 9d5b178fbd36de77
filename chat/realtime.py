"""What a room's live subscribers hear: the chat services call :func:`message_changed` inside
their transaction, and the broadcast (``chat.payload``) leaves once it commits. Every change to
a message travels the same way; what differs is its ``MessageChange``."""

from core.channel_groups import EVENT_CHAT, broadcast_on_commit, group_name

from . import payload
from .models import ChatMessage
from .payload import MessageChange


def message_changed(message: ChatMessage, change: MessageChange) -> None:
    """Tell the message's room, once the transaction commits, what became of ``message``."""
    group = group_name(EVENT_CHAT, id=message.event_id)
    broadcast_on_commit(group, payload.encode(payload.broadcast_of(message, change)))
