"""``create_office_user``: a staff user with roles in an office and the staff group; run twice,
it changes nothing."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from cities.management.commands import create_office_user
from cities.models import OfficeMembership
from cities.staff import STAFF_GROUP_NAME, make_office_staff

Role = OfficeMembership.Role
PASSWORD = "correct horse battery staple"


class Terminal(io.StringIO):
    """Standard input as if a person sat at a terminal."""

    def isatty(self):
        return True


def run(*args, stdin=None):
    """Run the command; returns what it printed."""
    out = io.StringIO()
    call_command(
        "create_office_user", *args, stdin=stdin or io.StringIO(), stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def roles_of(user, office):
    return sorted(
        OfficeMembership.objects.filter(user=user, office=office).values_list("role", flat=True)
    )


@pytest.fixture
def office(office_factory):
    return office_factory()


def test_creates_a_staff_user_with_roles_and_group(office):
    out = run(
        "aigerim@almaty.example.org",
        "--office",
        str(office.pk),
        "--role",
        "EDITOR",
        "--role",
        "publisher",
        "--password-stdin",
        stdin=io.StringIO(PASSWORD + "\n"),
    )

    user = get_user_model().objects.get(email="aigerim@almaty.example.org")
    assert user.is_staff and not user.is_superuser
    assert user.check_password(PASSWORD)
    assert roles_of(user, office) == [Role.EDITOR, Role.PUBLISHER]
    assert list(user.groups.values_list("name", flat=True)) == [STAFF_GROUP_NAME]
    assert user.has_perm("events.change_event")
    assert user.has_perm("events.delete_announcement")
    assert user.has_perm("cities.view_cityoffice")
    assert not user.has_perm("cities.change_city")
    assert "Created staff user aigerim@almaty.example.org" in out
    assert "EDITOR, PUBLISHER" in out


def test_second_run_changes_nothing(office):
    args = ("aigerim@almaty.example.org", "--office", str(office.pk), "--role", "EDITOR")
    run(*args, "--password-stdin", stdin=io.StringIO(PASSWORD))
    user = get_user_model().objects.get()
    group_permissions = set(Group.objects.get().permissions.values_list("pk", flat=True))

    out = run(*args)

    assert get_user_model().objects.count() == 1
    assert OfficeMembership.objects.count() == 1
    assert Group.objects.count() == 1
    assert set(Group.objects.get().permissions.values_list("pk", flat=True)) == group_permissions
    assert get_user_model().objects.get().password == user.password
    assert "Already held every given role" in out


def test_adds_a_role_to_an_existing_user_and_makes_them_staff(office):
    user = get_user_model().objects.create_user("aigerim@almaty.example.org")
    OfficeMembership.objects.create(user=user, office=office, role=Role.EDITOR)

    out = run("aigerim@almaty.example.org", "--office", str(office.pk), "--role", "MODERATOR")

    user.refresh_from_db()
    assert user.is_staff
    assert roles_of(user, office) == [Role.EDITOR, Role.MODERATOR]
    assert "Found staff user" in out
    assert "MODERATOR" in out


def test_office_may_be_named_by_its_city_slug(office):
    run(
        "aigerim@almaty.example.org",
        "--office",
        office.city.slug,
        "--role",
        "EDITOR",
        "--password-stdin",
        stdin=io.StringIO(PASSWORD),
    )

    assert roles_of(get_user_model().objects.get(), office) == [Role.EDITOR]


@pytest.mark.parametrize("office_arg", ["999999", "no-such-city"])
def test_unknown_office_is_a_command_error(db, office_arg):
    with pytest.raises(CommandError, match="No city office"):
        run("a@example.org", "--office", office_arg, "--role", "EDITOR", "--password-stdin")

    assert not get_user_model().objects.exists()


def test_unknown_role_is_a_command_error(office):
    with pytest.raises(CommandError, match="invalid choice"):
        run("a@example.org", "--office", str(office.pk), "--role", "OWNER", "--password-stdin")

    assert not get_user_model().objects.exists()


def test_new_user_without_a_terminal_or_password_is_refused(office):
    with pytest.raises(CommandError, match="needs a password"):
        run("a@example.org", "--office", str(office.pk), "--role", "EDITOR")

    assert not get_user_model().objects.exists()


def test_new_user_at_a_terminal_is_asked_twice(office, monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(create_office_user.getpass, "getpass", lambda prompt: next(answers))

    run("a@example.org", "--office", str(office.pk), "--role", "EDITOR", stdin=Terminal())

    assert get_user_model().objects.get().check_password(PASSWORD)
    assert next(answers, None) is None


def test_mistyped_second_password_creates_nobody(office, monkeypatch):
    answers = iter([PASSWORD, "something else"])
    monkeypatch.setattr(create_office_user.getpass, "getpass", lambda prompt: next(answers))

    with pytest.raises(CommandError, match="do not match"):
        run("a@example.org", "--office", str(office.pk), "--role", "EDITOR", stdin=Terminal())

    assert not get_user_model().objects.exists()


def test_weak_password_is_a_command_error(office):
    with pytest.raises(CommandError, match="too short"):
        run(
            "a@example.org",
            "--office",
            str(office.pk),
            "--role",
            "EDITOR",
            "--password-stdin",
            stdin=io.StringIO("abc"),
        )

    assert not get_user_model().objects.exists()


def test_service_matches_email_in_any_case(office):
    first = make_office_staff("Aigerim@Almaty.example.org", office, [Role.EDITOR])

    again = make_office_staff("aigerim@almaty.example.org", office, [Role.EDITOR])

    assert again.pk == first.pk
    assert OfficeMembership.objects.count() == 1


def test_gives_the_office_administrator_role(office):
    # Given an office; when the operator makes its first administrator
    out = run(
        "admin@office.example.org",
        "--office",
        str(office.pk),
        "--role",
        "admin",
        "--password-stdin",
        stdin=io.StringIO(PASSWORD + "\n"),
    )

    # Then they hold the ADMIN role there, and may open the admin
    user = get_user_model().objects.get(email="admin@office.example.org")
    assert roles_of(user, office) == [Role.ADMIN]
    assert user.is_staff
    assert "ADMIN" in out
