"""What the reports app holds about a person, for deleting an account and exporting its data
(the registry of ``accounts.personal_data``): the reports they made of events and
announcements."""

from accounts.personal_data import anonymise, delete, export, register

register(
    "reports.Report",
    # A report is its reporter's words: it goes with their account (a chat report stays,
    # without its reporter, for the room's moderators; an event's office has the event itself).
    reporter=delete(),
    # A moderator who settled reports: the reports stay, settled by nobody named.
    resolved_by=anonymise(),
    export=export(
        "eventReports",
        by="reporter",
        fields=(
            "event_id",
            "announcement_id",
            "reason",
            "details",
            "status",
            "created_at",
            "resolved_at",
        ),
        omitted={"resolved_by": "the moderator who settled it is another person"},
    ),
)
