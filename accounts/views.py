"""The admin's language chooser."""

import contextlib

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import services


@require_POST
@staff_member_required
def admin_language(request):
    """Save the language picked in the admin's header to the user's profile, then let Django's
    ``set_language`` remember it for the admin's pages and go back to where the user was.

    A code that is not one of the project's languages changes nothing and goes back too
    (``set_language`` refuses it as well, and follows only a ``next`` of this site)."""
    with contextlib.suppress(ValidationError):
        services.update_preferences(request.user, language=request.POST.get("language", ""))
    return set_language(request)
