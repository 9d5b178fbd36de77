"""The admin's pages of twinning proposals, through the test client: publishers propose
changes to their cities' twinnings and follow them; superusers compare, approve and reject;
staff never see or touch another office's twinnings or proposals."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cities import services
from cities.models import OfficeMembership, Twinning, TwinningProposal
from cities.staff import office_staff_group
from core.i18n import LANGUAGE_CODES

Role = OfficeMembership.Role
Status = TwinningProposal.Status

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def proposal_form(twinning: Twinning, office, **changes) -> dict:
    """The "Propose a change" form's POST data: the twinning as it is, with ``changes``."""
    data = {
        f"description_{code}": getattr(twinning, f"description_{code}") for code in LANGUAGE_CODES
    }
    data.update(
        office=office.pk,
        kind=twinning.kind,
        status_proposed=twinning.status,
        established_on=twinning.established_on.isoformat() if twinning.established_on else "",
        agreement_url=twinning.agreement_url,
    )
    data.update(changes)
    return data


@pytest.fixture
def aktau(office_factory, city_factory):
    return office_factory(city=city_factory(name_en="Aktau"), name_en="Aktau office")


@pytest.fixture
def lahore(office_factory, city_factory):
    return office_factory(
        city=city_factory(name_en="Lahore", country="PK", timezone="Asia/Karachi"),
        name_en="Lahore office",
    )


@pytest.fixture
def ours(twinning_factory, aktau):
    """A twinning of Aktau's."""
    return twinning_factory(city_a=aktau.city, city_b__name_en="Karachi")


@pytest.fixture
def theirs(twinning_factory, lahore):
    """A twinning of Lahore's, not Aktau's."""
    return twinning_factory(city_a=lahore.city, city_b__name_en="Glasgow", city_b__country="GB")


@pytest.fixture
def staff(client):
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
def superuser(client):
    user = get_user_model().objects.create_superuser("root@example.org", "unused")
    client.force_login(user)
    return user


@pytest.fixture
def pending(ours, aktau, user_factory):
    """Aktau's pending proposal to make its twinning a sister port signed on 24 Sept 2008."""
    proposer = user_factory()
    OfficeMembership.objects.create(user=proposer, office=aktau, role=Role.PUBLISHER)
    return services.propose_twinning_change(
        proposer,
        aktau,
        ours,
        {
            "kind": Twinning.Kind.SISTER_PORT,
            "established_on": datetime.date(2008, 9, 24),
            "description_ru": "Два порта",
        },
    )


# --- Twinnings and proposing -----------------------------------------------------------------


def test_staff_see_their_cities_twinnings_only(client, staff, aktau, ours, theirs):
    # Given an editor of Aktau's office
    staff(aktau, Role.EDITOR)

    # When they open the twinnings' list and the other city's twinning
    listed = client.get(url("cities_twinning_changelist"))
    other = client.get(url("cities_twinning_change", theirs.pk))

    # Then they see Aktau's twinning only, and the other as missing
    assert "Karachi" in text(listed)
    assert "Glasgow" not in text(listed)
    assert other.status_code == 302 and other.url == url("index")


def test_a_publisher_proposes_from_a_prefilled_form(client, staff, aktau, ours):
    # Given a publisher of Aktau's office, and a twinning with a description
    Twinning.objects.filter(pk=ours.pk).update(description_en="Caspian and Arabian Sea ports.")
    ours.refresh_from_db()
    user = staff(aktau, Role.PUBLISHER)

    # When they open the twinning, then the form
    page = client.get(url("cities_twinning_change", ours.pk))
    form = client.get(url("cities_twinning_propose", ours.pk))

    # Then the twinning offers "Propose a change", and the form holds its present values
    assert url("cities_twinning_propose", ours.pk) in text(page)
    assert form.status_code == 200
    assert "Caspian and Arabian Sea ports." in text(form)
    assert 'value="SISTER_CITY" selected' in text(form)

    # When they send a new kind and an agreement link
    sent = client.post(
        url("cities_twinning_propose", ours.pk),
        proposal_form(
            ours, aktau, kind="SISTER_PORT", agreement_url="https://example.org/aktau-karachi"
        ),
    )

    # Then one proposal waits, changing just those, and they land on its page
    proposal = TwinningProposal.objects.get()
    assert (proposal.office, proposal.proposed_by, proposal.status) == (aktau, user, Status.PENDING)
    assert proposal.based_on == {"kind": "SISTER_CITY", "agreement_url": ""}
    assert sent.status_code == 302
    assert sent.url == url("cities_twinningproposal_change", proposal.pk)
    # And the twinning is unchanged until a superuser approves
    ours.refresh_from_db()
    assert ours.kind == Twinning.Kind.SISTER_CITY


def test_a_bad_link_is_a_form_error_not_a_proposal(client, staff, aktau, ours):
    # Given a publisher of Aktau's office
    staff(aktau, Role.PUBLISHER)

    # When they propose a plain http link
    response = client.post(
        url("cities_twinning_propose", ours.pk),
        proposal_form(ours, aktau, agreement_url="http://example.org/agreement"),
    )

    # Then the form comes back saying so, and nothing is recorded
    assert response.status_code == 200
    assert "https://" in text(response)
    assert 'class="errorlist' in text(response)
    assert not TwinningProposal.objects.exists()


def test_a_proposal_of_no_change_is_refused_on_the_form(client, staff, aktau, ours):
    staff(aktau, Role.PUBLISHER)

    response = client.post(url("cities_twinning_propose", ours.pk), proposal_form(ours, aktau))

    assert response.status_code == 200
    assert "changes nothing" in text(response)
    assert not TwinningProposal.objects.exists()


def test_an_editor_may_look_but_not_propose(client, staff, aktau, ours):
    # Given an editor of Aktau's office
    staff(aktau, Role.EDITOR)

    # When they open the twinning and the proposal form
    page = client.get(url("cities_twinning_change", ours.pk))
    form = client.get(url("cities_twinning_propose", ours.pk))
    sent = client.post(
        url("cities_twinning_propose", ours.pk), proposal_form(ours, aktau, kind="SISTER_PORT")
    )

    # Then the twinning shows no "Propose a change", and the form is forbidden
    assert page.status_code == 200
    assert url("cities_twinning_propose", ours.pk) not in text(page)
    assert form.status_code == 403 and sent.status_code == 403
    assert not TwinningProposal.objects.exists()


def test_a_publisher_cannot_propose_for_another_citys_twinning(client, staff, aktau, theirs):
    # Given a publisher of Aktau's office
    staff(aktau, Role.PUBLISHER)

    # When they open or post the form of Lahore's twinning, even naming their own office
    form = client.get(url("cities_twinning_propose", theirs.pk))
    sent = client.post(
        url("cities_twinning_propose", theirs.pk), proposal_form(theirs, aktau, kind="SISTER_PORT")
    )
    bad_id = client.get(url("cities_twinning_propose", "not-a-number"))

    # Then the twinning is missing to them, and nothing is recorded
    assert form.status_code == 302 and form.url == url("index")
    assert sent.status_code == 302 and bad_id.status_code == 302
    assert not TwinningProposal.objects.exists()


# --- Following and withdrawing ---------------------------------------------------------------


def test_staff_see_their_offices_proposals_only(client, staff, pending, lahore, theirs):
    # Given Lahore's proposal for its own twinning, beside Aktau's
    lahore_user = get_user_model().objects.create_user("lahore@example.org", "unused")
    OfficeMembership.objects.create(user=lahore_user, office=lahore, role=Role.PUBLISHER)
    other = services.propose_twinning_change(
        lahore_user, lahore, theirs, {"kind": "FRIENDSHIP_CITY"}
    )
    # And a publisher of Aktau's office signed in
    staff(pending.office, Role.PUBLISHER)

    # When they open the proposals' list, their own, and Lahore's
    listed = client.get(url("cities_twinningproposal_changelist"))
    own = client.get(url("cities_twinningproposal_change", pending.pk))
    foreign = client.get(url("cities_twinningproposal_change", other.pk))
    withdraw = client.post(url("cities_twinningproposal_withdraw", other.pk))

    # Then they see theirs with its status and the change before → after, not Lahore's
    assert "Karachi" in text(listed) and "Glasgow" not in text(listed)
    assert "Waiting for review" in text(own)
    assert "Sister city" in text(own) and "Sister port" in text(own) and "Два порта" in text(own)
    assert url("cities_twinningproposal_withdraw", pending.pk) in text(own)
    assert url("cities_twinningproposal_approve", pending.pk) not in text(own)
    assert foreign.status_code == 302 and withdraw.status_code == 302
    other.refresh_from_db()
    assert other.status == Status.PENDING


def test_a_publisher_withdraws_after_a_confirmation(client, staff, pending):
    staff(pending.office, Role.PUBLISHER)

    confirmation = client.get(url("cities_twinningproposal_withdraw", pending.pk))
    done = client.post(url("cities_twinningproposal_withdraw", pending.pk))

    assert confirmation.status_code == 200 and "Yes, withdraw" in text(confirmation)
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Status.WITHDRAWN


def test_staff_cannot_approve(client, staff, pending):
    staff(pending.office, Role.PUBLISHER)

    response = client.post(url("cities_twinningproposal_approve", pending.pk))

    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


# --- Reviewing -------------------------------------------------------------------------------


def test_a_superuser_approves_after_a_confirmation(client, superuser, pending):
    # Given a pending proposal
    # When a superuser opens it and its approval page
    page = client.get(url("cities_twinningproposal_change", pending.pk))
    confirmation = client.get(url("cities_twinningproposal_approve", pending.pk))

    # Then both compare the values before and after, and nothing is applied yet
    for response in (page, confirmation):
        assert "Sister city" in text(response) and "Sister port" in text(response)
        assert "2008-09-24" in text(response)
    assert url("cities_twinningproposal_approve", pending.pk) in text(page)
    assert url("cities_twinningproposal_withdraw", pending.pk) not in text(page)
    assert "Yes, approve" in text(confirmation)
    pending.twinning.refresh_from_db()
    assert pending.twinning.kind == Twinning.Kind.SISTER_CITY

    # When they confirm
    done = client.post(url("cities_twinningproposal_approve", pending.pk))

    # Then the twinning holds the proposed values, and the proposal who approved it
    assert done.status_code == 302
    pending.twinning.refresh_from_db()
    assert pending.twinning.kind == Twinning.Kind.SISTER_PORT
    assert pending.twinning.established_on == datetime.date(2008, 9, 24)
    assert pending.twinning.description_ru == "Два порта"
    pending.refresh_from_db()
    assert (pending.status, pending.reviewed_by) == (Status.APPROVED, superuser)


def test_a_stale_proposal_is_refused_with_a_message(client, superuser, pending):
    # Given a pending proposal whose kind was changed since
    Twinning.objects.filter(pk=pending.twinning_id).update(kind=Twinning.Kind.FRIENDSHIP_CITY)

    # When a superuser opens and approves it
    page = client.get(url("cities_twinningproposal_change", pending.pk))
    done = client.post(url("cities_twinningproposal_approve", pending.pk), follow=True)

    # Then the page says the kind changed since, and the approval is refused with the reason
    assert "Changed since the proposal was made" in text(page)
    assert "has changed since this proposal was made" in text(done)
    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    pending.twinning.refresh_from_db()
    assert pending.twinning.kind == Twinning.Kind.FRIENDSHIP_CITY


def test_a_superuser_rejects_with_a_note(client, superuser, pending):
    # When a superuser rejects without a note
    empty = client.post(url("cities_twinningproposal_reject", pending.pk), {"review_note": " "})

    # Then the page asks for one, and the proposal still waits
    assert empty.status_code == 200
    assert "Say why the proposal is rejected" in text(empty)
    pending.refresh_from_db()
    assert pending.status == Status.PENDING

    # When they give one
    done = client.post(
        url("cities_twinningproposal_reject", pending.pk),
        {"review_note": "The agreement of 2008 is between the ports, not the cities."},
    )

    # Then it is rejected with the note, and the twinning is as it was
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Status.REJECTED
    assert pending.review_note.startswith("The agreement of 2008")
    pending.twinning.refresh_from_db()
    assert pending.twinning.kind == Twinning.Kind.SISTER_CITY
