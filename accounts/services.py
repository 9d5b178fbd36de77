"""Changes a user makes to their own account: preferences and the calendar feed's secret."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from core.i18n import LANGUAGE_CODES
from core.validators import validate_time_zone

from .error_codes import AccountErrorCode
from .models import User, new_calendar_token

_UNSET = object()


@transaction.atomic
def update_preferences(
    user: User,
    *,
    language=_UNSET,
    time_zone=_UNSET,
    muted_categories=_UNSET,
    quiet_hours=_UNSET,
) -> User:
    """Change the given preferences only; ``quiet_hours`` is ``(start, end)`` or None to clear.

    Quiet hours are wall-clock times in the user's own zone and may span midnight
    (22:00–07:00); start and end must differ.
    """
    errors = {}
    fields = []
    if language is not _UNSET:
        if language not in LANGUAGE_CODES:
            errors["language"] = ValidationError(
                f"Choose one of: {', '.join(LANGUAGE_CODES)}.",
                code=AccountErrorCode.UNSUPPORTED_LANGUAGE,
            )
        user.language = language
        fields.append("language")
    if time_zone is not _UNSET:
        try:
            validate_time_zone(time_zone)
        except ValidationError as error:
            errors["time_zone"] = error
        user.time_zone = time_zone
        fields.append("time_zone")
    if muted_categories is not _UNSET:
        user.muted_categories = sorted(set(muted_categories))
        fields.append("muted_categories")
    if quiet_hours is not _UNSET:
        start, end = quiet_hours if quiet_hours is not None else (None, None)
        if quiet_hours is not None and (not isinstance(start, datetime.time) or start == end):
            errors["quiet_hours"] = ValidationError(
                "Quiet hours need a start and a different end.",
                code=AccountErrorCode.INVALID_QUIET_HOURS,
            )
        user.quiet_hours_start, user.quiet_hours_end = start, end
        fields += ["quiet_hours_start", "quiet_hours_end"]
    if errors:
        user.refresh_from_db()
        raise ValidationError(errors)
    if fields:
        user.save(update_fields=fields)
    return user


def rotate_calendar_token(user: User) -> User:
    """A new secret for the private calendar feed; the old URL stops working."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user
