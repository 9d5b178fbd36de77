"""The signals the events services send for other apps (push): each change sends its own, once,
inside the service's transaction, with its subject and the history record of the change; a
change no one is told of sends none."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from cities.models import OfficeMembership
from events import services, signals
from events.models import Announcement, Event, StateChange
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SIGNALS = {
    "event_announced": signals.event_announced,
    "event_changed": signals.event_changed,
    "event_postponed": signals.event_postponed,
    "event_cancelled": signals.event_cancelled,
    "announcement_posted": signals.announcement_posted,
}


@pytest.fixture
def sent():
    """What the events signals send, as (name, sender, kwargs, whether a transaction the
    service opened was open then)."""
    heard = []

    def listener(name):
        def receive(sender, signal, **kwargs):
            # The test's own transaction is always open: the service's is one more.
            in_service = len(connection.atomic_blocks) > 1
            heard.append((name, sender, kwargs, in_service))

        return receive

    receivers = {name: listener(name) for name in SIGNALS}
    for name, signal in SIGNALS.items():
        signal.connect(receivers[name], weak=False)
    yield heard
    for name, signal in SIGNALS.items():
        signal.disconnect(receivers[name])


@pytest.fixture
def publisher(office_factory):
    office = office_factory()
    return MembershipFactory(office=office, role=OfficeMembership.Role.PUBLISHER).user


def draft_of(publisher, event_factory, **fields) -> Event:
    office = publisher.memberships.get().office
    return event_factory(
        office=office, host_city=office.city, status=Event.Status.DRAFT, announced_at=None, **fields
    )


def change_of(event_or_news, action) -> StateChange:
    about = "event" if isinstance(event_or_news, Event) else "announcement"
    return StateChange.objects.filter(**{about: event_or_news}, action=action).latest("id")


def test_announcing_a_draft_sends_event_announced_once(sent, publisher, event_factory):
    event = draft_of(publisher, event_factory)

    services.announce_event(publisher, event)
    services.announce_event(publisher, event)  # already announced: nothing happens

    change = change_of(event, StateChange.Action.ANNOUNCED)
    assert sent == [("event_announced", Event, {"event": event, "change": change}, True)]


def test_confirming_a_postponed_event_sends_nothing(sent, publisher, event_factory):
    event = draft_of(publisher, event_factory)
    services.announce_event(publisher, event)
    later = timezone.now() + datetime.timedelta(days=20)
    services.postpone_event(publisher, event, later, later + datetime.timedelta(hours=2))
    sent.clear()

    services.announce_event(publisher, event)

    assert sent == []


def test_moving_a_public_event_sends_event_changed_and_other_edits_nothing(
    sent, publisher, event_factory
):
    event = draft_of(publisher, event_factory)
    services.update_event(publisher, event, {"venue_name": "Pier"})  # a draft: no one to tell
    services.announce_event(publisher, event)
    sent.clear()

    services.update_event(publisher, event, {"title_en": "Jazz by the sea"})
    services.update_event(publisher, event, {"venue_name": "Seaside park"})

    change = change_of(event, StateChange.Action.UPDATED)
    assert change.details["fields"] == ["venue_name"]
    assert sent == [("event_changed", Event, {"event": event, "change": change}, True)]


def test_postponing_sends_event_postponed(sent, publisher, event_factory):
    event = draft_of(publisher, event_factory)
    services.announce_event(publisher, event)
    sent.clear()
    later = timezone.now() + datetime.timedelta(days=20)

    services.postpone_event(publisher, event, later, later + datetime.timedelta(hours=2))

    change = change_of(event, StateChange.Action.POSTPONED)
    assert sent == [("event_postponed", Event, {"event": event, "change": change}, True)]
    assert sent[0][2]["event"].starts_at == later


def test_cancelling_sends_event_cancelled_once(sent, publisher, event_factory):
    event = draft_of(publisher, event_factory)
    services.announce_event(publisher, event)
    sent.clear()

    services.cancel_event(publisher, event, "Storm warning")
    services.cancel_event(publisher, event)  # already cancelled: nothing happens

    change = change_of(event, StateChange.Action.CANCELLED)
    assert sent == [("event_cancelled", Event, {"event": event, "change": change}, True)]


def test_posting_an_announcement_sends_announcement_posted(sent, publisher):
    office = publisher.memberships.get().office

    news = services.create_announcement(
        publisher, office, {"title_en": "Jazz on the shore", "body_en": "Bring a blanket."}
    )
    services.update_announcement(publisher, news, {"body_en": "Bring two."})

    change = change_of(news, StateChange.Action.PUBLISHED)
    assert sent == [
        ("announcement_posted", Announcement, {"announcement": news, "change": change}, True)
    ]


def test_a_refused_change_sends_nothing(sent, publisher, event_factory, user_factory):
    event = draft_of(publisher, event_factory)

    with pytest.raises(PermissionDenied):
        services.announce_event(user_factory(), event)
    with pytest.raises(ValidationError):
        services.cancel_event(publisher, event)

    assert sent == []
