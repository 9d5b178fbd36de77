"""Country arguments: a well-formed code that names no country is INVALID_COUNTRY, as a
malformed or empty one is, on every field that takes one; Kosovo's XK, as the data uses it, is a
code."""

import pytest

from cities.countries import KOSOVO, country_code
from schema.core.arguments import country_codes

CITIES = "query($c: String) { cities(country: $c) { totalCount } }"
TWINNINGS = "query($c: String) { twinnings(country: $c) { totalCount } }"
EVENTS = "query($c: String) { events(filter: {country: $c}) { totalCount } }"
FIELDS = [(CITIES, "cities", "country"), (TWINNINGS, "twinnings", "country")]
FIELDS += [(EVENTS, "events", "filter.country")]


@pytest.mark.parametrize(("query", "path", "field"), FIELDS)
@pytest.mark.parametrize("code", ["XX", "xx", "AA", "ZZ", "EU", "UK"])
def test_a_code_of_no_country_is_invalid_country(gql, db, query, path, field, code):
    result = gql(query, {"c": code})

    (error,) = result["errors"]
    assert error["path"] == [path]
    assert error["extensions"] == {"code": "INVALID_COUNTRY", "field": field}
    assert error["message"] == f"{code.upper()} is not the ISO 3166 code of a country."


@pytest.mark.parametrize(("query", "path", "field"), FIELDS)
# An empty one too: given at all, the argument must name a country, not mean "any".
@pytest.mark.parametrize("code", ["KAZ", "Kazakhstan", "", " "])
def test_a_malformed_code_is_still_invalid_country(gql, db, query, path, field, code):
    result = gql(query, {"c": code})

    assert result["errors"][0]["extensions"] == {"code": "INVALID_COUNTRY", "field": field}


@pytest.mark.parametrize(("query", "path", "field"), FIELDS)
@pytest.mark.parametrize("code", ["KZ", "pk", " tr ", "XK"])
def test_a_country_is_accepted(gql, twinning_factory, query, path, field, code):
    twinning_factory()  # Aktau, KZ and Karachi, PK

    result = gql(query, {"c": code})

    assert "errors" not in result
    assert result["data"][path]["totalCount"] >= 0


def test_every_code_the_city_data_can_hold_is_a_country():
    assert KOSOVO in country_codes()
    for name in ("Kosovo", "England", "Réunion, France", "Northern Cyprus", "West Bank"):
        assert country_code(name) in country_codes()
