"""Nothing personal is left in any table once an account is deleted: a person who used everything
deletes their account through the API, and then every column of every table of the database
(whatever app made it, on SQLite and on PostgreSQL) is searched for what named them: e-mail,
name, Firebase uid, id as written, tokens, keys. What must stay (their chat messages, reports,
the offices' history) stays, without them, and every count they were part of is right."""

from django.contrib.admin.models import LogEntry
from django.db import connection

from accounts.models import DeletedAccount, Device, User, UserBlock
from chat.models import ChatMessage, ChatMute, ChatReaction, ChatReport
from cities.models import CityFollow, OfficeInvitation, TwinningFollow
from events.models import Event, Rsvp, RsvpChange, StateChange
from notifications.models import Delivery, DeviceTopic, Notification
from tests.accounts.everything import PK, make_everything, sessions_of

ACCOUNT_DELETE = "mutation { accountDelete { errors { field code message } } }"


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def scan(needles: dict[str, str]) -> set[tuple[str, str]]:
    """(table, what) for every table of the database in which some row holds ``needles[what]``
    anywhere in its text. On PostgreSQL a row is read whole as text (``row::text``: every
    column, whatever its type, JSON included); on SQLite each column as text."""
    found = set()
    names = list(needles)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if connection.vendor == "postgresql":
                texts = ["r::text"]
            else:
                description = connection.introspection.get_table_description(cursor, table)
                texts = [f"CAST({quoted(column.name)} AS TEXT)" for column in description]
            position = (
                "strpos({text}, %s)" if connection.vendor == "postgresql" else "instr({text}, %s)"
            )
            sums = [
                "SUM(CASE WHEN "
                + " OR ".join(f"{position.format(text=text)} > 0" for text in texts)
                + " THEN 1 ELSE 0 END)"
                for _ in names
            ]
            parameters = [needles[name] for name in names for _ in texts]
            cursor.execute(
                f"SELECT {', '.join(sums)} FROM {quoted(table)} AS r",  # noqa: S608 (names from the schema)
                parameters,
            )
            counts = cursor.fetchone()
            found |= {(table, name) for name, count in zip(names, counts, strict=True) if count}
    return found


def test_nothing_that_named_the_person_is_left_in_any_table(db, client, gql, committing, settings):
    settings.CHAT_RATE = "0/s"
    world = make_everything(client, committing)
    person = world.person
    needles = world.needles()

    # Given the tables that name the person (the scan finds them, as it must)
    before = scan(needles)
    tables = {table for table, _ in before}
    assert {
        "accounts_user",
        "accounts_refreshtoken",
        "accounts_device",
        "accounts_user_groups",
        "cities_cityfollow",
        "cities_twinningfollow",
        "cities_officeinvitation",
        "events_rsvp",
        "events_statechange",
        "events_chatmessage",
        "events_chatreaction",
        "events_chatmute",
        "events_chatreport",
        "accounts_userblock",
        "django_admin_log",
    } <= tables
    # (and, by way of the phones' rows, their pushes and push topics)
    assert Delivery.objects.filter(device__user=person).exists()
    assert DeviceTopic.objects.filter(device__user=person).exists()
    # Everything but what is never stored as such (a refresh token is kept as its hash; the
    # API's global ID is made as it is answered) is found somewhere.
    never_stored = {"global id", "refresh token 0", "refresh token 1"}
    assert {what for _, what in before} == set(needles) - never_stored
    assert sessions_of(PK)
    going_before = Event.objects.get(pk=world.concert.pk).attendee_count
    changes_before = RsvpChange.objects.count()

    # When the person deletes their account
    with committing():
        answer = gql(ACCOUNT_DELETE, user=person)
    assert answer == {"data": {"accountDelete": {"errors": []}}}

    # Then nothing in any table names them any more
    assert scan(needles) == set()
    assert sessions_of(PK) == []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column, (_, target) in connection.introspection.get_relations(
                cursor, table
            ).items():
                if target == User._meta.db_table:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quoted(table)} WHERE {quoted(column)} = %s",  # noqa: S608
                        [PK],
                    )
                    assert cursor.fetchone() == (0,), f"{table}.{column}"

    # And what they had goes: the account, sessions, devices (their pushes and topics),
    # follows, RSVPs, reactions, mutes
    assert not User.objects.filter(pk=PK).exists()
    for model, lookup in [
        (Device, "user"),
        (Delivery, "device__user"),
        (DeviceTopic, "device__user"),
        (CityFollow, "user"),
        (TwinningFollow, "user"),
        (Rsvp, "user"),
        (ChatReaction, "user"),
        (ChatMute, "user"),
        (LogEntry, "user"),
    ]:
        assert not model.objects.filter(**{f"{lookup}_id" if "__" not in lookup else lookup: PK})
    assert DeletedAccount.objects.count() == 1

    # And what others need stays, without them, every count right
    said, reply, other_said = (
        ChatMessage.objects.get(pk=message.pk)
        for message in (world.said, world.reply, world.other_said)
    )
    assert (said.author_id, said.body, said.client_id) == (None, "See you at the quay", "")
    assert (reply.author_id, reply.reply_to_id) == (None, other_said.pk)
    # The other person's block of them stays, as a block of the pseudonym their messages took
    # (one for both, made at the deletion); theirs of the moderator goes.
    assert said.author_pseudonym is not None
    assert reply.author_pseudonym == said.author_pseudonym
    assert other_said.author_pseudonym is None
    assert list(UserBlock.objects.values_list("blocker", "blocked", "blocked_pseudonym")) == [
        (world.other.pk, None, said.author_pseudonym)
    ]
    assert said.reactions == {"🎉": 1}  # the other person's
    assert other_said.reactions == {}
    assert other_said.author_id == world.other.pk
    reports = ChatReport.objects.order_by("pk")
    assert [(r.message_id, r.reporter_id, r.reason) for r in reports] == [
        (other_said.pk, None, "Off topic"),
        (said.pk, world.other.pk, "Spam"),
    ]
    concert = Event.objects.get(pk=world.concert.pk)
    assert (going_before, concert.attendee_count) == (2, 1)
    assert list(Rsvp.objects.values_list("user_id", "event_id")) == [(world.other.pk, concert.pk)]
    assert RsvpChange.objects.count() == changes_before + 2
    assert StateChange.objects.get(event=world.draft, action="CREATED").actor_id is None
    assert Event.objects.filter(pk=world.draft.pk).exists()
    invitation = OfficeInvitation.objects.get()
    assert (invitation.email, invitation.accepted_by_id, invitation.accepted_at is not None) == (
        "",
        None,
        True,
    )
    about_them = LogEntry.objects.get(user=world.boss)
    assert (about_them.object_id, about_them.object_repr) == (None, "(deleted account)")
    assert Notification.objects.exists()
    # The other person's account and sessions are theirs still.
    assert User.objects.filter(pk=world.other.pk).exists()
