"""The waitlist of a full event, as ``services.set_rsvp`` and ``services.update_event`` keep
it: who joins it and in which order, who gets a place that frees and when, the counts, the
changes recorded, and the push of each place given; and under concurrency on PostgreSQL, that
places go to the first in line, each once, and never past the capacity."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from events import attendance, services
from events.error_codes import EventErrorCode
from events.models import Event, Rsvp, RsvpChange
from notifications.models import Notification

pytestmark = pytest.mark.django_db

GOING, INTERESTED, WAITLISTED = Rsvp.Status.GOING, Rsvp.Status.INTERESTED, Rsvp.Status.WAITLISTED


def status_of(user, event) -> str | None:
    rsvp = Rsvp.objects.filter(user=user, event=event).first()
    return rsvp.status if rsvp else None


def counts(event) -> tuple[int, int]:
    event = Event.objects.get(pk=event.pk)
    return event.attendee_count, event.waitlist_count


def positions(event, people) -> list[int | None]:
    return [
        attendance.answers_of(person, [event]).get(event.pk, (None, None))[1] for person in people
    ]


def place_pushes(event) -> list[int]:
    """The recipients of the pushes of places given at ``event``, in the order written."""
    return list(
        Notification.objects.filter(event=event, kind=Notification.Kind.WAITLIST_PLACE)
        .order_by("pk")
        .values_list("recipient_id", flat=True)
    )


@pytest.fixture
def full(event_factory, user_factory, office):
    """An event of the office's, of two places, both taken, and three people waiting in the
    order they came."""
    event = event_factory(capacity=2, office=office, host_city=office.city)
    going = [user_factory(), user_factory()]
    for person in going:
        services.set_rsvp(person, event, GOING)
    waiting = [user_factory(), user_factory(), user_factory()]
    for person in waiting:
        services.set_rsvp(person, event, WAITLISTED)
    return event, going, waiting


def test_a_full_event_puts_people_in_line_in_the_order_they_came(full):
    event, going, waiting = full

    assert [status_of(person, event) for person in waiting] == [WAITLISTED] * 3
    assert positions(event, waiting) == [1, 2, 3]
    assert positions(event, going) == [None, None]
    assert counts(event) == (2, 3)


def test_going_on_a_full_event_is_refused_and_writes_nothing(full, user_factory):
    event, _, waiting = full
    late = user_factory()

    for person, was in ((late, None), (waiting[0], WAITLISTED)):
        with pytest.raises(ValidationError) as refused:
            services.set_rsvp(person, event, GOING)
        assert refused.value.error_list[0].code == EventErrorCode.EVENT_FULL
        assert status_of(person, event) == was
    assert counts(event) == (2, 3)


def test_the_waitlist_is_not_joined_while_places_are_free(event_factory, user_factory):
    # Given an event with a free place and one without a limit
    limited, open_ended = event_factory(capacity=1), event_factory(capacity=None)
    person = user_factory()

    # When someone asks to wait for a place at each
    services.set_rsvp(person, limited, WAITLISTED)
    services.set_rsvp(person, open_ended, WAITLISTED)

    # Then they have a place at once
    assert (status_of(person, limited), status_of(person, open_ended)) == (GOING, GOING)
    assert counts(limited) == (1, 0)


def test_someone_going_who_asks_to_wait_keeps_their_place(full):
    event, going, _ = full

    services.set_rsvp(going[0], event, WAITLISTED)

    assert status_of(going[0], event) == GOING
    assert positions(event, going) == [None, None]


def test_a_withdrawn_place_goes_to_the_first_in_line_who_is_pushed(full):
    event, going, waiting = full

    # When someone going withdraws
    services.set_rsvp(going[0], event, None)

    # Then the first in line is going, the others move up, and the first is pushed
    assert [status_of(person, event) for person in waiting] == [GOING, WAITLISTED, WAITLISTED]
    assert positions(event, waiting[1:]) == [1, 2]
    assert counts(event) == (2, 2)
    assert place_pushes(event) == [waiting[0].pk]
    promotion = RsvpChange.objects.filter(event=event).order_by("pk").last()
    assert (promotion.from_status, promotion.to_status) == (WAITLISTED, GOING)
    push = Notification.objects.get(event=event, kind=Notification.Kind.WAITLIST_PLACE)
    assert push.dedupe_key == f"event:{event.pk}:place:{promotion.pk}"


def test_turning_from_going_to_interested_frees_the_place_too(full):
    event, going, waiting = full

    services.set_rsvp(going[1], event, INTERESTED)

    assert status_of(waiting[0], event) == GOING
    assert place_pushes(event) == [waiting[0].pk]


def test_leaving_the_line_frees_nothing_and_moves_those_behind_up(full):
    event, _going, waiting = full

    services.set_rsvp(waiting[0], event, None)
    services.set_rsvp(waiting[1], event, INTERESTED)

    assert status_of(waiting[0], event) is None
    assert status_of(waiting[1], event) == INTERESTED
    assert positions(event, waiting[2:]) == [1]
    assert counts(event) == (2, 1)
    assert place_pushes(event) == []


def test_more_places_go_to_those_waiting_in_order(full, publisher):
    event, _, waiting = full

    # When the office makes one more place, then takes the limit away
    services.update_event(publisher, event, {"capacity": 3})
    assert [status_of(person, event) for person in waiting] == [GOING, WAITLISTED, WAITLISTED]
    services.update_event(publisher, event, {"capacity": None})

    # Then the places went first come, first served, everyone pushed once
    assert [status_of(person, event) for person in waiting] == [GOING, GOING, GOING]
    assert counts(event) == (5, 0)
    assert place_pushes(event) == [person.pk for person in waiting]


def test_fewer_places_take_no_place_away(full, publisher):
    event, going, _waiting = full

    services.update_event(publisher, event, {"capacity": 1})

    assert [status_of(person, event) for person in going] == [GOING, GOING]
    assert counts(event) == (2, 3)
    assert place_pushes(event) == []


def test_no_place_is_given_once_the_event_is_called_off_or_over(full, publisher):
    # Given a full event with a waitlist, cancelled
    event, going, waiting = full
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)

    # When someone going withdraws
    services.set_rsvp(going[0], event, None)

    # Then nobody waiting is given the place of an event that will not happen
    assert status_of(waiting[0], event) == WAITLISTED
    assert place_pushes(event) == []


def test_a_place_left_free_goes_to_the_line_before_anyone_new(full, user_factory):
    # Given a place freed by a row deleted outside the services (the line was not served)
    event, going, waiting = full
    Rsvp.objects.filter(user=going[0], event=event).delete()
    newcomer = user_factory()

    # When someone new asks for a place
    with pytest.raises(ValidationError):
        services.set_rsvp(newcomer, event, GOING)
    services.set_rsvp(newcomer, event, WAITLISTED)

    # Then the first in line took it, and the newcomer waits at the end
    assert status_of(waiting[0], event) == GOING
    assert positions(event, [*waiting[1:], newcomer]) == [1, 2, 3]
    assert counts(event) == (2, 3)


def test_each_promotion_is_pushed_even_for_the_same_person(full):
    # Given the first in line promoted, who gives the place up and waits again
    event, going, waiting = full
    services.set_rsvp(going[0], event, None)
    services.set_rsvp(waiting[0], event, WAITLISTED)
    assert status_of(waiting[0], event) == GOING  # they hold a place: asking to wait keeps it
    services.set_rsvp(waiting[0], event, None)  # their place goes to the next
    services.set_rsvp(waiting[0], event, WAITLISTED)  # and they wait at the end

    # When places free again until they are first and get one
    services.set_rsvp(going[1], event, None)
    services.set_rsvp(waiting[1], event, None)

    # Then each place given was pushed, theirs twice
    assert place_pushes(event) == [waiting[0].pk, waiting[1].pk, waiting[2].pk, waiting[0].pk]


# --- At once (PostgreSQL) ------------------------------------------------------------------


def _at_once(calls) -> list:
    """Run each call in a thread of its own, all released together; their outcomes."""
    start = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            call()
            outcomes[index] = "done"
        except ValidationError as error:
            outcomes[index] = error.error_list[0].code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_places_freed_at_once_go_to_the_first_in_line_each_once(
    event_factory, user_factory, office, publisher
):
    # Given a full event of four places, and eight people waiting in a known order
    event = event_factory(capacity=4, office=office, host_city=office.city)
    going = [user_factory() for _ in range(4)]
    for person in going:
        services.set_rsvp(person, event, GOING)
    waiting = [user_factory() for _ in range(8)]
    for person in waiting:
        services.set_rsvp(person, event, WAITLISTED)
    newcomers = [user_factory() for _ in range(6)]

    # When, at the same moment, three of those going withdraw, the office adds two places,
    # and six newcomers ask for a place, half of them to go, half to wait
    calls = [lambda p=p: services.set_rsvp(p, event, None) for p in going[:3]]
    calls.append(lambda: services.update_event(publisher, event, {"capacity": 6}))
    calls += [
        lambda p=p, s=s: services.set_rsvp(p, event, s)
        for p, s in zip(newcomers, [GOING, WAITLISTED] * 3, strict=True)
    ]
    outcomes = _at_once(calls)

    # Then the five places freed went to the first five in line, each pushed once; no
    # newcomer got one; the event holds its six places and the rest wait in order
    assert connection.vendor == "postgresql"
    assert outcomes[:4] == ["done"] * 4
    assert outcomes[4::2] == [EventErrorCode.EVENT_FULL] * 3
    assert outcomes[5::2] == ["done"] * 3
    assert [status_of(person, event) for person in waiting] == [GOING] * 5 + [WAITLISTED] * 3
    assert Rsvp.objects.filter(event=event, status=GOING).count() == 6
    assert counts(event) == (6, 6)
    assert sorted(place_pushes(event)) == sorted(person.pk for person in waiting[:5])
    assert (
        RsvpChange.objects.filter(event=event, from_status=WAITLISTED, to_status=GOING).count() == 5
    )
    line = positions(event, [*waiting[5:], *newcomers[1::2]])
    assert line[:3] == [1, 2, 3]
    assert sorted(line[3:]) == [4, 5, 6]


def test_the_event_ends_in_the_past_and_closes_the_line(event_factory, user_factory):
    past = timezone.now() - datetime.timedelta(days=1)
    event = event_factory(capacity=1, starts_at=past, ends_at=past + datetime.timedelta(hours=1))

    with pytest.raises(ValidationError) as refused:
        services.set_rsvp(user_factory(), event, WAITLISTED)

    assert refused.value.error_list[0].code == EventErrorCode.EVENT_NOT_OPEN
