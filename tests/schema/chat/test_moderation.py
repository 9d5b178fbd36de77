"""Moderation over HTTP: who moderates an event's chat (its offices' moderators and publishers,
not other offices' staff), deleting, muting, reports and their resolution."""

import pytest
from django.utils import timezone

from chat.models import ChatMessage, ChatMute, ChatReport
from events.models import EventCohost
from tests.factories import MembershipFactory

from .conftest import Role, gid, minutes, send_as

DELETE = """
mutation Delete($message: ID!) {
  chatMessageDelete(message: $message) {
    message { isDeleted body } errors { field code message }
  }
}
"""
MUTE = """
mutation Mute($event: ID!, $user: ID!, $minutes: Int!, $reason: String) {
  chatUserMute(event: $event, user: $user, minutes: $minutes, reason: $reason) {
    mute { user { id displayName } until reason } errors { field code message }
  }
}
"""
UNMUTE = """
mutation Unmute($event: ID!, $user: ID!) {
  chatUserUnmute(event: $event, user: $user) {
    user { displayName } errors { field code message }
  }
}
"""
REPORT = """
mutation Report($message: ID!, $reason: String!) {
  chatMessageReport(message: $message, reason: $reason) {
    report { id reason status message { seq body } reporter { displayName } }
    errors { field code message }
  }
}
"""
RESOLVE = """
mutation Resolve($report: ID!, $action: ChatReportAction!) {
  chatReportResolve(report: $report, action: $action) {
    report { status resolvedBy { displayName } resolvedAt message { isDeleted } }
    errors { field code message }
  }
}
"""
REPORTS = """
query Reports($event: ID!, $status: ChatReportStatus, $first: Int) {
  event(id: $event) {
    chatReports(status: $status, first: $first) {
      totalCount
      edges { node { reason status reporter { displayName } message { seq body event { title } } } }
    }
  }
}
"""


def call(gql, document, viewer, **variables):
    result = gql(document, variables, user=viewer)
    assert "errors" not in result, result
    return next(iter(result["data"].values()))


def refused(gql, document, viewer, **variables):
    """The top-level error's code of a refused call."""
    result = gql(document, variables, user=viewer)
    assert next(iter(result["data"].values())) is None, result
    return result["errors"][0]["extensions"]["code"]


@pytest.fixture
def said(room, ada, message_factory):
    return message_factory(event=room, author=ada, body="Buy cheap tickets at example.com")


@pytest.fixture
def staff(user_factory, office_factory, room):
    """People with roles: in the room's office, in a co-hosting office, in another office."""
    cohosting = office_factory()
    EventCohost.objects.create(event=room, office=cohosting, status=EventCohost.Status.ACCEPTED)
    invited = office_factory()
    EventCohost.objects.create(event=room, office=invited)
    elsewhere = office_factory()

    def member(office, role):
        user = user_factory(display_name=f"{role.label.split(':')[0]} of {office.pk}")
        MembershipFactory(user=user, office=office, role=role)
        return user

    return {
        "moderator": member(room.office, Role.MODERATOR),
        "publisher": member(room.office, Role.PUBLISHER),
        "editor": member(room.office, Role.EDITOR),
        "cohost moderator": member(cohosting, Role.MODERATOR),
        "invited moderator": member(invited, Role.MODERATOR),
        "other office's moderator": member(elsewhere, Role.MODERATOR),
        "other office's publisher": member(elsewhere, Role.PUBLISHER),
    }


MODERATORS = ["moderator", "publisher", "cohost moderator"]
NOT_MODERATORS = [
    "editor",
    "invited moderator",
    "other office's moderator",
    "other office's publisher",
]


# ---------------------------------------------------------------------------------------------
# Deleting
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", MODERATORS)
def test_the_events_moderators_delete_any_message(gql, said, staff, who):
    deleted = call(gql, DELETE, staff[who], message=gid(said))

    assert deleted == {"message": {"isDeleted": True, "body": None}, "errors": []}
    said.refresh_from_db()
    assert said.deleted_by == staff[who]


@pytest.mark.parametrize("who", NOT_MODERATORS)
def test_nobody_else_deletes_others_messages(gql, said, staff, who):
    assert refused(gql, DELETE, staff[who], message=gid(said)) == "PERMISSION_DENIED"
    said.refresh_from_db()
    assert said.deleted_at is None


def test_a_superuser_moderates_everywhere(gql, said, user_factory):
    root = user_factory(is_superuser=True)

    assert call(gql, DELETE, root, message=gid(said))["message"]["isDeleted"] is True


# ---------------------------------------------------------------------------------------------
# Muting
# ---------------------------------------------------------------------------------------------
def test_a_muted_user_cannot_send_until_unmuted(gql, room, ada, moderator):
    muted = call(gql, MUTE, moderator, event=gid(room), user=gid(ada), minutes=10, reason=" Spam ")

    assert muted["errors"] == []
    assert muted["mute"]["user"] == {"id": gid(ada), "displayName": "Ada"}
    assert muted["mute"]["reason"] == "Spam"
    mute = ChatMute.objects.get(event=room, user=ada)
    assert abs((mute.until - timezone.now()) - minutes(10)) < minutes(1)
    until = mute.until.replace(microsecond=0).isoformat()
    assert send_as(gql, ada, room, "Still here?")["errors"] == [
        {"field": None, "code": "MUTED", "message": f"You are muted in this chat until {until}."}
    ]

    unmuted = call(gql, UNMUTE, moderator, event=gid(room), user=gid(ada))

    assert unmuted == {"user": {"displayName": "Ada"}, "errors": []}
    assert not ChatMute.objects.exists()
    assert send_as(gql, ada, room, "Back")["errors"] == []


def test_muting_again_sets_a_new_end(gql, room, ada, moderator):
    call(gql, MUTE, moderator, event=gid(room), user=gid(ada), minutes=600)
    call(gql, MUTE, moderator, event=gid(room), user=gid(ada), minutes=5)

    mute = ChatMute.objects.get()
    assert mute.until < timezone.now() + minutes(6)


def test_a_mute_holds_in_one_room_only(gql, room, other_room, ada, moderator):
    call(gql, MUTE, moderator, event=gid(room), user=gid(ada), minutes=10)

    assert send_as(gql, ada, other_room, "Elsewhere")["errors"] == []


@pytest.mark.parametrize(
    ("variables", "error"),
    [
        ({"minutes": 0}, ("minutes", "OUT_OF_RANGE", "Mute for 1 to 43,200 minutes.")),
        ({"minutes": 43_201}, ("minutes", "OUT_OF_RANGE", "Mute for 1 to 43,200 minutes.")),
        (
            {"minutes": 5, "reason": "x" * 301},
            ("reason", "TOO_LONG", "At most 300 characters."),
        ),
        ({"minutes": 5, "user": "nonsense"}, ("user", "NOT_FOUND", None)),
    ],
    ids=["no time", "longer than allowed", "long reason", "not a user"],
)
def test_a_mute_is_checked(gql, room, ada, moderator, variables, error):
    result = call(gql, MUTE, moderator, **{"event": gid(room), "user": gid(ada), **variables})

    assert result["mute"] is None
    [found] = result["errors"]
    assert (found["field"], found["code"]) == error[:2]
    if error[2]:
        assert found["message"] == error[2]
    assert not ChatMute.objects.exists()


@pytest.mark.parametrize("who", NOT_MODERATORS)
def test_only_the_events_moderators_mute_and_unmute(gql, room, ada, staff, moderator, who):
    call(gql, MUTE, moderator, event=gid(room), user=gid(ada), minutes=10)
    before = list(ChatMute.objects.values())

    assert (
        refused(gql, MUTE, staff[who], event=gid(room), user=gid(ada), minutes=99)
        == "PERMISSION_DENIED"
    )
    assert refused(gql, UNMUTE, staff[who], event=gid(room), user=gid(ada)) == ("PERMISSION_DENIED")
    assert list(ChatMute.objects.values()) == before


def test_an_app_user_may_not_mute(gql, room, ada, bob):
    assert refused(gql, MUTE, bob, event=gid(room), user=gid(ada), minutes=5) == (
        "PERMISSION_DENIED"
    )


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------
def test_anyone_signed_in_reports_a_message_once(gql, said, bob):
    first = call(gql, REPORT, bob, message=gid(said), reason="  Spam  ")
    again = call(gql, REPORT, bob, message=gid(said), reason="Really, spam!")

    assert first["errors"] == []
    assert first["report"] == {
        "id": gid(ChatReport.objects.get()),
        "reason": "Spam",
        "status": "OPEN",
        "message": {"seq": 1, "body": "Buy cheap tickets at example.com"},
        "reporter": {"displayName": "Bob"},
    }
    assert again == first
    assert ChatReport.objects.count() == 1


@pytest.mark.parametrize(
    ("reason", "code"), [("  ", "REQUIRED"), ("x" * 501, "TOO_LONG")], ids=["blank", "long"]
)
def test_a_report_says_why(gql, said, bob, reason, code):
    result = call(gql, REPORT, bob, message=gid(said), reason=reason)

    assert [(error["field"], error["code"]) for error in result["errors"]] == [("reason", code)]
    assert not ChatReport.objects.exists()


def test_a_deleted_message_cannot_be_reported(gql, said, ada, bob):
    call(gql, DELETE, ada, message=gid(said))

    assert call(gql, REPORT, bob, message=gid(said), reason="Spam")["errors"] == [
        {"field": None, "code": "MESSAGE_DELETED", "message": "This message was deleted."}
    ]


def test_signed_out_people_cannot_report(gql, said):
    assert refused(gql, REPORT, None, message=gid(said), reason="Spam") == "UNAUTHENTICATED"


@pytest.fixture
def reported(said, bob, user_factory, message_factory):
    """Two reports of the spam (Bob's first), and one of another message."""
    carol = user_factory(display_name="Carol")
    ChatReport.objects.create(event=said.event, message=said, reporter=bob, reason="Spam")
    ChatReport.objects.create(event=said.event, message=said, reporter=carol, reason="Ads")
    other = message_factory(event=said.event, author=bob, body="Rude words")
    ChatReport.objects.create(event=said.event, message=other, reporter=carol, reason="Rude")
    return said


@pytest.mark.parametrize("who", MODERATORS)
def test_moderators_list_the_events_reports_newest_first(gql, reported, staff, who):
    result = gql(REPORTS, {"event": gid(reported.event)}, user=staff[who])

    reports = result["data"]["event"]["chatReports"]
    assert reports["totalCount"] == 3
    assert [
        (edge["node"]["reason"], edge["node"]["reporter"]["displayName"])
        for edge in reports["edges"]
    ] == [("Rude", "Carol"), ("Ads", "Carol"), ("Spam", "Bob")]
    assert reports["edges"][0]["node"]["message"] == {
        "seq": 2,
        "body": "Rude words",
        "event": {"title": "Caspian jazz"},
    }


@pytest.mark.parametrize("who", NOT_MODERATORS)
def test_others_may_not_list_reports(gql, reported, staff, who):
    result = gql(REPORTS, {"event": gid(reported.event)}, user=staff[who])

    assert result["data"] == {"event": {"chatReports": None}}
    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert result["errors"][0]["path"] == ["event", "chatReports"]


def test_app_users_and_signed_out_people_may_not_list_reports(gql, reported, bob):
    for user in (bob, None):
        result = gql(REPORTS, {"event": gid(reported.event)}, user=user)
        assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_dismissing_a_report_closes_that_report_only(gql, reported, moderator):
    spam = ChatReport.objects.get(reason="Spam")

    result = call(gql, RESOLVE, moderator, report=gid(spam), action="DISMISS")

    assert result["errors"] == []
    assert result["report"]["status"] == "DISMISSED"
    assert result["report"]["resolvedBy"] == {"displayName": "Mod"}
    assert result["report"]["message"] == {"isDeleted": False}
    statuses = dict(ChatReport.objects.values_list("reason", "status"))
    assert statuses == {"Spam": "DISMISSED", "Ads": "OPEN", "Rude": "OPEN"}
    open_only = gql(REPORTS, {"event": gid(reported.event), "status": "OPEN"}, user=moderator)
    assert open_only["data"]["event"]["chatReports"]["totalCount"] == 2


def test_deleting_the_message_closes_every_open_report_of_it(gql, reported, moderator):
    spam = ChatReport.objects.get(reason="Spam")

    result = call(gql, RESOLVE, moderator, report=gid(spam), action="DELETE_MESSAGE")

    assert result["report"]["status"] == "MESSAGE_DELETED"
    assert result["report"]["message"] == {"isDeleted": True}
    reported.refresh_from_db()
    assert reported.deleted_at is not None
    statuses = dict(ChatReport.objects.values_list("reason", "status"))
    assert statuses == {"Spam": "MESSAGE_DELETED", "Ads": "MESSAGE_DELETED", "Rude": "OPEN"}
    # A settled report stays as it was.
    again = call(gql, RESOLVE, moderator, report=gid(spam), action="DISMISS")
    assert again["report"]["status"] == "MESSAGE_DELETED"


@pytest.mark.parametrize("who", NOT_MODERATORS)
def test_only_the_events_moderators_resolve_reports(gql, reported, staff, who):
    spam = ChatReport.objects.get(reason="Spam")

    code = refused(gql, RESOLVE, staff[who], report=gid(spam), action="DELETE_MESSAGE")

    assert code == "PERMISSION_DENIED"
    assert ChatReport.objects.filter(status=ChatReport.Status.OPEN).count() == 3
    assert ChatMessage.objects.filter(deleted_at__isnull=False).count() == 0


def test_a_reporter_sees_their_own_report_and_nobody_elses(gql, reported, bob, ada):
    spam, ads = ChatReport.objects.get(reason="Spam"), ChatReport.objects.get(reason="Ads")
    node = "query($id: ID!) { node(id: $id) { ... on ChatReport { reason status } } }"

    assert gql(node, {"id": gid(spam)}, user=bob)["data"]["node"] == {
        "reason": "Spam",
        "status": "OPEN",
    }
    assert gql(node, {"id": gid(ads)}, user=bob)["data"]["node"] is None
    assert gql(node, {"id": gid(spam)}, user=ada)["data"]["node"] is None
