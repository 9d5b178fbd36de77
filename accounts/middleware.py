"""The admin's pages in the signed-in user's own language."""

from django.urls import NoReverseMatch, reverse
from django.utils import translation

from core.i18n import DEFAULT_LANGUAGE, LANGUAGE_CODES
from core.outages import is_outage


class AdminLanguageMiddleware:
    """On the admin's pages, speak the language of the signed-in user's profile.

    Runs after Django's LocaleMiddleware, which has already chosen from the language picked in
    the admin's header (its cookie, kept to the admin's paths), else the browser's
    Accept-Language, else English. A profile in English is what every account starts with, so
    it does not count as a choice and that order stands; any other language of the profile wins
    over it. The API is left alone: it speaks the language of each request's Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefix = None

    def admin_prefix(self) -> str | None:
        """Where the admin's pages are; None where the URLs have no admin."""
        if self._admin_prefix is None:
            try:
                self._admin_prefix = reverse("admin:index")
            except NoReverseMatch:
                return None
        return self._admin_prefix

    def __call__(self, request):
        prefix = self.admin_prefix()
        # The path first: the user (a cookie and a database read) is looked up only here.
        if prefix and request.path_info.startswith(prefix):
            language = self.profile_language(request)
            if language != DEFAULT_LANGUAGE and language in LANGUAGE_CODES:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)

    @staticmethod
    def profile_language(request) -> str | None:
        """The signed-in user's language; None for no one, or when the database cannot say
        (the view then meets the same outage, and answers 503 as every view does)."""
        try:
            user = request.user
            return user.language if user.is_authenticated else None
        except Exception as error:
            if is_outage(error):
                return None
            raise
