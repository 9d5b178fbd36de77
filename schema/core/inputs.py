"""Input types shared by the domains' mutations."""

import graphene

from core.i18n import LANGUAGE_CODES


class TranslationsInput(graphene.InputObjectType):
    """A text in each supported language; English is the fallback and, where the text is
    required, the one that must be given."""

    en = graphene.String()
    ru = graphene.String()
    kk = graphene.String()
    ur = graphene.String()


def translated_columns(field: str, translations) -> dict:
    """``{"en": "Hi"}`` for ``title`` → ``{"title_en": "Hi"}``; only the languages given, so
    an update leaves the others as they are. Text is trimmed; null clears to empty."""
    return {
        f"{field}_{code}": (translations[code] or "").strip()
        for code in LANGUAGE_CODES
        if code in translations
    }
