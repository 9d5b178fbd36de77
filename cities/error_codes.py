"""Error codes of the cities domain; clients see them in `errors[].code`."""

from enum import StrEnum


class CityErrorCode(StrEnum):
    SAME_CITY = "SAME_CITY"
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
