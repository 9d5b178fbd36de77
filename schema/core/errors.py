"""Errors the API answers with: every one carries a machine-readable ``extensions.code``."""

from enum import Enum, StrEnum

from graphql import GraphQLError


class ApiErrorCode(StrEnum):
    """Codes of errors raised by the API plumbing itself (domain codes live in each app)."""

    INVALID = "INVALID"
    INVALID_ID = "INVALID_ID"
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    NOT_FOUND = "NOT_FOUND"


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
