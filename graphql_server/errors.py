"""Errors the API answers with: every one carries a machine-readable ``extensions.code``."""

from enum import Enum, StrEnum

from graphql import GraphQLError


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
        self, message: str, code: Enum | str = ApiErrorCode.INVALID, field: str | None = None
    ):
        code_value = code.value if isinstance(code, Enum) else code
        extensions = {"code": code_value}
        if field:
            extensions["field"] = field
        super().__init__(message, extensions=extensions)


class PermissionDeniedError(GraphQLError):
    """The viewer is signed in but may not do this."""

    def __init__(self, message: str = "You may not do this."):
        super().__init__(message, extensions={"code": ApiErrorCode.PERMISSION_DENIED.value})


class UnauthenticatedError(GraphQLError):
    """Nobody is signed in (or the token was not accepted), and this needs someone."""

    def __init__(self, message: str = "Sign in first.", reason: str | None = None):
        extensions = {"code": ApiErrorCode.UNAUTHENTICATED.value}
        if reason:
            extensions["reason"] = reason
        super().__init__(message, extensions=extensions)


class RateLimitedError(GraphQLError):
    """Too many requests of this kind; ``extensions.retryAfter`` says how many whole seconds
    to wait before trying again."""

    def __init__(self, retry_after: float, message: str | None = None):
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(
            message or f"Too many requests. Try again in {seconds} s.",
            extensions={"code": ApiErrorCode.RATE_LIMITED.value, "retryAfter": seconds},
        )
