"""The data the fuzzed server starts with: the demo data, and what it lacks for the fuzz to
reach every service: accounts, an event whose chat is open now with messages, reactions,
reports and a mute, a co-host invitation, devices, follows and an RSVP, a block and a report
of an event.

``seed`` runs where the server's database is: in a process of its own with production
settings for the SQLite file of the embedded default, in the test process for PostgreSQL. It
uses the models and factories only (no request), and hashes passwords as production does
(the tests' fast hasher is unknown to the server).
"""

import datetime

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command
from django.utils import timezone

EMAIL = "fuzz@example.org"
VICTIM_EMAIL = "victim@example.org"
# The victim's password is one of the passwords the fuzz tries (domains.STRING_DOMAINS).
VICTIM_PASSWORD = "correct horse battery staple"
MUTED_EMAIL = "muted@example.org"
LIVE_EVENT_TITLE = "Fuzz live chat"
MESSAGES = 12
DEVICE_TOKENS = ("fuzz-device-own-1", "fuzz-device-victim-1", "fuzz-device-victim-2")


def _user(email: str, password: str | None, **fields):
    from accounts.models import User

    if fields.pop("superuser", False):
        user = User.objects.create_superuser(email=email, password=None, **fields)
    else:
        user = User.objects.create_user(email=email, password=None, **fields)
    if password is not None:
        hasher = PBKDF2PasswordHasher()
        user.password = hasher.encode(password, hasher.salt())
        user.save(update_fields=["password"])
    return user


def seed(password: str, stdout=None) -> None:
    """Write the demo data and the fuzz's own rows; ``password`` is the superuser's."""
    from accounts.models import Device, UserBlock
    from chat.models import ChatMute, ChatReaction, ChatReport
    from cities.models import CityFollow, CityOffice, OfficeMembership
    from events.models import Event, EventCohost, Rsvp
    from reports.models import Report
    from tests.factories import ChatMessageFactory, EventFactory

    call_command("seed_demo", stdout=stdout)
    me = _user(EMAIL, password, superuser=True, display_name="Fuzz")
    victim = _user(VICTIM_EMAIL, VICTIM_PASSWORD, display_name="Victim")
    muted = _user(MUTED_EMAIL, None, display_name="Muted")

    # A twinning's event of one office whose partner city has an office too.
    event = next(
        event
        for event in Event.objects.filter(twinning__isnull=False, status=Event.Status.ANNOUNCED)
        .select_related("twinning", "office")
        .order_by("pk")
        if CityOffice.objects.filter(city__in=[event.twinning.city_a_id, event.twinning.city_b_id])
        .exclude(pk=event.office_id)
        .exists()
    )
    partner_office = (
        CityOffice.objects.filter(city__in=[event.twinning.city_a_id, event.twinning.city_b_id])
        .exclude(pk=event.office_id)
        .first()
    )
    EventCohost.objects.create(event=event, office=partner_office, invited_by=me)

    now = timezone.now()
    live = EventFactory(
        title_en=LIVE_EVENT_TITLE,
        host_city=event.host_city,
        office=event.office,
        twinning=event.twinning,
        starts_at=now - datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(hours=3),
        timezone=event.timezone,
    )
    first = ChatMessageFactory(event=live, author=victim, body="Hello from the victim")
    mine = ChatMessageFactory(event=live, author=me, body="Hello from the fuzz", reply_to=first)
    ChatMessageFactory(event=live, author=muted, body="Before the mute")
    # Enough messages of both accounts that deletions early in a run leave some to act on.
    for number in range(MESSAGES):
        ChatMessageFactory(event=live, author=(me, victim)[number % 2], body=f"Message {number}")
    ChatReaction.objects.create(message=first, user=me, emoji="👍")
    ChatReport.objects.create(event=live, message=first, reporter=me, reason="Spam")
    ChatReport.objects.create(event=live, message=mine, reporter=victim, reason="Rude")
    ChatMute.objects.create(
        event=live, user=muted, until=now + datetime.timedelta(days=1), muted_by=me
    )

    OfficeMembership.objects.create(
        user=victim, office=event.office, role=OfficeMembership.Role.EDITOR
    )
    # Accepting a co-hosting is for the invited office's publishers.
    OfficeMembership.objects.create(
        user=me, office=partner_office, role=OfficeMembership.Role.PUBLISHER
    )
    Device.objects.create(user=me, token=DEVICE_TOKENS[0], platform=Device.Platform.ANDROID)
    for token in DEVICE_TOKENS[1:]:
        Device.objects.create(user=victim, token=token, platform=Device.Platform.IOS)
    CityFollow.objects.create(user=me, city=event.host_city)
    Rsvp.objects.create(user=me, event=live, status=Rsvp.Status.GOING)
    # Someone to unblock, and a report to read by its ID.
    UserBlock.objects.create(blocker=me, blocked=muted)
    Report.objects.create(event=event, reporter=victim, reason=Report.Reason.MISLEADING)
    Event.objects.filter(pk=live.pk).update(attendee_count=1)
