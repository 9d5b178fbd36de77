"""The admin's chat pages: moderators see the reports and mutes of the events they moderate
and settle them through the services; other offices' staff see nothing of them."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.display_names import name_with_tag
from chat.models import ChatMessage, ChatMute, ChatReport
from cities.models import OfficeMembership
from cities.staff import office_staff_group
from tests.factories import ChatMessageFactory

Role = OfficeMembership.Role


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


@pytest.fixture
def staff(db, client):
    """Sign in a new staff user holding ``role`` in ``office`` and the staff group."""

    def sign_in(office, role):
        user = get_user_model().objects.create_user(
            f"{role.lower()}@{office.pk}.example.org", "unused", is_staff=True
        )
        OfficeMembership.objects.create(user=user, office=office, role=role)
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


@pytest.fixture
def chats(event_factory, user_factory):
    """Two events on now, of two offices, each with a reported message and a muted user."""
    now = timezone.now()
    found = {}
    for title in ("Caspian jazz", "Qawwali evening"):
        event = event_factory(
            title_en=title, starts_at=now, ends_at=now + datetime.timedelta(hours=2)
        )
        author, reporter = user_factory(), user_factory()
        message = ChatMessageFactory(event=event, author=author, body=f"Spam in {title}")
        report = ChatReport.objects.create(
            event=event, message=message, reporter=reporter, reason=f"Spam ({title})"
        )
        mute = ChatMute.objects.create(
            event=event, user=author, until=now + datetime.timedelta(hours=1)
        )
        found[title] = (event, message, report, mute)
    return found


def test_a_moderator_sees_the_reports_and_mutes_of_their_events_only(client, staff, chats):
    event, *_ = chats["Caspian jazz"]
    staff(event.office, Role.MODERATOR)

    reports = client.get(url("chat_chatreport_changelist")).content.decode()
    mutes = client.get(url("chat_chatmute_changelist")).content.decode()
    other_report = chats["Qawwali evening"][2]

    assert "Spam (Caspian jazz)" in reports
    assert "Spam (Qawwali evening)" not in reports
    assert "Caspian jazz" in mutes
    assert "Qawwali evening" not in mutes
    assert client.get(url("chat_chatreport_change", other_report.pk)).status_code == 302


def test_an_editor_has_no_chat_pages(client, staff, chats):
    event, *_ = chats["Caspian jazz"]
    staff(event.office, Role.EDITOR)

    assert client.get(url("chat_chatreport_changelist")).status_code == 403
    assert client.get(url("chat_chatmute_changelist")).status_code == 403


def test_the_actions_dismiss_reports_and_delete_messages(client, staff, chats):
    event, message, report, _ = chats["Caspian jazz"]
    moderator = staff(event.office, Role.MODERATOR)
    other = ChatMessageFactory(event=event, body="Rude")
    rude = ChatReport.objects.create(event=event, message=other, reporter=moderator, reason="Rude")

    client.post(
        url("chat_chatreport_changelist"),
        {"action": "dismiss_reports", "_selected_action": [rude.pk]},
    )
    client.post(
        url("chat_chatreport_changelist"),
        {"action": "delete_messages", "_selected_action": [report.pk]},
    )

    rude.refresh_from_db()
    report.refresh_from_db()
    assert (rude.status, rude.resolved_by) == (ChatReport.Status.DISMISSED, moderator)
    assert report.status == ChatReport.Status.MESSAGE_DELETED
    assert ChatMessage.objects.get(pk=message.pk).deleted_by == moderator
    assert ChatMessage.objects.get(pk=other.pk).deleted_at is None


def test_deleting_a_mute_lifts_it(client, staff, chats):
    event, _, _, mute = chats["Caspian jazz"]
    staff(event.office, Role.PUBLISHER)

    client.post(url("chat_chatmute_delete", mute.pk), {"post": "yes"})

    assert not ChatMute.objects.filter(pk=mute.pk).exists()
    assert ChatMute.objects.count() == 1


def test_reports_and_mutes_show_their_times_in_the_venues_zone(
    client, staff, office_factory, city_factory, event_factory, user_factory
):
    # An Aktau office's event at a venue in Moscow: its chat's times are Moscow's.
    aktau = office_factory(city=city_factory(name_en="Aktau", timezone="Asia/Aqtau"))
    event = event_factory(office=aktau, host_city=aktau.city, timezone="Europe/Moscow")
    author = user_factory()
    message = ChatMessageFactory(event=event, author=author)
    report = ChatReport.objects.create(
        event=event, message=message, reporter=user_factory(), reason="Spam"
    )
    mute = ChatMute.objects.create(
        event=event, user=author, until=datetime.datetime(2031, 5, 4, 18, 30, tzinfo=datetime.UTC)
    )
    reported = datetime.datetime(2031, 5, 4, 16, 5, tzinfo=datetime.UTC)
    ChatReport.objects.filter(pk=report.pk).update(created_at=reported)
    staff(aktau, Role.MODERATOR)

    reports = client.get(url("chat_chatreport_changelist")).content.decode()
    report_page = client.get(url("chat_chatreport_change", report.pk)).content.decode()
    mutes = client.get(url("chat_chatmute_changelist")).content.decode()
    mute_page = client.get(url("chat_chatmute_change", mute.pk)).content.decode()

    zone = "(Europe/Moscow, UTC+03:00)"
    # The first column links to the report.
    assert f"2031-05-04 19:05 {zone}</a></th>" in reports
    assert f"2031-05-04 19:05 {zone}" in report_page
    assert f'<td class="field-until_in_zone">2031-05-04 21:30 {zone}</td>' in mutes
    assert f"2031-05-04 21:30 {zone}" in mute_page


def test_a_reports_page_is_to_read_and_a_save_sent_to_it_changes_nothing(client, staff, chats):
    event, _, report, _ = chats["Caspian jazz"]
    staff(event.office, Role.MODERATOR)

    page = client.get(url("chat_chatreport_change", report.pk))
    saved = client.post(url("chat_chatreport_change", report.pk), {"_save": "Save"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    # Refused as a change without the permission is, not a server error
    assert saved.status_code == 403
    report.refresh_from_db()
    assert report.status == ChatReport.Status.OPEN


def test_moderators_read_people_by_name_and_tag_never_by_email(client, staff, chats):
    event, _, report, mute = chats["Caspian jazz"]
    staff(event.office, Role.MODERATOR)
    pages = [
        client.get(url("chat_chatreport_changelist")),
        client.get(url("chat_chatreport_change", report.pk)),
        client.get(url("chat_chatmute_changelist")),
        client.get(url("chat_chatmute_change", mute.pk)),
    ]

    for page in pages:
        assert page.status_code == 200
        text = page.content.decode()
        for person in (report.reporter, mute.user):
            assert person.email not in text
    assert name_with_tag(report.reporter) in pages[1].content.decode()
    assert name_with_tag(mute.user) in pages[2].content.decode()
