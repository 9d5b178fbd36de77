from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImagesConfig(AppConfig):
    """Pictures people upload (events' images, users' avatars): checked, stripped, resized into
    the variants phones show, and stored through Django's storage API."""

    name = "images"
    verbose_name = _("Images")
