"""Who is calling is the project's answer (``GRAPHQL_SERVER_AUTHENTICATOR``): the server asks the
authenticator the setting names, and answers its refusals in its own words."""

import json
from types import SimpleNamespace

import graphene
import pytest
from django.test import RequestFactory

from graphql_server import authenticator
from graphql_server.authenticator import TokenRefused
from graphql_server.http.view import GraphQLHttpView

AUTHENTICATOR = "tests.graphql_server.test_authenticator.ListedTokens"


class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class ListedTokens:
    """An authenticator of a project without a database: tokens are names in a list."""

    error_class = Refused
    users = {"ada-token": "ada"}

    def token_from_header(self, authorization):
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme != "Token":
            raise Refused("NOT_A_TOKEN", "Send 'Authorization: Token <token>'.")
        return token

    def authenticate(self, token):
        if token not in self.users:
            raise Refused("UNKNOWN_TOKEN", "Nobody has this token.")
        return SimpleNamespace(is_authenticated=True, pk=1, name=self.users[token])

    def expires_at(self, token):
        return 2_000_000_000.0

    def account_group(self, user):
        return f"person.{user.pk}"


class Query(graphene.ObjectType):
    caller = graphene.String()

    @staticmethod
    def resolve_caller(root, info):
        return getattr(info.context.user, "name", None)


view = GraphQLHttpView.as_view(schema=graphene.Schema(query=Query))


@pytest.fixture(autouse=True)
def listed_tokens(settings):
    settings.GRAPHQL_SERVER_AUTHENTICATOR = AUTHENTICATOR


def ask(authorization=None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    request = RequestFactory().post(
        "/graphql/", json.dumps({"query": "{ caller }"}), "application/json", **headers
    )
    return view(request)


def test_the_view_runs_as_the_caller_the_authenticator_names():
    assert json.loads(ask("Token ada-token").content) == {"data": {"caller": "ada"}}
    assert json.loads(ask().content) == {"data": {"caller": None}}


def test_a_refused_token_is_401_with_the_authenticators_reason():
    response = ask("Token stolen")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert json.loads(response.content)["errors"] == [
        {
            "message": "Nobody has this token.",
            "extensions": {"code": "UNAUTHENTICATED", "reason": "UNKNOWN_TOKEN"},
        }
    ]


def test_the_authenticators_refusals_are_the_servers_own():
    with pytest.raises(TokenRefused) as refused:
        authenticator.bearer_token("Bearer ada-token")

    assert (refused.value.code, refused.value.message) == (
        "NOT_A_TOKEN",
        "Send 'Authorization: Token <token>'.",
    )


def test_expiry_and_the_accounts_group_are_the_authenticators():
    user = authenticator.authenticate_token("ada-token")

    assert authenticator.token_expires_at("ada-token") == 2_000_000_000.0
    assert authenticator.account_group(user) == "person.1"
