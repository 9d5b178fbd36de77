"""The push backends: FcmBackend through the real firebase-admin against a fake FCM over HTTP,
LogBackend, and choosing between them."""

import datetime
import logging
import socket
from email.utils import format_datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import messaging

from notifications import backends
from notifications.backends import (
    MAX_BATCH,
    MAX_TOPIC_BATCH,
    FcmBackend,
    LogBackend,
    Outcome,
    OutgoingMessage,
    SendResult,
)
from tests.notifications.conftest import PROJECT_ID
from tests.notifications.fake_fcm import ACCESS_TOKEN

TOPIC = "city-12-ru"
CONDITION = "'city-12-ru' in topics || 'twinning-3-ru' in topics"


def message(token: str, urgent: bool = False, **data: str) -> OutgoingMessage:
    return OutgoingMessage(
        token=token,
        title=f"Title for {token}",
        body="Фестиваль побратимов начинается завтра",
        data={"event": "42", **data},
        urgent=urgent,
    )


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: FCM unreachable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fresh_backend():
    """No backend cached before or after the test."""
    backends.reset_backend()
    yield
    backends.reset_backend()


# --- send --------------------------------------------------------------------------------------


def test_a_batch_is_sent_with_each_message_as_given(fcm_backend, fake_fcm):
    # given three messages, one of them urgent
    messages = [message("token-a", urgent=True, kind="REMINDER"), message("token-b")]
    messages.append(message("token-c"))

    # when they are sent
    results = fcm_backend.send(messages)

    # then each is SENT with its own FCM message id
    assert [result.outcome for result in results] == [Outcome.SENT] * 3
    ids = [result.message_id for result in results]
    assert len(set(ids)) == 3
    assert all(id_.startswith(f"projects/{PROJECT_ID}/messages/") for id_ in ids)
    # and FCM received each one with its token, notification, data and priority
    assert fake_fcm.message_to("token-a") == {
        "token": "token-a",
        "notification": {
            "title": "Title for token-a",
            "body": "Фестиваль побратимов начинается завтра",
        },
        "data": {"event": "42", "kind": "REMINDER"},
        "android": {"priority": "high"},
        "apns": {"headers": {"apns-priority": "10"}},
    }
    normal = fake_fcm.message_to("token-b")
    assert normal["android"] == {"priority": "normal"}
    assert normal["apns"] == {"headers": {"apns-priority": "5"}}
    assert normal["data"] == {"event": "42"}
    assert fake_fcm.message_to("token-c") is not None
    # authenticated with the credential's access token
    assert fake_fcm.authorizations == {f"Bearer {ACCESS_TOKEN}"}


@pytest.mark.parametrize(
    ("fcm_error", "retry_after_header", "outcome", "retry_after"),
    [
        ("UNREGISTERED", None, Outcome.UNREGISTERED, None),
        ("SENDER_ID_MISMATCH", None, Outcome.SENDER_ID_MISMATCH, None),
        ("INVALID_ARGUMENT", None, Outcome.INVALID_ARGUMENT, None),
        ("QUOTA_EXCEEDED", 30, Outcome.QUOTA_EXCEEDED, 30.0),
        # The project's per-minute quota: a 429 without an FCM error code.
        ("RATE_LIMIT_EXCEEDED", None, Outcome.QUOTA_EXCEEDED, 60.0),
        ("UNAVAILABLE", None, Outcome.UNAVAILABLE, None),
        ("UNAVAILABLE", 7, Outcome.UNAVAILABLE, 7.0),
        ("INTERNAL", None, Outcome.INTERNAL, None),
    ],
)
def test_each_fcm_error_is_its_outcome_and_spares_the_rest_of_the_batch(
    fcm_backend, fake_fcm, fcm_error, retry_after_header, outcome, retry_after
):
    # given FCM refuses one token of a batch
    fake_fcm.fail("token-bad", fcm_error, retry_after=retry_after_header)

    # when the batch is sent
    results = fcm_backend.send([message("token-1"), message("token-bad"), message("token-2")])

    # then that message has the error's outcome, with FCM's message and Retry-After
    failed = results[1]
    assert failed.outcome == outcome
    assert failed.message_id is None
    assert failed.retry_after == retry_after
    assert failed.detail
    # and the others were sent
    assert [results[0].outcome, results[2].outcome] == [Outcome.SENT, Outcome.SENT]
    assert {m["token"] for m in fake_fcm.messages} == {"token-1", "token-2"}


def test_a_retry_after_date_becomes_seconds(fcm_backend, fake_fcm):
    in_two_minutes = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=2)
    fake_fcm.fail("token-bad", "QUOTA_EXCEEDED", retry_after=format_datetime(in_two_minutes))

    [result] = fcm_backend.send([message("token-bad")])

    assert result.outcome == Outcome.QUOTA_EXCEEDED
    assert 110 <= result.retry_after <= 120


@pytest.mark.parametrize("fcm_error", ["UNAVAILABLE", "INTERNAL"])
def test_a_server_error_is_not_retried_inside_firebase_admin(fcm_backend, fake_fcm, fcm_error):
    # given FCM answers one token with a 5xx, once
    fake_fcm.fail("token-a", fcm_error, times=1)

    # when it is sent
    [result] = fcm_backend.send([message("token-a")])

    # then the 5xx comes straight back after one request; retrying is the delivery layer's
    assert result.outcome == Outcome(fcm_error)
    assert fake_fcm.attempts["token-a"] == 1
    # and the next send, the delivery layer's retry, goes through
    [retried] = fcm_backend.send([message("token-a")])
    assert retried.outcome == Outcome.SENT
    assert fake_fcm.attempts["token-a"] == 2


def test_fcm_unreachable_is_unavailable_for_every_message(settings, fcm_backend):
    settings.FCM_API_URL = closed_port_url()
    backends.reset_backend()
    backend = backends.get_backend()

    results = backend.send([message("token-a"), message("token-b")])

    assert [result.outcome for result in results] == [Outcome.UNAVAILABLE] * 2


def test_a_proxy_from_the_environment_is_read_once_and_used(
    settings, fcm_backend, fake_fcm, monkeypatch
):
    # Given a proxy in the environment where nothing listens, when the App is built
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", closed_port_url())
    backends.reset_backend()
    backend = backends.get_backend()
    backend.send([message("token-warm")])  # builds the App, which reads the environment
    # then the proxy stays in use once the environment no longer names it:
    monkeypatch.delenv("HTTP_PROXY")

    results = backend.send([message("token-a")])

    assert [result.outcome for result in results] == [Outcome.UNAVAILABLE]
    assert fake_fcm.request_count == 0


def test_without_a_proxy_sends_and_topic_calls_go_straight_to_fcm(fcm_backend, fake_fcm):
    # Given no proxy in the environment (the session then has none to merge per request)
    # when a message is sent and a token subscribed and unsubscribed
    results = fcm_backend.send([message("token-a")])
    failures = (
        fcm_backend.subscribe(["token-a"], TOPIC),
        fcm_backend.unsubscribe(["token-a"], TOPIC),
    )

    # then each reached the fake FCM
    assert [result.outcome for result in results] == [Outcome.SENT]
    assert failures == ({}, {})
    assert fake_fcm.message_to("token-a") is not None
    assert fake_fcm.attempts["token-a"] == 3
    assert fake_fcm.topics[TOPIC] == set()


def test_a_malformed_message_is_invalid_argument_and_the_rest_are_sent(fcm_backend, fake_fcm):
    # given a message whose data holds a number, which FCM refuses
    bad = OutgoingMessage(token="token-bad", title="T", body="B", data={"count": 3})

    results = fcm_backend.send([message("token-1"), bad, OutgoingMessage("", "T", "B", {})])

    assert [result.outcome for result in results] == [
        Outcome.SENT,
        Outcome.INVALID_ARGUMENT,
        Outcome.INVALID_ARGUMENT,
    ]
    assert fake_fcm.attempts.keys() == {"token-1"}


def test_more_than_a_batch_is_refused_before_anything_is_sent(fcm_backend, fake_fcm):
    messages = [message(f"token-{n}") for n in range(MAX_BATCH + 1)]

    with pytest.raises(ValueError, match="500"):
        fcm_backend.send(messages)
    assert fake_fcm.request_count == 0


def test_a_full_batch_is_sent(fcm_backend, fake_fcm):
    results = fcm_backend.send([message(f"token-{n}") for n in range(MAX_BATCH)])

    assert {result.outcome for result in results} == {Outcome.SENT}
    assert len(fake_fcm.messages) == MAX_BATCH


def test_an_empty_batch_sends_nothing(fcm_backend, fake_fcm):
    assert fcm_backend.send([]) == []
    assert fake_fcm.request_count == 0


# --- conditions --------------------------------------------------------------------------------


def test_a_condition_message_reaches_fcm_with_its_condition(fcm_backend, fake_fcm):
    result = fcm_backend.send_to_condition(
        CONDITION, "Новое событие", "Ярмарка в Твери", {"event": "7"}, urgent=False
    )

    assert result.outcome == Outcome.SENT
    assert result.message_id.startswith(f"projects/{PROJECT_ID}/messages/")
    assert fake_fcm.message_to(CONDITION) == {
        "condition": CONDITION,
        "notification": {"title": "Новое событие", "body": "Ярмарка в Твери"},
        "data": {"event": "7"},
        "android": {"priority": "normal"},
        "apns": {"headers": {"apns-priority": "5"}},
    }


def test_a_refused_condition_message_reports_the_outcome(fcm_backend, fake_fcm):
    fake_fcm.fail(CONDITION, "QUOTA_EXCEEDED", retry_after=90)

    result = fcm_backend.send_to_condition(CONDITION, "T", "B", {}, urgent=True)

    assert result == SendResult(Outcome.QUOTA_EXCEEDED, retry_after=90.0, detail=result.detail)
    assert "QuotaExceededError" in result.detail


# --- topics ------------------------------------------------------------------------------------


def test_a_full_batch_of_tokens_is_subscribed_and_unsubscribed(fcm_backend, fake_fcm):
    tokens = [f"token-{n}" for n in range(MAX_TOPIC_BATCH)]

    assert fcm_backend.subscribe(tokens, TOPIC) == {}
    assert fake_fcm.topics[TOPIC] == set(tokens)

    # subscribing again is no failure (FCM answers 409 ALREADY_EXISTS)
    assert fcm_backend.subscribe(tokens[:3], TOPIC) == {}

    assert fcm_backend.unsubscribe(tokens, TOPIC) == {}
    assert fake_fcm.topics[TOPIC] == set()
    # and unsubscribing what is not subscribed is no failure either
    assert fcm_backend.unsubscribe(tokens[:3], TOPIC) == {}


def test_topic_calls_report_failures_by_token(fcm_backend, fake_fcm):
    # given FCM refuses two of the tokens
    fake_fcm.fail("token-gone", "UNREGISTERED")
    fake_fcm.fail("token-busy", "QUOTA_EXCEEDED")
    tokens = ["token-1", "token-gone", "token-2", "token-busy"]

    # when they are subscribed, then unsubscribed
    subscribed = fcm_backend.subscribe(tokens, TOPIC)
    unsubscribed = fcm_backend.unsubscribe(tokens, TOPIC)

    # then each call names those two, and the others went through
    expected = {"token-gone": Outcome.UNREGISTERED, "token-busy": Outcome.QUOTA_EXCEEDED}
    assert subscribed == expected
    assert unsubscribed == expected
    assert fake_fcm.topics[TOPIC] == set()
    assert fake_fcm.attempts["token-1"] == 2


def test_more_than_a_topic_batch_is_refused(fcm_backend, fake_fcm):
    tokens = [f"token-{n}" for n in range(MAX_TOPIC_BATCH + 1)]

    with pytest.raises(ValueError, match="1000"):
        fcm_backend.subscribe(tokens, TOPIC)
    with pytest.raises(ValueError, match="1000"):
        fcm_backend.unsubscribe(tokens, TOPIC)
    assert fake_fcm.request_count == 0


# --- the firebase-admin App --------------------------------------------------------------------


def test_without_an_api_url_fcm_is_googles_with_no_status_retries(settings, fcm_backend):
    # given the default FCM URL (nothing is sent: only the App is built)
    settings.FCM_API_URL = ""
    backends.reset_backend()

    app = backends._get_app()

    service = messaging._get_messaging_service(app)
    assert service._fcm_url == (
        f"https://fcm.googleapis.com/v1/projects/{PROJECT_ID}/messages:send"
    )
    retries = service._client.session.get_adapter(service._fcm_url).max_retries
    assert (retries.status, retries.read, retries.connect) == (0, 0, 1)


def test_the_app_needs_a_project(settings, fcm_backend):
    settings.FIREBASE_PROJECT_ID = ""
    backends.reset_backend()

    with pytest.raises(ImproperlyConfigured):
        backends.get_backend().send([message("token-a")])


# --- the log backend and choosing ---------------------------------------------------------------


def test_the_log_backend_logs_and_answers_sent(caplog):
    backend = LogBackend()

    with caplog.at_level(logging.INFO, logger="notifications"):
        results = backend.send(
            [OutgoingMessage("token-abcdefghijkl", "Ярмарка", "Завтра", {}), message("t-2")]
        )
        condition = backend.send_to_condition(CONDITION, "T", "B", {}, urgent=False)
        subscribed = backend.subscribe(["token-1"], TOPIC)
        unsubscribed = backend.unsubscribe(["token-1"], TOPIC)

    assert results == [
        SendResult(Outcome.SENT, message_id="log-1"),
        SendResult(Outcome.SENT, message_id="log-2"),
    ]
    assert condition == SendResult(Outcome.SENT, message_id="log-3")
    assert subscribed == unsubscribed == {}
    logged = [record.getMessage() for record in caplog.records if record.name == "notifications"]
    assert len(logged) == 5
    assert "Ярмарка" in logged[0]
    assert "token-ab…" in logged[0]
    assert "token-abcdefghijkl" not in logged[0]  # tokens are logged shortened
    assert CONDITION in logged[2]
    with pytest.raises(ValueError, match="500"):
        backend.send([message("t")] * (MAX_BATCH + 1))


@pytest.mark.usefixtures("fresh_backend")
@pytest.mark.parametrize(("name", "backend_class"), [("log", LogBackend), ("fcm", FcmBackend)])
def test_the_backend_is_chosen_by_the_settings_and_kept(settings, name, backend_class):
    settings.PUSH_BACKEND = name

    backend = backends.get_backend()

    assert isinstance(backend, backend_class)
    assert backends.get_backend() is backend


@pytest.mark.usefixtures("fresh_backend")
def test_an_unknown_backend_name_is_a_configuration_error(settings):
    settings.PUSH_BACKEND = "apns"

    with pytest.raises(ImproperlyConfigured, match="apns"):
        backends.get_backend()
