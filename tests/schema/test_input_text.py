"""Text arguments with a NUL character: refused with a coded error naming the argument, on
every field, before the database (PostgreSQL cannot hold or compare it) sees them."""

import pytest

CITIES = "query($search: String) { cities(search: $search) { totalCount } }"
EVENTS = "query($filter: EventFilterInput) { events(filter: $filter) { totalCount } }"
CITY_TWINNINGS = """
query($slug: String) { city(slug: $slug) { name } }
"""
TOKEN_CREATE = """
mutation($email: String!) {
  tokenCreate(email: $email, password: "x") { accessToken errors { field code message } }
}
"""
PREFERENCES = """
mutation($zone: String) {
  preferencesUpdate(timeZone: $zone) { viewer { timeZone } errors { field code message } }
}
"""


@pytest.mark.parametrize(
    ("query", "variables", "field", "path"),
    [
        (CITIES, {"search": "Ak\x00tau"}, "search", "cities"),
        (EVENTS, {"filter": {"search": "\x00"}}, "filter.search", "events"),
        (EVENTS, {"filter": {"country": "K\x00"}}, "filter.country", "events"),
        (CITY_TWINNINGS, {"slug": "aktau-kz\x00"}, "slug", "city"),
        (TOKEN_CREATE, {"email": "office\x00@example.org"}, "email", "tokenCreate"),
    ],
)
def test_a_nul_in_any_text_argument_is_a_coded_error(gql, db, query, variables, field, path):
    result = gql(query, variables)

    (error,) = result["errors"]
    assert error["path"] == [path]
    assert error["extensions"] == {"code": "INVALID", "field": field}
    assert error["message"] == f"{field} must not contain the NUL character."


def test_a_mutation_with_a_nul_writes_nothing(gql, user_factory):
    ada = user_factory(time_zone="Asia/Almaty")

    result = gql(PREFERENCES, {"zone": "Asia/Karachi\x00"}, user=ada)

    assert result["data"] == {"preferencesUpdate": None}
    assert result["errors"][0]["extensions"] == {"code": "INVALID", "field": "timeZone"}
    ada.refresh_from_db()
    assert ada.time_zone == "Asia/Almaty"


def test_text_without_a_nul_is_untouched(gql, city_factory):
    city_factory(name_en="Aktau")

    assert gql(CITIES, {"search": "aktau"})["data"]["cities"]["totalCount"] == 1
