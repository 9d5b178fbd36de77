"""Who is calling: asked of the project, which knows its accounts, for every request and socket.

The server knows no accounts. ``settings.GRAPHQL_SERVER_AUTHENTICATOR`` names (as a dotted
path) a class whose instance answers its questions, as ``Authenticator`` below describes; the
HTTP view and the websocket call it through this module's functions, which turn the
authenticator's refusals into ``TokenRefused``.

A bearer token is the only credential: the admin's session cookie signs nothing in, and a
socket gives its token in `connection_init` (``{"authorization": "Bearer …"}``, as the HTTP
header, or ``{"token": "…"}``).
"""

import functools
from contextlib import contextmanager
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import import_string


class Authenticator(Protocol):
    """What the project's authenticator answers (``GRAPHQL_SERVER_AUTHENTICATOR``).

    Its methods raise ``error_class`` for a token that was sent but cannot be accepted; such
    an error has a ``code`` (why, machine-readable: ``extensions.reason`` over HTTP) and a
    ``message`` (for the client: the close reason of a socket). Anything else they raise is a
    failure of the server (an outage, a bug), answered as such.
    """

    error_class: type[Exception]

    def token_from_header(self, authorization: str | None) -> str | None:
        """The token of an ``Authorization`` header's value, None when there is none."""

    def authenticate(self, token: str):
        """The user ``token`` names now (it reads the database: call it in a thread)."""

    def expires_at(self, token: str) -> float | None:
        """When ``token``, just accepted, stops being accepted (seconds since the epoch), or
        None if never: an open socket is closed then."""

    def account_group(self, user) -> str:
        """The channel-layer group that hears of ``user``'s account whenever something may
        take rights away (a session revoked, the account deactivated, a role changed): each
        signed-in socket listens to it, and checks its token again when it hears anything."""


class TokenRefused(Exception):
    """A bearer token was sent but cannot be accepted: the request must not run as anyone.
    ``code`` says why (for programs), ``message`` says it to people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = str(code)
        self.message = message


def get_authenticator() -> Authenticator:
    """The project's authenticator, made once per process for each setting's value."""
    return _authenticator(settings.GRAPHQL_SERVER_AUTHENTICATOR)


@functools.cache
def _authenticator(path: str) -> Authenticator:
    return import_string(path)()


@contextmanager
def _refusals(authenticator: Authenticator):
    try:
        yield
    except authenticator.error_class as error:
        raise TokenRefused(error.code, error.message) from error


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header's value, None when there is none; TokenRefused
    when it is not a bearer token."""
    authenticator = get_authenticator()
    with _refusals(authenticator):
        return authenticator.token_from_header(authorization)


def authenticate_token(token: str):
    """The user ``token`` names now, or TokenRefused. Blocking: it reads the database."""
    authenticator = get_authenticator()
    with _refusals(authenticator):
        return authenticator.authenticate(token)


def authenticate_header(authorization: str | None):
    """The user behind an ``Authorization`` header's value; anonymous when there is none."""
    token = bearer_token(authorization)
    return AnonymousUser() if token is None else authenticate_token(token)


def token_expires_at(token: str) -> float | None:
    """When an accepted ``token`` stops being accepted (seconds since the epoch), or None."""
    return get_authenticator().expires_at(token)


def account_group(user) -> str:
    """The group carrying the news of ``user``'s account (see ``Authenticator``)."""
    return get_authenticator().account_group(user)
