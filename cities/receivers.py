"""Bumping the data versions of cities, twinnings and offices when they change (see
core.data_versions): renaming a city changes every event, twinning and office shown with it."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core import data_versions

from .models import City, CityOffice, Twinning

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
