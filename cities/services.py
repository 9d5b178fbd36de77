"""Following cities and twinnings. Following twice, or unfollowing what one does not follow,
is harmless, so that an app can retry."""

from django.db import IntegrityError, transaction

from .models import City, CityFollow, Twinning, TwinningFollow
from .signals import follows_changed


def _changed(user) -> None:
    transaction.on_commit(lambda: follows_changed.send(sender=CityFollow, user_id=user.pk))


def _follow(model, user, **target) -> None:
    try:
        with transaction.atomic():
            model.objects.get_or_create(user=user, **target)
    except IntegrityError:
        # A concurrent request followed first: the row the user wanted exists.
        pass


def follow_city(user, city: City) -> None:
    _follow(CityFollow, user, city=city)
    _changed(user)


def unfollow_city(user, city: City) -> None:
    CityFollow.objects.filter(user=user, city=city).delete()
    _changed(user)


def follow_twinning(user, twinning: Twinning) -> None:
    _follow(TwinningFollow, user, twinning=twinning)
    _changed(user)


def unfollow_twinning(user, twinning: Twinning) -> None:
    TwinningFollow.objects.filter(user=user, twinning=twinning).delete()
    _changed(user)
