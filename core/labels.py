"""The names office staff read for models and their fields, kept apart from the models.

A model's ``verbose_name`` and a field's label and help text are part of its migrations' state:
rewording one in the model would need a migration that changes nothing in the database. Each
app names its models and fields for the admin in its own ``labels.py``, applied when the app is
ready, in plain words and marked for translation (``gettext_lazy``), so that the wording can
change freely and every page shows it in the admin's language.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, gettext_noop

from .i18n import LANGUAGES, column

# The languages' names, in the project's catalogues too: Django's own Urdu one lacks some.
LANGUAGE_NAMES = (
    gettext_noop("English"),
    gettext_noop("Russian"),
    gettext_noop("Kazakh"),
    gettext_noop("Urdu"),
)

# The admin forms' help texts, by model field.
_HELP_TEXTS: dict = {}


def relabel(model, name=None, plural=None, fields=None, help_texts=None) -> None:
    """Give ``model`` the names ``name`` and ``plural``, its fields the labels ``fields`` and,
    on the admin's forms, the help texts ``help_texts`` (both by field name). A translated
    field's label names each of its columns, followed by the column's language: "Title
    (Russian)"."""
    opts = model._meta
    if name is not None:
        opts.verbose_name = name
    if plural is not None:
        opts.verbose_name_plural = plural
    translated = getattr(opts, "translated_fields", ())
    for field_name, label in (fields or {}).items():
        if field_name in translated:
            for language in LANGUAGES:
                # Django's own catalogues translate the languages' English names.
                named = format_lazy("{} ({})", label, gettext_lazy(language.english_name))
                opts.get_field(column(field_name, language.code)).verbose_name = named
        else:
            opts.get_field(field_name).verbose_name = label
    for field_name, text in (help_texts or {}).items():
        # A field's own help text is in its migrations' state: this one is the admin form's.
        _HELP_TEXTS[opts.get_field(field_name)] = text


def help_text_for(db_field):
    """The help text ``relabel`` gave ``db_field`` for the admin's forms, or None."""
    return _HELP_TEXTS.get(db_field)
