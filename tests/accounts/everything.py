"""A person who has used everything the backend offers, made through the services as the app,
the admin and an office's team would, for the tests of deleting an account and exporting its
data: a former office editor (invited by e-mail, then removed from the team) who also uses the
app (signed in, two phones, follows, RSVPs, chat, reports, a mute, pushes received).

Everything that names the person is distinctive (``Everything.needles``), so that a scan of the
database for any of it finds nothing else.
"""

import datetime
import hashlib
import re
from dataclasses import dataclass, field

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import timezone
from graphql_relay import to_global_id

from accounts import services as account_services
from accounts import tokens
from accounts.models import User
from chat import services as chat_services
from chat.models import ChatMessage
from cities import services as city_services
from cities import team
from cities.models import City, CityOffice, OfficeMembership, Twinning
from events import services as event_services
from events.models import Event, Rsvp
from tests.factories import (
    CityFactory,
    CityOfficeFactory,
    EventFactory,
    MembershipFactory,
    TwinningFactory,
    UserFactory,
)

# An id no other row of a test reaches, so that finding it anywhere means the person.
PK = 987654321
EMAIL = "zebedee.quillfeather@example.org"
NAME = "Zebedee Quillfeather"
FIREBASE_UID = "firebase-uid-zebedee-quillfeather"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
PHONE = "fcm-phone-of-zebedee-0001"
TABLET = "fcm-tablet-of-zebedee-0002"
CLIENT_IDS = ("zebedee-phone-message-0001", "zebedee-phone-message-0002")
LINK = re.compile(r"/team/join/([A-Za-z0-9_-]+)/")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Everything:
    person: User
    other: User
    boss: User
    publisher: User
    moderator: User
    city: City
    pair: Twinning
    office: CityOffice
    concert: Event
    talk: Event
    live: Event
    draft: Event
    said: ChatMessage
    reply: ChatMessage
    other_said: ChatMessage
    refresh_tokens: list[str] = field(default_factory=list)
    password_hash: str = ""
    calendar_token: str = ""

    def needles(self) -> dict[str, str]:
        """What names the person, as it would be written in a table, by what it is."""
        found = {
            "e-mail": EMAIL,
            "name": NAME,
            "Firebase uid": FIREBASE_UID,
            "id": str(PK),
            "global id": to_global_id("User", PK),
            "phone's token": PHONE,
            "tablet's token": TABLET,
            "calendar token": self.calendar_token,
            "password hash": self.password_hash,
        }
        for number, client_id in enumerate(CLIENT_IDS):
            found[f"message key {number}"] = client_id
        for number, token in enumerate(self.refresh_tokens):
            found[f"refresh token {number}"] = token
            found[f"refresh token {number}'s hash"] = sha256(token)
        return found


def sessions_of(user_pk: int) -> list[str]:
    """The keys of the admin's sessions signed in as ``user_pk``."""
    return [
        session.session_key
        for session in Session.objects.all()
        if session.get_decoded().get("_auth_user_id") == str(user_pk)
    ]


def make_everything(client, committing) -> Everything:
    """The person and their world (see the module); ``client`` is Django's test client (the
    admin's session), ``committing`` runs a block as a committed request would."""
    city = CityFactory(name_en="Aktau", timezone="Asia/Aqtau")
    partner = CityFactory(name_en="Karachi", country="PK", timezone="Asia/Karachi")
    pair = TwinningFactory(city_a=city, city_b=partner)
    office = CityOfficeFactory(city=city)
    boss = MembershipFactory(office=office, role=OfficeMembership.Role.ADMIN).user
    publisher = MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user
    moderator = MembershipFactory(office=office, role=OfficeMembership.Role.MODERATOR).user
    other = UserFactory(display_name="Another person")
    now = timezone.now()
    concert = EventFactory(host_city=city, office=office, twinning=pair, capacity=50)
    talk = EventFactory(host_city=city, office=office)
    live = EventFactory(
        host_city=city,
        office=office,
        starts_at=now - datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(hours=2),
    )
    person = UserFactory(id=PK, email=EMAIL, display_name=NAME, firebase_uid=FIREBASE_UID)

    # Invited to the office's team by e-mail, an editor for a while: a draft of theirs.
    with committing():
        team.invite(
            office=office,
            email=EMAIL,
            role=OfficeMembership.Role.EDITOR,
            by=boss,
            base_url="https://twinning.example.org",
        )
    team.accept(LINK.search(mail.outbox[-1].body).group(1), user=person)
    draft = event_services.create_event(
        person,
        office,
        {
            "title_en": "Harbour lights",
            "category": Event.Category.CULTURAL,
            "starts_at": now + datetime.timedelta(days=20),
            "ends_at": now + datetime.timedelta(days=20, hours=2),
            "timezone": "Asia/Aqtau",
            "venue_name": "Old port",
        },
    )
    # In the admin: their own change, and the administrator's change of their account.
    LogEntry.objects.log_actions(
        user_id=PK, queryset=Event.objects.filter(pk=draft.pk), action_flag=CHANGE
    )
    LogEntry.objects.log_actions(
        user_id=boss.pk, queryset=User.objects.filter(pk=PK), action_flag=CHANGE
    )
    client.force_login(person)
    team.remove_member(person, office, by=boss)

    # Signed in with their password, and refreshed once.
    first = tokens.create_tokens(EMAIL, PASSWORD)
    second = tokens.refresh_tokens(first.refresh_token)

    # The app: preferences, phones, follows (their topics), RSVPs.
    account_services.update_preferences(
        person,
        language="kk",
        muted_categories=["SPORTS"],
        quiet_hours=(datetime.time(23), datetime.time(6)),
        listed_as_attendee=True,
    )
    with committing():
        account_services.register_device(person, PHONE, "ANDROID", "kk-KZ", "2.1.0")
        account_services.register_device(person, TABLET, "IOS", "", "2.1.0")
        city_services.follow_city(person, city)
        city_services.follow_twinning(person, pair)
    event_services.set_rsvp(person, concert, Rsvp.Status.GOING)
    event_services.set_rsvp(other, concert, Rsvp.Status.GOING)
    event_services.set_rsvp(person, talk, Rsvp.Status.INTERESTED)

    # The chat: messages, a reply, reactions both ways, reports both ways, a mute.
    with committing():
        said = chat_services.send_message(person, live, "See you at the quay", CLIENT_IDS[0])
        other_said = chat_services.send_message(other, live, "Welcome, all", "other-1")
        reply = chat_services.send_message(
            person, live, "Thanks!", CLIENT_IDS[1], reply_to=other_said
        )
        chat_services.toggle_reaction(person, other_said, "👍")
        chat_services.toggle_reaction(other, said, "🎉")
        chat_services.toggle_reaction(person, said, "🎉")
        chat_services.report_message(person, other_said, "Off topic")
        chat_services.report_message(other, said, "Spam")
        chat_services.mute_user(moderator, live, person, 10, "Cool down")

    # Blocks both ways: they block the moderator, and the other person blocks them.
    with committing():
        account_services.block_user(person, moderator)
        account_services.block_user(other, person)

    # A push of the followed city reaches their phones.
    upcoming = EventFactory(host_city=city, office=office, status=Event.Status.DRAFT)
    with committing():
        event_services.announce_event(publisher, upcoming)

    person.refresh_from_db()
    return Everything(
        person=person,
        other=other,
        boss=boss,
        publisher=publisher,
        moderator=moderator,
        city=city,
        pair=pair,
        office=office,
        concert=concert,
        talk=talk,
        live=live,
        draft=draft,
        said=said,
        reply=reply,
        other_said=other_said,
        refresh_tokens=[first.refresh_token, second.refresh_token],
        password_hash=person.password,
        calendar_token=person.calendar_token,
    )
