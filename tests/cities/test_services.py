"""The cities' services, called directly: following and unfollowing cities and twinnings writes
one row at most, is harmless to repeat, and tells the listeners of ``follows_changed`` once the
transaction commits."""

import pytest

from cities import services
from cities.models import CityFollow, TwinningFollow
from cities.signals import follows_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def follows_told():
    """The user IDs that ``follows_changed`` is sent for, in order."""
    told = []

    def receiver(sender, user_id, **kwargs):
        told.append(user_id)

    follows_changed.connect(receiver, weak=False)
    yield told
    follows_changed.disconnect(receiver)


def test_following_a_city_writes_one_row_and_is_told_once_committed(
    user_factory, city_factory, follows_told, django_capture_on_commit_callbacks
):
    # Given a user and a city
    user, city = user_factory(), city_factory()

    # When the user follows it
    with django_capture_on_commit_callbacks() as on_commit:
        services.follow_city(user, city)

    # Then the follow is written, and nobody is told before the commit
    assert list(CityFollow.objects.values_list("user", "city")) == [(user.pk, city.pk)]
    assert follows_told == []
    for callback in on_commit:
        callback()
    assert follows_told == [user.pk]


def test_following_twice_is_one_follow(user_factory, city_factory, committing, follows_told):
    user, city = user_factory(), city_factory()

    with committing():
        services.follow_city(user, city)
        services.follow_city(user, city)

    assert CityFollow.objects.count() == 1
    # Each call tells, so that a retry puts the user's devices right if the first did not.
    assert follows_told == [user.pk, user.pk]


def test_unfollowing_a_city_removes_the_users_follow_only(
    user_factory, city_factory, committing, follows_told
):
    user, other, city = user_factory(), user_factory(), city_factory()
    services.follow_city(user, city)
    services.follow_city(other, city)

    with committing():
        services.unfollow_city(user, city)

    assert list(CityFollow.objects.values_list("user", flat=True)) == [other.pk]
    assert follows_told == [user.pk]


def test_unfollowing_what_one_does_not_follow_is_harmless(user_factory, city_factory):
    user, city = user_factory(), city_factory()

    services.unfollow_city(user, city)

    assert not CityFollow.objects.exists()


def test_following_and_unfollowing_a_twinning(
    user_factory, twinning_factory, committing, follows_told
):
    user, twinning = user_factory(), twinning_factory()

    with committing():
        services.follow_twinning(user, twinning)
        services.follow_twinning(user, twinning)
    assert list(TwinningFollow.objects.values_list("user", "twinning")) == [(user.pk, twinning.pk)]

    with committing():
        services.unfollow_twinning(user, twinning)
    assert not TwinningFollow.objects.exists()
    assert follows_told == [user.pk] * 3


def test_a_follow_that_a_concurrent_request_wrote_first_is_kept(
    user_factory, city_factory, monkeypatch
):
    # Given a follow written by another request between this one's read and its insert
    user, city = user_factory(), city_factory()
    CityFollow.objects.create(user=user, city=city)
    monkeypatch.setattr(CityFollow.objects, "get_or_create", _insert_again)

    # When the user follows it
    services.follow_city(user, city)

    # Then the unique row is kept, and the service does not fail
    assert CityFollow.objects.count() == 1


def _insert_again(**fields):
    """``get_or_create`` as a race makes it: the read found nothing, the insert collides."""
    return CityFollow.objects.create(**fields), True
