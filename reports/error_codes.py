"""Error codes of reports; clients see them in `errors[].code`."""

from enum import StrEnum


class ReportErrorCode(StrEnum):
    # A reason not in the list (the API's enum keeps clients to it; the service checks too).
    INVALID_REASON = "INVALID_REASON"
    TOO_LONG = "TOO_LONG"
    # What is reported is not (or no longer) public: a draft, an announcement not published.
    NOT_FOUND = "NOT_FOUND"
