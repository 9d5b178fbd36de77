"""Error codes of the validators shared by every app (see core.validators)."""

from enum import StrEnum


class CommonErrorCode(StrEnum):
    INVALID_TIME_ZONE = "INVALID_TIME_ZONE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_COORDINATES = "INVALID_COORDINATES"
