"""Keep every stored instant inside the window the system holds (core.validators.INSTANTS).

Rows already outside it are repaired first, in SQL: on PostgreSQL a start in "year 10000" or in
1 BC cannot even be read into Python, so nothing here loads a row. Each such time is moved to
the nearest time inside the window (an event keeps its length where it can). Those times are
made up, so nothing repaired stays public or is pushed about:

- each repaired event becomes a draft again (no longer announced), and each repaired
  announcement a draft (no publication time), with a line in its history saying what was there,
  why it moved and what its office must do;
- the pushes about them not yet sent are dropped, in the same transaction, so that no worker
  running meanwhile can send "New event … 31 Dec 2099": a notification not yet fanned out, or of
  which nothing was sent, is DROPPED; one partly sent is DONE, its pending deliveries DROPPED.
  ``events.0008`` gives them the reason TIMES_REPAIRED, once the column exists (``events.0007``);
  until then they are the only drops without a reason;
- their notifications' dedupe keys are set aside, so that announcing the corrected event again
  tells its followers as a new event does.

Mutes are clamped the same way (one outside the window had ended long ago or would last past
2099 either way). Then the fields get their validators and the tables the constraints that keep
such times out for good.

The window is written out here rather than imported, so that this migration keeps doing what
it did if the window ever changes.
"""

import datetime

from django.db import migrations, models

import core.validators
from core import data_versions

FIRST = "2000-01-01 00:00:00"
END = "2100-01-01 00:00:00"
# Repaired times are put a little before the end, so that the event still has a length.
LAST_START = "2099-12-31 00:00:00"
LAST_END = "2099-12-31 23:59:00"
OUTSIDE = (
    "Stored outside the times the system holds (2000-01-01T00:00:00Z up to 2100-01-01T00:00:00Z),"
    " so it could not be shown"
)
EVENT_REASON = (
    f"{OUTSIDE}: its times were moved to the nearest ones inside them, which are made up, so it"
    " was made a draft and its pushes not yet sent were dropped. Correct its times and announce"
    " it again: its followers are then told of it as of a new event."
)
ANNOUNCEMENT_REASON = (
    f"{OUTSIDE}: it was made a draft and its push not yet sent was dropped. If it is still news,"
    " post it again and delete this one."
)
# Appended to the dedupe key of each notification about a repaired event or announcement.
SET_ASIDE = ":times-repaired"


def _subjects(outside) -> str:
    """How many events and announcements the repair is about to make drafts."""
    return f"""
        SELECT (SELECT COUNT(*) FROM events_event
                WHERE {outside("starts_at")} OR {outside("ends_at")})
             + (SELECT COUNT(*) FROM events_announcement
                WHERE published_at IS NOT NULL AND {outside("published_at")})
    """


def _notifications(outside, now: str) -> list[str]:
    """The statements that drop the pushes about the events and announcements about to be
    repaired, and set their dedupe keys aside. They run before the repair, while ``outside``
    still finds those rows."""
    repaired = f"""(
        event_id IN (SELECT id FROM events_event
                     WHERE {outside("starts_at")} OR {outside("ends_at")})
        OR announcement_id IN (SELECT id FROM events_announcement
                               WHERE published_at IS NOT NULL AND {outside("published_at")})
    )"""
    unfinished = f"state IN ('PENDING', 'FANNED_OUT') AND {repaired}"
    return [
        f"""
        UPDATE events_delivery SET status = 'DROPPED'
        WHERE status = 'PENDING'
          AND notification_id IN (SELECT id FROM events_notification WHERE {unfinished})
        """,
        # Something already went (or failed) for it: DONE, with what was left dropped. Else
        # nothing of it went: DROPPED as a whole.
        f"""
        UPDATE events_notification
        SET state = CASE WHEN EXISTS (
                SELECT 1 FROM events_delivery AS d
                WHERE d.notification_id = events_notification.id
                  AND d.status IN ('SENT', 'FAILED'))
            THEN 'DONE' ELSE 'DROPPED' END,
            completed_at = {now}
        WHERE {unfinished}
        """,
        f"""
        UPDATE events_notification SET dedupe_key = dedupe_key || '{SET_ASIDE}'
        WHERE {repaired}
        """,
    ]


def _postgresql() -> tuple[str, list[str]]:
    first, end = f"TIMESTAMPTZ '{FIRST}+00'", f"TIMESTAMPTZ '{END}+00'"
    last_start, last_end = f"TIMESTAMPTZ '{LAST_START}+00'", f"TIMESTAMPTZ '{LAST_END}+00'"

    def outside(column: str) -> str:
        return f"({column} < {first} OR {column} >= {end})"

    def clamped(column: str, last: str) -> str:
        return f"LEAST(GREATEST({column}, {first}), {last})"

    # Each repaired event: its new start, and its new end (kept if it is inside the window and
    # after the new start, else the new start plus the old length, at most the last end). Only
    # raw SQL could have stored 'infinity', but psycopg cannot read that either: such an event
    # gets an hour.
    repaired_events = f"""
        SELECT id, starts_at, ends_at, new_start,
               CASE WHEN ends_at >= {first} AND ends_at < {end} AND ends_at > new_start
                    THEN ends_at
                    ELSE LEAST(
                        new_start + CASE WHEN isfinite(starts_at) AND isfinite(ends_at)
                                         THEN ends_at - starts_at
                                         ELSE INTERVAL '1 hour' END,
                        {last_end}) END AS new_end
        FROM (SELECT id, starts_at, ends_at, {clamped("starts_at", last_start)} AS new_start
              FROM events_event
              WHERE {outside("starts_at")} OR {outside("ends_at")}) AS moved
    """
    return _subjects(outside), [
        *_notifications(outside, "NOW()"),
        f"""
        INSERT INTO events_statechange
            (event_id, announcement_id, subject_title, action, from_status, to_status, actor_id,
             at, details)
        SELECT e.id, NULL, LEFT(e.title_en, 200), 'UPDATED', e.status, 'DRAFT', NULL, NOW(),
               jsonb_build_object(
                   'fields', CASE WHEN e.status = 'DRAFT'
                                  THEN jsonb_build_array('ends_at', 'starts_at')
                                  ELSE jsonb_build_array('ends_at', 'starts_at', 'status') END,
                   'code', 'DATE_OUT_OF_RANGE',
                   'reason', '{EVENT_REASON}',
                   'starts_at', jsonb_build_array(r.starts_at::text, r.new_start::text),
                   'ends_at', jsonb_build_array(r.ends_at::text, r.new_end::text))
        FROM events_event AS e JOIN ({repaired_events}) AS r ON r.id = e.id
        """,
        f"""
        UPDATE events_event AS e
        SET starts_at = r.new_start, ends_at = r.new_end, status = 'DRAFT', announced_at = NULL,
            updated_at = NOW()
        FROM ({repaired_events}) AS r
        WHERE r.id = e.id
        """,
        f"""
        INSERT INTO events_statechange
            (event_id, announcement_id, subject_title, action, from_status, to_status, actor_id,
             at, details)
        SELECT NULL, id, LEFT(title_en, 200), 'UPDATED', 'PUBLISHED', 'DRAFT', NULL, NOW(),
               jsonb_build_object(
                   'fields', jsonb_build_array('published_at'),
                   'code', 'DATE_OUT_OF_RANGE',
                   'reason', '{ANNOUNCEMENT_REASON}',
                   'published_at', jsonb_build_array(published_at::text, NULL))
        FROM events_announcement
        WHERE published_at IS NOT NULL AND {outside("published_at")}
        """,
        f"""
        UPDATE events_announcement SET published_at = NULL, updated_at = NOW()
        WHERE published_at IS NOT NULL AND {outside("published_at")}
        """,
        f"""
        UPDATE events_chatmute SET until = {clamped("until", last_end)}
        WHERE {outside("until")}
        """,
    ]


def _sqlite() -> tuple[str, list[str]]:
    # SQLite keeps times as text in UTC ('YYYY-MM-DD HH:MM:SS[.ffffff]'), which sorts as time.
    first, end = f"'{FIRST}'", f"'{END}'"
    last_start, last_end = f"'{LAST_START}'", f"'{LAST_END}'"

    def outside(column: str) -> str:
        return f"({column} < {first} OR {column} >= {end})"

    def clamped(column: str, last: str) -> str:
        return f"MIN(MAX({column}, {first}), {last})"

    repaired_events = f"""
        SELECT id, starts_at, ends_at, new_start,
               CASE WHEN ends_at >= {first} AND ends_at < {end} AND ends_at > new_start
                    THEN ends_at
                    WHEN julianday(new_start) + julianday(ends_at) - julianday(starts_at)
                         >= julianday({last_end})
                    THEN {last_end}
                    ELSE datetime(julianday(new_start) + julianday(ends_at) - julianday(starts_at))
               END AS new_end
        FROM (SELECT id, starts_at, ends_at, {clamped("starts_at", last_start)} AS new_start
              FROM events_event
              WHERE {outside("starts_at")} OR {outside("ends_at")})
    """
    return _subjects(outside), [
        *_notifications(outside, "datetime('now')"),
        f"""
        INSERT INTO events_statechange
            (event_id, announcement_id, subject_title, action, from_status, to_status, actor_id,
             at, details)
        SELECT e.id, NULL, substr(e.title_en, 1, 200), 'UPDATED', e.status, 'DRAFT', NULL,
               datetime('now'),
               json_object(
                   'fields', CASE WHEN e.status = 'DRAFT'
                                  THEN json_array('ends_at', 'starts_at')
                                  ELSE json_array('ends_at', 'starts_at', 'status') END,
                   'code', 'DATE_OUT_OF_RANGE',
                   'reason', '{EVENT_REASON}',
                   'starts_at', json_array(r.starts_at, r.new_start),
                   'ends_at', json_array(r.ends_at, r.new_end))
        FROM events_event AS e JOIN ({repaired_events}) AS r ON r.id = e.id
        """,
        f"""
        UPDATE events_event
        SET starts_at = (SELECT new_start FROM ({repaired_events}) AS r WHERE r.id = events_event.id),
            ends_at = (SELECT new_end FROM ({repaired_events}) AS r WHERE r.id = events_event.id),
            status = 'DRAFT',
            announced_at = NULL,
            updated_at = datetime('now')
        WHERE {outside("starts_at")} OR {outside("ends_at")}
        """,
        f"""
        INSERT INTO events_statechange
            (event_id, announcement_id, subject_title, action, from_status, to_status, actor_id,
             at, details)
        SELECT NULL, id, substr(title_en, 1, 200), 'UPDATED', 'PUBLISHED', 'DRAFT', NULL,
               datetime('now'),
               json_object(
                   'fields', json_array('published_at'),
                   'code', 'DATE_OUT_OF_RANGE',
                   'reason', '{ANNOUNCEMENT_REASON}',
                   'published_at', json_array(published_at, NULL))
        FROM events_announcement
        WHERE published_at IS NOT NULL AND {outside("published_at")}
        """,
        f"""
        UPDATE events_announcement SET published_at = NULL, updated_at = datetime('now')
        WHERE published_at IS NOT NULL AND {outside("published_at")}
        """,
        f"""
        UPDATE events_chatmute SET until = {clamped("until", last_end)}
        WHERE {outside("until")}
        """,
    ]


def repair_times_outside_the_window(apps, schema_editor):
    connection = schema_editor.connection
    count, statements = _postgresql() if connection.vendor == "postgresql" else _sqlite()
    with connection.cursor() as cursor:
        cursor.execute(count)
        made_drafts = cursor.fetchone()[0]
    for statement in statements:
        schema_editor.execute(statement, params=None)
    if made_drafts:
        # Responses the API's cache kept may show them as they were public: those are filed
        # under the present versions of these areas, which no reader asks for after this.
        data_versions.bump(data_versions.EVENTS, data_versions.ANNOUNCEMENTS)


def _window(field: str) -> models.Q:
    first = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
    return models.Q(**{f"{field}__gte": first, f"{field}__lt": end})


MESSAGE = "Give a time from 2000-01-01T00:00:00Z up to, but not including, 2100-01-01T00:00:00Z."


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_event_feed_order_index"),
    ]

    operations = [
        # Nothing to undo: the repaired times were unreadable, and their history says so.
        migrations.RunPython(repair_times_outside_the_window, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event",
            name="starts_at",
            field=models.DateTimeField(validators=[core.validators.validate_instant]),
        ),
        migrations.AlterField(
            model_name="event",
            name="ends_at",
            field=models.DateTimeField(validators=[core.validators.validate_instant]),
        ),
        migrations.AlterField(
            model_name="announcement",
            name="published_at",
            field=models.DateTimeField(
                blank=True,
                db_index=True,
                help_text="Empty while it is a draft.",
                null=True,
                validators=[core.validators.validate_instant],
            ),
        ),
        migrations.AlterField(
            model_name="chatmute",
            name="until",
            field=models.DateTimeField(validators=[core.validators.validate_instant]),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=_window("starts_at") & _window("ends_at"),
                name="event_times_in_window",
                violation_error_code="DATE_OUT_OF_RANGE",
                violation_error_message=(
                    "Give times from 2000-01-01T00:00:00Z up to, but not including, "
                    "2100-01-01T00:00:00Z."
                ),
            ),
        ),
        migrations.AddConstraint(
            model_name="announcement",
            constraint=models.CheckConstraint(
                condition=models.Q(published_at__isnull=True) | _window("published_at"),
                name="announcement_published_in_window",
                violation_error_code="DATE_OUT_OF_RANGE",
                violation_error_message=MESSAGE,
            ),
        ),
        migrations.AddConstraint(
            model_name="chatmute",
            constraint=models.CheckConstraint(
                condition=_window("until"),
                name="chat_mute_until_in_window",
                violation_error_code="DATE_OUT_OF_RANGE",
                violation_error_message=MESSAGE,
            ),
        ),
    ]
