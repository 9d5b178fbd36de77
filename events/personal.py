"""What the events app holds about a person, for deleting an account and exporting its data
(the registry of ``accounts.personal_data``).

RSVPs are withdrawn as their owner would withdraw them, so the counts of people going stay
right (the counts over time, ``RsvpChange``, name no one and stay). What was done in an
office's name (the history of events and announcements, scheduling, co-hosting) is the office's
record: it stays, without the person's name."""

from accounts.personal_data import anonymise, export, not_exported, register, service

from .services import withdraw_rsvps

OFFICES_RECORD = (
    "what was done in an office's name is the office's record: it is kept without your name "
    "once your account is deleted"
)

register(
    "events.Rsvp",
    user=service(withdraw_rsvps),
    export=export(
        "rsvps",
        by="user",
        fields=(
            "event_id",
            "event__title_en",
            "event__starts_at",
            "status",
            "waitlisted_at",
            "created_at",
            "updated_at",
        ),
    ),
)
# Declared to say so in the export: the history of RSVPs is kept without names.
register(
    "events.RsvpChange",
    export=not_exported(
        "the changes of RSVPs are recorded without a name, for the counts of people going over "
        "time: none of them can be told to be yours"
    ),
)
register("events.Event", scheduled_by=anonymise(), export=not_exported(OFFICES_RECORD))
register("events.Announcement", scheduled_by=anonymise(), export=not_exported(OFFICES_RECORD))
register(
    "events.EventCohost",
    invited_by=anonymise(),
    accepted_by=anonymise(),
    export=not_exported(OFFICES_RECORD),
)
register("events.StateChange", actor=anonymise(), export=not_exported(OFFICES_RECORD))
