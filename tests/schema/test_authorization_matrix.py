"""Who may call which mutation: every role × every mutation, on city X's objects and on city
Y's. Each cell asserts the outcome, and that a refused call changed nothing at all."""

import datetime
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from graphql_relay import to_global_id

from accounts.models import Device, User, UserBlock
from chat.models import ChatMessage, ChatMute, ChatReaction, ChatReport, ChatRoom
from cities.models import CityFollow, OfficeMembership, Twinning, TwinningFollow
from events.models import (
    Announcement,
    Event,
    EventCohost,
    Rsvp,
    RsvpChange,
    StateChange,
    Tag,
)
from images.models import Image
from notifications.models import Notification
from reports.models import Report
from tests.conftest import bearer_for
from tests.factories import (
    AnnouncementFactory,
    ChatMessageFactory,
    CityFactory,
    CityOfficeFactory,
    EventFactory,
    MembershipFactory,
    TwinningFactory,
    UserFactory,
)
from tests.images import pictures

Role = OfficeMembership.Role
ROLES = [
    "anonymous",
    "app_user",
    "editor",
    "publisher",
    "moderator",
    "staff_y",
    "cohost",
    "superuser",
]
ALLOWED, DENIED, UNAUTHENTICATED = "allowed", "PERMISSION_DENIED", "UNAUTHENTICATED"


def refused(code: str) -> str:
    """Allowed to ask, but refused for what the account is: the payload's error ``code``."""
    return f"refused: {code}"


class World:
    """City X (with its office) and city Y (with two offices, one co-hosting X's events),
    twinned; drafts, announced events, announcements and pending invitations on both sides."""

    def __init__(self):
        self.city_x = CityFactory(name_en="Aktau", timezone="Asia/Aqtau")
        self.city_y = CityFactory(name_en="Karachi", country="PK", timezone="Asia/Karachi")
        self.city_z = CityFactory(name_en="Elista", country="RU", timezone="Europe/Moscow")
        self.pair = TwinningFactory(city_a=self.city_x, city_b=self.city_y)
        self.pair_y = TwinningFactory(city_a=self.city_y, city_b=self.city_z)
        self.office_x = CityOfficeFactory(city=self.city_x)
        self.office_y = CityOfficeFactory(city=self.city_y)
        self.cohost_office = CityOfficeFactory(city=self.city_y, name_en="Karachi port office")

        def event(office, status, **extra):
            return EventFactory(
                host_city=office.city, office=office, twinning=self.pair, status=status, **extra
            )

        self.draft_x = event(self.office_x, Event.Status.DRAFT)
        self.live_x = event(self.office_x, Event.Status.ANNOUNCED, capacity=10)
        self.draft_y = event(self.office_y, Event.Status.DRAFT)
        self.live_y = event(self.office_y, Event.Status.ANNOUNCED)
        # Events on now: their chat rooms are open.
        now = timezone.now()
        on_now = {"starts_at": now - datetime.timedelta(minutes=30)}
        on_now["ends_at"] = on_now["starts_at"] + datetime.timedelta(hours=3)
        self.chat_x = event(self.office_x, Event.Status.ANNOUNCED, **on_now)
        self.chat_y = event(self.office_y, Event.Status.ANNOUNCED, **on_now)
        for accepted in (self.draft_x, self.live_x, self.chat_x):
            EventCohost.objects.create(
                event=accepted, office=self.cohost_office, status=EventCohost.Status.ACCEPTED
            )
        # Pending invitations: Y's event inviting X's office, and X's event inviting Y's.
        self.invite_to_x = event(self.office_y, Event.Status.ANNOUNCED)
        EventCohost.objects.create(event=self.invite_to_x, office=self.office_x)
        self.invite_to_y = event(self.office_x, Event.Status.ANNOUNCED)
        EventCohost.objects.create(event=self.invite_to_y, office=self.office_y)
        self.announcement_x = AnnouncementFactory(office=self.office_x)
        self.announcement_y = AnnouncementFactory(office=self.office_y)
        Tag.objects.create(slug="music", name_en="Music")

        self.users = {
            "anonymous": None,
            "app_user": UserFactory(),
            "editor": MembershipFactory(office=self.office_x, role=Role.EDITOR).user,
            "publisher": MembershipFactory(office=self.office_x, role=Role.PUBLISHER).user,
            "moderator": MembershipFactory(office=self.office_x, role=Role.MODERATOR).user,
            "staff_y": MembershipFactory(office=self.office_y, role=Role.PUBLISHER).user,
            "cohost": MembershipFactory(office=self.cohost_office, role=Role.PUBLISHER).user,
            "superuser": get_user_model().objects.create_superuser(
                "root@example.org", "correct horse battery staple"
            ),
        }
        # What an app user said in each chat.
        self.said_x = ChatMessageFactory(event=self.chat_x, author=self.users["app_user"])
        self.said_y = ChatMessageFactory(event=self.chat_y, author=self.users["app_user"])
        reporter = UserFactory()
        self.report_x = ChatReport.objects.create(
            event=self.chat_x, message=self.said_x, reporter=reporter, reason="Spam"
        )
        self.report_y = ChatReport.objects.create(
            event=self.chat_y, message=self.said_y, reporter=reporter, reason="Spam"
        )
        # Someone every signed-in user blocks already, and on each side someone nobody blocks.
        self.pest = UserFactory(display_name="Pest")
        for user in self.users.values():
            if user is not None:
                UserBlock.objects.create(blocker=user, blocked=self.pest)
        self.stranger_x = UserFactory(display_name="Stranger X")
        self.stranger_y = UserFactory(display_name="Stranger Y")

    def side(self, side):
        """The objects a call on city ``side`` ("X" or "Y") acts on."""
        if side == "X":
            return {
                "office": self.office_x,
                "draft": self.draft_x,
                "live": self.live_x,
                "invite_target": (self.live_x, self.office_y),
                "invitation": self.invite_to_x,
                "announcement": self.announcement_x,
                "city": self.city_x,
                "twinning": self.pair,
                "chat": self.chat_x,
                "said": self.said_x,
                "report": self.report_x,
                "app_user": self.users["app_user"],
                "stranger": self.stranger_x,
                "pest": self.pest,
            }
        return {
            "office": self.office_y,
            "draft": self.draft_y,
            "live": self.live_y,
            "invite_target": (self.draft_y, self.office_x),
            "invitation": self.invite_to_y,
            "announcement": self.announcement_y,
            "city": self.city_y,
            "twinning": self.pair_y,
            "chat": self.chat_y,
            "said": self.said_y,
            "report": self.report_y,
            "app_user": self.users["app_user"],
            "stranger": self.stranger_y,
            "pest": self.pest,
        }


def gid(obj):
    return to_global_id(type(obj).__name__ if not isinstance(obj, User) else "User", obj.pk)


def office_id(office):
    return to_global_id("CityOffice", office.pk)


SOON = timezone.now() + datetime.timedelta(days=30)


def event_input(office):
    return {
        "office": office_id(office),
        "title": {"en": "Caspian jazz night", "ru": "Каспийский джаз"},
        "category": "CULTURAL",
        "startsAt": SOON.isoformat(),
        "endsAt": (SOON + datetime.timedelta(hours=3)).isoformat(),
        "timeZone": office.city.timezone,
        "venueName": "Seaside stage",
    }


# Each mutation: its document, and how to build its variables from one side's objects.
MUTATIONS = {
    "eventCreate": (
        "mutation($input: EventCreateInput!) { eventCreate(input: $input) "
        "{ event { id } errors { field code message } } }",
        lambda t: {"input": event_input(t["office"])},
    ),
    "eventUpdate": (
        "mutation($id: ID!, $input: EventUpdateInput!) { eventUpdate(id: $id, input: $input) "
        "{ event { id } errors { field code message } } }",
        lambda t: {"id": gid(t["draft"]), "input": {"venueName": "Old port hall"}},
    ),
    # The event's details: its link, price, notes and tags, as any other field of a draft.
    "eventUpdate#details": (
        "mutation($id: ID!, $input: EventUpdateInput!) { eventUpdate(id: $id, input: $input) "
        "{ event { id } errors { field code message } } }",
        lambda t: {
            "id": gid(t["draft"]),
            "input": {
                "registrationUrl": "https://tickets.example.org/",
                "price": {"amount": "2500", "currency": "KZT"},
                "accessibility": {"en": "Step-free entrance."},
                "tags": ["music"],
            },
        },
    ),
    "eventDelete": (
        "mutation($id: ID!) { eventDelete(id: $id) { deletedId errors { field code message } } }",
        lambda t: {"id": gid(t["draft"])},
    ),
    "eventAnnounce": (
        "mutation($id: ID!) { eventAnnounce(id: $id) { event { status } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["draft"])},
    ),
    "eventUnschedule": (
        "mutation($id: ID!) { eventUnschedule(id: $id) { event { status } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["draft"])},
    ),
    "eventPostpone": (
        "mutation($id: ID!, $s: DateTime!, $e: DateTime!) { eventPostpone(id: $id, "
        "newStartsAt: $s, newEndsAt: $e) { event { status } errors { field code message } } }",
        lambda t: {
            "id": gid(t["live"]),
            "s": (SOON + datetime.timedelta(days=7)).isoformat(),
            "e": (SOON + datetime.timedelta(days=7, hours=2)).isoformat(),
        },
    ),
    "eventCancel": (
        'mutation($id: ID!) { eventCancel(id: $id, reason: "Storm warning") '
        "{ event { status } errors { field code message } } }",
        lambda t: {"id": gid(t["live"])},
    ),
    "eventCohostInvite": (
        "mutation($id: ID!, $office: ID!) { eventCohostInvite(id: $id, office: $office) "
        "{ cohost { status } errors { field code message } } }",
        lambda t: {"id": gid(t["invite_target"][0]), "office": office_id(t["invite_target"][1])},
    ),
    "eventCohostAccept": (
        "mutation($id: ID!) { eventCohostAccept(id: $id) { cohost { status } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["invitation"])},
    ),
    "announcementCreate": (
        "mutation($input: AnnouncementCreateInput!) { announcementCreate(input: $input) "
        "{ announcement { id } errors { field code message } } }",
        lambda t: {
            "input": {
                "office": office_id(t["office"]),
                "title": {"en": "Ferry timetable"},
                "body": {"en": "New crossings every Friday."},
            }
        },
    ),
    "announcementUpdate": (
        'mutation($id: ID!) { announcementUpdate(id: $id, input: {title: {en: "Updated"}}) '
        "{ announcement { id } errors { field code message } } }",
        lambda t: {"id": gid(t["announcement"])},
    ),
    "announcementDelete": (
        "mutation($id: ID!) { announcementDelete(id: $id) { deletedId "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["announcement"])},
    ),
    "cityFollow": (
        "mutation($id: ID!) { cityFollow(city: $id) { city { id } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["city"])},
    ),
    "cityUnfollow": (
        "mutation($id: ID!) { cityUnfollow(city: $id) { city { id } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["city"])},
    ),
    "twinningFollow": (
        "mutation($id: ID!) { twinningFollow(twinning: $id) { twinning { id } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["twinning"])},
    ),
    "twinningUnfollow": (
        "mutation($id: ID!) { twinningUnfollow(twinning: $id) { twinning { id } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["twinning"])},
    ),
    "rsvpSet": (
        "mutation($id: ID!) { rsvpSet(event: $id, status: GOING) { event { attendeeCount } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["live"])},
    ),
    # Waiting for a place (the event has places left: the answer is a place).
    "rsvpSet#waitlist": (
        "mutation($id: ID!) { rsvpSet(event: $id, status: WAITLISTED) { event { waitlistCount } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["live"])},
    ),
    "deviceRegister": (
        'mutation { deviceRegister(token: "fcm-token-1", platform: ANDROID, locale: "ru-KZ") '
        "{ device { active } errors { field code message } } }",
        lambda t: {},
    ),
    "deviceUnregister": (
        'mutation { deviceUnregister(token: "fcm-token-1") { errors { field code message } } }',
        lambda t: {},
    ),
    "accountDelete": ("mutation { accountDelete { errors { field code message } } }", lambda t: {}),
    "preferencesUpdate": (
        'mutation { preferencesUpdate(language: "kk", timeZone: "Asia/Almaty", '
        "listedAsAttendee: true) "
        "{ viewer { language } errors { field code message } } }",
        lambda t: {},
    ),
    "profileUpdate": (
        'mutation { profileUpdate(displayName: "Dana") '
        "{ viewer { displayName nameTag } errors { field code message } } }",
        lambda t: {},
    ),
    "chatMessageSend": (
        'mutation($id: ID!) { chatMessageSend(event: $id, body: "Hello", clientId: "c-1") '
        "{ message { seq } errors { field code message } } }",
        lambda t: {"id": gid(t["chat"])},
    ),
    "chatMessageEdit": (
        'mutation($id: ID!) { chatMessageEdit(message: $id, body: "Hello again") '
        "{ message { body } errors { field code message } } }",
        lambda t: {"id": gid(t["said"])},
    ),
    "chatMessageDelete": (
        "mutation($id: ID!) { chatMessageDelete(message: $id) "
        "{ message { isDeleted } errors { field code message } } }",
        lambda t: {"id": gid(t["said"])},
    ),
    "chatReactionToggle": (
        'mutation($id: ID!) { chatReactionToggle(message: $id, emoji: "🎉") '
        "{ message { reactions { count } } errors { field code message } } }",
        lambda t: {"id": gid(t["said"])},
    ),
    "chatUserMute": (
        "mutation($id: ID!, $user: ID!) { chatUserMute(event: $id, user: $user, minutes: 10) "
        "{ mute { until } errors { field code message } } }",
        lambda t: {"id": gid(t["chat"]), "user": gid(t["app_user"])},
    ),
    "chatUserUnmute": (
        "mutation($id: ID!, $user: ID!) { chatUserUnmute(event: $id, user: $user) "
        "{ user { id } errors { field code message } } }",
        lambda t: {"id": gid(t["chat"]), "user": gid(t["app_user"])},
    ),
    "chatMessageReport": (
        'mutation($id: ID!) { chatMessageReport(message: $id, reason: "Spam") '
        "{ report { status } errors { field code message } } }",
        lambda t: {"id": gid(t["said"])},
    ),
    "chatReportResolve": (
        "mutation($id: ID!) { chatReportResolve(report: $id, action: DISMISS) "
        "{ report { status } errors { field code message } } }",
        lambda t: {"id": gid(t["report"])},
    ),
    # Sent as a multipart request (the GraphQL multipart request spec), $file as its file.
    "avatarUpload": (
        "mutation($file: Upload!) { avatarUpload(file: $file) "
        "{ viewer { avatar { thumbnail { url } } } errors { field code message } } }",
        lambda t: {"file": None},
    ),
    "avatarRemove": (
        "mutation { avatarRemove { viewer { avatar { full { url } } } "
        "errors { field code message } } }",
        lambda t: {},
    ),
    "userBlock": (
        "mutation($id: ID!) { userBlock(user: $id) { user { id } errors { field code message } } }",
        lambda t: {"id": gid(t["stranger"])},
    ),
    "userUnblock": (
        "mutation($id: ID!) { userUnblock(user: $id) { user { id } "
        "errors { field code message } } }",
        lambda t: {"id": gid(t["pest"])},
    ),
    "eventReport": (
        'mutation($id: ID!) { eventReport(event: $id, reason: SPAM, details: "Adverts") '
        "{ report { status } errors { field code message } } }",
        lambda t: {"id": gid(t["live"])},
    ),
    "announcementReport": (
        "mutation($id: ID!) { announcementReport(announcement: $id, reason: MISLEADING) "
        "{ report { status } errors { field code message } } }",
        lambda t: {"id": gid(t["announcement"])},
    ),
}
# The mutations that take a file, sent as multipart requests.
UPLOADS = {"avatarUpload"}

EVERYONE_SIGNED_IN = {role: (ALLOWED, ALLOWED) for role in ROLES if role != "anonymous"}


def allowed_for(x_roles, y_roles):
    """Outcomes by role: allowed on X for ``x_roles``, on Y for ``y_roles``, else denied."""
    return {
        role: (
            ALLOWED if role in x_roles else DENIED,
            ALLOWED if role in y_roles else DENIED,
        )
        for role in ROLES
        if role != "anonymous"
    }


EDITORS = allowed_for({"editor", "publisher", "cohost", "superuser"}, {"staff_y", "superuser"})
PUBLISHERS = allowed_for({"publisher", "cohost", "superuser"}, {"staff_y", "superuser"})
ORGANISER_PUBLISHERS = allowed_for({"publisher", "superuser"}, {"staff_y", "superuser"})
# Moderators and publishers of the offices acting for the event (organiser, accepted co-host).
CHAT_MODERATORS = allowed_for(
    {"moderator", "publisher", "cohost", "superuser"}, {"staff_y", "superuser"}
)
# The messages are the app user's: they edit and delete them; moderators delete them too.
CHAT_AUTHOR = allowed_for({"app_user"}, {"app_user"})
CHAT_AUTHOR_OR_MODERATORS = allowed_for(
    {"app_user", "moderator", "publisher", "cohost", "superuser"},
    {"app_user", "staff_y", "superuser"},
)

EXPECTED = {
    "eventCreate": allowed_for({"editor", "publisher", "superuser"}, {"staff_y", "superuser"}),
    "eventUpdate": EDITORS,
    "eventUpdate#details": EDITORS,
    "eventDelete": EDITORS,
    "eventAnnounce": PUBLISHERS,
    "eventUnschedule": PUBLISHERS,
    "eventPostpone": PUBLISHERS,
    "eventCancel": PUBLISHERS,
    # Only the organising office invites; only the invited office accepts.
    "eventCohostInvite": ORGANISER_PUBLISHERS,
    "eventCohostAccept": ORGANISER_PUBLISHERS,
    "announcementCreate": ORGANISER_PUBLISHERS,
    "announcementUpdate": ORGANISER_PUBLISHERS,
    "announcementDelete": ORGANISER_PUBLISHERS,
    "cityFollow": EVERYONE_SIGNED_IN,
    "cityUnfollow": EVERYONE_SIGNED_IN,
    "twinningFollow": EVERYONE_SIGNED_IN,
    "twinningUnfollow": EVERYONE_SIGNED_IN,
    "rsvpSet": EVERYONE_SIGNED_IN,
    "rsvpSet#waitlist": EVERYONE_SIGNED_IN,
    "preferencesUpdate": EVERYONE_SIGNED_IN,
    # Only one's own account; office staff and superusers are refused with a code of their own
    # (the office's team, or another superuser, takes the role or status away first).
    "accountDelete": {
        **{
            role: (refused("OFFICE_ROLE_HELD"),) * 2
            for role in ("editor", "publisher", "moderator", "staff_y", "cohost")
        },
        "app_user": (ALLOWED, ALLOWED),
        "superuser": (refused("SUPERUSER_ACCOUNT"),) * 2,
    },
    "profileUpdate": EVERYONE_SIGNED_IN,
    "deviceRegister": EVERYONE_SIGNED_IN,
    "deviceUnregister": EVERYONE_SIGNED_IN,
    "chatMessageSend": EVERYONE_SIGNED_IN,
    "chatMessageEdit": CHAT_AUTHOR,
    "chatMessageDelete": CHAT_AUTHOR_OR_MODERATORS,
    "chatReactionToggle": EVERYONE_SIGNED_IN,
    "chatUserMute": CHAT_MODERATORS,
    "chatUserUnmute": CHAT_MODERATORS,
    "chatMessageReport": EVERYONE_SIGNED_IN,
    "chatReportResolve": CHAT_MODERATORS,
    # The viewer's own avatar: anyone signed in.
    "avatarUpload": EVERYONE_SIGNED_IN,
    "avatarRemove": EVERYONE_SIGNED_IN,
    # Blocking is one's own affair, reporting anyone's right; settling a report is done in
    # the admin (tests/reports/test_admin.py).
    "userBlock": EVERYONE_SIGNED_IN,
    "userUnblock": EVERYONE_SIGNED_IN,
    "eventReport": EVERYONE_SIGNED_IN,
    "announcementReport": EVERYONE_SIGNED_IN,
}
for outcomes in EXPECTED.values():
    outcomes["anonymous"] = (UNAUTHENTICATED, UNAUTHENTICATED)


def snapshot():
    """Everything a mutation could write."""
    models = [
        Device,
        Event,
        Announcement,
        EventCohost,
        Rsvp,
        RsvpChange,
        StateChange,
        Tag,
        Event.tags.through,
        Notification,
        CityFollow,
        TwinningFollow,
        Twinning,
        OfficeMembership,
        ChatRoom,
        ChatMessage,
        ChatReaction,
        ChatMute,
        ChatReport,
        Image,
        UserBlock,
        Report,
    ]
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
    state["User"] = list(
        get_user_model()
        .objects.order_by("pk")
        .values("pk", "language", "time_zone", "listed_as_attendee", "display_name", "avatar")
    )
    return state


CELLS = [
    pytest.param(mutation, role, side, id=f"{mutation}-{role}-{side}")
    for mutation in MUTATIONS
    for role in ROLES
    for side in ("X", "Y")
]


def test_the_matrix_covers_every_mutation_of_the_schema():
    from schema.schema import schema

    mutation_fields = set(schema.graphql_schema.mutation_type.fields)
    sign_in = {"tokenCreate", "tokenRefresh", "tokenRevoke", "calendarTokenRotate"}
    # A row "name#variant" calls the mutation with other input.
    assert mutation_fields - sign_in == {row.partition("#")[0] for row in MUTATIONS}


def upload(client, document, user):
    """``document`` sent as Apollo's upload clients send it, with a photo as ``$file``."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer_for(user)}"} if user else {}
    response = client.post(
        "/graphql/",
        {
            "operations": json.dumps({"query": document, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile("me.jpg", pictures.photo(300, 300), "image/jpeg"),
        },
        **headers,
    )
    assert response.status_code in (200, 401), response.content
    return response.json()


@pytest.mark.parametrize(("mutation", "role", "side"), CELLS)
def test_authorization(db, gql, client, settings, media_root, mutation, role, side):
    # Chat messages are rate-limited per user and room, in a cache the cells share.
    settings.CHAT_RATE = "0/s"
    world = World()
    document, variables = MUTATIONS[mutation]
    expected = EXPECTED[mutation][role][0 if side == "X" else 1]
    before = snapshot()

    if mutation in UPLOADS:
        result = upload(client, document, world.users[role])
    else:
        result = gql(document, variables(world.side(side)), user=world.users[role])

    name = mutation.partition("#")[0]
    if mutation in UPLOADS and role == "anonymous":
        # Refused by the transport before any operation runs: no data at all.
        assert "data" not in result
        assert result["errors"][0]["extensions"]["code"] == expected
        assert snapshot() == before
        assert not [path for path in media_root.rglob("*") if path.is_file()]
    elif expected == ALLOWED:
        assert "errors" not in result, result
        assert result["data"][name]["errors"] == []
    elif expected.startswith("refused: "):
        assert "errors" not in result, result
        codes = [error["code"] for error in result["data"][name]["errors"]]
        assert codes == [expected.removeprefix("refused: ")]
        assert snapshot() == before
    else:
        assert result["data"] == {name: None}
        assert result["errors"][0]["extensions"]["code"] == expected
        assert snapshot() == before


# --- Reads: an event's share link -------------------------------------------------------------
# Fields that anyone reading an event may read have no rows above; the share link is one, and
# its page is read without signing in at all: every role, on each side's draft and public
# event, through the API and by following the link.
SHARE_URL = "query($id: ID!) { event(id: $id) { shareUrl } }"
# Who reads each side's draft: its office's staff, the offices co-hosting it, superusers.
READS_DRAFT = {
    "X": {"editor", "publisher", "moderator", "cohost", "superuser"},
    "Y": {"staff_y", "superuser"},
}
SHARE_CELLS = [
    pytest.param(role, side, kind, id=f"shareUrl-{role}-{side}-{kind}")
    for role in ROLES
    for side in ("X", "Y")
    for kind in ("draft", "live")
]


@pytest.mark.parametrize(("role", "side", "kind"), SHARE_CELLS)
def test_share_link_authorization(db, gql, client, role, side, kind):
    world = World()
    event = world.side(side)[kind]
    user = world.users[role]
    link = f"http://testserver/e/{event.pk}"

    result = gql(SHARE_URL, {"id": gid(event)}, user=user)
    # The page, followed with the role's admin session too: it shows public events only
    if user is not None:
        client.force_login(user)
    page = client.get(f"/e/{event.pk}")

    if kind == "live" or role in READS_DRAFT[side]:
        assert result == {"data": {"event": {"shareUrl": link}}}
    else:
        assert result == {"data": {"event": None}}
    assert page.status_code == (200 if kind == "live" else 404)
