"""The event page's actions in the admin: Announce, Postpone and Cancel as buttons that open a
confirmation page showing the push in every language and the devices it reaches; deleting
offered only for drafts."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Device
from cities.models import CityFollow, OfficeMembership, TwinningFollow
from cities.staff import office_staff_group
from core.i18n import LANGUAGE_CODES
from events.models import Event, Rsvp
from notifications.models import Delivery, Notification
from notifications.texts import render

Role = OfficeMembership.Role
Status = Event.Status
Kind = Notification.Kind


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def fingerprint(response) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', text(response)).group(1)


def devices_shown(response) -> list[int]:
    return [int(n) for n in re.findall(r'data-devices="(\d+)"', text(response))]


def sent_texts(notification: Notification) -> list[tuple[str, str]]:
    """The title and body of ``notification`` in each language, as the fan-out renders them."""
    return [render(notification, code)[:2] for code in LANGUAGE_CODES]


@pytest.fixture
def world(db, city_factory, twinning_factory, office_factory):
    """Aktau (its office's city), twinned with Karachi; Elista apart; Karachi's office."""

    class World:
        aktau = city_factory(name_en="Aktau", name_ru="Актау", name_kk="Ақтау", name_ur="اکتاؤ")
        karachi = city_factory(name_en="Karachi", country="PK", timezone="Asia/Karachi")
        elista = city_factory(name_en="Elista", country="RU", timezone="Europe/Moscow")
        pair = twinning_factory(city_a=aktau, city_b=karachi)
        office = office_factory(city=aktau)
        other_office = office_factory(city=karachi)

    return World()


@pytest.fixture
def staff(client):
    """Sign in a new staff user holding ``roles`` in ``office``."""

    def sign_in(office, *roles, to=client):
        user = get_user_model().objects.create_user(
            f"{'-'.join(roles).lower()}@{office.pk}.example.org", "unused", is_staff=True
        )
        for role in roles:
            OfficeMembership.objects.create(user=user, office=office, role=role)
        user.groups.add(office_staff_group())
        to.force_login(user)
        return user

    return sign_in


@pytest.fixture
def event_of(world, event_factory):
    """An event of Aktau's office about the pair, in a week at the venue in Aktau."""

    def make(**fields):
        starts = timezone.now() + datetime.timedelta(days=7)
        defaults = {
            "title_en": "Caspian jazz night",
            "title_ru": "Каспийский джаз",
            "title_kk": "Каспий джаз кеші",
            "title_ur": "کیسپین جاز کی شام",
            "office": world.office,
            "host_city": world.aktau,
            "twinning": world.pair,
            "status": Status.DRAFT,
            "announced_at": None,
            "timezone": "Asia/Aqtau",
            "starts_at": starts,
            "ends_at": starts + datetime.timedelta(hours=2),
        }
        return event_factory(**{**defaults, **fields})

    return make


@pytest.fixture
def person(user_factory):
    """A user with ``devices`` (tokens; a token starting "off-" is inactive) following
    ``follows`` (cities or twinnings)."""

    def make(*tokens, follows=(), locale="", **fields):
        user = user_factory(**fields)
        for token in tokens:
            Device.objects.create(
                user=user,
                token=token,
                platform=Device.Platform.ANDROID,
                locale=locale,
                active=not token.startswith("off-"),
            )
        for target in follows:
            if hasattr(target, "city_a"):
                TwinningFollow.objects.create(user=user, twinning=target)
            else:
                CityFollow.objects.create(user=user, city=target)
        return user

    return make


@pytest.fixture
def audience(world, person):
    """Devices of people following Aktau, Karachi and the pair (one following Aktau and the
    pair with one device), and those the fan-out leaves out: an inactive device, an inactive
    user, someone who muted the category, a follower of Elista only. Returns the one who
    muted, who hears of changes once they reply to the event."""
    person("aktau-ru", follows=[world.aktau], locale="ru-KZ")
    person("karachi-ur", follows=[world.karachi], locale="ur")
    person("pair-kk", follows=[world.pair], locale="kk")
    person("both-en", follows=[world.aktau, world.pair])
    person("off-aktau", follows=[world.aktau])
    person("gone", follows=[world.aktau], is_active=False)
    person("elista", follows=[world.elista])
    return person("muted", follows=[world.aktau], muted_categories=[Event.Category.CULTURAL])


def deliveries(kind) -> int:
    return Delivery.objects.filter(notification__kind=kind, status=Delivery.Status.SENT).count()


# --- The buttons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "role", "buttons"),
    [
        (Status.DRAFT, Role.PUBLISHER, {"announce"}),
        (Status.ANNOUNCED, Role.PUBLISHER, {"postpone", "cancel"}),
        (Status.POSTPONED, Role.PUBLISHER, {"announce", "postpone", "cancel"}),
        (Status.CANCELLED, Role.PUBLISHER, set()),
        (Status.DRAFT, Role.EDITOR, set()),
        (Status.ANNOUNCED, Role.EDITOR, set()),
    ],
)
def test_the_page_offers_the_actions_the_status_and_roles_allow(
    client, staff, world, event_of, status, role, buttons
):
    event = event_of(status=status)
    staff(world.office, role)

    response = client.get(url("events_event_change", event.pk))

    assert response.status_code == 200
    shown = set(re.findall(r"event-action-(announce|postpone|cancel)", text(response)))
    assert shown == buttons
    for name in buttons:
        assert url(f"events_event_{name}", event.pk) in text(response)


def test_an_ended_draft_offers_no_announce(client, staff, world, event_of):
    event = event_of(
        starts_at=timezone.now() - datetime.timedelta(hours=3),
        ends_at=timezone.now() - datetime.timedelta(hours=1),
    )
    staff(world.office, Role.PUBLISHER)

    response = client.get(url("events_event_change", event.pk))

    assert "event-action-announce" not in text(response)


def test_the_list_has_no_announce_or_cancel_action(client, staff, world, event_of):
    event_of()
    staff(world.office, Role.PUBLISHER)

    response = client.get(url("events_event_changelist"))

    actions = re.findall(r'<option value="(\w+)"', text(response))
    assert "delete_selected" in actions
    assert "announce_events" not in actions
    assert "cancel_events" not in actions


# --- Announce -------------------------------------------------------------------------------


def test_announce_page_shows_the_push_in_four_languages_and_its_devices(
    client, staff, world, event_of, audience, django_capture_on_commit_callbacks
):
    event = event_of()
    publisher = staff(world.office, Role.PUBLISHER)

    page = client.get(url("events_event_announce", event.pk))

    # Given nothing was done by showing the page:
    assert page.status_code == 200
    event.refresh_from_db()
    assert event.status == Status.DRAFT
    assert not Notification.objects.exists()
    # Followers of Aktau, Karachi and the pair, each device once.
    assert devices_shown(page) == [4]
    assert "This notification will be sent to 4 devices" in text(page)
    assert "The notification “New event”" in text(page)

    # When it is confirmed:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("events_event_announce", event.pk),
            {"confirm": "yes", "fingerprint": fingerprint(page)},
        )

    assert response.status_code == 302
    assert response.url == url("events_event_change", event.pk)
    event.refresh_from_db()
    assert event.status == Status.ANNOUNCED
    assert event.history.get().actor == publisher
    notification = Notification.objects.get(kind=Kind.EVENT_ANNOUNCED)
    # Then the page showed exactly what was sent, to exactly as many devices.
    assert deliveries(Kind.EVENT_ANNOUNCED) == notification.audience_size == 4
    for title, body in sent_texts(notification):
        assert escape(title) in text(page)
        assert escape(body) in text(page)
    assert 'dir="rtl">' + escape(sent_texts(notification)[3][0]) in text(page)
    assert "The event was announced." in text(client.get(response.url))


def test_an_event_whose_followers_were_told_of_it_once_is_not_pushed_again(
    client, staff, world, event_of, audience, django_capture_on_commit_callbacks
):
    # Given an event announced once, made a draft again (its times repaired), and announced:
    event = event_of()
    staff(world.office, Role.PUBLISHER)
    first = client.get(url("events_event_announce", event.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("events_event_announce", event.pk),
            {"confirm": "yes", "fingerprint": fingerprint(first)},
        )
    Event.objects.filter(pk=event.pk).update(status=Status.DRAFT)

    page = client.get(url("events_event_announce", event.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("events_event_announce", event.pk),
            {"confirm": "yes", "fingerprint": fingerprint(page)},
        )

    assert devices_shown(first) == [4]
    assert devices_shown(page) == [0]
    assert "this notification was already sent once for this event" in text(page)
    assert Notification.objects.count() == 1
    assert deliveries(Kind.EVENT_ANNOUNCED) == 4


def test_a_page_says_plainly_when_nobody_is_notified(client, staff, world, event_of):
    event = event_of()
    staff(world.office, Role.PUBLISHER)

    page = client.get(url("events_event_announce", event.pk))

    assert devices_shown(page) == [0]
    assert "Nobody will be notified: no device" in text(page)


def test_announcing_a_postponed_event_says_it_pushes_nothing(
    client, staff, world, event_of, audience, django_capture_on_commit_callbacks
):
    event = event_of(status=Status.POSTPONED, announced_at=timezone.now())
    staff(world.office, Role.PUBLISHER)

    page = client.get(url("events_event_announce", event.pk))

    assert devices_shown(page) == []
    assert "Nobody will be notified: this sends no notification." in text(page)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("events_event_announce", event.pk),
            {"confirm": "yes", "fingerprint": fingerprint(page)},
        )
    event.refresh_from_db()
    assert event.status == Status.ANNOUNCED
    assert not Notification.objects.exists()


def test_confirming_what_was_not_shown_changes_nothing(client, staff, world, event_of):
    event = event_of()
    staff(world.office, Role.PUBLISHER)

    response = client.post(
        url("events_event_announce", event.pk), {"confirm": "yes", "fingerprint": "0" * 64}
    )

    assert response.status_code == 200
    assert "The notification changed since it was shown" in text(response)
    event.refresh_from_db()
    assert event.status == Status.DRAFT


def test_a_service_refusal_is_a_message_on_the_page(client, staff, world, event_of, monkeypatch):
    from django.core.exceptions import ValidationError

    from events import services

    def refuse(actor, event):
        raise ValidationError("This event has already ended.", code="EVENT_ENDED")

    event = event_of()
    staff(world.office, Role.PUBLISHER)
    page = client.get(url("events_event_announce", event.pk))
    monkeypatch.setattr(services, "announce_event", refuse)

    response = client.post(
        url("events_event_announce", event.pk),
        {"confirm": "yes", "fingerprint": fingerprint(page)},
    )

    assert response.status_code == 200
    assert "This event has already ended." in text(response)
    event.refresh_from_db()
    assert event.status == Status.DRAFT


def test_an_action_the_status_no_longer_allows_goes_back_with_a_message(
    client, staff, world, event_of
):
    event = event_of(status=Status.CANCELLED)
    staff(world.office, Role.PUBLISHER)

    response = client.post(url("events_event_cancel", event.pk), {"reason": "Rain"}, follow=True)

    assert response.redirect_chain == [(url("events_event_change", event.pk), 302)]
    assert "This cannot be done to the event as it is now (Cancelled)." in text(response)


def test_confirming_needs_the_csrf_token(staff, world, event_of):
    event = event_of()
    browser = Client(enforce_csrf_checks=True)
    staff(world.office, Role.PUBLISHER, to=browser)

    response = browser.post(url("events_event_announce", event.pk), {"confirm": "yes"})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.status == Status.DRAFT


# --- Postpone -------------------------------------------------------------------------------


def test_postpone_takes_the_new_times_in_the_venues_zone_and_shows_the_push(
    client, staff, world, event_of, audience, django_capture_on_commit_callbacks
):
    event = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    going = audience
    Rsvp.objects.create(user=going, event=event, status=Rsvp.Status.GOING)
    staff(world.office, Role.PUBLISHER)
    day = (timezone.now() + datetime.timedelta(days=20)).date()
    new_times = {
        "new_starts_at_0": f"{day:%Y-%m-%d}",
        "new_starts_at_1": "19:00",
        "new_ends_at_0": f"{day:%Y-%m-%d}",
        "new_ends_at_1": "21:30",
    }

    form = client.get(url("events_event_postpone", event.pk))
    page = client.post(url("events_event_postpone", event.pk), {**new_times, "preview": "1"})

    assert "Asia/Aqtau" in text(form)
    assert 'name="confirm"' not in text(form)
    assert page.status_code == 200
    # The four followers, and the one who muted the category but is going.
    assert devices_shown(page) == [5]
    assert f"{day:%d.%m.%Y} 19:00 (UTC+05:00)" in text(page)
    event.refresh_from_db()
    assert event.status == Status.ANNOUNCED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("events_event_postpone", event.pk),
            {**new_times, "confirm": "yes", "fingerprint": fingerprint(page)},
        )

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Status.POSTPONED
    aqtau = datetime.timezone(datetime.timedelta(hours=5))
    assert event.starts_at == datetime.datetime.combine(day, datetime.time(19), aqtau)
    assert event.ends_at == datetime.datetime.combine(day, datetime.time(21, 30), aqtau)
    notification = Notification.objects.get(kind=Kind.EVENT_POSTPONED)
    assert deliveries(Kind.EVENT_POSTPONED) == 5
    for title, body in sent_texts(notification):
        assert escape(title) in text(page)
        assert escape(body) in text(page)


def test_postponing_into_the_past_is_an_error_on_the_field(client, staff, world, event_of):
    event = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    staff(world.office, Role.PUBLISHER)

    response = client.post(
        url("events_event_postpone", event.pk),
        {
            "new_starts_at_0": "2020-01-01",
            "new_starts_at_1": "19:00",
            "new_ends_at_0": "2020-01-01",
            "new_ends_at_1": "21:00",
            "confirm": "yes",
        },
    )

    assert response.status_code == 200
    assert "The new start is in the past." in text(response)
    assert 'name="confirm"' not in text(response)
    event.refresh_from_db()
    assert event.status == Status.ANNOUNCED


# --- Cancel ---------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_pushes_it(
    client, staff, world, event_of, audience, django_capture_on_commit_callbacks
):
    event = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    staff(world.office, Role.PUBLISHER)
    reason = "The hall is flooded"

    without = client.post(url("events_event_cancel", event.pk), {"reason": " ", "confirm": "yes"})
    too_long = client.post(url("events_event_cancel", event.pk), {"reason": "x" * 501})
    page = client.post(url("events_event_cancel", event.pk), {"reason": reason})

    assert "This field is required." in text(without)
    assert "at most 500 characters" in text(too_long)
    assert devices_shown(page) == [4]
    event.refresh_from_db()
    assert event.status == Status.ANNOUNCED
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("events_event_cancel", event.pk),
            {"reason": reason, "confirm": "yes", "fingerprint": fingerprint(page)},
        )

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.cancellation_reason) == (Status.CANCELLED, reason)
    notification = Notification.objects.get(kind=Kind.EVENT_CANCELLED)
    assert deliveries(Kind.EVENT_CANCELLED) == 4
    for title, body in sent_texts(notification):
        assert body.startswith(f"{reason} · ")
        assert escape(title) in text(page)
        assert escape(body) in text(page)


def test_a_reason_is_shown_in_the_push_as_it_will_be_sent(
    client, staff, world, event_of, audience, django_capture_on_commit_callbacks
):
    # Given a reason typed with blank characters at its ends (a soft hyphen, a blank Braille
    # pattern), which the service trims
    event = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    staff(world.office, Role.PUBLISHER)
    typed = "\u00adThe hall is flooded\u2800"

    # When the page shows the push and it is confirmed
    page = client.post(url("events_event_cancel", event.pk), {"reason": typed})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("events_event_cancel", event.pk),
            {"reason": typed, "confirm": "yes", "fingerprint": fingerprint(page)},
        )

    # Then the texts shown are those sent, character for character
    shown = re.findall(
        r'<tr class="event-push-\w+">\s*<td[^>]*>.*?</td>\s*<td[^>]*>(.*?)</td>\s*'
        r"<td[^>]*>(.*?)</td>",
        text(page),
        flags=re.DOTALL,
    )
    notification = Notification.objects.get(kind=Kind.EVENT_CANCELLED)
    assert shown == [(escape(title), escape(body)) for title, body in sent_texts(notification)]


# --- Whose events ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["announce", "postpone", "cancel"])
def test_other_offices_staff_do_not_find_the_event(client, staff, world, event_of, name):
    event = event_of(status=Status.DRAFT if name == "announce" else Status.ANNOUNCED)
    staff(world.other_office, Role.PUBLISHER)

    shown = client.get(url(f"events_event_{name}", event.pk))
    confirmed = client.post(url(f"events_event_{name}", event.pk), {"confirm": "yes"})

    assert (shown.status_code, confirmed.status_code) == (404, 404)
    assert Event.objects.get(pk=event.pk).status == event.status


def test_an_editor_may_not_announce(client, staff, world, event_of):
    event = event_of()
    staff(world.office, Role.EDITOR)

    response = client.get(url("events_event_announce", event.pk))

    assert response.status_code == 403


def test_signed_out_users_are_sent_to_sign_in(client, world, event_of):
    event = event_of()

    response = client.get(url("events_event_announce", event.pk))

    assert response.status_code == 302
    assert response.url.startswith(url("login"))


# --- Deleting -------------------------------------------------------------------------------


def test_only_a_drafts_page_offers_delete(client, staff, world, event_of):
    draft = event_of()
    public = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    staff(world.office, Role.PUBLISHER)

    draft_page = client.get(url("events_event_change", draft.pk))
    public_page = client.get(url("events_event_change", public.pk))
    refused = client.post(url("events_event_delete", public.pk), {"post": "yes"})

    assert url("events_event_delete", draft.pk) in text(draft_page)
    assert url("events_event_delete", public.pk) not in text(public_page)
    assert refused.status_code == 403
    assert Event.objects.filter(pk=public.pk).exists()


def test_bulk_delete_skips_public_events_with_a_message(client, staff, world, event_of):
    draft = event_of(title_en="Fair")
    public = event_of(title_en="Concert", status=Status.ANNOUNCED, announced_at=timezone.now())
    staff(world.office, Role.EDITOR)
    selected = {"action": "delete_selected", "_selected_action": [draft.pk, public.pk]}

    confirmation = client.post(url("events_event_changelist"), selected)
    response = client.post(url("events_event_changelist"), {**selected, "post": "yes"}, follow=True)

    assert "“Concert” is not a draft and is not deleted" in text(confirmation)
    assert f'name="_selected_action" value="{draft.pk}"' in text(confirmation)
    assert f'name="_selected_action" value="{public.pk}"' not in text(confirmation)
    assert "Deleted 1 event." in text(response)
    assert list(Event.objects.values_list("pk", flat=True)) == [public.pk]


def test_bulk_delete_of_public_events_only_deletes_nothing(client, staff, world, event_of):
    first = event_of(title_en="Concert", status=Status.ANNOUNCED, announced_at=timezone.now())
    second = event_of(title_en="Fair", status=Status.POSTPONED, announced_at=timezone.now())
    staff(world.office, Role.EDITOR)

    response = client.post(
        url("events_event_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
        follow=True,
    )

    assert "are not drafts and are not deleted" in text(response)
    assert Event.objects.count() == 2


def test_a_large_announcement_says_it_goes_to_everyone_following(
    client, staff, world, event_of, audience, settings
):
    settings.PUSH_TOPIC_THRESHOLD = 3
    announced = event_of()
    public = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    staff(world.office, Role.PUBLISHER)

    announce = client.get(url("events_event_announce", announced.pk))
    cancel = client.post(url("events_event_cancel", public.pk), {"reason": "Rain"})

    note = "category may receive it too"
    assert note in text(announce)
    # Changes and cancellations always go device by device, muting applied.
    assert note not in text(cancel)


def test_a_reason_that_shows_nothing_is_refused(client, staff, world, event_of):
    event = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    staff(world.office, Role.PUBLISHER)

    response = client.post(url("events_event_cancel", event.pk), {"reason": "\u200b\u2060"})

    assert 'name="confirm"' not in text(response)
    assert 'class="errorlist' in text(response)
    assert devices_shown(response) == []


def test_a_superuser_gets_the_buttons_of_any_office(client, world, event_of, user_factory):
    event = event_of(status=Status.ANNOUNCED, announced_at=timezone.now())
    client.force_login(user_factory(is_staff=True, is_superuser=True))

    response = client.get(url("events_event_change", event.pk))

    shown = set(re.findall(r"event-action-(announce|postpone|cancel)", text(response)))
    assert shown == {"postpone", "cancel"}
