"""Checks of query arguments, turning a domain validator's complaint into a coded error, and
the middleware that refuses text no field can hold."""

from django.core.exceptions import ValidationError
from graphene.utils.str_converters import to_camel_case

from core.validators import validate_country_code

from .errors import ApiErrorCode, UserInputError


def validate_country(value: str, field: str) -> str:
    """An ISO 3166 alpha-2 code, accepted in either case and returned upper-case."""
    code = value.strip().upper()
    try:
        validate_country_code(code)
    except ValidationError as error:
        raise UserInputError(error.messages[0], error.code, field) from error
    return code


def validate_range(value: float, low: float, high: float, field: str, code: str) -> float:
    """A number within [low, high], or a coded error naming the field."""
    if not low <= value <= high:
        raise UserInputError(f"{field} must be between {low:g} and {high:g}.", code, field)
    return value


class RejectNulMiddleware:
    """GraphQL middleware refusing any argument whose text holds a NUL character (U+0000),
    with ``INVALID`` naming the argument.

    No text of the API has a use for it, and PostgreSQL cannot store or even compare it: a
    search, a slug or a title with one would fail in the database with an error without a
    code. JSON and GraphQL both let a client send it (``"\\u0000"``), so it is refused here,
    once for every field, before any resolver sees it.
    """

    # Fields without arguments pass through untouched (see schema/core/execution.py).
    PLAIN_FIELDS_UNTOUCHED = True

    def resolve(self, next, root, info, **arguments):
        if arguments and (field := _path_of_nul(arguments)) is not None:
            raise UserInputError(
                f"{field} must not contain the NUL character.", ApiErrorCode.INVALID, field
            )
        return next(root, info, **arguments)


def _path_of_nul(value, path: str = "") -> str | None:
    """The camelCase path of the first text in ``value`` with a NUL in it, else None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):  # arguments, input objects, JSON objects
        for key, item in value.items():
            name = to_camel_case(key) if isinstance(key, str) else str(key)
            if "\x00" in name:
                return path or name
            if (found := _path_of_nul(item, f"{path}.{name}" if path else name)) is not None:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            if (found := _path_of_nul(item, path)) is not None:
                return found
    return None
