"""Offices' proposals of changes to twinnings: who may propose for which twinning, what
approving applies, and the refusals (stale, closed, not a reviewer, no note)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cities import services
from cities.error_codes import CityErrorCode
from cities.models import OfficeMembership, Twinning, TwinningProposal
from core.error_codes import CommonErrorCode

pytestmark = pytest.mark.django_db

Role = OfficeMembership.Role
Status = TwinningProposal.Status


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


@pytest.fixture
def twinning(twinning_factory):
    return twinning_factory(city_a__name_en="Aktau", city_b__name_en="Karachi")


@pytest.fixture
def publisher(user_factory, office_factory):
    """A publisher of an office of ``city``."""

    def make(city, role=Role.PUBLISHER):
        office = office_factory(city=city)
        user = user_factory()
        OfficeMembership.objects.create(user=user, office=office, role=role)
        return user, office

    return make


@pytest.fixture
def superuser(user_factory):
    return user_factory(is_superuser=True, is_staff=True)


@pytest.fixture
def proposal(twinning, publisher):
    user, office = publisher(twinning.city_a)
    return services.propose_twinning_change(
        user,
        office,
        twinning,
        {
            "kind": Twinning.Kind.SISTER_PORT,
            "established_on": datetime.date(2008, 9, 24),
            "description_en": "Two ports of trade.",
            "description_ur": "تجارت کی دو بندرگاہیں",
        },
    )


def test_a_publisher_of_either_city_proposes_and_the_twinning_is_unchanged(twinning, publisher):
    # Given publishers of offices of each of the pair's cities
    for city in twinning.cities:
        user, office = publisher(city)

        # When one proposes a new agreement link
        proposal = services.propose_twinning_change(
            user, office, twinning, {"agreement_url": "https://example.org/agreement.pdf"}
        )

        # Then the proposal waits, holding the new link and the other values as they are
        assert proposal.status == Status.PENDING
        assert proposal.proposed_by == user and proposal.office == office
        assert proposal.agreement_url == "https://example.org/agreement.pdf"
        assert proposal.kind == twinning.kind
        assert proposal.based_on == {"agreement_url": ""}
    # And the twinning is as it was
    twinning.refresh_from_db()
    assert twinning.agreement_url == ""


@pytest.mark.parametrize("role", [Role.EDITOR, Role.MODERATOR])
def test_only_publishers_propose(twinning, publisher, role):
    # Given an editor or a moderator of an office of one of the cities
    user, office = publisher(twinning.city_a, role=role)

    # When they propose, then they are refused
    with pytest.raises(ValidationError) as refused:
        services.propose_twinning_change(user, office, twinning, {"kind": "FRIENDSHIP_CITY"})
    assert codes(refused.value) == {CityErrorCode.NOT_YOUR_TWINNING}
    assert not TwinningProposal.objects.exists()


def test_a_publisher_of_another_city_cannot_propose(twinning, publisher, city_factory):
    # Given a publisher of an office of a city outside the pair
    user, office = publisher(city_factory())

    # When they propose for the pair, then they are refused
    with pytest.raises(ValidationError) as refused:
        services.propose_twinning_change(user, office, twinning, {"kind": "FRIENDSHIP_CITY"})
    assert codes(refused.value) == {CityErrorCode.NOT_YOUR_TWINNING}


def test_a_publisher_cannot_propose_through_an_office_they_do_not_work_for(
    twinning, publisher, office_factory
):
    # Given a publisher elsewhere, and an office of one of the pair's cities
    user, _ = publisher(twinning.city_b)
    office = office_factory(city=twinning.city_a)

    # When they propose for that office, then they are refused
    with pytest.raises(ValidationError) as refused:
        services.propose_twinning_change(user, office, twinning, {"kind": "FRIENDSHIP_CITY"})
    assert codes(refused.value) == {CityErrorCode.NOT_YOUR_TWINNING}


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        (
            {"agreement_url": "http://example.org/a.pdf"},
            "agreement_url",
            CommonErrorCode.INVALID_URL,
        ),
        ({"established_on": datetime.date(1850, 1, 1)}, "established_on", "DATE_OUT_OF_RANGE"),
        ({"kind": "TWIN_TOWN"}, "kind", "invalid_choice"),
        ({"description_ru": "\u200b\u200b"}, None, CityErrorCode.NOTHING_CHANGED),
    ],
)
def test_proposed_values_are_checked_as_the_twinnings_own(twinning, publisher, values, field, code):
    # Given a publisher of one of the cities
    user, office = publisher(twinning.city_a)

    # When they propose a value the twinning would refuse (or text that shows nothing,
    # which is no change)
    with pytest.raises(ValidationError) as refused:
        services.propose_twinning_change(user, office, twinning, values)

    # Then it is refused with the twinning's own code, and nothing is recorded
    error = refused.value
    if field:
        assert {e.code for e in error.error_dict[field]} == {code}
    else:
        assert codes(error) == {code}
    assert not TwinningProposal.objects.exists()


def test_an_established_date_after_the_end_is_refused(twinning_factory, publisher):
    # Given a twinning that ended in 2010
    twinning = twinning_factory(ended_on=datetime.date(2010, 1, 1), status="ENDED")
    user, office = publisher(twinning.city_a)

    # When a start after that is proposed, then it is refused
    with pytest.raises(ValidationError):
        services.propose_twinning_change(
            user, office, twinning, {"established_on": datetime.date(2012, 1, 1)}
        )
    assert not TwinningProposal.objects.exists()


def test_approving_applies_exactly_the_proposed_values(proposal, superuser):
    # Given a pending proposal, and a twinning with other values the proposal leaves alone
    twinning = proposal.twinning
    Twinning.objects.filter(pk=twinning.pk).update(source_url="https://example.org/list")
    at = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.UTC)

    # When a superuser approves it
    services.approve_proposal(superuser, proposal, now=at)

    # Then the twinning holds the proposed values and keeps the others
    twinning.refresh_from_db()
    assert twinning.kind == Twinning.Kind.SISTER_PORT
    assert twinning.established_on == datetime.date(2008, 9, 24)
    assert twinning.description_en == "Two ports of trade."
    assert twinning.description_ur == "تجارت کی دو بندرگاہیں"
    assert twinning.description_ru == ""
    assert twinning.status == Twinning.Status.ACTIVE
    assert twinning.source_url == "https://example.org/list"
    # And the proposal records who approved it, when
    proposal.refresh_from_db()
    assert (proposal.status, proposal.reviewed_by, proposal.reviewed_at) == (
        Status.APPROVED,
        superuser,
        at,
    )


def test_a_proposal_is_stale_when_a_field_it_changes_changed_since(proposal, superuser):
    # Given a pending proposal of a date, and the twinning's date set since by someone else
    Twinning.objects.filter(pk=proposal.twinning_id).update(
        established_on=datetime.date(2009, 1, 1)
    )

    # When a superuser approves it, then it is refused as stale and nothing is written
    with pytest.raises(ValidationError) as refused:
        services.approve_proposal(superuser, proposal)
    assert codes(refused.value) == {CityErrorCode.PROPOSAL_STALE}
    proposal.twinning.refresh_from_db()
    assert proposal.twinning.established_on == datetime.date(2009, 1, 1)
    assert proposal.twinning.kind == Twinning.Kind.SISTER_CITY
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING


def test_a_change_to_a_field_the_proposal_leaves_alone_does_not_make_it_stale(proposal, superuser):
    # Given a pending proposal, and a change since to the status, which it does not touch
    Twinning.objects.filter(pk=proposal.twinning_id).update(status=Twinning.Status.SUSPENDED)

    # When a superuser approves it
    services.approve_proposal(superuser, proposal)

    # Then its values are applied and the later status stays
    proposal.twinning.refresh_from_db()
    assert proposal.twinning.kind == Twinning.Kind.SISTER_PORT
    assert proposal.twinning.status == Twinning.Status.SUSPENDED


def test_only_superusers_review(proposal, publisher):
    # Given a publisher of the other city
    user, _ = publisher(proposal.twinning.city_b)

    # When they approve or reject, then they are refused
    for review in (
        lambda: services.approve_proposal(user, proposal),
        lambda: services.reject_proposal(user, proposal, "No."),
    ):
        with pytest.raises(ValidationError) as refused:
            review()
        assert codes(refused.value) == {CityErrorCode.NOT_A_REVIEWER}
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING


def test_rejecting_needs_a_note_and_leaves_the_twinning_alone(proposal, superuser):
    # Given a pending proposal
    # When a superuser rejects it without a note, then they are asked for one
    with pytest.raises(ValidationError) as refused:
        services.reject_proposal(superuser, proposal, " \u200b ")
    assert codes(refused.value) == {CityErrorCode.NOTE_REQUIRED}

    # When they reject it saying why
    services.reject_proposal(superuser, proposal, "The date is that of a visit, not a signing.")

    # Then it is rejected with the note, and the twinning is as it was
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED
    assert proposal.review_note == "The date is that of a visit, not a signing."
    assert proposal.reviewed_by == superuser
    proposal.twinning.refresh_from_db()
    assert proposal.twinning.kind == Twinning.Kind.SISTER_CITY


def test_withdrawing_is_for_the_proposing_office(proposal, publisher, superuser):
    # Given a publisher of the other city's office
    other, _ = publisher(proposal.twinning.city_b)

    # When they withdraw the proposal, then they are refused
    with pytest.raises(ValidationError) as refused:
        services.withdraw_proposal(other, proposal)
    assert codes(refused.value) == {CityErrorCode.NOT_YOUR_PROPOSAL}

    # When the proposer withdraws it
    services.withdraw_proposal(proposal.proposed_by, proposal)

    # Then it is withdrawn, and can no longer be approved
    proposal.refresh_from_db()
    assert proposal.status == Status.WITHDRAWN
    with pytest.raises(ValidationError) as refused:
        services.approve_proposal(superuser, proposal)
    assert codes(refused.value) == {CityErrorCode.PROPOSAL_CLOSED}
