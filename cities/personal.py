"""What the cities app holds about a person, for deleting an account and exporting its data (the
registry of ``accounts.personal_data``): what they follow, their roles in offices (which stop a
deletion until the office's team takes them away), the invitations they accepted, and what they
did in an office's name (kept, without their name)."""

from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.personal_data import (
    anonymise,
    delete,
    export,
    not_exported,
    refuse,
    register,
    service,
)

from .error_codes import CityErrorCode
from .models import OfficeInvitation


def forget_invitations(user) -> None:
    """Invitations sent to the person's e-mail address forget it; those still open are
    withdrawn (their link would make a new account for an address that asked to be
    forgotten)."""
    if not user.email:
        return
    sent_to = OfficeInvitation.objects.filter(email__iexact=user.email)
    sent_to.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    sent_to.update(email="")


register(
    "cities.CityFollow",
    user=delete(),
    export=export("followedCities", by="user", fields=("city_id", "city__name_en", "created_at")),
)
register(
    "cities.TwinningFollow",
    user=delete(),
    export=export(
        "followedTwinnings",
        by="user",
        fields=(
            "twinning_id",
            "twinning__city_a__name_en",
            "twinning__city_b__name_en",
            "created_at",
        ),
    ),
)
register(
    "cities.OfficeMembership",
    # Taking the roles away is the office's team's to do: an office keeps an administrator.
    user=refuse(
        CityErrorCode.OFFICE_ROLE_HELD,
        gettext_noop(
            "You hold a role in a city office: ask its administrators to take it away first."
        ),
    ),
    export=export(
        "officeRoles", by="user", fields=("office_id", "office__name_en", "role", "created_at")
    ),
)
register(
    "cities.OfficeInvitation",
    invited_by=anonymise(),
    # The address it was sent to was the person's.
    accepted_by=anonymise(email=""),
    by_content=service(forget_invitations),
    export=export(
        "officeInvitations",
        by="accepted_by",
        fields=(
            "office_id",
            "office__name_en",
            "role",
            "created_at",
            "sent_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ),
        omitted={
            "email": "the address it was sent to: yours, as in your profile",
            "token_hash": "a hash of the link's secret",
            "invited_by": "the office's administrator who invited you: another person",
        },
    ),
)
register(
    "cities.TwinningProposal",
    proposed_by=anonymise(),
    reviewed_by=anonymise(),
    export=not_exported(
        "a proposal of a change to a twinning is its office's record: it is kept without your "
        "name once your account is deleted"
    ),
)
# Personal-looking columns that are not a person's.
register(
    "cities.CityOffice",
    export=not_exported("an office's public contact details (e-mail, phone) are not a person's"),
)
