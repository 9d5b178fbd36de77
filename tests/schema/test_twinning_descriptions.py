"""A twinning's description and agreement link over GraphQL: the approved values only, the
description in the request's language with English as the fallback."""

import datetime

import pytest
from django.utils import translation
from graphql_relay import to_global_id

from cities import services
from cities.models import OfficeMembership

pytestmark = pytest.mark.django_db

TWINNING = """
query Twinning($id: ID!) {
  twinning(id: $id) { kind establishedOn description agreementUrl }
}
"""


@pytest.fixture(autouse=True)
def language_reset():
    """LocaleMiddleware leaves the last request's language active in the thread, where a later
    test that reads the active language (tests/schema/test_row_columns.py) would find it."""
    yield
    translation.deactivate()


@pytest.fixture
def proposal(twinning_factory, office_factory, user_factory):
    """A proposal of Aktau's office: a description in English, Russian and Urdu (none in
    Kazakh), an agreement link, a date and a kind."""
    twinning = twinning_factory(city_a__name_en="Aktau", city_b__name_en="Gwadar")
    office = office_factory(city=twinning.city_a)
    user = user_factory()
    OfficeMembership.objects.create(user=user, office=office, role="PUBLISHER")
    return services.propose_twinning_change(
        user,
        office,
        twinning,
        {
            "kind": "SISTER_PORT",
            "established_on": datetime.date(2008, 9, 24),
            "agreement_url": "https://example.org/aktau-gwadar.pdf",
            "description_en": "Sister ports on the Caspian and the Arabian Sea.",
            "description_ru": "Порты-побратимы на Каспии и Аравийском море.",
            "description_ur": "بحیرہ کیسپین اور بحیرہ عرب کی جڑواں بندرگاہیں",
        },
    )


def test_a_pending_proposal_is_not_shown(gql, proposal):
    # Given a pending proposal
    # When the twinning is read
    result = gql(TWINNING, {"id": to_global_id("Twinning", proposal.twinning_id)})

    # Then it shows the twinning as it is
    assert result["data"]["twinning"] == {
        "kind": "SISTER_CITY",
        "establishedOn": None,
        "description": "",
        "agreementUrl": "",
    }


@pytest.mark.parametrize(
    ("language", "description"),
    [
        ("en", "Sister ports on the Caspian and the Arabian Sea."),
        ("ru", "Порты-побратимы на Каспии и Аравийском море."),
        ("ur", "بحیرہ کیسپین اور بحیرہ عرب کی جڑواں بندرگاہیں"),
        # No Kazakh description: the English one.
        ("kk", "Sister ports on the Caspian and the Arabian Sea."),
    ],
)
def test_the_approved_values_are_shown_in_the_requests_language(
    gql, proposal, user_factory, language, description
):
    # Given the twinning read once (and so kept by the response cache) before approval
    variables = {"id": to_global_id("Twinning", proposal.twinning_id)}
    assert gql(TWINNING, variables, language=language)["data"]["twinning"]["description"] == ""

    # When a superuser approves the proposal
    services.approve_proposal(user_factory(is_superuser=True, is_staff=True), proposal)

    # Then the twinning shows the approved values, its description in the request's language
    result = gql(TWINNING, variables, language=language)
    assert result["data"]["twinning"] == {
        "kind": "SISTER_PORT",
        "establishedOn": "2008-09-24",
        "description": description,
        "agreementUrl": "https://example.org/aktau-gwadar.pdf",
    }
