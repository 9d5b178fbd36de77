"""Error codes of the events domain; clients see them in `errors[].code`."""

from enum import StrEnum


class EventErrorCode(StrEnum):
    """The events' own codes; times outside the window the system holds, or without their
    UTC offset, are the shared DATE_OUT_OF_RANGE and NAIVE_DATETIME (core.error_codes)."""

    END_BEFORE_START = "END_BEFORE_START"
    TWINNING_MISMATCH = "TWINNING_MISMATCH"
    OFFICE_MISMATCH = "OFFICE_MISMATCH"
    EVENT_MISMATCH = "EVENT_MISMATCH"
    INVALID_RADIUS = "INVALID_RADIUS"
    EVENT_CANCELLED = "EVENT_CANCELLED"
    EVENT_ENDED = "EVENT_ENDED"
    NOT_A_DRAFT = "NOT_A_DRAFT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    POSTPONE_TO_PAST = "POSTPONE_TO_PAST"
    NO_TWINNING = "NO_TWINNING"
    NOT_PARTNER_OFFICE = "NOT_PARTNER_OFFICE"
    NOT_INVITED = "NOT_INVITED"
    EVENT_NOT_OPEN = "EVENT_NOT_OPEN"
    EVENT_FULL = "EVENT_FULL"
    # Scheduling: a time to announce or publish at that has already passed, one that comes
    # after the event is over, a schedule for what is already public.
    SCHEDULE_IN_PAST = "SCHEDULE_IN_PAST"
    SCHEDULE_AFTER_END = "SCHEDULE_AFTER_END"
    ALREADY_PUBLISHED = "ALREADY_PUBLISHED"
    # A price: an amount that is not a positive number of at most two decimals below ten
    # billion, one part of it without the other, a price beside "free".
    INVALID_PRICE = "INVALID_PRICE"
    PRICE_INCOMPLETE = "PRICE_INCOMPLETE"
    FREE_WITH_PRICE = "FREE_WITH_PRICE"
    # A tag's slug that names no tag of the vocabulary; more tags than an event or a filter
    # takes.
    UNKNOWN_TAG = "UNKNOWN_TAG"
    TOO_MANY_TAGS = "TOO_MANY_TAGS"
