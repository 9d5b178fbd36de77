"""The e-mail that invites someone to an office's team: plain text and HTML, in the inviter's
language, with the link to the acceptance page."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from core.wall_clock import wall_clock


def invitation_link(token: str, base_url: str) -> str:
    return base_url.rstrip("/") + reverse("office-invitation", kwargs={"token": token})


def send_invitation(invitation, token: str, base_url: str, language: str | None) -> None:
    """Mail ``invitation``'s link (carrying ``token``) to the invited address."""
    office = invitation.office
    context = {
        "office": office.name_en,
        "city": office.city.name_en,
        "inviter": invitation.invited_by.email if invitation.invited_by else "",
        "link": invitation_link(token, base_url),
        "expires": wall_clock(invitation.expires_at, office.city.timezone),
    }
    with translation.override(language):
        context["role"] = invitation.get_role_display()
        subject = render_to_string("cities/email/invitation_subject.txt", context)
        text = render_to_string("cities/email/invitation.txt", context)
        html = render_to_string("cities/email/invitation.html", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [invitation.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()
