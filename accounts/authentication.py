"""Who is calling: the bearer token of a request, whichever kind it is.

Apps send Firebase ID tokens (RS256, signed by Google); staff tools and the embedded default
send the backend's own access tokens (HS256). The token's header tells them apart. In
development, Firebase's Auth emulator issues unsigned ID tokens (``"alg": "none"``): taken
as Firebase's only while the emulator is in use (``firebase.emulator_in_use``), and refused
as any other malformed token otherwise.

The GraphQL server asks through ``BearerTokenAuthenticator``, which the settings name
(``GRAPHQL_SERVER_AUTHENTICATOR``).
"""

import datetime

import jwt
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_noop

from core.channel_groups import USER_ACCOUNT, group_name

from . import firebase
from .error_codes import AccountErrorCode
from .tokens import AccessTokenError, user_for_access_token


class AuthenticationError(Exception):
    """A bearer token was sent but cannot be accepted; the request must not run as anyone."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = str(code)
        self.message = message


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, None when there is no header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(
            AccountErrorCode.INVALID_TOKEN,
            gettext_noop("Send the token as 'Authorization: Bearer <token>'."),
        )
    return token.strip()


def authenticate_token(token: str):
    """The user a bearer token belongs to, or AuthenticationError. The user carries
    ``signed_in_at`` (see ``signed_in_at``)."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(
            AccountErrorCode.INVALID_TOKEN, gettext_noop("Malformed token.")
        ) from error
    if algorithm == "RS256" or (algorithm == "none" and firebase.emulator_in_use()):
        try:
            return firebase.authenticate(token)
        except firebase.FirebaseAuthError as error:
            raise AuthenticationError(error.code, error.message) from error
    try:
        return user_for_access_token(token)
    except AccessTokenError as error:
        raise AuthenticationError(error.code, error.message) from error


def signed_in_at(user) -> datetime.datetime | None:
    """When the person behind an authenticated request last signed in (not when their token
    was refreshed): the ``auth_time`` of the token it was authenticated with, which both kinds
    carry; None when unknown (a token issued before they carried it, or no token)."""
    return getattr(user, "signed_in_at", None)


def authenticate_header(authorization: str | None):
    """The user behind an Authorization header; anonymous when there is none."""
    token = bearer_token(authorization)
    return AnonymousUser() if token is None else authenticate_token(token)


def token_expires_at(token: str) -> float | None:
    """When an accepted bearer token stops being accepted: its ``exp`` claim, in seconds since
    the epoch (either kind of token has one), or None if it has none.

    For a token that ``authenticate_token`` has just accepted: the claims are read without
    checking the signature again.
    """
    try:
        expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.InvalidTokenError:
        return None
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return None
    return float(expires)


class BearerTokenAuthenticator:
    """The GraphQL server's authenticator (``graphql_server.authenticator.Authenticator``):
    the tokens above, and the account's news as ``accounts.realtime`` tells it."""

    error_class = AuthenticationError

    def token_from_header(self, authorization: str | None) -> str | None:
        return bearer_token(authorization)

    def authenticate(self, token: str):
        return authenticate_token(token)

    def expires_at(self, token: str) -> float | None:
        return token_expires_at(token)

    def account_group(self, user) -> str:
        return group_name(USER_ACCOUNT, id=user.pk)
