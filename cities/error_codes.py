"""Error codes of the cities domain; clients see them in `errors[].code`."""

from enum import StrEnum


class CityErrorCode(StrEnum):
    SAME_CITY = "SAME_CITY"
