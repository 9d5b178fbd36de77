"""Mutations of an event's chat. Each loads what its arguments name and calls one service of
chat.services, where the rules live."""

import graphene
from django.contrib.auth import get_user_model

from chat import services
from chat.models import ChatMessage, ChatReport
from chat.payload import author_of
from events.models import Event

from ..core.mutations import BaseMutation, load
from . import resolvers
from .types import ChatAuthor, ChatMessageType, ChatMuteType, ChatReportAction, ChatReportType


def load_room_event(global_id: str, viewer, field: str = "event") -> Event:
    """An event the viewer may see (a draft of another office is not found)."""
    return load(Event.objects.visible_to(viewer), global_id, "Event", field)


def load_message(global_id: str, field: str = "message", *, reader=None) -> ChatMessage:
    """A message of a public event's chat, with what its services and broadcasts read; with
    ``reader``, only one they read (none of the authors they block: NOT_FOUND, as ``node(id:)``
    answers null)."""
    messages = ChatMessage.objects.exclude(event__status=Event.Status.DRAFT).select_related(
        "event", "author", "reply_to__author"
    )
    if reader is not None:
        messages = resolvers.readable_messages(messages, reader)
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
    """React to a message with one of the offered emojis, or take the reaction back. A message
    of someone the viewer blocks is not found (NOT_FOUND): it is hidden from them."""

    message = graphene.Field(ChatMessageType)

    class Arguments:
        message = graphene.ID(required=True)
        emoji = graphene.String(
            required=True,
            description="One of the offered emojis (by default 👍 ❤️ 😂 😮 😢 👏 🎉 🔥).",
        )

    @classmethod
    def perform(cls, info, viewer, message, emoji):
        answered = load_message(message, reader=viewer)
        return {"message": services.toggle_reaction(viewer, answered, emoji)}


def load_user(global_id: str, field: str = "user"):
    return load(get_user_model()._default_manager.all(), global_id, "User", field)


class ChatUserMute(BaseMutation):
    """Mute someone in an event's chat for a number of minutes (the event's moderators)."""

    mute = graphene.Field(ChatMuteType)

    class Arguments:
        event = graphene.ID(required=True)
        user = graphene.ID(required=True, description="A User ID, e.g. a ChatAuthor's `id`.")
        minutes = graphene.Int(
            required=True, description="At least 1; at most 30 days (43,200) by default."
        )
        reason = graphene.String(description="Why, for the record; at most 300 characters.")

    @classmethod
    def perform(cls, info, viewer, event, user, minutes, reason=""):
        target = load_room_event(event, viewer)
        person = load_user(user)
        return {"mute": services.mute_user(viewer, target, person, minutes, reason or "")}


class ChatUserUnmute(BaseMutation):
    """Lift someone's mute in an event's chat (the event's moderators)."""

    user = graphene.Field(ChatAuthor, description="Whom the mute was lifted from.")

    class Arguments:
        event = graphene.ID(required=True)
        user = graphene.ID(required=True)

    @classmethod
    def perform(cls, info, viewer, event, user):
        target = load_room_event(event, viewer)
        person = load_user(user)
        services.unmute_user(viewer, target, person)
        return {"user": author_of(person)}


class ChatMessageReport(BaseMutation):
    """Report a message to the event's moderators; a second report of the same message by
    the same user answers with the first."""

    report = graphene.Field(ChatReportType)

    class Arguments:
        message = graphene.ID(required=True)
        reason = graphene.String(required=True, description="What is wrong; 1 to 500 characters.")

    @classmethod
    def perform(cls, info, viewer, message, reason):
        return {"report": services.report_message(viewer, load_message(message), reason)}


class ChatReportResolve(BaseMutation):
    """Settle a report: dismiss it, or delete the message (the event's moderators)."""

    report = graphene.Field(ChatReportType)

    class Arguments:
        report = graphene.ID(required=True)
        action = ChatReportAction(required=True)

    @classmethod
    def perform(cls, info, viewer, report, action):
        target = load(ChatReport.objects.select_related("event"), report, "ChatReport", "report")
        settled = services.resolve_report(viewer, target, services.ReportAction(action))
        return {"report": settled}


class ChatMutations(graphene.ObjectType):
    chat_message_send = ChatMessageSend.Field()
    chat_message_edit = ChatMessageEdit.Field()
    chat_message_delete = ChatMessageDelete.Field()
    chat_reaction_toggle = ChatReactionToggle.Field()
    chat_user_mute = ChatUserMute.Field()
    chat_user_unmute = ChatUserUnmute.Field()
    chat_message_report = ChatMessageReport.Field()
    chat_report_resolve = ChatReportResolve.Field()
