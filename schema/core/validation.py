"""Checks of query arguments, turning a domain validator's complaint into a coded error."""

from django.core.exceptions import ValidationError

from core.validators import validate_country_code

from .errors import UserInputError


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
