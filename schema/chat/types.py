"""GraphQL types of an event's chat.

A ChatMessage resolves from a stored ``chat.models.ChatMessage`` (history, mutations) or from a
message heard in a broadcast (subscriptions: ``resolvers.HeardMessage``, the payload's data of
``chat.payload``). The fields every viewer sees the same come from either alone; the two that
depend on the viewer (``reactedByMe``, ``clientId``) are loaded only when selected.
"""

import graphene
from graphene import relay
from graphene_django import DjangoObjectType

from accounts.display_names import tag_of
from chat.models import ChatMessage, ChatReport
from chat.payload import MessageChange
from chat.services import ReportAction
from graphql_server.cache_policy import ALL_FIELDS, cache_policy

from ..core.pagination import CountableConnection
from ..events.types import EventType
from ..images.types import AvatarType
from . import resolvers


class ChatAuthor(graphene.ObjectType):
    """Who wrote a message, as everyone in the room sees them (never their e-mail). Names are
    not unique: show `nameTag` after the name ("Dana #K7Q2") when two people in view share
    one."""

    id = graphene.ID(required=True, description="The author's User ID.")
    display_name = graphene.String(
        required=True,
        description="The name the person chose (`profileUpdate`), or took from their Firebase "
        'profile at first sign-in; "User" and a number for someone without one.',
    )
    name_tag = graphene.String(
        required=True,
        description="Four characters (more past a million accounts) that are this person's "
        "alone and never change, e.g. K7Q2: what tells two people of the same name apart.",
    )
    avatar = graphene.Field(AvatarType, description="Their picture; null for none.")

    @staticmethod
    def resolve_id(root, info):
        return graphene.Node.to_global_id("User", root.id)

    @staticmethod
    def resolve_avatar(root, info):
        return root.avatar

    @staticmethod
    def resolve_name_tag(root, info):
        return tag_of(root.id)

    @staticmethod
    def resolve_display_name(root, info):
        return root.name


class ChatReactionCount(graphene.ObjectType):
    """How many reacted to a message with one emoji."""

    emoji = graphene.String(required=True)
    count = graphene.Int(required=True)
    reacted_by_me = graphene.Boolean(
        required=True, description="Whether the viewer is among them; false when signed out."
    )

    @staticmethod
    def resolve_reacted_by_me(root, info):
        return resolvers.reacted_by_viewer(root.message, root.emoji, info.context.user)


class ChatMessageType(DjangoObjectType):
    """One message of an event's chat. A deleted message stays in its place, without author
    and body."""

    seq = graphene.Int(
        required=True, description="1, 2, 3… within the event, in the order messages were sent."
    )
    event = graphene.Field(EventType, required=True)
    author = graphene.Field(
        ChatAuthor,
        description="Null once the message is deleted, or once its author deleted their "
        "account (`authorDeleted`).",
    )
    author_deleted = graphene.Boolean(
        required=True,
        description="The author deleted their account: show the message as a deleted "
        "account's (its author is null, its body stays).",
    )
    body = graphene.String(description="Null once the message is deleted.")
    reply_to = graphene.Field(
        lambda: ChatMessageType,
        description="The message answered; null when the viewer blocks its author.",
    )
    created_at = graphene.DateTime(required=True)
    edited_at = graphene.DateTime()
    deleted_at = graphene.DateTime()
    is_deleted = graphene.Boolean(required=True)
    reactions = graphene.List(
        graphene.NonNull(ChatReactionCount),
        required=True,
        description="Counts per emoji, in the order the app offers them; only those above 0.",
    )
    client_id = graphene.String(
        description="The key the client sent the message with; only its author sees it."
    )
    cursor = graphene.String(
        required=True,
        description="Where this message is: `before` for older history, `after` to catch up.",
    )

    class Meta:
        model = ChatMessage
        name = "ChatMessage"
        interfaces = (relay.Node,)
        fields = ("id",)

    @classmethod
    def get_queryset(cls, queryset, info):
        # Every public event's chat is readable by anyone (drafts have none), but for the
        # messages of the people the viewer blocks, as in the history.
        return resolvers.readable_messages(queryset, info.context.user).select_related(
            "event", "author__avatar", "reply_to__author__avatar"
        )

    @classmethod
    def is_type_of(cls, root, info):
        return isinstance(root, resolvers.HeardMessage) or super().is_type_of(root, info)

    @staticmethod
    def resolve_id(root, info):
        return resolvers.message_pk(root)

    @staticmethod
    def resolve_seq(root, info):
        return resolvers.facts(root).seq

    @staticmethod
    def resolve_event(root, info):
        return root.event

    @staticmethod
    def resolve_author(root, info):
        return resolvers.public_author(root)

    @staticmethod
    def resolve_author_deleted(root, info):
        return resolvers.author_deleted(root)

    @staticmethod
    def resolve_body(root, info):
        return resolvers.public_body(root)

    @staticmethod
    def resolve_reply_to(root, info):
        return resolvers.replied_to(root, info.context.user)

    @staticmethod
    def resolve_created_at(root, info):
        return resolvers.facts(root).created_at

    @staticmethod
    def resolve_edited_at(root, info):
        return resolvers.facts(root).edited_at

    @staticmethod
    def resolve_deleted_at(root, info):
        return resolvers.facts(root).deleted_at

    @staticmethod
    def resolve_is_deleted(root, info):
        return resolvers.facts(root).deleted_at is not None

    @staticmethod
    def resolve_reactions(root, info):
        return resolvers.reaction_counts(root)

    @staticmethod
    def resolve_client_id(root, info):
        return resolvers.client_id_for_viewer(root, info.context.user)

    @staticmethod
    def resolve_cursor(root, info):
        return resolvers.cursor_of(resolvers.facts(root).seq)


# Pages of history: `edges { cursor node }` and `pageInfo`, oldest first within a page.
ChatMessageConnection = ChatMessageType._meta.connection


class ChatRoomType(graphene.ObjectType):
    """An event's chat room: when it is open, and how many are in it."""

    class Meta:
        name = "ChatRoom"

    is_open = graphene.Boolean(required=True, description="Whether messages may be sent now.")
    opens_at = graphene.DateTime(required=True)
    closes_at = graphene.DateTime(required=True)
    present_count = graphene.Int(
        required=True, description="Connections following the room's messages now."
    )

    @staticmethod
    def resolve_is_open(root, info):
        return resolvers.room_is_open(root)

    @staticmethod
    def resolve_opens_at(root, info):
        return resolvers.room_window(root)[0]

    @staticmethod
    def resolve_closes_at(root, info):
        return resolvers.room_window(root)[1]

    @staticmethod
    def resolve_present_count(root, info):
        return resolvers.present_count(root)


class ChatPresence(graphene.ObjectType):
    """How many are in a room."""

    count = graphene.Int(
        required=True, description="Connections subscribed to the room's messages now."
    )


ChatMessageEventKind = graphene.Enum.from_enum(
    MessageChange, name="ChatMessageEventKind", description="What happened to a message."
)


class ChatMessageEvent(graphene.ObjectType):
    """A message sent, edited, deleted or reacted to, as a subscription delivers it."""

    kind = graphene.Field(ChatMessageEventKind, required=True)
    message = graphene.Field(ChatMessageType, required=True)
    cursor = graphene.String(
        required=True, description="The message's cursor: `after` to resume from here."
    )

    @staticmethod
    def resolve_cursor(root, info):
        return resolvers.cursor_of(resolvers.facts(root.message).seq)


ChatReportStatus = graphene.Enum.from_enum(
    ChatReport.Status, name="ChatReportStatus", description="Where a report stands."
)


ChatReportAction = graphene.Enum.from_enum(
    ReportAction, name="ChatReportAction", description="What a moderator does about a report."
)


class ChatReportType(DjangoObjectType):
    """A message reported to the event's moderators. Its moderators see every report of the
    event; a reporter sees their own."""

    message = graphene.Field(ChatMessageType, required=True)
    reporter = graphene.Field(
        ChatAuthor, description="Null once the reporter deleted their account."
    )
    reason = graphene.String(required=True)
    status = graphene.Field(ChatReportStatus, required=True)
    created_at = graphene.DateTime(required=True)
    resolved_at = graphene.DateTime()
    resolved_by = graphene.Field(ChatAuthor, description="The moderator who settled it.")

    class Meta:
        model = ChatReport
        name = "ChatReport"
        interfaces = (relay.Node,)
        connection_class = CountableConnection
        fields = ("id",)

    @classmethod
    def get_queryset(cls, queryset, info):
        return resolvers.readable_reports(queryset, info.context.user)

    @staticmethod
    def resolve_reporter(root, info):
        return resolvers.author_of(root.reporter) if root.reporter_id else None

    @staticmethod
    def resolve_resolved_by(root, info):
        return resolvers.author_of(root.resolved_by) if root.resolved_by_id else None


# Pages of an event's reports, newest first.
ChatReportConnection = ChatReportType._meta.connection


class ChatMuteType(graphene.ObjectType):
    """Someone muted in an event's chat: they may not send, edit or react until ``until``."""

    class Meta:
        name = "ChatMute"

    user = graphene.Field(ChatAuthor, required=True)
    until = graphene.DateTime(required=True)
    reason = graphene.String(required=True)

    @staticmethod
    def resolve_user(root, info):
        return resolvers.author_of(root.user)


# What the response cache may keep of these types (graphql_server.cache_policy): nothing. A
# chat is read live, by subscription, and its history pages by cursor.
CACHE_POLICIES = tuple(
    cache_policy(type_, not_cached=ALL_FIELDS)
    for type_ in (
        ChatAuthor,
        ChatReactionCount,
        ChatMessageType,
        ChatMessageConnection,
        ChatMessageConnection.Edge,
        ChatRoomType,
        ChatPresence,
        ChatMessageEvent,
        ChatReportType,
        ChatReportType._meta.connection,
        ChatReportType._meta.connection.Edge,
        ChatMuteType,
    )
)
