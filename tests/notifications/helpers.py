"""What push tests read back from the fake FCM, and quiet hours that hold pushes now."""

import datetime
import zoneinfo

from django.utils import timezone


def tokens_pushed(fake_fcm) -> list[str]:
    """The device tokens of every message the fake FCM accepted, sorted, once per message."""
    return sorted(message["token"] for message in fake_fcm.messages if "token" in message)


def quiet_now(zone: str = "Asia/Almaty") -> dict:
    """Quiet hours that contain the present moment in ``zone``: from an hour ago to in two."""
    local = timezone.now().astimezone(zoneinfo.ZoneInfo(zone))
    start = (local - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + datetime.timedelta(hours=2)).time().replace(second=0, microsecond=0)
    return {"time_zone": zone, "quiet_hours_start": start, "quiet_hours_end": end}
