"""The GraphQL server's authenticator of this project (accounts.authentication): the backend's
own tokens and Firebase's, and the group where a user's account tells of its changes."""

import uuid

import pytest
from django.conf import settings

from accounts.authentication import AuthenticationError, BearerTokenAuthenticator
from accounts.tokens import issue_access_token
from core.channel_groups import USER_ACCOUNT, group_name
from graphql_server.authenticator import get_authenticator


def test_the_server_asks_this_authenticator():
    assert settings.GRAPHQL_SERVER_AUTHENTICATOR == (
        "accounts.authentication.BearerTokenAuthenticator"
    )
    assert isinstance(get_authenticator(), BearerTokenAuthenticator)


def test_a_token_names_its_user_until_it_expires(user_factory):
    ada = user_factory()
    token, expires = issue_access_token(ada, uuid.uuid4())
    authenticator = BearerTokenAuthenticator()

    assert authenticator.token_from_header(f"Bearer {token}") == token
    assert authenticator.authenticate(token) == ada
    assert authenticator.expires_at(token) == expires.timestamp()


def test_a_refusal_has_a_code_and_a_message():
    authenticator = BearerTokenAuthenticator()

    with pytest.raises(authenticator.error_class) as refused:
        authenticator.token_from_header("Basic dXNlcjpwYXNz")

    assert refused.type is AuthenticationError
    assert (refused.value.code, refused.value.message) == (
        "INVALID_TOKEN",
        "Send the token as 'Authorization: Bearer <token>'.",
    )


def test_the_accounts_news_is_told_to_its_users_group(user_factory):
    ada = user_factory()

    assert BearerTokenAuthenticator().account_group(ada) == group_name(USER_ACCOUNT, id=ada.pk)
