"""The languages Twinning speaks, and model fields stored once per language.

Translations live in plain columns (``title_en``, ``title_ru``, …) rather than in a table of
their own: every read of a translated field is then a column of the row already fetched, so a
list in any language costs the same queries as in English, and the admin can show the languages
side by side. English is the source language and the fallback for every field.
"""

from dataclasses import dataclass
from enum import StrEnum
from types import SimpleNamespace

from django.db import models
from django.utils import translation

from .validators import validate_visible


class TextDirection(StrEnum):
    """How a language is written."""

    LTR = "LTR"
    RTL = "RTL"


@dataclass(frozen=True)
class Language:
    """A supported language: its code, its name in itself, and its writing direction."""

    code: str
    name: str
    english_name: str
    rtl: bool = False

    @property
    def direction(self) -> TextDirection:
        return TextDirection.RTL if self.rtl else TextDirection.LTR


LANGUAGES = (
    Language("en", "English", "English"),
    Language("ru", "Русский", "Russian"),
    Language("kk", "Қазақ тілі", "Kazakh"),
    Language("ur", "اردو", "Urdu", rtl=True),
)
LANGUAGE_CODES = tuple(language.code for language in LANGUAGES)
DEFAULT_LANGUAGE = "en"


def current_language() -> str:
    """The supported language active for this request or task, English when none matches."""
    code = (translation.get_language() or DEFAULT_LANGUAGE).split("-")[0].lower()
    return code if code in LANGUAGE_CODES else DEFAULT_LANGUAGE


def language_of(header: str, chosen: str = "") -> str:
    """The supported language for a page that shared caches keep by URL and Accept-Language:
    ``chosen`` (a ``?lang=`` of the URL) when it is one, else the one the Accept-Language
    ``header`` prefers, else English. Django's own choice also reads the admin's language
    cookie, which caches do not key on: a page chosen by it could be kept for everyone."""
    if chosen in LANGUAGE_CODES:
        return chosen
    asking = SimpleNamespace(COOKIES={}, META={"HTTP_ACCEPT_LANGUAGE": header})
    code = translation.get_language_from_request(asking).split("-")[0].lower()
    return code if code in LANGUAGE_CODES else DEFAULT_LANGUAGE


def column(field: str, code: str) -> str:
    """The column holding ``field`` in language ``code``: ``column("title", "kk")`` is
    ``"title_kk"``."""
    return f"{field}_{code}"


def translate(instance, field: str, language: str | None = None) -> str:
    """The value of ``field`` in ``language`` (the active one by default), else in English.

    The fallback is per field: an event translated only in its title still shows its Russian
    title and its English summary to a Russian reader.
    """
    code = language or current_language()
    value = getattr(instance, column(field, code), "")
    if value or code == DEFAULT_LANGUAGE:
        return value
    return getattr(instance, column(field, DEFAULT_LANGUAGE), "")


class TranslatedDescriptor:
    """Reading ``instance.title`` gives the title in the active language, with the fallback."""

    def __init__(self, field: str):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return translate(instance, self.field)


class TranslatedField:
    """Declares a translatable field: one real column per language plus a localized accessor.

    ``title = TranslatedField(models.CharField, max_length=200)`` adds ``title_en`` (required
    unless ``blank=True`` is given) and optional ``title_ru``, ``title_kk``, ``title_ur``, and
    makes ``obj.title`` read the active language. Only the columns reach migrations.

    Each column of text refuses text that shows nothing (``validate_visible``): the English one
    is then missing, and a translation of zero-width spaces would hide the English fallback.
    """

    def __init__(self, field_class, verbose_name: str | None = None, **options):
        self.field_class = field_class
        self.verbose_name = verbose_name
        self.options = options

    def contribute_to_class(self, cls, name):
        base_name = self.verbose_name or name.replace("_", " ")
        for language in LANGUAGES:
            options = dict(self.options)
            if language.code != DEFAULT_LANGUAGE:
                options["blank"] = True
                options.setdefault("default", "")
            options["verbose_name"] = f"{base_name} ({language.english_name})"
            if issubclass(self.field_class, models.CharField | models.TextField):
                options["validators"] = [*options.get("validators", ()), validate_visible]
            cls.add_to_class(column(name, language.code), self.field_class(**options))
        setattr(cls, name, TranslatedDescriptor(name))
        cls._meta.translated_fields = (*getattr(cls._meta, "translated_fields", ()), name)


def translated_columns(field: str) -> list[str]:
    """Every column of a translated field, English first."""
    return [column(field, code) for code in LANGUAGE_CODES]
