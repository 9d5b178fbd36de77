"""Errors the API answers with: every one carries a machine-readable ``extensions.code``
(for programs) and a ``message`` for people, in the request's language (``translated``)."""

from collections.abc import Mapping
from enum import Enum, StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from graphql import GraphQLError


def translated(message, params: Mapping | None = None) -> str:
    """``message`` for people, in the active language (the request's: LocaleMiddleware's over
    HTTP, the connection's over the websocket), its ``params`` put into its named placeholders.

    The one place where the API translates what it tells people: the payloads' errors, the
    top-level GraphQL errors and the refused requests all pass their message through here when
    they are made. A message is written in English and marked where it is written, with
    ``gettext_noop`` when it is kept or passed on as data (a service's ValidationError, a
    module's constant) so that it is translated here, when it is given, rather than in the
    language active where it was written. Its params are put in after the translation, so the
    msgid is the same whatever they are. A lazy translation (``gettext_lazy``, as Django's own
    validators give) is already the active language's. Text that is no msgid is given as it is.
    """
    if isinstance(message, Promise):
        text = str(message)
    else:
        text = gettext(message) if message else message
    return text % params if params else text


class ApiErrorCode(StrEnum):
    """Codes of errors raised by the API plumbing itself (domain codes live in each app)."""

    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    # An error the API did not mean to raise (a bug): logged, and answered with the request's ID
    # in ``extensions.requestId``.
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # The database or Redis was unreachable, or its connection lost (``core.outages``): not a
    # bug; the same request may succeed later (``extensions.retryAfter``, in seconds).
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class UserInputError(GraphQLError):
    """Input the client must fix. ``field`` is the argument's path as the client wrote it."""

    def __init__(
        self,
        message: str,
        code: Enum | str = ApiErrorCode.INVALID,
        field: str | None = None,
        params: Mapping | None = None,
    ):
        code_value = code.value if isinstance(code, Enum) else code
        extensions = {"code": code_value}
        if field:
            extensions["field"] = field
        super().__init__(translated(message, params), extensions=extensions)


class PermissionDeniedError(GraphQLError):
    """The viewer is signed in but may not do this."""

    def __init__(self, message: str = gettext_noop("You may not do this.")):
        super().__init__(
            translated(message), extensions={"code": ApiErrorCode.PERMISSION_DENIED.value}
        )


class UnauthenticatedError(GraphQLError):
    """Nobody is signed in (or the token was not accepted), and this needs someone."""

    def __init__(self, message: str = gettext_noop("Sign in first."), reason: str | None = None):
        extensions = {"code": ApiErrorCode.UNAUTHENTICATED.value}
        if reason:
            extensions["reason"] = reason
        super().__init__(translated(message), extensions=extensions)


class RateLimitedError(GraphQLError):
    """Too many requests of this kind; ``extensions.retryAfter`` says how many whole seconds
    to wait before trying again."""

    def __init__(self, retry_after: float, message: str | None = None):
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(
            translated(
                message or gettext_noop("Too many requests. Try again in %(seconds)s s."),
                {"seconds": seconds},
            ),
            extensions={"code": ApiErrorCode.RATE_LIMITED.value, "retryAfter": seconds},
        )
