"""Error codes of sign-in, tokens, preferences and blocks; clients see them in `errors[].code`."""

from enum import StrEnum


class AccountErrorCode(StrEnum):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    RATE_LIMITED = "RATE_LIMITED"
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REUSED = "TOKEN_REUSED"
    UNSUPPORTED_LANGUAGE = "UNSUPPORTED_LANGUAGE"
    INVALID_QUIET_HOURS = "INVALID_QUIET_HOURS"
    INVALID_DEVICE_TOKEN = "INVALID_DEVICE_TOKEN"
    INVALID_LOCALE = "INVALID_LOCALE"
    # A yes-or-no preference sent as null.
    PREFERENCE_REQUIRED = "PREFERENCE_REQUIRED"
    # userBlock of oneself.
    CANNOT_BLOCK_SELF = "CANNOT_BLOCK_SELF"
    # userBlock of someone blocked already (nothing changes).
    ALREADY_BLOCKED = "ALREADY_BLOCKED"
    # userUnblock of someone not blocked (nothing changes).
    NOT_BLOCKED = "NOT_BLOCKED"
    # userBlock beyond accounts.blocks.MAX_BLOCKS people.
    TOO_MANY_BLOCKS = "TOO_MANY_BLOCKS"
