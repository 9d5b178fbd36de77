"""People on the admin pages that office staff read (chat reports, mutes, reports of events
and announcements): named as the chat names them, by name and tag, never by e-mail. Office
staff are not the operators: an app user's address is not theirs to read."""

from django.contrib import admin

from .display_names import name_with_tag


def person_column(field: str, description):
    """An admin display of the user in ``field`` (a foreign key), by name and tag."""

    @admin.display(description=description)
    def shown(self, obj):
        person = getattr(obj, field)
        return name_with_tag(person) if person is not None else "—"

    return shown
