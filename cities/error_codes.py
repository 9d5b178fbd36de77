"""Error codes of the cities domain; clients see them in `errors[].code`."""

from enum import StrEnum


class CityErrorCode(StrEnum):
    SAME_CITY = "SAME_CITY"
    # Proposals of changes to a twinning (cities.services).
    # The user holds no publisher role in an office of one of the twinning's cities.
    NOT_YOUR_TWINNING = "NOT_YOUR_TWINNING"
    # The proposal would change nothing: every value is the twinning's own.
    NOTHING_CHANGED = "NOTHING_CHANGED"
    # The proposal was already approved, rejected or withdrawn.
    PROPOSAL_CLOSED = "PROPOSAL_CLOSED"
    # The twinning changed, since the proposal was made, in a field the proposal changes.
    PROPOSAL_STALE = "PROPOSAL_STALE"
    # Only superusers approve or reject proposals.
    NOT_A_REVIEWER = "NOT_A_REVIEWER"
    # Another office's proposal, or one of an office the user has no publisher role in.
    NOT_YOUR_PROPOSAL = "NOT_YOUR_PROPOSAL"
    # A rejection says why.
    NOTE_REQUIRED = "NOTE_REQUIRED"
    # The office's team (cities.team).
    NOT_OFFICE_ADMIN = "NOT_OFFICE_ADMIN"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_ROLE = "INVALID_ROLE"
    ALREADY_IN_TEAM = "ALREADY_IN_TEAM"
    TOO_MANY_INVITATIONS = "TOO_MANY_INVITATIONS"
    LAST_ADMIN = "LAST_ADMIN"
    INVITATION_NOT_FOUND = "INVITATION_NOT_FOUND"
    INVITATION_CLOSED = "INVITATION_CLOSED"
    SIGN_IN_REQUIRED = "SIGN_IN_REQUIRED"
    PASSWORD_REQUIRED = "PASSWORD_REQUIRED"
    # Deleting an account while it holds a role in an office (accounts.deletion): the office's
    # administrators take the roles away first, so that no office loses its last administrator.
    OFFICE_ROLE_HELD = "OFFICE_ROLE_HELD"
