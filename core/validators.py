"""Validators shared by the domain apps: time zones, coordinates and country codes."""

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .error_codes import CommonErrorCode


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    """Every IANA zone name this machine knows (system tzdata, or the tzdata package)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Accept only IANA names such as ``Asia/Almaty``; offsets like ``+05:00`` are ambiguous
    across daylight-saving changes and are refused."""
    if value not in available_time_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example Asia/Almaty).",
            code=CommonErrorCode.INVALID_TIME_ZONE,
            params={"value": value},
        )


def validate_country_code(value: str) -> None:
    """An ISO 3166-1 alpha-2 code in upper case (``KZ``, ``PK``; ``XK`` for Kosovo)."""
    if len(value) != 2 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise ValidationError(
            "%(value)s is not a two-letter ISO 3166 country code.",
            code=CommonErrorCode.INVALID_COUNTRY,
            params={"value": value},
        )


def _coordinate_validators(limit: int, name: str):
    message = f"{name} must be between -{limit} and {limit}."
    validators = [
        MinValueValidator(-limit, message=message),
        MaxValueValidator(limit, message=message),
    ]
    for validator in validators:
        validator.code = CommonErrorCode.INVALID_COORDINATES
    return validators


latitude_validators = _coordinate_validators(90, "Latitude")
longitude_validators = _coordinate_validators(180, "Longitude")
