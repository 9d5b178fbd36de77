"""``manage.py create_office_user``: give a person staff access to one city office."""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cities.models import CityOffice, OfficeMembership
from cities.staff import STAFF_GROUP_NAME, make_office_staff


class Command(BaseCommand):
    help = (
        "Create, or update, a staff user of a city office: staff status, the given roles in the "
        'office, and membership of the "City office staff" group that opens the admin\'s event '
        "and announcement pages. The office is given by its id or by its city's slug (when the "
        "city has one office). A new user's password is read from standard input with "
        "--password-stdin, or else asked for twice at the terminal. Safe to run again: it only "
        "adds what is missing."
    )
    # Lets tests hand the command its standard input, as createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("email", help="The user's e-mail address, their sign-in name.")
        parser.add_argument(
            "--office", required=True, help="The office's id, or the slug of its city."
        )
        parser.add_argument(
            "--role",
            dest="roles",
            action="append",
            required=True,
            type=str.upper,
            choices=OfficeMembership.Role.values,
            help="A role in the office; repeat for several.",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input (sets it also for "
            "an existing user).",
        )

    def handle(self, *args, email, office, roles, password_stdin, **options):
        stdin = options.get("stdin", sys.stdin)
        office = self.find_office(office)
        existing = User.objects.filter(email__iexact=email.strip()).first()
        held = (
            set(
                OfficeMembership.objects.filter(user=existing, office=office).values_list(
                    "role", flat=True
                )
            )
            if existing
            else set()
        )

        password = None
        if password_stdin:
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input.")
        elif existing is None:
            password = self.ask_password(stdin, email)

        try:
            user = make_office_staff(email, office, roles, password=password)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        added = sorted(set(roles) - held)
        self.stdout.write(
            f"{'Created' if existing is None else 'Found'} staff user {user.email} (id {user.pk})."
        )
        if added:
            self.stdout.write(f"Roles added in {office} (id {office.pk}): {', '.join(added)}.")
        else:
            self.stdout.write(f"Already held every given role in {office} (id {office.pk}).")
        if password is not None and existing is not None:
            self.stdout.write("Password changed.")
        self.stdout.write(self.style.SUCCESS(f'Member of the group "{STAFF_GROUP_NAME}".'))

    def find_office(self, value: str) -> CityOffice:
        """The office named by id, or the only office of the city with that slug."""
        if value.isdigit():
            office = CityOffice.objects.filter(pk=int(value)).select_related("city").first()
            if office is None:
                raise CommandError(f"No city office has the id {value}.")
            return office
        offices = list(CityOffice.objects.filter(city__slug=value).select_related("city"))
        if not offices:
            raise CommandError(f"No city office found for the city slug {value!r}.")
        if len(offices) > 1:
            choices = ", ".join(f"{office.pk} ({office})" for office in offices)
            raise CommandError(f"The city {value!r} has several offices; give an id: {choices}.")
        return offices[0]

    def ask_password(self, stdin, email: str) -> str:
        """The new user's password, typed twice at the terminal."""
        if not stdin.isatty():
            raise CommandError(
                f"{email} is a new user and needs a password: pass --password-stdin, or run "
                "the command in a terminal to be asked for it."
            )
        password = getpass.getpass(f"Password for {email}: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        if not password:
            raise CommandError("The password may not be empty.")
        return password
