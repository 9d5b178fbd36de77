"""A NUL character in a query string reaches no view: 400 before it runs (PostgreSQL can
neither store nor compare it), except where a view answers such text itself."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN_URLS = [
    "/admin/events/event/?status__exact=%00",
    "/admin/events/event/?category__exact=%00",
    "/admin/events/event/?%00=1",
    "/admin/cities/city/?country=%00",
    "/admin/cities/twinning/?kind__exact=%00",
    "/admin/notifications/notification/?state__exact=%00",
    "/admin/autocomplete/?app_label=events&model_name=event&field_name=twinning&term=%00",
]


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_an_admin_page_with_a_nul_in_its_query_is_a_bad_request(client, url):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(url)

    assert response.status_code == 400
    assert response.content == b"The query string holds a NUL character."


def test_the_same_pages_without_it_are_served(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert client.get("/admin/events/event/?status__exact=DRAFT").status_code == 200


def test_the_graphql_endpoint_answers_it_with_a_coded_error(client):
    response = client.get(
        reverse("graphql"),
        {
            "query": "query($s: String) { cities(search: $s) { totalCount } }",
            "variables": '{"s": "\\u0000"}',
        },
        HTTP_ACCEPT="application/json",
    )

    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"
