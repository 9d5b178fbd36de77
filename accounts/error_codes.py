"""Error codes of sign-in, tokens, the profile, preferences and blocks; clients see them in
`errors[].code`."""

from enum import StrEnum


class AccountErrorCode(StrEnum):
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    RATE_LIMITED = "RATE_LIMITED"
    # A bearer token that cannot be accepted, and its expiry: the same codes for a Firebase ID
    # token (accounts.firebase) as for the backend's own tokens.
    INVALID_TOKEN = "INVALID_TOKEN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_REUSED = "TOKEN_REUSED"
    UNSUPPORTED_LANGUAGE = "UNSUPPORTED_LANGUAGE"
    INVALID_QUIET_HOURS = "INVALID_QUIET_HOURS"
    INVALID_DEVICE_TOKEN = "INVALID_DEVICE_TOKEN"
    INVALID_LOCALE = "INVALID_LOCALE"
    # A yes-or-no preference sent as null.
    PREFERENCE_REQUIRED = "PREFERENCE_REQUIRED"
    # Deleting an account (accounts.deletion): the sign-in is older than
    # ACCOUNT_DELETION_SIGN_IN_SECONDS, so the app signs in again first.
    REAUTHENTICATION_REQUIRED = "REAUTHENTICATION_REQUIRED"
    # A superuser's account is not deleted by its owner: another superuser first takes the
    # status away.
    SUPERUSER_ACCOUNT = "SUPERUSER_ACCOUNT"
    # A display name (accounts.display_names): none that shows, or too long.
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    # Line breaks, controls, direction-changing characters, "#" or stacked marks in a name.
    DISPLAY_NAME_INVALID = "DISPLAY_NAME_INVALID"
    # A name passing its holder off as the service or its staff ("Moderator"), or as someone
    # nameless ("User 12").
    DISPLAY_NAME_RESERVED = "DISPLAY_NAME_RESERVED"
    # userBlock of oneself.
    CANNOT_BLOCK_SELF = "CANNOT_BLOCK_SELF"
    # userBlock of someone blocked already (nothing changes).
    ALREADY_BLOCKED = "ALREADY_BLOCKED"
    # userUnblock of someone not blocked (nothing changes).
    NOT_BLOCKED = "NOT_BLOCKED"
    # userBlock beyond accounts.blocks.MAX_BLOCKS people.
    TOO_MANY_BLOCKS = "TOO_MANY_BLOCKS"
