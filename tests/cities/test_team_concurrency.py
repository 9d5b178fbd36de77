"""Team changes made at the same moment, on PostgreSQL, where rows are locked: two
administrators removing each other leave one, and a link used twice at once works once."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cities import team
from cities.models import OfficeMembership
from tests.cities.team_fixtures import BASE_URL, Role, last_token, member

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def at_once(*calls) -> list:
    """Run ``calls`` in threads released together; each one's result or ValidationError."""
    start = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            start.wait()
            outcomes[index] = call()
        except ValidationError as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_administrators_removing_each_other_leave_one(office_factory):
    office = office_factory()
    first, second = member(office, Role.ADMIN), member(office, Role.ADMIN)

    outcomes = at_once(
        lambda: team.remove_member(second, office, by=first),
        lambda: team.remove_member(first, office, by=second),
    )

    assert connection.vendor == "postgresql"
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1
    assert OfficeMembership.objects.filter(office=office, role=Role.ADMIN).count() == 1


def test_a_link_used_twice_at_once_works_once(office_factory):
    office = office_factory()
    admin = member(office, Role.ADMIN)
    team.invite(
        office=office, email="new@example.org", role=Role.EDITOR, by=admin, base_url=BASE_URL
    )
    token = last_token()

    outcomes = at_once(
        lambda: team.accept(token, password="a long and unusual passphrase"),
        lambda: team.accept(token, password="another long passphrase"),
    )

    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert OfficeMembership.objects.filter(office=office, role=Role.EDITOR).count() == 1
