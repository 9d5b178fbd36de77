"""Bumping the data versions of cities, twinnings and offices when they change (see
core.data_versions): renaming a city changes every event, twinning and office shown with it;
and a person's own version when they follow or stop following (their for-you feed). And
telling a user's open websockets when their office roles change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.realtime import AccountChange, account_changed
from core import data_versions

from .models import City, CityFollow, CityOffice, OfficeMembership, Twinning, TwinningFollow

AREA_OF = {
    City: data_versions.CITIES,
    Twinning: data_versions.TWINNINGS,
    CityOffice: data_versions.OFFICES,
}


@receiver(post_save, sender=City)
@receiver(post_delete, sender=City)
@receiver(post_save, sender=Twinning)
@receiver(post_delete, sender=Twinning)
@receiver(post_save, sender=CityOffice)
@receiver(post_delete, sender=CityOffice)
def public_data_changed(sender, **kwargs):
    data_versions.bump(AREA_OF[sender])


@receiver(post_save, sender=OfficeMembership, dispatch_uid="cities.membership_saved")
@receiver(post_delete, sender=OfficeMembership, dispatch_uid="cities.membership_deleted")
def roles_changed(sender, instance, **kwargs):
    """A role given, changed or taken away: the user's open websockets read their roles
    afresh from then on (see accounts.realtime), once the change commits."""
    account_changed(instance.user_id, AccountChange.ROLES_CHANGED)


@receiver(post_save, sender=CityFollow, dispatch_uid="cities.city_follow_saved")
@receiver(post_delete, sender=CityFollow, dispatch_uid="cities.city_follow_deleted")
@receiver(post_save, sender=TwinningFollow, dispatch_uid="cities.twinning_follow_saved")
@receiver(post_delete, sender=TwinningFollow, dispatch_uid="cities.twinning_follow_deleted")
def follows_changed(sender, instance, origin=None, **kwargs):
    # A follow deleted with its city, twinning or person bumps nothing more (see
    # events.receivers.rsvp_changed): their own deletion ends every answer that showed them.
    if data_versions.deleted_with_another(sender, origin):
        return
    data_versions.bump_viewers(instance.user_id)
