"""The RSVP service: the count of people going follows the RSVPs themselves."""

import pytest

from events import services
from events.models import Event, Rsvp

pytestmark = pytest.mark.django_db


def test_a_count_that_drifted_heals_instead_of_going_below_zero(event_factory, user_factory):
    # Given an RSVP written outside the service, which the count does not know of
    event = event_factory(capacity=3)
    user = user_factory()
    Rsvp.objects.create(user=user, event=event, status=Rsvp.Status.GOING)
    assert Event.objects.get(pk=event.pk).attendee_count == 0

    # When its author withdraws it
    services.set_rsvp(user, event, None)

    # Then the count is that of the RSVPs left, not -1
    assert Event.objects.get(pk=event.pk).attendee_count == 0


def test_the_count_is_the_number_going(event_factory, user_factory):
    event = event_factory(capacity=3)
    people = [user_factory() for _ in range(3)]

    for person in people:
        services.set_rsvp(person, event, Rsvp.Status.GOING)
    services.set_rsvp(people[0], event, Rsvp.Status.INTERESTED)

    assert Event.objects.get(pk=event.pk).attendee_count == 2
