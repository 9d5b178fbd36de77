"""The admin for city office staff: scoped to their offices, writing through the services."""

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from cities.models import OfficeMembership
from cities.staff import office_staff_group
from core.i18n import LANGUAGE_CODES
from events import services
from events.models import Announcement, Event, EventCohost, Rsvp, StateChange, Tag

Role = OfficeMembership.Role
Action = StateChange.Action
Status = Event.Status


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def event_form(event: Event, **changes) -> dict:
    """The change form's POST data for ``event`` as it is, with ``changes`` applied; times as
    the venue's clocks show them, as the admin shows and reads them."""
    starts_at = timezone.localtime(event.starts_at, event.zone)
    ends_at = timezone.localtime(event.ends_at, event.zone)
    data = {
        f"{field}_{code}": getattr(event, f"{field}_{code}")
        for field in ("title", "summary", "description")
        for code in LANGUAGE_CODES
    }
    data.update(
        category=event.category,
        starts_at_0=f"{starts_at:%Y-%m-%d}",
        starts_at_1=f"{starts_at:%H:%M:%S}",
        ends_at_0=f"{ends_at:%Y-%m-%d}",
        ends_at_1=f"{ends_at:%H:%M:%S}",
        timezone=event.timezone,
        venue_name=event.venue_name,
        venue_address=event.venue_address,
        latitude="" if event.latitude is None else event.latitude,
        longitude="" if event.longitude is None else event.longitude,
        capacity=event.capacity or "",
        image_url=event.image_url,
        twinning=event.twinning_id or "",
        office=event.office_id,
    )
    data.update(changes)
    return data


@pytest.fixture
def office_x(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Almaty"), name_en="Almaty office")


@pytest.fixture
def office_y(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Karachi"), name_en="Karachi office")


@pytest.fixture
def staff(db, client):
    """Sign in a new staff user holding ``roles`` in ``office`` and the staff group."""

    def sign_in(office, *roles):
        user = get_user_model().objects.create_user(
            f"{'-'.join(roles).lower()}@{office.pk}.example.org", "unused", is_staff=True
        )
        for role in roles:
            OfficeMembership.objects.create(user=user, office=office, role=role)
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def draft_of(event_factory):
    def make(office, **fields):
        fields.setdefault("status", Status.DRAFT)
        fields.setdefault("announced_at", None)
        return event_factory(office=office, host_city=office.city, **fields)

    return make


# --- Which events staff see ----------------------------------------------------------------


def test_editor_sees_own_office_events_only(client, staff, office_x, office_y, draft_of):
    draft_of(office_x, title_en="Dombra night")
    draft_of(office_y, title_en="Qawwali evening", status=Status.ANNOUNCED)
    staff(office_x, Role.EDITOR)

    response = client.get(url("events_event_changelist"))

    assert response.status_code == 200
    assert "Dombra night" in text(response)
    assert "Qawwali evening" not in text(response)


def test_accepted_cohost_sees_the_event_invited_one_does_not(
    client, staff, office_x, office_y, draft_of
):
    accepted = draft_of(office_y, title_en="Joint concert")
    invited = draft_of(office_y, title_en="Joint fair")
    EventCohost.objects.create(event=accepted, office=office_x, status=EventCohost.Status.ACCEPTED)
    EventCohost.objects.create(event=invited, office=office_x)
    staff(office_x, Role.PUBLISHER)

    response = client.get(url("events_event_changelist"))

    assert "Joint concert" in text(response)
    assert "Joint fair" not in text(response)


def test_other_office_event_change_page_is_not_found(client, staff, office_x, office_y, draft_of):
    theirs = draft_of(office_y)
    staff(office_x, Role.EDITOR)

    response = client.get(url("events_event_change", theirs.pk))
    posted = client.post(url("events_event_change", theirs.pk), event_form(theirs, title_en="X"))

    # The admin's answer for a row outside the user's queryset: back to the index, as missing.
    assert response.status_code == 302
    assert response.url == url("index")
    assert posted.status_code == 302
    theirs.refresh_from_db()
    assert theirs.title_en != "X"


def test_superuser_sees_every_office_event(client, office_x, office_y, draft_of):
    draft_of(office_x, title_en="Dombra night")
    draft_of(office_y, title_en="Qawwali evening")
    client.force_login(get_user_model().objects.create_superuser("root@example.org", "unused"))

    response = client.get(url("events_event_changelist"))

    assert "Dombra night" in text(response)
    assert "Qawwali evening" in text(response)


# --- Writing through the services ----------------------------------------------------------


def test_editor_adds_a_draft_with_a_created_record(client, staff, office_x):
    editor = staff(office_x, Role.EDITOR)
    data = {
        f"{field}_{code}": ""
        for field in ("title", "summary", "description")
        for code in LANGUAGE_CODES
    }
    data.update(
        title_en="Spring fair",
        title_ru="Весенняя ярмарка",
        category=Event.Category.COMMUNITY,
        starts_at_0="2031-05-04",
        starts_at_1="14:00:00",
        ends_at_0="2031-05-04",
        ends_at_1="18:00:00",
        timezone="Asia/Almaty",
        venue_name="Central Park",
        office=office_x.pk,
    )

    response = client.post(url("events_event_add"), data)

    assert response.status_code == 302, text(response)
    event = Event.objects.get(title_en="Spring fair")
    assert (event.status, event.office, event.host_city) == (
        Status.DRAFT,
        office_x,
        office_x.city,
    )
    assert event.title_ru == "Весенняя ярмарка"
    assert list(event.history.values_list("action", "actor")) == [(Action.CREATED, editor.pk)]


def test_add_for_an_office_the_user_does_not_edit_for_is_refused(client, staff, office_x, office_y):
    staff(office_x, Role.EDITOR)
    data = event_form(Event(title_en="Elsewhere", category="CULTURAL", timezone="UTC"))
    data.update(
        starts_at_0="2031-05-04",
        starts_at_1="14:00:00",
        ends_at_0="2031-05-04",
        ends_at_1="18:00:00",
        venue_name="Hall",
        office=office_y.pk,
    )

    response = client.post(url("events_event_add"), data)

    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Event.objects.exists()


def test_a_service_refusal_on_add_is_shown_on_its_field_and_writes_nothing(
    client, office_x, twinning_factory
):
    elsewhere = twinning_factory()
    client.force_login(get_user_model().objects.create_superuser("root@example.org", "unused"))
    data = event_form(Event(title_en="Twinned fair", category="CULTURAL", timezone="UTC"))
    data.update(
        starts_at_0="2031-05-04",
        starts_at_1="14:00:00",
        ends_at_0="2031-05-04",
        ends_at_1="18:00:00",
        venue_name="Hall",
        office=office_x.pk,
        twinning=elsewhere.pk,
    )

    response = client.post(url("events_event_add"), data)

    # The form cannot know the host city; the service, which sets it, refuses the twinning.
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["twinning"] == [
        "The host city must be one of the twinning's cities."
    ]
    assert not Event.objects.exists()
    assert not StateChange.objects.exists()
    assert not LogEntry.objects.exists()


def test_editing_a_cancelled_event_is_refused_and_changes_nothing(
    client, staff, office_x, draft_of
):
    event = draft_of(office_x, title_en="Called off", status=Status.CANCELLED)
    staff(office_x, Role.PUBLISHER)

    response = client.post(
        url("events_event_change", event.pk), event_form(event, title_en="Back on")
    )

    assert response.status_code == 200
    assert "A cancelled event cannot be edited." in text(response)
    event.refresh_from_db()
    assert event.title_en == "Called off"
    assert not StateChange.objects.exists()
    assert not LogEntry.objects.exists()


def test_a_cancelled_events_page_is_to_read_without_save_buttons(client, staff, office_x, draft_of):
    event = draft_of(office_x, title_en="Called off", status=Status.CANCELLED)
    staff(office_x, Role.PUBLISHER)

    page = text(client.get(url("events_event_change", event.pk)))

    assert "Called off" in page
    assert 'name="title_en"' not in page
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page


def test_invalid_times_are_shown_on_the_field_and_change_nothing(client, staff, office_x, draft_of):
    event = draft_of(office_x, title_en="Dombra night")
    staff(office_x, Role.EDITOR)
    form = event_form(event, ends_at_0="2000-01-01")

    response = client.post(url("events_event_change", event.pk), form)

    assert response.status_code == 200
    assert "An event must end after it starts." in text(response)
    assert Event.objects.get(pk=event.pk).ends_at == event.ends_at
    assert not StateChange.objects.exists()


def test_editor_edits_a_draft_with_an_updated_record(client, staff, office_x, draft_of):
    event = draft_of(office_x, title_en="Dombra night")
    editor = staff(office_x, Role.EDITOR)

    response = client.post(
        url("events_event_change", event.pk), event_form(event, title_kk="Домбыра кеші")
    )

    assert response.status_code == 302, text(response)
    event.refresh_from_db()
    assert event.title_kk == "Домбыра кеші"
    record = event.history.get()
    assert (record.action, record.actor, record.details["fields"]) == (
        Action.UPDATED,
        editor,
        ["title_kk"],
    )


def test_change_page_shows_the_title_columns_side_by_side_and_the_history(client, staff, office_x):
    editor = staff(office_x, Role.EDITOR)
    event = services.create_event(
        editor,
        office_x,
        {
            "title_en": "Dombra night",
            "category": Event.Category.CULTURAL,
            "starts_at": timezone.now() + timezone.timedelta(days=3),
            "ends_at": timezone.now() + timezone.timedelta(days=3, hours=2),
            "timezone": "Asia/Almaty",
            "venue_name": "Philharmonic",
        },
    )

    response = client.get(url("events_event_change", event.pk))

    assert response.status_code == 200
    assert "field-title_en field-title_ru field-title_kk field-title_ur" in text(response)
    assert 'name="title_ur"' in text(response)
    assert 'dir="rtl"' in text(response)
    assert f"<td>{editor.email}</td><td>Created</td><td><div>Title (English): Dombra night" in text(
        response
    )


# --- Deletion (the event page's actions: test_admin_actions.py) -----------------------------------


def test_deleting_a_public_event_is_forbidden(client, staff, office_x, draft_of):
    event = draft_of(office_x, status=Status.ANNOUNCED)
    staff(office_x, Role.PUBLISHER)

    response = client.post(url("events_event_delete", event.pk), {"post": "yes"}, follow=True)

    assert response.status_code == 403
    assert Event.objects.filter(pk=event.pk).exists()
    assert not StateChange.objects.exists()
    assert not LogEntry.objects.exists()


def test_bulk_delete_removes_drafts_through_the_service(client, staff, office_x, draft_of):
    draft = draft_of(office_x, title_en="Fair")
    public = draft_of(office_x, title_en="Concert", status=Status.ANNOUNCED)
    editor = staff(office_x, Role.EDITOR)

    response = client.post(
        url("events_event_changelist"),
        {"action": "delete_selected", "_selected_action": [draft.pk, public.pk], "post": "yes"},
        follow=True,
    )

    assert "Deleted 1 event." in text(response)
    assert "“Concert” is not a draft and is not deleted" in text(response)
    assert list(Event.objects.values_list("pk", flat=True)) == [public.pk]
    record = StateChange.objects.get()
    assert (record.action, record.subject_title, record.actor) == (Action.DELETED, "Fair", editor)
    assert LogEntry.objects.count() == 1


# --- Announcements -------------------------------------------------------------------------


def test_announcements_are_scoped_to_publisher_offices(
    client, staff, office_x, office_y, announcement_factory
):
    announcement_factory(office=office_x, title_en="Almaty news")
    theirs = announcement_factory(office=office_y, title_en="Karachi news")
    user = staff(office_x, Role.PUBLISHER)
    OfficeMembership.objects.create(user=user, office=office_y, role=Role.EDITOR)

    listed = client.get(url("events_announcement_changelist"))
    other = client.get(url("events_announcement_change", theirs.pk))
    add_form = client.get(url("events_announcement_add"))

    assert "Almaty news" in text(listed)
    assert "Karachi news" not in text(listed)
    assert other.status_code == 302
    assert "Almaty office" in text(add_form)
    assert "Karachi office" not in text(add_form)


def test_editor_only_has_no_announcement_add_page(client, staff, office_x):
    staff(office_x, Role.EDITOR)

    response = client.get(url("events_announcement_add"))

    assert response.status_code == 403


def test_publisher_posts_an_announcement_through_the_service(client, staff, office_x):
    publisher = staff(office_x, Role.PUBLISHER)
    data = {f"{field}_{code}": "" for field in ("title", "body") for code in LANGUAGE_CODES}
    data.update(title_en="Almaty news", body_en="The fair opens on Saturday.", office=office_x.pk)

    response = client.post(url("events_announcement_add"), data)

    assert response.status_code == 302, text(response)
    announcement = Announcement.objects.get()
    assert announcement.city == office_x.city
    assert announcement.published_at is not None
    assert list(announcement.history.values_list("action", "actor")) == [
        (Action.PUBLISHED, publisher.pk)
    ]


def test_an_announcements_page_shows_its_edits_before_and_after(client, staff, office_x):
    # Given an announcement posted and then edited in the admin
    publisher = staff(office_x, Role.PUBLISHER)
    news = services.create_announcement(
        publisher, office_x, {"title_en": "Almaty news", "body_en": "The fair opens on Saturday."}
    )
    data = {f"{field}_{code}": "" for field in ("title", "body") for code in LANGUAGE_CODES}
    data.update(title_en="Almaty fair", body_en="The fair opens on Saturday.", office=office_x.pk)
    response = client.post(url("events_announcement_change", news.pk), data)
    assert response.status_code == 302, text(response)

    # When its page is opened
    page = text(client.get(url("events_announcement_change", news.pk)))

    # Then its history shows what it was posted with, and the title before and after
    history = page.split("<tbody>")[-1].split("</table>")[0]
    assert f"<td>{publisher.email}</td><td>Published</td><td><div>Title (English): Almaty news" in (
        history
    )
    assert f"<td>{publisher.email}</td><td>Changed</td>" in history
    assert "<div>Title (English): Almaty news → Almaty fair</div>" in history


# --- City offices --------------------------------------------------------------------------


def test_staff_see_their_own_offices_read_only(client, staff, office_x, office_y):
    staff(office_x, Role.MODERATOR)

    listed = client.get(url("cities_cityoffice_changelist"))
    add = client.get(url("cities_cityoffice_add"))
    own = client.get(url("cities_cityoffice_change", office_x.pk))

    assert "Almaty office" in text(listed)
    assert "Karachi office" not in text(listed)
    assert add.status_code == 403
    assert own.status_code == 200
    assert "memberships-TOTAL_FORMS" not in text(own)


def test_superuser_manages_memberships_on_the_office_page(client, office_x):
    client.force_login(get_user_model().objects.create_superuser("root@example.org", "unused"))

    response = client.get(url("cities_cityoffice_change", office_x.pk))

    assert "memberships-TOTAL_FORMS" in text(response)


# --- An event's details, the vocabulary of tags, the waitlist --------------------------------
#
# The vocabulary of tags is the operators'; offices tick an event's tags and give its link,
# price and notes on its page, through the services (their rules, their history); raising the
# places serves the waitlist.


@pytest.fixture
def tags(db):
    return [
        Tag.objects.create(slug="music", name_en="Music", name_ru="Музыка"),
        Tag.objects.create(slug="outdoors", name_en="Outdoors", name_ru="На открытом воздухе"),
    ]


@pytest.fixture
def operator(db, client):
    user = get_user_model().objects.create_superuser("operator@example.org", "unused")
    client.force_login(user)
    return user


def details(event, **changes) -> dict:
    """The event's form with its details as they are, and ``changes``."""
    data = event_form(
        event,
        **{f"accessibility_{code}": "" for code in ("en", "ru", "kk", "ur")},
        registration_url=event.registration_url,
        price_amount="" if event.price_amount is None else event.price_amount,
        price_currency=event.price_currency,
        tags=[tag.pk for tag in event.tags.all()],
    )
    if event.is_free:
        data["is_free"] = "on"
    data.update(changes)
    return data


def test_the_vocabulary_is_the_operators(client, operator, tags):
    response = client.post(
        url("events_tag_add"),
        {"slug": "for-children", "name_en": "For children", "name_ru": "Для детей"},
    )

    assert response.status_code == 302
    assert Tag.objects.get(slug="for-children").name_ru == "Для детей"
    assert "Music" in text(client.get(url("events_tag_changelist")))


def test_office_staff_do_not_see_or_change_the_vocabulary(client, staff, office, tags):
    staff(office, Role.PUBLISHER)

    assert client.get(url("events_tag_changelist")).status_code == 403
    assert client.get(url("events_tag_change", tags[0].pk)).status_code == 403
    assert "/admin/events/tag/" not in text(client.get(url("index")))


def test_an_editor_gives_the_details_through_the_service_with_its_history(
    client, staff, office, draft_of, tags
):
    editor = staff(office, Role.EDITOR)
    draft = draft_of(office)

    # When the editor ticks the tags and fills in the link, price and notes
    response = client.post(
        url("events_event_change", draft.pk),
        details(
            draft,
            tags=[tags[0].pk, tags[1].pk],
            registration_url="https://tickets.example.org/a",
            price_amount="2500",
            price_currency="kzt",
            accessibility_en="Step-free entrance.",
            accessibility_ru="Вход без ступенек.",
        ),
    )

    # Then they are saved as the service keeps them, and recorded in the editor's name
    assert response.status_code == 302, text(response)
    draft.refresh_from_db()
    assert sorted(draft.tags.values_list("slug", flat=True)) == ["music", "outdoors"]
    assert (draft.price_amount, draft.price_currency, draft.is_free) == (
        Decimal("2500.00"),
        "KZT",
        False,
    )
    assert draft.accessibility_ru == "Вход без ступенек."
    record = StateChange.objects.filter(event=draft).latest("pk")
    assert record.actor == editor
    assert set(record.details["fields"]) == {
        "tags",
        "registration_url",
        "price_amount",
        "price_currency",
        "accessibility_en",
        "accessibility_ru",
    }
    # and the history on the page names the tags
    with translation.override("en"):
        page = text(client.get(url("events_event_change", draft.pk)))
    assert "Tags: (empty) → Music, Outdoors" in page


def test_the_tags_are_named_in_the_admins_language(client, staff, office, draft_of, tags):
    staff(office, Role.EDITOR)
    draft = draft_of(office)

    page = text(client.get(url("events_event_change", draft.pk), HTTP_ACCEPT_LANGUAGE="ru"))

    assert "На открытом воздухе" in page


def test_ticking_free_clears_the_price_and_both_at_once_are_refused(
    client, staff, office, draft_of
):
    staff(office, Role.EDITOR)
    draft = draft_of(office, price_amount=Decimal("10"), price_currency="USD")

    refused = client.post(
        url("events_event_change", draft.pk), details(draft, is_free="on", price_amount="12")
    )
    assert refused.status_code == 200
    assert "A free event has no price" in text(refused)
    draft.refresh_from_db()
    assert (draft.price_amount, draft.is_free) == (Decimal("10.00"), False)

    done = client.post(url("events_event_change", draft.pk), details(draft, is_free="on"))
    assert done.status_code == 302
    draft.refresh_from_db()
    assert (draft.price_amount, draft.price_currency, draft.is_free) == (None, "", True)


def test_a_plain_http_link_is_refused_on_its_field(client, staff, office, draft_of):
    staff(office, Role.EDITOR)
    draft = draft_of(office)

    response = client.post(
        url("events_event_change", draft.pk),
        details(draft, registration_url="http://tickets.example.org/"),
    )

    assert response.status_code == 200
    assert "Give a web address starting with https://." in text(response)
    draft.refresh_from_db()
    assert draft.registration_url == ""


def test_more_places_typed_in_the_admin_go_to_the_waitlist(
    client, staff, office, event_factory, user_factory
):
    staff(office, Role.PUBLISHER)
    event = event_factory(office=office, host_city=office.city, capacity=1)
    services.set_rsvp(user_factory(), event, Rsvp.Status.GOING)
    waiting = user_factory()
    services.set_rsvp(waiting, event, Rsvp.Status.WAITLISTED)

    response = client.post(url("events_event_change", event.pk), details(event, capacity=2))

    assert response.status_code == 302, text(response)
    assert Rsvp.objects.get(user=waiting, event=event).status == Rsvp.Status.GOING
    assert Event.objects.get(pk=event.pk).attendee_count == 2
