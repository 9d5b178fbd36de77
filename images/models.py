"""Stored pictures: one row per picture, naming the files of its variants in storage."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .variants import Purpose


class Image(models.Model):
    """A picture made into its purpose's variants (``images.pipeline``) and stored.

    Rows are shared: the same variants (the same ``digest``) are stored once, whoever uploads
    them. Events and users point at a row (``on_delete=PROTECT``, so a row in use cannot be
    deleted); a row that nothing points at any more is deleted with its files after the commit
    that let it go (``images.services.release``), or by ``manage.py prune_images``.
    """

    digest = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # Per variant name: {"name": storage name, "width": …, "height": …, "format": "WEBP",
    # "bytes": …}.
    variants = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return f"{self.get_purpose_display()} {self.digest[:12]}"

    def storage_names(self) -> list[str]:
        """The names of its files in storage."""
        return [variant["name"] for variant in self.variants.values()]
