"""The services of an office's team: invitations by e-mail (hashed single-use tokens that
expire), roles changed and taken away by the office's administrators, within their office."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from cities import team
from cities.error_codes import CityErrorCode
from cities.models import OfficeInvitation, OfficeMembership
from cities.permissions import has_role
from cities.staff import STAFF_GROUP_NAME
from tests.cities.team_fixtures import BASE_URL, Role, last_token, member

PASSWORD = "a long and unusual passphrase"


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def roles_of(user, office) -> list[str]:
    return sorted(
        OfficeMembership.objects.filter(user=user, office=office).values_list("role", flat=True)
    )


@pytest.fixture
def office(office_factory):
    return office_factory()


@pytest.fixture
def other_office(office_factory):
    return office_factory()


@pytest.fixture
def admin(office):
    return member(office, Role.ADMIN, email="admin@office.example.org")


@pytest.fixture
def invite(django_capture_on_commit_callbacks, admin, office):
    """Invite ``email`` (by the office's administrator unless told), the e-mail sent."""

    def send(email="newcomer@example.org", role=Role.EDITOR, by=None, into=None):
        with django_capture_on_commit_callbacks(execute=True):
            return team.invite(
                office=into or office, email=email, role=role, by=by or admin, base_url=BASE_URL
            )

    return send


# --- Inviting --------------------------------------------------------------------------------


def test_an_invitation_mails_a_link_whose_token_is_kept_only_hashed(invite, office):
    # When the administrator invites a newcomer
    invitation = invite("Newcomer@Example.org", Role.MODERATOR)

    # Then one e-mail goes to them, in text and HTML, with the link
    (message,) = mail.outbox
    assert message.to == ["Newcomer@example.org"]
    assert office.name_en in message.subject
    token = last_token()
    assert "Moderator" in message.body
    # and the database keeps only the token's sha256, the invitation open for the set days
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=7)
    assert invitation.is_open()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.PUBLISHER, Role.MODERATOR])
def test_only_administrators_invite(invite, office, role):
    # Given a member of the office who is not its administrator
    someone = member(office, role)

    # When they invite, then it is refused and no mail leaves
    with pytest.raises(ValidationError) as refused:
        invite(by=someone)
    assert codes(refused.value) == {CityErrorCode.NOT_OFFICE_ADMIN}
    assert mail.outbox == []


def test_an_administrator_cannot_invite_into_another_office(invite, other_office):
    with pytest.raises(ValidationError) as refused:
        invite(into=other_office)

    assert codes(refused.value) == {CityErrorCode.NOT_OFFICE_ADMIN}
    assert not OfficeInvitation.objects.filter(office=other_office).exists()


def test_a_superuser_invites_into_any_office(invite, other_office, user_factory):
    root = user_factory(is_superuser=True, is_staff=True)

    invitation = invite(by=root, into=other_office)

    assert invitation.office == other_office
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("email", "role", "code"),
    [
        ("not an address", Role.EDITOR, CityErrorCode.INVALID_EMAIL),
        ("someone@example.org", "OWNER", CityErrorCode.INVALID_ROLE),
    ],
)
def test_a_bad_address_or_role_is_refused(invite, email, role, code):
    with pytest.raises(ValidationError) as refused:
        invite(email, role)

    assert codes(refused.value) == {code}


def test_someone_who_has_the_role_already_is_not_invited_to_it(invite, office):
    member(office, Role.EDITOR, email="editor@example.org")

    with pytest.raises(ValidationError) as refused:
        invite("EDITOR@example.org", Role.EDITOR)

    assert codes(refused.value) == {CityErrorCode.ALREADY_IN_TEAM}


def test_inviting_the_same_address_again_withdraws_the_earlier_link(invite):
    first = invite()
    first_token = last_token()

    second = invite(role=Role.PUBLISHER)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_open()
    with pytest.raises(ValidationError) as refused:
        team.accept(first_token, password=PASSWORD)
    assert codes(refused.value) == {CityErrorCode.INVITATION_CLOSED}


def test_an_office_sends_a_bounded_number_of_invitations_a_day(invite, settings):
    # Given an office that may send two invitations a day and sent them
    settings.OFFICE_INVITATIONS_PER_DAY = 2
    invite("one@example.org")
    invitation = invite("two@example.org")

    # When it invites a third person, or sends one again, then it is refused
    with pytest.raises(ValidationError) as refused:
        invite("three@example.org")
    assert codes(refused.value) == {CityErrorCode.TOO_MANY_INVITATIONS}
    with pytest.raises(ValidationError):
        team.resend(invitation, by=invitation.invited_by, base_url=BASE_URL)
    assert len(mail.outbox) == 2

    # But a day later it may again
    OfficeInvitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=1, seconds=1))
    invite("three@example.org")
    assert len(mail.outbox) == 3


# --- Accepting -------------------------------------------------------------------------------


def test_a_newcomer_accepts_with_a_password_and_becomes_staff(invite, office):
    invitation = invite(role=Role.PUBLISHER)

    user = team.accept(last_token(), password=PASSWORD)

    assert user.email == "newcomer@example.org"
    assert user.is_staff and user.check_password(PASSWORD)
    assert user.groups.filter(name=STAFF_GROUP_NAME).exists()
    assert roles_of(user, office) == [Role.PUBLISHER]
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user


def test_a_newcomers_password_must_pass_the_validators(invite):
    invite()

    with pytest.raises(ValidationError):
        team.accept(last_token(), password="12345")

    assert not get_user_model().objects.filter(email="newcomer@example.org").exists()


def test_someone_with_an_account_accepts_signed_in_and_keeps_their_password(
    invite, office, other_office
):
    # Given an editor of another office, invited here as moderator
    person = member(other_office, Role.EDITOR, email="person@example.org")
    invite("person@example.org", Role.MODERATOR)
    token = last_token()

    # When nobody, or someone else, accepts: it is refused
    for who in (None, member(office, Role.EDITOR)):
        with pytest.raises(ValidationError) as refused:
            team.accept(token, user=who, password=PASSWORD)
        assert codes(refused.value) == {CityErrorCode.SIGN_IN_REQUIRED}

    # When they accept signed in: they gain the role, keep their password and other office
    team.accept(token, user=person, password="ignored")
    person.refresh_from_db()
    assert roles_of(person, office) == [Role.MODERATOR]
    assert roles_of(person, other_office) == [Role.EDITOR]
    assert person.check_password("correct horse battery staple")


def test_a_link_works_once(invite):
    invite()
    token = last_token()
    team.accept(token, password=PASSWORD)

    with pytest.raises(ValidationError) as refused:
        team.accept(token, password=PASSWORD)

    assert codes(refused.value) == {CityErrorCode.INVITATION_CLOSED}


def test_an_expired_link_does_not_work(invite):
    invitation = invite()
    OfficeInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    with pytest.raises(ValidationError) as refused:
        team.accept(last_token(), password=PASSWORD)

    assert codes(refused.value) == {CityErrorCode.INVITATION_CLOSED}
    assert not get_user_model().objects.filter(email="newcomer@example.org").exists()


def test_a_withdrawn_link_does_not_work_and_one_sent_again_replaces_it(
    invite, admin, django_capture_on_commit_callbacks
):
    invitation = invite()
    old = last_token()

    # Sent again: a new link, the old one dead
    with django_capture_on_commit_callbacks(execute=True):
        team.resend(invitation, by=admin, base_url=BASE_URL)
    new = last_token()
    assert new != old
    with pytest.raises(ValidationError) as refused:
        team.accept(old, password=PASSWORD)
    assert codes(refused.value) == {CityErrorCode.INVITATION_NOT_FOUND}

    # Withdrawn: the new one dies too
    team.revoke(invitation, by=admin)
    with pytest.raises(ValidationError) as refused:
        team.accept(new, password=PASSWORD)
    assert codes(refused.value) == {CityErrorCode.INVITATION_CLOSED}


def test_a_token_no_invitation_has_is_not_found(invite):
    invite()

    with pytest.raises(ValidationError) as refused:
        team.accept("x" * 43, password=PASSWORD)

    assert codes(refused.value) == {CityErrorCode.INVITATION_NOT_FOUND}


# --- Roles changed and taken away ------------------------------------------------------------


def test_an_administrator_removes_a_member_at_once(admin, office):
    editor = member(office, Role.EDITOR, Role.MODERATOR)
    assert has_role(editor, [office.pk])

    team.remove_member(editor, office, by=admin)

    assert roles_of(editor, office) == []
    # A request reads the roles afresh: the user as loaded for the next one holds none.
    assert not has_role(get_user_model().objects.get(pk=editor.pk), [office.pk])


def test_an_administrator_changes_a_role(admin, office):
    editor = member(office, Role.EDITOR)

    team.change_role(editor.memberships.get(), Role.PUBLISHER, by=admin)

    assert roles_of(editor, office) == [Role.PUBLISHER]


def test_an_administrator_cannot_touch_another_offices_team(admin, other_office):
    theirs = member(other_office, Role.EDITOR)

    with pytest.raises(ValidationError) as removing:
        team.remove_member(theirs, other_office, by=admin)
    with pytest.raises(ValidationError) as changing:
        team.change_role(theirs.memberships.get(), Role.ADMIN, by=admin)

    assert codes(removing.value) == codes(changing.value) == {CityErrorCode.NOT_OFFICE_ADMIN}
    assert roles_of(theirs, other_office) == [Role.EDITOR]


def test_the_last_administrator_stays(admin, office):
    # Neither removed nor demoted, not even by themselves
    for change in (
        lambda: team.remove_member(admin, office, by=admin),
        lambda: team.remove_role(admin.memberships.get(), by=admin),
        lambda: team.change_role(admin.memberships.get(), Role.EDITOR, by=admin),
    ):
        with pytest.raises(ValidationError) as refused:
            change()
        assert codes(refused.value) == {CityErrorCode.LAST_ADMIN}
    assert roles_of(admin, office) == [Role.ADMIN]

    # With a second administrator, one may go
    second = member(office, Role.ADMIN)
    team.remove_member(admin, office, by=second)
    assert roles_of(admin, office) == []


def test_the_e_mail_is_written_in_the_inviters_language(
    django_capture_on_commit_callbacks, admin, office
):
    # When an administrator working in Russian invites someone
    with django_capture_on_commit_callbacks() as after_commit, translation.override("ru"):
        team.invite(
            office=office,
            email="new@example.org",
            role=Role.EDITOR,
            by=admin,
            base_url=BASE_URL,
        )
    # and the e-mail leaves after the commit, in another language's context
    with translation.override("en"):
        for callback in after_commit:
            callback()

    # Then it is rendered in Russian (its HTML says so)
    (message,) = mail.outbox
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    assert '<html lang="ru" dir="ltr">' in html


def test_an_account_without_a_password_chooses_one_on_accepting(invite, office, user_factory):
    # Given someone who signed in to the app only (Firebase), with no password here
    person = user_factory(email="app.user@example.org")
    person.set_unusable_password()
    person.save(update_fields=["password"])
    invite("app.user@example.org", Role.EDITOR)

    # When they accept with a new password
    team.accept(last_token(), password=PASSWORD)

    # Then that account (no second one) holds the role and the password
    person.refresh_from_db()
    assert person.check_password(PASSWORD) and person.is_staff
    assert roles_of(person, office) == [Role.EDITOR]
    assert get_user_model().objects.filter(email__iexact="app.user@example.org").count() == 1


def test_a_disabled_account_cannot_accept(invite, office, user_factory):
    person = user_factory(email="gone@example.org", is_active=False)
    invite("gone@example.org", Role.EDITOR)

    with pytest.raises(ValidationError) as refused:
        team.accept(last_token(), user=person)

    assert codes(refused.value) == {CityErrorCode.SIGN_IN_REQUIRED}
    assert roles_of(person, office) == []


def test_a_newcomer_must_choose_a_password(invite):
    invite()

    with pytest.raises(ValidationError) as refused:
        team.accept(last_token(), password="")

    assert codes(refused.value) == {CityErrorCode.PASSWORD_REQUIRED}
    assert OfficeInvitation.objects.get().is_open()


def test_sending_one_invitation_again_and_again_counts_towards_the_daily_bound(
    invite, admin, settings, django_capture_on_commit_callbacks
):
    # Given an office that may send three invitation e-mails a day and sent one
    settings.OFFICE_INVITATIONS_PER_DAY = 3
    invitation = invite()

    # When it sends that invitation again and again
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            team.resend(invitation, by=admin, base_url=BASE_URL)

    # Then the fourth e-mail of the day is refused, sent again or new
    with pytest.raises(ValidationError) as refused:
        team.resend(invitation, by=admin, base_url=BASE_URL)
    assert codes(refused.value) == {CityErrorCode.TOO_MANY_INVITATIONS}
    with pytest.raises(ValidationError) as refused:
        invite("another@example.org")
    assert codes(refused.value) == {CityErrorCode.TOO_MANY_INVITATIONS}
    assert len(mail.outbox) == 3
