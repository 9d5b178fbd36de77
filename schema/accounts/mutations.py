"""Sign-in with the backend's own tokens, the viewer's profile and preferences, deleting their
account, and whom they block."""

import graphene
from django.contrib.auth import get_user_model

from accounts import deletion, services, tokens
from accounts.authentication import signed_in_at
from core.client_ip import client_ip

from ..core.mutations import BaseMutation, load
from ..core.uploads import Upload
from ..events.enums import EventCategory
from .enums import DevicePlatform
from .loaders import deleted_account_block
from .types import BlockedUser, DeviceType, Viewer


class TokenPayloadMixin:
    access_token = graphene.String(description="Send as 'Authorization: Bearer <token>'.")
    access_token_expires_at = graphene.DateTime()
    refresh_token = graphene.String(description="Good for one `tokenRefresh`; keep it secret.")
    viewer = graphene.Field(Viewer)

    @staticmethod
    def fields_of(pair) -> dict:
        return {
            "access_token": pair.access_token,
            "access_token_expires_at": pair.access_expires_at,
            "refresh_token": pair.refresh_token,
            "viewer": pair.user,
        }


class TokenCreate(TokenPayloadMixin, BaseMutation):
    """Sign in with e-mail and password (staff tools; apps use Firebase). Repeated failures
    for one e-mail or address make sign-in wait (RATE_LIMITED)."""

    class Arguments:
        email = graphene.String(required=True)
        password = graphene.String(required=True)

    class Meta:
        login_required = False

    @classmethod
    def perform(cls, info, viewer, email, password):
        pair = tokens.create_tokens(email.strip(), password, client_ip(info.context.META))
        return cls.fields_of(pair)


class TokenRefresh(TokenPayloadMixin, BaseMutation):
    """A new token pair for a refresh token, which is used up. A reused refresh token signs
    out every session of its sign-in (TOKEN_REUSED)."""

    class Arguments:
        refresh_token = graphene.String(required=True)

    class Meta:
        login_required = False

    @classmethod
    def perform(cls, info, viewer, refresh_token):
        return cls.fields_of(tokens.refresh_tokens(refresh_token))


class TokenRevoke(BaseMutation):
    """Sign out the session a refresh token belongs to. Safe to repeat."""

    class Arguments:
        refresh_token = graphene.String(required=True)

    class Meta:
        login_required = False

    @classmethod
    def perform(cls, info, viewer, refresh_token):
        tokens.revoke_tokens(refresh_token)
        return {}


class ProfileUpdate(BaseMutation):
    """Change what others see of the viewer: their display name, shown in the chat. Only the
    arguments given change. A name is 1 to 50 characters that show, on one line, without "#"
    (the chat puts it before the tag) and without words that pass its holder off as the
    service or its staff: REQUIRED, TOO_LONG, DISPLAY_NAME_INVALID, DISPLAY_NAME_RESERVED."""

    viewer = graphene.Field(Viewer)

    class Arguments:
        display_name = graphene.String(
            description="Trimmed; unique it need not be (the tag tells people apart)."
        )

    @classmethod
    def perform(cls, info, viewer, **changes):
        return {"viewer": services.update_profile(viewer, **changes)}


class QuietHoursInput(graphene.InputObjectType):
    start = graphene.Time(required=True, description="In the viewer's time zone, e.g. 22:00.")
    end = graphene.Time(required=True, description="May be earlier than start (overnight).")


class PreferencesUpdate(BaseMutation):
    """Change the viewer's language, time zone, muted categories, quiet hours or whether they
    are listed as an attendee; only the arguments given change, and `quietHours: null` clears
    them."""

    viewer = graphene.Field(Viewer)

    class Arguments:
        language = graphene.String(description="en, ru, kk or ur.")
        time_zone = graphene.String(description="IANA zone, e.g. Asia/Karachi.")
        muted_categories = graphene.List(graphene.NonNull(EventCategory))
        quiet_hours = QuietHoursInput()
        listed_as_attendee = graphene.Boolean(
            description="Let the offices of the events you answer see your name among who "
            "is coming (true), or only count you (false)."
        )

    @classmethod
    def perform(cls, info, viewer, **changes):
        if "muted_categories" in changes:
            changes["muted_categories"] = [
                category.value for category in changes["muted_categories"] or []
            ]
        if "quiet_hours" in changes and changes["quiet_hours"] is not None:
            changes["quiet_hours"] = (changes["quiet_hours"].start, changes["quiet_hours"].end)
        return {"viewer": services.update_preferences(viewer, **changes)}


class CalendarTokenRotate(BaseMutation):
    """A new private calendar URL; the old one stops working."""

    viewer = graphene.Field(Viewer)

    @classmethod
    def perform(cls, info, viewer):
        return {"viewer": services.rotate_calendar_token(viewer)}


class DeviceRegister(BaseMutation):
    """Register this phone's FCM token for the viewer's pushes. Call it at every app start and
    when FCM rotates the token; a token registered by another account moves to this one."""

    device = graphene.Field(DeviceType)
    field_aliases = {"app_version": "appVersion"}

    class Arguments:
        token = graphene.String(required=True)
        platform = DevicePlatform(required=True)
        locale = graphene.String(description="The device's BCP 47 locale, e.g. kk-KZ.")
        app_version = graphene.String()

    @classmethod
    def perform(cls, info, viewer, token, platform, locale="", app_version=""):
        device = services.register_device(
            viewer, token, platform.value, locale or "", app_version or ""
        )
        return {"device": device}


class DeviceUnregister(BaseMutation):
    """Stop pushes to a token of the viewer's (signing out on that phone). Safe to repeat."""

    class Arguments:
        token = graphene.String(required=True)

    @classmethod
    def perform(cls, info, viewer, token):
        services.unregister_device(viewer, token)
        return {}


class AvatarUpload(BaseMutation):
    """Make a picture the viewer's avatar, shown beside their name in the chat: JPEG, PNG,
    WebP or GIF (its first frame), judged by its content; cut square from the middle and
    resized; whatever the camera wrote into it (place, time) is dropped. Replaces the avatar
    the viewer had. Sent as a multipart request (the GraphQL multipart request spec)."""

    viewer = graphene.Field(Viewer)

    class Arguments:
        file = Upload(
            required=True,
            description="The picture: at most 10 MB unless the server says otherwise.",
        )

    @classmethod
    def perform(cls, info, viewer, file):
        return {"viewer": services.set_avatar(viewer, file)}


class AvatarRemove(BaseMutation):
    """Show the viewer without an avatar. Safe to repeat."""

    viewer = graphene.Field(Viewer)

    @classmethod
    def perform(cls, info, viewer):
        return {"viewer": services.remove_avatar(viewer)}


class AccountDelete(BaseMutation):
    """Delete the viewer's account and what is held about them: profile, preferences,
    sessions (every socket closes), devices (unsubscribed from their push topics), follows,
    RSVPs (withdrawn: the counts follow), reactions, mutes and calendar feed. Chat messages and
    reports stay, shown as a deleted account's; what was done in an office's name stays without
    the name. It cannot be undone.

    The viewer must have signed in within the last few minutes
    (`ACCOUNT_DELETION_SIGN_IN_SECONDS`, a token's sign-in time, which refreshing keeps):
    otherwise REAUTHENTICATION_REQUIRED, and the app signs in again, then asks again. Refused
    while the account holds a role in a city office (OFFICE_ROLE_HELD: its administrators take
    it away first) or is a superuser's (SUPERUSER_ACCOUNT)."""

    @classmethod
    def perform(cls, info, viewer):
        deletion.delete_account(viewer, signed_in_at=signed_in_at(viewer))
        return {}


def load_person(global_id: str):
    """The user a User ID names (a ChatAuthor's `id`), or NOT_FOUND on ``user``."""
    return load(get_user_model()._default_manager.all(), global_id, "User", "user")


class UserBlock(BaseMutation):
    """Hide someone's chat messages from the viewer, in history and live (their quotes too).
    Nothing changes for them, and they are not told. Blocking oneself is CANNOT_BLOCK_SELF,
    someone blocked already ALREADY_BLOCKED, more than 1,000 people TOO_MANY_BLOCKS."""

    user = graphene.Field(BlockedUser, description="Whom the viewer now blocks.")

    class Arguments:
        user = graphene.ID(required=True, description="A User ID, e.g. a ChatAuthor's `id`.")

    @classmethod
    def perform(cls, info, viewer, user):
        return {"user": services.block_user(viewer, load_person(user))}


class UserUnblock(BaseMutation):
    """Show someone's chat messages to the viewer again (those of an account deleted since, as
    a deleted account's). Someone not blocked is NOT_BLOCKED."""

    user = graphene.Field(BlockedUser, description="Whom the viewer blocked until now.")

    class Arguments:
        user = graphene.ID(
            required=True,
            description="A User ID, e.g. a ChatAuthor's `id`, or a `blockedUsers` entry's `id` "
            "(that of an account deleted since is no User ID).",
        )

    @classmethod
    def perform(cls, info, viewer, user):
        block = deleted_account_block(user)
        if block is not None:
            return {"user": services.unblock_deleted_account(viewer, block)}
        return {"user": services.unblock_user(viewer, load_person(user))}


class AccountMutations(graphene.ObjectType):
    account_delete = AccountDelete.Field()
    device_register = DeviceRegister.Field()
    device_unregister = DeviceUnregister.Field()
    token_create = TokenCreate.Field()
    token_refresh = TokenRefresh.Field()
    token_revoke = TokenRevoke.Field()
    profile_update = ProfileUpdate.Field()
    preferences_update = PreferencesUpdate.Field()
    calendar_token_rotate = CalendarTokenRotate.Field()
    avatar_upload = AvatarUpload.Field()
    avatar_remove = AvatarRemove.Field()
    user_block = UserBlock.Field()
    user_unblock = UserUnblock.Field()


# Signing in counts on a rate limit of its own too, right or wrong
# (graphql_server.mutation_limits).
SIGN_IN_MUTATIONS = ("tokenCreate",)
# Taking a file, they count on the uploads' own rate limit too (graphql_server.mutation_limits).
UPLOAD_MUTATIONS = ("avatarUpload",)
