"""Error codes of the events domain; clients see them in `errors[].code`."""

from enum import StrEnum


class EventErrorCode(StrEnum):
    END_BEFORE_START = "END_BEFORE_START"
    TWINNING_MISMATCH = "TWINNING_MISMATCH"
    OFFICE_MISMATCH = "OFFICE_MISMATCH"
    INVALID_RADIUS = "INVALID_RADIUS"
