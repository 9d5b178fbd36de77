"""Error codes of the validators shared by every app (see core.validators)."""

from enum import StrEnum


class CommonErrorCode(StrEnum):
    INVALID_TIME_ZONE = "INVALID_TIME_ZONE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    # Not an ISO 4217 currency code (core.validators.validate_currency_code).
    INVALID_CURRENCY = "INVALID_CURRENCY"
    INVALID_COORDINATES = "INVALID_COORDINATES"
    # A link that is not an https address (core.validators.validate_https_url).
    INVALID_URL = "INVALID_URL"
    # A date or time outside the window the system holds (core.validators.INSTANTS, DATES).
    DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE"
    # A date and time without its UTC offset: which instant it names depends on a zone.
    NAIVE_DATETIME = "NAIVE_DATETIME"
