"""The languages the API speaks."""

import graphene

from core import i18n

TextDirection = graphene.Enum.from_enum(
    i18n.TextDirection,
    description="How a language is written: Urdu right to left, the others left to right.",
)


class Language(graphene.ObjectType):
    """A language the app can be used in. Send its code in Accept-Language to read in it."""

    code = graphene.String(required=True, description="BCP 47 code: en, ru, kk or ur.")
    name = graphene.String(required=True, description="The language's name in itself.")
    english_name = graphene.String(required=True)
    direction = graphene.Field(TextDirection, required=True)


class LanguageQueries(graphene.ObjectType):
    languages = graphene.List(
        graphene.NonNull(Language), required=True, description="Supported languages."
    )

    @staticmethod
    def resolve_languages(root, info):
        return i18n.LANGUAGES
