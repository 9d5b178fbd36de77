"""Mutations of an event's chat. Each loads what its arguments name and calls one service of
events.chat.services, where the rules live."""

import graphene

from events.chat import services
from events.models import ChatMessage, Event

from ...core.mutations import BaseMutation, load
from .types import ChatMessageType


def load_room_event(global_id: str, viewer, field: str = "event") -> Event:
    """An event the viewer may see (a draft of another office is not found)."""
    return load(Event.objects.visible_to(viewer), global_id, "Event", field)


def load_message(global_id: str, field: str = "message") -> ChatMessage:
    """A message of a public event's chat, with what its services and broadcasts read."""
    messages = ChatMessage.objects.exclude(event__status=Event.Status.DRAFT).select_related(
        "event", "author", "reply_to__author"
    )
    return load(messages, global_id, "ChatMessage", field)


class ChatMessageSend(BaseMutation):
    """Send a message to an event's chat while its room is open. Sending again with the same
    `clientId` returns the stored message (a retry never duplicates)."""

    message = graphene.Field(ChatMessageType)

    class Arguments:
        event = graphene.ID(required=True)
        body = graphene.String(required=True, description="1 to 1,000 characters, trimmed.")
        client_id = graphene.String(
            required=True, description="The client's key for this message, e.g. a UUID."
        )
        reply_to = graphene.ID(description="A ChatMessage of the same chat, to answer.")

    @classmethod
    def perform(cls, info, viewer, event, body, client_id, reply_to=None):
        target = load_room_event(event, viewer)
        answered = load_message(reply_to, "replyTo") if reply_to else None
        message = services.send_message(viewer, target, body, client_id, answered)
        return {"message": message}


class ChatMessageEdit(BaseMutation):
    """Change the body of one's own message while the room is open."""

    message = graphene.Field(ChatMessageType)

    class Arguments:
        message = graphene.ID(required=True)
        body = graphene.String(required=True, description="1 to 1,000 characters, trimmed.")

    @classmethod
    def perform(cls, info, viewer, message, body):
        return {"message": services.edit_message(viewer, load_message(message), body)}


class ChatMessageDelete(BaseMutation):
    """Delete a message (its author, or a moderator of the event); it stays as a tombstone."""

    message = graphene.Field(ChatMessageType)

    class Arguments:
        message = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, message):
        return {"message": services.delete_message(viewer, load_message(message))}


class ChatReactionToggle(BaseMutation):
    """React to a message with one of the offered emojis, or take the reaction back."""

    message = graphene.Field(ChatMessageType)

    class Arguments:
        message = graphene.ID(required=True)
        emoji = graphene.String(
            required=True,
            description="One of the offered emojis (by default 👍 ❤️ 😂 😮 😢 👏 🎉 🔥).",
        )

    @classmethod
    def perform(cls, info, viewer, message, emoji):
        return {"message": services.toggle_reaction(viewer, load_message(message), emoji)}


class ChatMutations(graphene.ObjectType):
    chat_message_send = ChatMessageSend.Field()
    chat_message_edit = ChatMessageEdit.Field()
    chat_message_delete = ChatMessageDelete.Field()
    chat_reaction_toggle = ChatReactionToggle.Field()
