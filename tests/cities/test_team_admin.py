"""The admin's Team pages: an office's administrators see and manage their own office's team
(members, invitations) through the services; refusals are form errors or messages."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.core import mail
from django.urls import reverse

from cities.models import OfficeInvitation, OfficeMembership
from cities.staff import office_staff_group
from tests.cities.team_fixtures import Role, member

MEMBERS = "admin:cities_officemembership_changelist"
INVITATIONS = "admin:cities_officeinvitation_changelist"
INVITE = "admin:cities_officeinvitation_add"


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def office_x(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Almaty"), name_en="Almaty office")


@pytest.fixture
def office_y(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Karachi"), name_en="Karachi office")


@pytest.fixture
def signed_in(client):
    """Sign in a staff user holding ``roles`` in ``office``."""

    def sign_in(office, *roles, **fields):
        user = member(office, *roles, is_staff=True, **fields)
        user.groups.add(office_staff_group())
        client.force_login(user)
        return user

    return sign_in


def test_an_administrator_sees_their_own_offices_team_only(client, signed_in, office_x, office_y):
    member(office_x, Role.EDITOR, email="ours@example.org")
    member(office_y, Role.EDITOR, email="theirs@example.org")
    signed_in(office_x, Role.ADMIN)

    response = client.get(reverse(MEMBERS))

    assert response.status_code == 200
    assert "ours@example.org" in text(response)
    assert "theirs@example.org" not in text(response)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.PUBLISHER, Role.MODERATOR])
def test_other_staff_do_not_open_the_team_pages(client, signed_in, office_x, role):
    signed_in(office_x, role)

    for name in (MEMBERS, INVITATIONS, INVITE):
        assert client.get(reverse(name)).status_code == 403


def test_an_administrator_invites_from_the_admin(
    client, signed_in, office_x, django_capture_on_commit_callbacks
):
    signed_in(office_x, Role.ADMIN)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(INVITE),
            {"office": office_x.pk, "email": "new@example.org", "role": Role.MODERATOR},
            follow=True,
        )

    assert response.status_code == 200
    assert "The invitation was sent to new@example.org." in text(response)
    invitation = OfficeInvitation.objects.get()
    assert (invitation.office, invitation.email, invitation.role) == (
        office_x,
        "new@example.org",
        Role.MODERATOR,
    )
    (message,) = mail.outbox
    # Without PUBLIC_BASE_URL, the link starts with the address the admin was reached at
    assert "http://testserver/team/join/" in message.body


def test_an_administrator_cannot_invite_into_another_office(client, signed_in, office_x, office_y):
    signed_in(office_x, Role.ADMIN)

    response = client.post(
        reverse(INVITE), {"office": office_y.pk, "email": "new@example.org", "role": "EDITOR"}
    )

    assert response.status_code == 200
    assert "Select a valid choice." in text(response)
    assert not OfficeInvitation.objects.exists()


def test_a_refused_invitation_is_a_form_error(client, signed_in, office_x, settings):
    settings.OFFICE_INVITATIONS_PER_DAY = 0
    signed_in(office_x, Role.ADMIN)

    response = client.post(
        reverse(INVITE), {"office": office_x.pk, "email": "new@example.org", "role": "EDITOR"}
    )

    assert response.status_code == 200
    assert "as many invitations as it may in one day" in text(response)
    assert not OfficeInvitation.objects.exists()


def test_an_administrator_changes_a_role(client, signed_in, office_x):
    editor = member(office_x, Role.EDITOR)
    signed_in(office_x, Role.ADMIN)
    membership = editor.memberships.get()

    response = client.post(
        reverse("admin:cities_officemembership_change", args=[membership.pk]),
        {"role": Role.PUBLISHER},
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.PUBLISHER


def test_the_last_administrator_is_neither_demoted_nor_removed(client, signed_in, office_x):
    admin = signed_in(office_x, Role.ADMIN)
    membership = admin.memberships.get()

    demoted = client.post(
        reverse("admin:cities_officemembership_change", args=[membership.pk]),
        {"role": Role.EDITOR},
    )
    removed = client.post(
        reverse("admin:cities_officemembership_delete", args=[membership.pk]),
        {"post": "yes"},
        follow=True,
    )

    assert demoted.status_code == 200
    assert "The office must keep at least one administrator." in text(demoted)
    assert "The office must keep at least one administrator." in text(removed)
    assert "was deleted successfully" not in text(removed)
    assert OfficeMembership.objects.filter(pk=membership.pk, role=Role.ADMIN).exists()


def test_a_refused_removal_is_not_logged_as_a_deletion(client, signed_in, office_x):
    # Given the office's only administrator
    admin = signed_in(office_x, Role.ADMIN)
    membership = admin.memberships.get()

    # When they try to remove their own role, which is refused
    client.post(
        reverse("admin:cities_officemembership_delete", args=[membership.pk]), {"post": "yes"}
    )

    # Then the admin's "Recent actions" do not say it was deleted
    assert OfficeMembership.objects.filter(pk=membership.pk).exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()

    # But a removal that is made is logged
    editor = member(office_x, Role.EDITOR).memberships.get()
    client.post(reverse("admin:cities_officemembership_delete", args=[editor.pk]), {"post": "yes"})
    assert not OfficeMembership.objects.filter(pk=editor.pk).exists()
    assert list(
        LogEntry.objects.filter(action_flag=DELETION).values_list("object_id", flat=True)
    ) == [str(editor.pk)]


def test_an_administrator_removes_roles_of_their_own_office_only(
    client, signed_in, office_x, office_y
):
    ours = member(office_x, Role.EDITOR).memberships.get()
    theirs = member(office_y, Role.EDITOR).memberships.get()
    signed_in(office_x, Role.ADMIN)

    client.post(
        reverse(MEMBERS),
        {"action": "remove_selected", "_selected_action": [ours.pk, theirs.pk]},
    )
    other = client.post(
        reverse("admin:cities_officemembership_delete", args=[theirs.pk]), {"post": "yes"}
    )

    assert not OfficeMembership.objects.filter(pk=ours.pk).exists()
    assert OfficeMembership.objects.filter(pk=theirs.pk).exists()
    assert other.status_code == 302  # the admin's "does not exist" redirect, not a deletion


def test_an_administrator_withdraws_and_sends_again(
    client, signed_in, office_x, django_capture_on_commit_callbacks
):
    signed_in(office_x, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(INVITE), {"office": office_x.pk, "email": "a@example.org", "role": "EDITOR"}
        )
    invitation = OfficeInvitation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(INVITATIONS), {"action": "send_again", "_selected_action": [invitation.pk]}
        )
    client.post(reverse(INVITATIONS), {"action": "withdraw", "_selected_action": [invitation.pk]})
    listed = client.get(reverse(INVITATIONS))

    assert len(mail.outbox) == 2
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "withdrawn" in text(listed)


def test_a_superuser_sees_every_team(client, admin_user, office_x, office_y):
    member(office_x, Role.EDITOR, email="ours@example.org")
    member(office_y, Role.EDITOR, email="theirs@example.org")
    client.force_login(admin_user)

    response = client.get(reverse(MEMBERS))

    assert "ours@example.org" in text(response)
    assert "theirs@example.org" in text(response)


def test_the_pages_show_the_offices_choices_and_times_in_its_zone(
    client, signed_in, office_x, office_y, django_capture_on_commit_callbacks
):
    admin = signed_in(office_x, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(INVITE), {"office": office_x.pk, "email": "a@example.org", "role": "EDITOR"}
        )
    invitation = OfficeInvitation.objects.get()

    form = client.get(reverse(INVITE))
    sent = client.get(reverse("admin:cities_officeinvitation_change", args=[invitation.pk]))
    role = client.get(
        reverse("admin:cities_officemembership_change", args=[admin.memberships.get().pk])
    )

    assert form.status_code == sent.status_code == role.status_code == 200
    assert "Almaty office" in text(form) and "Karachi office" not in text(form)
    assert "Office administrator" in text(form)
    assert "(Asia/Almaty, UTC+05:00)" in text(sent)
