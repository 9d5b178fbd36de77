"""Backends that hand push messages to a platform: FCM through firebase-admin, or the log.

The delivery layer builds ``OutgoingMessage`` objects and reads back one ``SendResult`` each.
A backend reports what happened and never retries: retries belong to the delivery layer, which
keeps them durable, spreads them with backoff and jitter, and bounds them across workers.
``get_backend()`` picks the backend from ``settings.PUSH_BACKEND``.
"""

import datetime
import itertools
import logging
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Protocol

import firebase_admin
import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from firebase_admin import credentials, exceptions, messaging
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger("notifications")

MAX_BATCH = 500  # messages per send call (FCM/firebase-admin limit)
MAX_TOPIC_BATCH = 1000  # tokens per topic (un)subscribe call

# A name of our own, so this app never clashes with another firebase-admin app in the process
# (sign-in uses "twinning-auth").
APP_NAME = "twinning-push"
GOOGLE_FCM_URL = "https://fcm.googleapis.com"
# Seconds per FCM request. firebase-admin's default is 120 s, which would hold a worker that
# long on a hung connection; FCM answers in well under a second, and a timed-out send comes
# back as UNKNOWN, which the delivery layer retries.
HTTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification for one device."""

    token: str  # device registration token
    title: str
    body: str
    data: dict[str, str]  # FCM data values must be strings
    urgent: bool = False  # high priority (android priority "high", apns-priority 10); else normal


class Outcome(StrEnum):
    """What became of a message (or of a token's topic subscription).

    UNREGISTERED and SENDER_ID_MISMATCH are about the token; INVALID_ARGUMENT is about the
    message (a bad payload, not a bad token); QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL and UNKNOWN
    are worth trying again later.
    """

    SENT = "SENT"
    UNREGISTERED = "UNREGISTERED"
    SENDER_ID_MISMATCH = "SENDER_ID_MISMATCH"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class SendResult:
    """The answer for one message: its outcome and, when sent, FCM's message id."""

    outcome: Outcome
    message_id: str | None = None
    retry_after: float | None = None  # seconds, from the Retry-After header when FCM gives one
    detail: str = ""  # the error message, for operators


class PushBackend(Protocol):
    """What the delivery layer needs from a push platform."""

    def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """One result per message, in the same order; at most ``MAX_BATCH`` messages (else
        ``ValueError``). One message failing never changes the others' results."""
        ...

    def send_to_condition(
        self, condition: str, title: str, body: str, data: dict[str, str], urgent: bool
    ) -> SendResult:
        """Send one message to an FCM topic condition, e.g.
        ``"'city-12-ru' in topics || 'twinning-3-ru' in topics"``."""
        ...

    def subscribe(self, tokens: list[str], topic: str) -> dict[str, Outcome]:
        """Subscribe at most ``MAX_TOPIC_BATCH`` tokens to a topic; returns the failures by
        token (an empty dict when all went well)."""
        ...

    def unsubscribe(self, tokens: list[str], topic: str) -> dict[str, Outcome]:
        """Unsubscribe at most ``MAX_TOPIC_BATCH`` tokens from a topic; failures as for
        ``subscribe``."""
        ...


def _check_batch(messages: list[OutgoingMessage]) -> None:
    if len(messages) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} messages per send, not {len(messages)}.")


def _check_topic_batch(tokens: list[str]) -> None:
    if len(tokens) > MAX_TOPIC_BATCH:
        raise ValueError(f"At most {MAX_TOPIC_BATCH} tokens per topic call, not {len(tokens)}.")


def _short(token: str) -> str:
    # Tokens are addresses that stay valid for months: logs get the start of one, enough to
    # tell devices apart, not the whole.
    return f"{token[:8]}…" if len(token) > 8 else token


class LogBackend:
    """A backend that only logs: used when no Firebase credentials are configured, so local
    runs and demos go through the whole delivery path without pushing anything."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def _next_id(self) -> str:
        return f"log-{next(self._ids)}"

    def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Log each message; every one is SENT with an id ``log-<n>``."""
        _check_batch(messages)
        results = []
        for message in messages:
            message_id = self._next_id()
            logger.info(
                "push %s to %s%s: %r %r data=%s",
                message_id,
                _short(message.token),
                " (urgent)" if message.urgent else "",
                message.title,
                message.body,
                message.data,
            )
            results.append(SendResult(Outcome.SENT, message_id=message_id))
        return results

    def send_to_condition(
        self, condition: str, title: str, body: str, data: dict[str, str], urgent: bool
    ) -> SendResult:
        """Log the message; it is SENT."""
        message_id = self._next_id()
        logger.info(
            "push %s to condition %s%s: %r %r data=%s",
            message_id,
            condition,
            " (urgent)" if urgent else "",
            title,
            body,
            data,
        )
        return SendResult(Outcome.SENT, message_id=message_id)

    def subscribe(self, tokens: list[str], topic: str) -> dict[str, Outcome]:
        """Log the subscription; it succeeds."""
        _check_topic_batch(tokens)
        logger.info("subscribe %d token(s) to topic %s", len(tokens), topic)
        return {}

    def unsubscribe(self, tokens: list[str], topic: str) -> dict[str, Outcome]:
        """Log the unsubscription; it succeeds."""
        _check_topic_batch(tokens)
        logger.info("unsubscribe %d token(s) from topic %s", len(tokens), topic)
        return {}


# --- The firebase-admin App for FCM ------------------------------------------------------------

_lock = threading.Lock()
_app: firebase_admin.App | None = None
_adapter: HTTPAdapter | None = None
_credential_override: credentials.Base | None = None
_backend: PushBackend | None = None


def use_credential(credential: credentials.Base | None) -> None:
    """Make the push App authenticate with ``credential`` (``None``: back to the settings).

    For tests, which need a credential that never calls Google: a ``credentials.Base`` whose
    Google credential holds a fixed, valid access token. The current App is deleted, so the
    next send builds one with this credential.
    """
    global _credential_override
    with _lock:
        _credential_override = credential
        _delete_app()


def _credential() -> credentials.Base:
    if _credential_override is not None:
        return _credential_override
    if settings.FIREBASE_CREDENTIALS:
        return credentials.Certificate(settings.FIREBASE_CREDENTIALS)
    # GOOGLE_APPLICATION_CREDENTIALS, or the metadata server on Google Cloud.
    return credentials.ApplicationDefault()


def _use_api_url(app: firebase_admin.App, api_url: str) -> HTTPAdapter:
    """Send this app's FCM requests to ``api_url`` (empty: Google's), without in-process retries.

    firebase-admin has no option for either. Its messaging service builds the send and topic
    URLs from Google's host, and mounts on its session an adapter that retries 500 and 503 up
    to four times with backoff. Retries are the delivery layer's job, durable and bounded
    across workers; stacked on top, firebase-admin's would multiply the attempts and hold a
    worker for seconds. So this app's service gets its two URLs rebuilt on ``api_url`` (the
    tests' fake FCM, or a private relay), and an adapter for that URL that retries only a
    failed connect, when nothing has reached FCM yet: 5xx come straight back. This is the only
    place that reaches into firebase-admin's messaging internals. Returns the adapter, to be
    closed with the app.
    """
    service = messaging._get_messaging_service(app)
    session = getattr(getattr(service, "_client", None), "session", None)
    if session is None or not all(
        hasattr(service, name) for name in ("_fcm_url", "_fcm_topic_url")
    ):
        # Fail loudly if an upgrade moves them, rather than silently sending elsewhere or
        # retrying twice over.
        raise ImproperlyConfigured(
            "The FCM backend cannot configure this firebase-admin version's messaging service."
        )
    base = api_url.rstrip("/") or GOOGLE_FCM_URL
    if api_url:
        project = app.project_id
        service._fcm_url = f"{base}/v1/projects/{project}/messages:send"
        service._fcm_topic_url = f"{base}/v1/projects/{project}/registrations"
    adapter = HTTPAdapter(
        # One host. send_each runs up to 500 requests at once (a thread each), topic calls up
        # to 100: with a blocking pool of 100 they share 100 kept-alive connections instead
        # of opening (and TLS-handshaking) 400 more per batch only to close them, each closing
        # logged by urllib3 as a warning.
        pool_connections=1,
        pool_maxsize=100,
        pool_block=True,
        max_retries=Retry(total=None, connect=1, read=0, redirect=0, status=0, other=0),
    )
    # Mounted on the same prefix as firebase-admin's own adapter (for Google's URL), which it
    # replaces; longer than its catch-all "http://" and "https://" ones otherwise.
    session.mount(base, adapter)
    _read_environment_once(session, base)
    return adapter


def _read_environment_once(session: requests.Session, base: str) -> None:
    """Read the proxy and CA bundle settings from the environment now, not on every request,
    and leave requests nothing to merge per request that is always empty.

    With ``trust_env`` on, requests looks up the proxy variables and ``.netrc`` for each
    request, about a quarter of a send's CPU (``bench/push_parts.py``). The environment does
    not change under a running worker, so the same settings are read once, for FCM's URL, and
    set on the session, and ``trust_env`` is turned off.

    Each request also merges the session's query parameters and proxies with its own, and
    requests (2.34) checks every mapping it merges against a runtime-checkable Protocol, some
    40 µs a check on Python 3.11: about a fifth of a send's CPU. FCM calls carry no query
    parameters of the session's, and usually no proxies: unset (None), requests takes the
    request's own as they are, which is what the merge would have given.
    """
    proxies = requests.utils.get_environ_proxies(base)
    if proxies:
        session.proxies.update(proxies)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
    if not session.params:
        session.params = None
    if not session.proxies:
        session.proxies = None


def _get_app() -> firebase_admin.App:
    global _app, _adapter
    with _lock:
        if _app is None:
            options = {"httpTimeout": HTTP_TIMEOUT_SECONDS}
            if settings.FIREBASE_PROJECT_ID:
                options["projectId"] = settings.FIREBASE_PROJECT_ID
            app = firebase_admin.initialize_app(_credential(), options, name=APP_NAME)
            try:
                if not app.project_id:
                    raise ImproperlyConfigured(
                        "Sending with FCM needs FIREBASE_PROJECT_ID or a service account."
                    )
                adapter = _use_api_url(app, settings.FCM_API_URL)
            except Exception:
                firebase_admin.delete_app(app)
                raise
            _app, _adapter = app, adapter
        return _app


def _delete_app() -> None:
    """Delete the push App and close its connections; the caller holds ``_lock``."""
    global _app, _adapter
    if _app is not None:
        firebase_admin.delete_app(_app)
        _app = None
    if _adapter is not None:
        _adapter.close()
        _adapter = None


# --- FCM ---------------------------------------------------------------------------------------


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _outcome_of(error: exceptions.FirebaseError) -> Outcome:
    # The FCM-specific errors first: each subclasses a generic one below it.
    if isinstance(error, messaging.UnregisteredError):
        return Outcome.UNREGISTERED
    if isinstance(error, messaging.SenderIdMismatchError):
        return Outcome.SENDER_ID_MISMATCH
    if isinstance(error, exceptions.InvalidArgumentError):
        return Outcome.INVALID_ARGUMENT
    # QuotaExceededError (FCM's QUOTA_EXCEEDED: device or topic message rate) is a
    # ResourceExhaustedError; a 429 for the project's per-minute quota carries no FCM error
    # code and comes as the generic one. Both mean "slow down".
    if isinstance(error, exceptions.ResourceExhaustedError):
        return Outcome.QUOTA_EXCEEDED
    if isinstance(error, exceptions.UnavailableError):
        return Outcome.UNAVAILABLE
    if isinstance(error, exceptions.InternalError):
        return Outcome.INTERNAL
    return Outcome.UNKNOWN


def _result_for(error: exceptions.FirebaseError | None) -> SendResult:
    if error is None:
        return SendResult(Outcome.UNKNOWN, detail="FCM answered without a message id.")
    response = getattr(error, "http_response", None)
    retry_after = (
        _parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
    )
    return SendResult(
        _outcome_of(error),
        retry_after=retry_after,
        detail=f"{type(error).__name__}: {error}",
    )


# Topic (un)subscriptions report an error per token as a string: FCM's error code when it gave
# one, else the status. Codes naming an outcome map to it. NOT_FOUND and PERMISSION_DENIED
# without an FCM code stay UNKNOWN: a wrong project id answers them for every token, and
# reading them as dead tokens would deactivate every device.
_TOPIC_STATUSES = {"RESOURCE_EXHAUSTED": Outcome.QUOTA_EXCEEDED}


def _topic_outcome(reason: str) -> Outcome:
    if reason in Outcome.__members__ and reason != Outcome.SENT:
        return Outcome(reason)
    return _TOPIC_STATUSES.get(reason, Outcome.UNKNOWN)


def _payload_problem(title: object, body: object, data: object) -> str | None:
    """Why FCM would refuse this payload, found before sending so that one bad message is
    INVALID_ARGUMENT on its own instead of firebase-admin refusing the whole batch."""
    if not isinstance(title, str) or not isinstance(body, str):
        return "The title and body must be strings."
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in data.items()
    ):
        return "FCM data keys and values must be strings."
    return None


def _android(urgent: bool) -> messaging.AndroidConfig:
    return messaging.AndroidConfig(priority="high" if urgent else "normal")


def _apns(urgent: bool) -> messaging.APNSConfig:
    # 10 = deliver now (alerts only); 5 = when convenient for the device's power.
    return messaging.APNSConfig(headers={"apns-priority": "10" if urgent else "5"})


def _fcm_message(message: OutgoingMessage) -> messaging.Message:
    fcm_message = messaging.Message(
        notification=messaging.Notification(title=message.title, body=message.body),
        data=dict(message.data),
        android=_android(message.urgent),
        apns=_apns(message.urgent),
    )
    # Devices register FCM registration tokens, which FCM's HTTP v1 API takes as ``token``.
    # firebase-admin (7.5 on) warns on ``Message(token=...)`` in favour of Firebase
    # installation IDs (``fid``); moving to those needs the app to change as well, and Firebase
    # advises against mixing the two. Set as an attribute, the token is encoded without the
    # warning, which catching would silence process-wide (warning filters are not thread-safe).
    fcm_message.token = message.token
    return fcm_message


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _sender_pool() -> ThreadPoolExecutor:
    """The process's sending threads, made on first use (after any fork of the worker)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.PUSH_SEND_THREADS, thread_name_prefix="fcm-send"
            )
        return _pool


class FcmBackend:
    """Sends through firebase-admin to Firebase Cloud Messaging (HTTP v1).

    The firebase-admin App is built on first use, once per process, from the Firebase
    settings. Every FCM error is an ``Outcome`` on its message's result: nothing a single
    message does raises. ``ValueError`` is raised for calls that break the interface's
    limits (batch sizes) and for malformed topic names.
    """

    def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        """Send each message with ``messaging.send`` (one HTTP request each) on this
        process's pool of sending threads; one result per message, in order.

        firebase-admin's ``send_each`` does the same requests on a new pool of one thread
        per message for every call; here a lasting pool of ``PUSH_SEND_THREADS`` threads each
        take the batch's next message until none is left, which spares starting 500 threads
        and handing each message over through a future (a quarter less CPU a message on two
        cores: docs/benchmarks.md).
        """
        _check_batch(messages)
        results: list[SendResult | None] = [None] * len(messages)
        to_send: list[tuple[int, messaging.Message]] = []
        for index, message in enumerate(messages):
            problem = _payload_problem(message.title, message.body, message.data)
            if not problem and not (isinstance(message.token, str) and message.token):
                problem = "The message has no device token."
            if problem:
                results[index] = SendResult(Outcome.INVALID_ARGUMENT, detail=problem)
            else:
                to_send.append((index, _fcm_message(message)))
        if to_send:
            app = _get_app()

            def send_one(fcm: messaging.Message) -> SendResult:
                try:
                    return SendResult(Outcome.SENT, message_id=messaging.send(fcm, app=app))
                except exceptions.FirebaseError as error:
                    return _result_for(error)

            # Each sending thread takes the next message until none is left: a slow request
            # holds up only its own thread, and the batch costs a task per thread, not a
            # future and a queue hand-off per message.
            pending = iter(to_send)

            def send_until_done() -> None:
                for index, fcm in pending:  # next() on a list iterator is atomic
                    results[index] = send_one(fcm)

            threads = max(1, min(settings.PUSH_SEND_THREADS, len(to_send)))
            for future in [_sender_pool().submit(send_until_done) for _ in range(threads)]:
                future.result()
        return results

    def send_to_condition(
        self, condition: str, title: str, body: str, data: dict[str, str], urgent: bool
    ) -> SendResult:
        """Send one message to the devices subscribed to the topics in ``condition``."""
        problem = _payload_problem(title, body, data)
        if problem:
            return SendResult(Outcome.INVALID_ARGUMENT, detail=problem)
        message = messaging.Message(
            condition=condition,
            notification=messaging.Notification(title=title, body=body),
            data=dict(data),
            android=_android(urgent),
            apns=_apns(urgent),
        )
        app = _get_app()
        try:
            message_id = messaging.send(message, app=app)
        except exceptions.FirebaseError as error:
            return _result_for(error)
        return SendResult(Outcome.SENT, message_id=message_id)

    def subscribe(self, tokens: list[str], topic: str) -> dict[str, Outcome]:
        """Subscribe the tokens to the topic (one FCM request per token); failures by token."""
        return self._manage_topic(messaging.subscribe_to_topic, tokens, topic)

    def unsubscribe(self, tokens: list[str], topic: str) -> dict[str, Outcome]:
        """Unsubscribe the tokens from the topic; a token not subscribed is not a failure."""
        return self._manage_topic(messaging.unsubscribe_from_topic, tokens, topic)

    def _manage_topic(self, call, tokens: list[str], topic: str) -> dict[str, Outcome]:
        _check_topic_batch(tokens)
        if not tokens:
            return {}
        app = _get_app()
        try:
            response = call(tokens, topic, app=app)
        except exceptions.FirebaseError as error:
            # As for send_each: raised only when the call as a whole could not run.
            logger.warning("topic call for %s failed as a whole: %s", topic, error)
            return dict.fromkeys(tokens, _outcome_of(error))
        return {tokens[error.index]: _topic_outcome(error.reason) for error in response.errors}


# --- Choosing the backend ----------------------------------------------------------------------

_BACKENDS = {"fcm": FcmBackend, "log": LogBackend}


def get_backend() -> PushBackend:
    """The push backend named by ``settings.PUSH_BACKEND`` ("fcm" or "log"), built once."""
    global _backend
    with _lock:
        if _backend is None:
            name = settings.PUSH_BACKEND
            if name not in _BACKENDS:
                raise ImproperlyConfigured(
                    f"PUSH_BACKEND must be one of {sorted(_BACKENDS)}, not {name!r}."
                )
            _backend = _BACKENDS[name]()
        return _backend


def reset_backend() -> None:
    """Forget the backend and delete the push App, so the next use reads the settings again.

    For tests that change the push settings. It deletes the App with firebase-admin, which
    closes its async client with ``asyncio.run``: call it outside a running event loop.
    """
    global _backend
    with _lock:
        _backend = None
        _delete_app()
