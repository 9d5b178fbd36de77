"""The page an invitation's link opens: a newcomer sets a password, someone with an account
signs in; either joins the team and lands in the admin. Links that expired, were used or
withdrawn say so; a link no invitation has says nothing of who is invited."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cities import team
from cities.models import OfficeInvitation, OfficeMembership
from tests.cities.team_fixtures import BASE_URL, Role, last_token, member

PASSWORD = "a long and unusual passphrase"
OLD_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def page(token: str) -> str:
    return reverse("office-invitation", kwargs={"token": token})


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def office(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Aktau"), name_en="Aktau office")


@pytest.fixture
def invited(django_capture_on_commit_callbacks, office):
    """Invite ``email`` to the office as ``role``; the token its e-mail carries."""
    admin = member(office, Role.ADMIN)

    def send(email="newcomer@example.org", role=Role.EDITOR):
        with django_capture_on_commit_callbacks(execute=True):
            team.invite(office=office, email=email, role=role, by=admin, base_url=BASE_URL)
        return last_token()

    return send


def test_a_newcomer_sets_a_password_and_lands_in_the_admin(client, invited, office):
    token = invited(role=Role.PUBLISHER)

    shown = client.get(page(token))
    assert shown.status_code == 200
    assert "Aktau office" in text(shown) and "newcomer@example.org" in text(shown)
    assert 'name="password1"' in text(shown)

    accepted = client.post(page(token), {"password1": PASSWORD, "password2": PASSWORD})

    assert accepted.status_code == 302 and accepted.url == reverse("admin:index")
    user = get_user_model().objects.get(email="newcomer@example.org")
    assert OfficeMembership.objects.filter(user=user, office=office, role=Role.PUBLISHER).exists()
    # Signed in: the admin opens
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_page_wears_the_admins_name_in_the_visitors_language(client, invited):
    token = invited(role=Role.EDITOR)

    shown = text(client.get(page(token), HTTP_ACCEPT_LANGUAGE="ru"))

    assert "Twinning: рабочее место городских офисов" in shown
    assert "Django" not in shown


@pytest.mark.parametrize(
    ("first", "second", "says"),
    [
        (PASSWORD, PASSWORD + "x", "The two passwords are not the same."),
        ("12345678", "12345678", "This password is too common."),
    ],
)
def test_a_bad_new_password_is_a_form_error(client, invited, first, second, says):
    token = invited()

    response = client.post(page(token), {"password1": first, "password2": second})

    assert response.status_code == 200
    assert says in text(response)
    assert not get_user_model().objects.filter(email="newcomer@example.org").exists()


def test_someone_with_an_account_signs_in_with_their_password(client, invited, office):
    person = member(office, Role.EDITOR, email="person@example.org")
    token = invited("person@example.org", Role.MODERATOR)

    shown = client.get(page(token))
    assert 'name="password"' in text(shown) and 'name="password1"' not in text(shown)
    wrong = client.post(page(token), {"password": "not it"})
    assert wrong.status_code == 200 and "This password is not right." in text(wrong)
    assert not OfficeMembership.objects.filter(user=person, role=Role.MODERATOR).exists()

    accepted = client.post(page(token), {"password": OLD_PASSWORD})

    assert accepted.status_code == 302
    assert OfficeMembership.objects.filter(user=person, role=Role.MODERATOR).exists()


def test_someone_signed_in_as_the_invited_address_just_accepts(client, invited, office):
    person = member(office, Role.EDITOR, email="person@example.org")
    token = invited("person@example.org", Role.MODERATOR)
    client.force_login(person)

    accepted = client.post(page(token), {})

    assert accepted.status_code == 302
    assert OfficeMembership.objects.filter(user=person, role=Role.MODERATOR).exists()


def test_guessing_the_password_on_the_page_is_bounded(client, invited, office):
    member(office, Role.EDITOR, email="person@example.org")
    token = invited("person@example.org", Role.MODERATOR)
    for _ in range(5):
        client.post(page(token), {"password": "guess"})

    # Even the right password waits now
    response = client.post(page(token), {"password": OLD_PASSWORD})

    assert response.status_code == 200
    assert "Too many wrong passwords" in text(response)


def test_a_used_link_says_so(client, invited):
    token = invited()
    client.post(page(token), {"password1": PASSWORD, "password2": PASSWORD})
    client.logout()

    for response in (client.get(page(token)), client.post(page(token), {})):
        assert response.status_code == 410
        assert "already been accepted" in text(response)


def test_an_expired_link_says_so(client, invited):
    token = invited()
    OfficeInvitation.objects.update(expires_at=timezone.now())

    response = client.post(page(token), {"password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 410
    assert "This invitation has expired." in text(response)
    assert not get_user_model().objects.filter(email="newcomer@example.org").exists()


def test_a_withdrawn_link_says_so(client, invited):
    token = invited()
    OfficeInvitation.objects.update(revoked_at=timezone.now())

    response = client.get(page(token))

    assert response.status_code == 410
    assert "This invitation was withdrawn by the office." in text(response)


def test_a_link_withdrawn_while_its_page_was_open_says_so(client, invited, monkeypatch):
    # Given a page opened on a link that the office withdraws before the form is sent
    token = invited()
    accept = team.accept

    def withdrawn_first(*args, **kwargs):
        OfficeInvitation.objects.update(revoked_at=timezone.now())
        return accept(*args, **kwargs)

    monkeypatch.setattr(team, "accept", withdrawn_first)

    # When the form is sent
    response = client.post(page(token), {"password1": PASSWORD, "password2": PASSWORD})

    # Then the page says it was withdrawn, not that it was accepted
    assert response.status_code == 410
    assert "This invitation was withdrawn by the office." in text(response)
    assert "already been accepted" not in text(response)


def test_a_link_no_invitation_has_tells_nothing(client, invited):
    invited()

    answers = [client.get(page(token)) for token in ("A" * 43, "B" * 10)]

    assert [a.status_code for a in answers] == [404, 404]
    assert text(answers[0]) == text(answers[1])
    assert "This invitation link is not valid." in text(answers[0])
    assert "newcomer" not in text(answers[0])
    # Characters no token has are not even looked up
    assert client.get("/team/join/%00/").status_code == 404


def test_an_app_user_without_a_password_chooses_one(client, invited, office, user_factory):
    person = user_factory(email="app.user@example.org")
    person.set_unusable_password()
    person.save(update_fields=["password"])
    token = invited("app.user@example.org", Role.EDITOR)

    shown = client.get(page(token))
    accepted = client.post(page(token), {"password1": PASSWORD, "password2": PASSWORD})

    assert 'name="password1"' in text(shown)
    assert accepted.status_code == 302
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert OfficeMembership.objects.filter(user=person, office=office).exists()


def test_the_link_without_its_last_slash_moves_to_the_link(client, invited):
    # As a mail client or a person copying it may cut it: the link itself still opens
    token = invited()

    cut = client.get(page(token).rstrip("/"))

    assert (cut.status_code, cut["Location"]) == (301, page(token))
    assert client.get(cut["Location"]).status_code == 200
