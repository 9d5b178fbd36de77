"""FCM topics for large audiences: one topic per city, per twinning and per language.

Each device is subscribed to ``city-<id>-<lang>`` for every city its user follows and
``twinning-<id>-<lang>`` for every twinning, in the language its pushes are written in. A
notification to a large audience is then one message per language, addressed to a condition
over those topics ("'city-4-ru' in topics || 'twinning-9-ru' in topics"), which FCM delivers
once per device however many of the topics it is in. What it gives up is in the README.
"""

import logging
from collections import defaultdict

from django.db import transaction

from accounts.models import Device
from cities.models import CityFollow, TwinningFollow
from core.i18n import LANGUAGE_CODES

from . import broker, registry
from .backends import MAX_TOPIC_BATCH, Outcome, get_backend
from .models import DeviceTopic, Notification
from .texts import pick_language

logger = logging.getLogger(__name__)

# Answers to an unsubscription worth trying again later; any other means the token is done
# with (unsubscribed, or no longer a token at all).
TRY_AGAIN = frozenset(
    {Outcome.QUOTA_EXCEEDED, Outcome.UNAVAILABLE, Outcome.INTERNAL, Outcome.UNKNOWN}
)


def city_topic(city_id: int, language: str) -> str:
    return f"city-{city_id}-{language}"


def twinning_topic(twinning_id: int, language: str) -> str:
    return f"twinning-{twinning_id}-{language}"


def topic_conditions(notification: Notification) -> list[tuple[str, str]]:
    """(language, condition) for each language; FCM allows five topics in a condition and a
    notification needs at most four (three cities and a twinning)."""
    if registry.spec(notification.kind).subject == registry.Subject.ANNOUNCEMENT:
        announcement = notification.announcement
        cities, twinning = [announcement.city_id], announcement.twinning_id
    else:
        event = notification.event
        cities, twinning = [event.host_city_id], event.twinning_id
        if event.twinning_id:
            cities += [event.twinning.city_a_id, event.twinning.city_b_id]
    conditions = []
    for language in LANGUAGE_CODES:
        topics = [city_topic(city, language) for city in dict.fromkeys(cities)]
        if twinning:
            topics.append(twinning_topic(twinning, language))
        conditions.append((language, " || ".join(f"'{topic}' in topics" for topic in topics)))
    return conditions


def desired_topics(user_id: int, language: str) -> set[str]:
    cities = CityFollow.objects.filter(user=user_id).values_list("city", flat=True)
    twinnings = TwinningFollow.objects.filter(user=user_id).values_list("twinning", flat=True)
    return {city_topic(city, language) for city in cities} | {
        twinning_topic(twinning, language) for twinning in twinnings
    }


def sync_user_topics(user_id: int) -> dict[str, int]:
    """Bring the FCM topics of the user's devices in line with what they follow and the
    language of each device: subscribe what is missing, unsubscribe what is stale, in calls of
    at most 1,000 tokens per topic. Returns the number of tokens (un)subscribed."""
    to_add, to_remove = defaultdict(list), defaultdict(list)
    devices = Device.objects.filter(user=user_id).select_related("user")
    for device in devices:
        current = set(device.topics.values_list("topic", flat=True))
        wanted = (
            desired_topics(user_id, pick_language(device.locale, device.user.language))
            if device.active
            else set()
        )
        for topic in wanted - current:
            to_add[topic].append(device)
        for topic in current - wanted:
            to_remove[topic].append(device)
    backend = get_backend()
    counts = {"subscribed": 0, "unsubscribed": 0}
    for topic, members in to_add.items():
        for start in range(0, len(members), MAX_TOPIC_BATCH):
            batch = members[start : start + MAX_TOPIC_BATCH]
            failed = backend.subscribe([device.token for device in batch], topic)
            done = [device for device in batch if device.token not in failed]
            DeviceTopic.objects.bulk_create(
                [DeviceTopic(device=device, topic=topic) for device in done],
                ignore_conflicts=True,
            )
            counts["subscribed"] += len(done)
    for topic, members in to_remove.items():
        for start in range(0, len(members), MAX_TOPIC_BATCH):
            batch = members[start : start + MAX_TOPIC_BATCH]
            backend.unsubscribe([device.token for device in batch], topic)
            DeviceTopic.objects.filter(device__in=batch, topic=topic).delete()
            counts["unsubscribed"] += len(batch)
    return counts


def schedule_topic_sync(user_id: int) -> None:
    """Sync the user's topics after the current transaction commits, on a worker."""

    # A down broker must not fail the follow; the user's next change resyncs everything.
    transaction.on_commit(lambda: broker.enqueue(broker.Job.SYNC_TOPICS, user_id))


# --- A deleted account's devices ----------------------------------------------------------------


def release_user_topics(user) -> None:
    """Before the devices of ``user`` go with their account (``accounts.deletion``): forget
    their topic subscriptions here, and have FCM unsubscribe them once the deletion commits,
    so that the phone no longer hears of what the account followed. Called in the deletion's
    transaction; FCM is called after it, on a worker (in the request itself when the broker
    cannot be reached)."""
    subscriptions = DeviceTopic.objects.filter(device__user=user)
    by_topic = defaultdict(list)
    for topic, token in subscriptions.values_list("topic", "device__token").order_by("pk"):
        by_topic[topic].append(token)
    if not by_topic:
        return
    subscriptions.delete()
    transaction.on_commit(lambda: _hand_over(dict(by_topic)))


def release_device_topics(device) -> None:
    """Before ``device`` is deleted, by any path (``deviceUnregister``, the admin, a shell):
    have FCM unsubscribe its token from its topics once the deletion commits, so that a phone
    signed out no longer hears of what its account followed. Its subscriptions here go with it
    (they cascade)."""
    by_topic = defaultdict(list)
    for topic in DeviceTopic.objects.filter(device=device).values_list("topic", flat=True):
        by_topic[topic].append(device.token)
    if by_topic:
        transaction.on_commit(lambda: _hand_over(dict(by_topic)))


def _hand_over(by_topic: dict[str, list[str]]) -> None:
    if not broker.enqueue(broker.Job.UNSUBSCRIBE_TOKENS, by_topic, 1):
        unsubscribe_tokens(by_topic)


def unsubscribe_tokens(by_topic: dict[str, list[str]]) -> dict[str, list[str]]:
    """Unsubscribe tokens from topics at FCM, at most ``MAX_TOPIC_BATCH`` tokens a call;
    returns, by topic, the tokens FCM could not unsubscribe for now (to try again)."""
    backend = get_backend()
    left = defaultdict(list)
    for topic, tokens in by_topic.items():
        for start in range(0, len(tokens), MAX_TOPIC_BATCH):
            batch = tokens[start : start + MAX_TOPIC_BATCH]
            failures = backend.unsubscribe(batch, topic)
            left[topic] += [token for token, outcome in failures.items() if outcome in TRY_AGAIN]
    return {topic: tokens for topic, tokens in left.items() if tokens}


def gave_up_unsubscribing(by_topic: dict[str, list[str]]) -> None:
    """Logged when the last attempt left tokens subscribed: those phones may still hear of
    what a deleted account followed until the app drops its FCM token."""
    count = sum(len(tokens) for tokens in by_topic.values())
    logger.warning(
        "gave up unsubscribing %d topic subscriptions of deleted accounts' devices (%s)",
        count,
        ", ".join(sorted(by_topic)),
    )
