"""The viewer: the signed-in user's own profile, preferences, follows, RSVPs and roles."""

import graphene
from django.urls import reverse

from accounts.display_names import tag_of
from chat.payload import author_name
from graphql_server.cache_policy import ALL_FIELDS, cache_policy

from ..cities.enums import OfficeRole
from ..cities.types import CityOfficeType, CityType, TwinningType
from ..core.pagination import CountableConnection, connection_args, paginate
from ..core.selection import selected_paths
from ..events.enums import EventCategory, RsvpStatus
from ..events.types import EventType
from ..images.types import AvatarType
from .enums import DevicePlatform
from .loaders import (
    account_export,
    blocked_user_id,
    blocked_users,
    followed_cities,
    followed_twinnings,
    memberships,
    rsvps,
)


class DeviceType(graphene.ObjectType):
    """A phone or browser of the viewer's that receives pushes."""

    class Meta:
        name = "Device"

    token = graphene.String(required=True)
    platform = graphene.Field(DevicePlatform, required=True)
    locale = graphene.String(required=True)
    app_version = graphene.String(required=True)
    active = graphene.Boolean(
        required=True, description="False once FCM reported the token gone; register again."
    )
    updated_at = graphene.DateTime(required=True)


class QuietHours(graphene.ObjectType):
    """Hours, in the user's own time zone, when non-urgent pushes wait."""

    start = graphene.Time(required=True)
    end = graphene.Time(required=True)


class Preferences(graphene.ObjectType):
    muted_categories = graphene.List(graphene.NonNull(EventCategory), required=True)
    quiet_hours = graphene.Field(QuietHours)
    listed_as_attendee = graphene.Boolean(
        required=True,
        description="Whether the offices of the events the viewer answers (going or "
        "interested) see their name among who is coming; off, they are only counted. "
        "Off until the viewer turns it on.",
    )

    @staticmethod
    def resolve_muted_categories(user, info):
        return user.muted_categories

    @staticmethod
    def resolve_quiet_hours(user, info):
        if user.quiet_hours_start is None:
            return None
        return QuietHours(start=user.quiet_hours_start, end=user.quiet_hours_end)


class Membership(graphene.ObjectType):
    office = graphene.Field(CityOfficeType, required=True)
    role = graphene.Field(OfficeRole, required=True)


class ViewerRsvp(graphene.ObjectType):
    event = graphene.Field(EventType, required=True)
    status = graphene.Field(RsvpStatus, required=True)


class BlockedUser(graphene.ObjectType):
    """Someone the viewer blocks: the chat hides what they write from the viewer. They are not
    told, and see everything as before. Once they delete their account, what they wrote stays
    hidden, and the block stays, without their name (`accountDeleted`)."""

    id = graphene.ID(
        required=True,
        description="Their User ID, as a ChatAuthor's `id`; once they deleted their account "
        "(`accountDeleted`), an ID of the block alone, which `userUnblock` takes as well.",
    )
    display_name = graphene.String(
        required=True,
        description="Their name, as the chat shows it; empty once they deleted their account.",
    )
    name_tag = graphene.String(
        required=True,
        description="Their tag, as a ChatAuthor's `nameTag` (what tells two people of one name "
        "apart); empty once they deleted their account.",
    )
    avatar = graphene.Field(
        AvatarType,
        description="Their picture, as the chat shows it; null for none, and once they deleted "
        "their account.",
    )
    account_deleted = graphene.Boolean(
        required=True,
        description="They deleted their account since: the block stays, and what they wrote "
        "stays hidden, but it names them no more.",
    )
    blocked_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_id(block, info):
        return blocked_user_id(block)

    @staticmethod
    def resolve_display_name(block, info):
        return "" if block.of_deleted_account else author_name(block.blocked)

    @staticmethod
    def resolve_name_tag(block, info):
        return "" if block.of_deleted_account else tag_of(block.blocked_id)

    @staticmethod
    def resolve_avatar(block, info):
        return None if block.of_deleted_account else block.blocked.avatar

    @staticmethod
    def resolve_account_deleted(block, info):
        return block.of_deleted_account

    @staticmethod
    def resolve_blocked_at(block, info):
        return block.created_at


class BlockedUserConnection(CountableConnection):
    """Pages of the people the viewer blocks, the most recently blocked first."""

    class Meta:
        node = BlockedUser


class Viewer(graphene.ObjectType):
    """The signed-in user. Only ever the viewer's own record."""

    id = graphene.ID(required=True)
    email = graphene.String()
    display_name = graphene.String(
        required=True,
        description="The name others see in the chat; empty until chosen (`profileUpdate`) "
        "or taken from the Firebase profile at first sign-in.",
    )
    name_tag = graphene.String(
        required=True,
        description="The viewer's tag, shown after their name when someone else in view "
        'has the same one ("Dana #K7Q2"); it never changes.',
    )
    avatar = graphene.Field(
        AvatarType,
        description="The viewer's picture, as the chat shows it beside their name; null for "
        "none. `avatarUpload` sets it, `avatarRemove` removes it.",
    )
    language = graphene.String(required=True, description="en, ru, kk or ur.")
    time_zone = graphene.String(required=True)
    preferences = graphene.Field(Preferences, required=True)
    followed_cities = graphene.List(graphene.NonNull(CityType), required=True)
    followed_twinnings = graphene.List(graphene.NonNull(TwinningType), required=True)
    rsvps = graphene.List(graphene.NonNull(ViewerRsvp), required=True)
    memberships = graphene.List(
        graphene.NonNull(Membership), required=True, description="Offices and roles."
    )
    is_superuser = graphene.Boolean(required=True)
    devices = graphene.List(graphene.NonNull(DeviceType), required=True)
    calendar_url = graphene.String(
        required=True,
        description="A private iCalendar feed of the events RSVP'd to. Keep it secret; "
        "`calendarTokenRotate` replaces it.",
    )
    # Nullable: an export refused (RATE_LIMITED) nulls this field alone, not the whole `me`
    # beside it.
    export = graphene.JSONString(
        description="Everything held about the viewer, as JSON: `sections` (profile, "
        "preferences, sessions, devices, follows, RSVPs, chat messages, reactions, blocks, "
        "reports…), and in words what is `omitted` from each and what is `notExported`, and "
        "why. Secrets are never given. A few exports an hour per user: beyond them null, with "
        "an error RATE_LIMITED (retryAfter) at this field.",
    )
    blocked_users = graphene.Field(
        BlockedUserConnection,
        required=True,
        **connection_args(),
        description="The people the viewer blocks (`userBlock`), the most recently blocked first.",
    )

    @staticmethod
    def resolve_id(user, info):
        return graphene.Node.to_global_id("User", user.pk)

    @staticmethod
    def resolve_avatar(user, info):
        return user.avatar.variants if user.avatar_id is not None else None

    @staticmethod
    def resolve_name_tag(user, info):
        return tag_of(user.pk)

    @staticmethod
    def resolve_preferences(user, info):
        return user

    @staticmethod
    def resolve_followed_cities(user, info):
        return followed_cities(user, selected_paths(info))

    @staticmethod
    def resolve_followed_twinnings(user, info):
        return followed_twinnings(user, selected_paths(info))

    @staticmethod
    def resolve_rsvps(user, info):
        return rsvps(user, selected_paths(info))

    @staticmethod
    def resolve_memberships(user, info):
        return memberships(user)

    @staticmethod
    def resolve_devices(user, info):
        return user.devices.order_by("-updated_at", "pk")

    @staticmethod
    def resolve_export(user, info):
        return account_export(user)

    @staticmethod
    def resolve_calendar_url(user, info):
        path = reverse("user-calendar", kwargs={"token": user.calendar_token})
        return info.context.build_absolute_uri(path)

    @staticmethod
    def resolve_blocked_users(user, info, first=None, after=None):
        return paginate(blocked_users(user), BlockedUserConnection, first, after)


# What the response cache may keep of these types (graphql_server.cache_policy): nothing, as
# they are the viewer's own.
CACHE_POLICIES = tuple(
    cache_policy(type_, viewer=ALL_FIELDS)
    for type_ in (
        Viewer,
        Preferences,
        QuietHours,
        Membership,
        ViewerRsvp,
        DeviceType,
        BlockedUser,
        BlockedUserConnection,
        BlockedUserConnection.Edge,
    )
)
