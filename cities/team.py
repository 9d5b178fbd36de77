"""The services of an office's own team: inviting people by e-mail, accepting an invitation,
changing a member's role and removing them.

An office's administrators (the ADMIN role) manage its team, and superusers every team; no one
acts on another office's team from here. Every change is made under a lock of the office's
row, so that two administrators removing each other at once cannot leave it without one.

Taking a role away reaches the person at once: the roles of a request are read afresh with
each request (``cities.permissions``), and the membership's deletion tells their open
websockets, which read them afresh too and end what the role no longer allows
(``cities.receivers``, ``accounts.realtime``).
"""

import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from .error_codes import CityErrorCode
from .invitation_mail import send_invitation
from .models import CityOffice, OfficeInvitation, OfficeMembership
from .permissions import forget_roles, has_role, office_roles
from .staff import make_office_staff

logger = logging.getLogger(__name__)

Role = OfficeMembership.Role
ADMIN_ROLES = frozenset({Role.ADMIN})


def token_hash(token: str) -> str:
    """What is stored of an invitation's token: its sha256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def can_manage_team(user, office) -> bool:
    """Whether ``user`` may manage ``office``'s team: its administrators and superusers."""
    return has_role(user, [office.pk], ADMIN_ROLES)


def managed_offices(user):
    """The offices whose teams ``user`` manages."""
    offices = CityOffice.objects.select_related("city")
    if not user.is_active:
        return offices.none()
    if user.is_superuser:
        return offices
    managed = [office for office, roles in office_roles(user).items() if Role.ADMIN in roles]
    return offices.filter(pk__in=managed)


def _check_manager(user, office) -> None:
    if not can_manage_team(user, office):
        raise ValidationError(
            _("Only the office's administrators may change its team."),
            code=CityErrorCode.NOT_OFFICE_ADMIN,
        )


def _locked(office) -> CityOffice:
    """``office``'s row, locked until the transaction ends: team changes of one office wait
    for each other."""
    return CityOffice.objects.select_for_update().get(pk=office.pk)


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError(
            {"role": ValidationError(_("Choose a role."), code=CityErrorCode.INVALID_ROLE)}
        )


def _resends_key(office) -> str:
    return f"office-invitation-resends:{office.pk}"


def _resends_since(office, since) -> list[float]:
    """When (POSIX times) ``office`` sent again, since ``since``, an invitation already sent
    in the 24 hours before: e-mails its invitations' ``sent_at`` no longer show. A cache that
    is down counts none, as the rate limits do (``core.ratelimit``)."""
    try:
        sent = cache.get(_resends_key(office)) or []
    except Exception:
        logger.warning("Invitations sent again by office %s unknown", office.pk, exc_info=True)
        return []
    return [moment for moment in sent if moment >= since.timestamp()]


def _count_resend(office, now) -> None:
    since = now - datetime.timedelta(days=1)
    try:
        cache.set(
            _resends_key(office),
            [*_resends_since(office, since), now.timestamp()],
            timeout=int(datetime.timedelta(days=1).total_seconds()),
        )
    except Exception:
        logger.warning("Could not count an invitation of office %s", office.pk, exc_info=True)


def _check_daily_bound(office) -> None:
    """At most ``OFFICE_INVITATIONS_PER_DAY`` invitation e-mails per office in 24 hours: the
    invitations sent in that time, and the times one of them was sent again."""
    since = timezone.now() - datetime.timedelta(days=1)
    sent = OfficeInvitation.objects.filter(office=office, sent_at__gte=since).count()
    if sent + len(_resends_since(office, since)) >= settings.OFFICE_INVITATIONS_PER_DAY:
        raise ValidationError(
            _(
                "This office has sent as many invitations as it may in one day. "
                "Please try again tomorrow."
            ),
            code=CityErrorCode.TOO_MANY_INVITATIONS,
        )


def _new_link(invitation: OfficeInvitation) -> str:
    """Give ``invitation`` a new token and expiry, sent now; the token itself, which only the
    e-mail carries."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + datetime.timedelta(days=settings.OFFICE_INVITATION_DAYS)
    return token


def _send_on_commit(invitation: OfficeInvitation, token: str, base_url: str) -> None:
    """Mail the link once the invitation is stored, in the language active now (the
    inviter's). A failure to send is logged; the invitation stays and can be sent again."""
    language = translation.get_language()

    def send():
        try:
            send_invitation(invitation, token, base_url, language)
        except Exception:
            logger.exception(
                "Could not send the invitation %s to the team of office %s",
                invitation.pk,
                invitation.office_id,
            )

    transaction.on_commit(send)


@transaction.atomic
def invite(*, office, email: str, role: str, by, base_url: str) -> OfficeInvitation:
    """Invite ``email`` to ``office``'s team in ``role``, by ``by``, an administrator of the
    office; the link starts with ``base_url``. An earlier invitation of the same address to
    the office that is still waiting is withdrawn: only the newest link works."""
    _check_manager(by, office)
    email = User.objects.normalize_email((email or "").strip())
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {
                "email": ValidationError(
                    _("Enter a valid e-mail address."), code=CityErrorCode.INVALID_EMAIL
                )
            }
        ) from None
    _check_role(role)
    office = _locked(office)
    if OfficeMembership.objects.filter(
        office=office, role=role, user__email__iexact=email
    ).exists():
        raise ValidationError(
            {
                "email": ValidationError(
                    _("This person already has this role in the office."),
                    code=CityErrorCode.ALREADY_IN_TEAM,
                )
            }
        )
    _check_daily_bound(office)
    now = timezone.now()
    OfficeInvitation.objects.filter(
        office=office, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    invitation = OfficeInvitation(office=office, email=email, role=role, invited_by=by)
    token = _new_link(invitation)
    invitation.save()
    _send_on_commit(invitation, token, base_url)
    return invitation


@transaction.atomic
def resend(invitation: OfficeInvitation, *, by, base_url: str) -> OfficeInvitation:
    """Send a waiting invitation again with a new link (the old one stops working) that works
    for another ``OFFICE_INVITATION_DAYS``."""
    _check_manager(by, invitation.office)
    _locked(invitation.office)
    invitation = OfficeInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(
            _("This invitation was already accepted or withdrawn."),
            code=CityErrorCode.INVITATION_CLOSED,
        )
    _check_daily_bound(invitation.office)
    # Sent in the last 24 hours already: that e-mail counts still, and this one as well.
    sent_today = invitation.sent_at >= timezone.now() - datetime.timedelta(days=1)
    token = _new_link(invitation)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    if sent_today:
        _count_resend(invitation.office, invitation.sent_at)
    _send_on_commit(invitation, token, base_url)
    return invitation


@transaction.atomic
def revoke(invitation: OfficeInvitation, *, by) -> OfficeInvitation:
    """Withdraw a waiting invitation: its link stops working. Withdrawing twice is harmless."""
    _check_manager(by, invitation.office)
    invitation = OfficeInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(
            _("This invitation was already accepted."), code=CityErrorCode.INVITATION_CLOSED
        )
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def find_invitation(token: str) -> OfficeInvitation | None:
    """The invitation whose link carries ``token``, in any state; None for a token no
    invitation has."""
    return (
        OfficeInvitation.objects.select_related("office__city")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invited_user(invitation: OfficeInvitation) -> User | None:
    """The account the invitation's address already has, if any."""
    return User.objects.filter(email__iexact=invitation.email).first()


def needs_password(user: User | None) -> bool:
    """Whether accepting chooses a password: a new account, or one that has none (made by
    signing in to the app through Firebase). The link reached the address's mailbox, which is
    what a password reset asks too."""
    return user is None or not user.has_usable_password()


@transaction.atomic
def accept(token: str, *, user=None, password: str | None = None) -> User:
    """Accept the invitation ``token`` opens, once: the invited address becomes office staff
    with the invitation's role. An address that has an account must be signed in as it
    (``user``); a new one gives its ``password`` (Django's password validators apply)."""
    invitation = (
        OfficeInvitation.objects.select_for_update(of=("self",))
        .select_related("office")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise ValidationError(
            _("This invitation link is not valid."), code=CityErrorCode.INVITATION_NOT_FOUND
        )
    if not invitation.is_open():
        raise ValidationError(
            _("This invitation link no longer works."), code=CityErrorCode.INVITATION_CLOSED
        )
    existing = invited_user(invitation)
    if not needs_password(existing):
        if user is None or user.pk != existing.pk or not existing.is_active:
            raise ValidationError(
                _("Please sign in with the invited address first."),
                code=CityErrorCode.SIGN_IN_REQUIRED,
            )
        password = None
    elif not password:
        raise ValidationError(
            {
                "password": ValidationError(
                    _("Choose a password."), code=CityErrorCode.PASSWORD_REQUIRED
                )
            }
        )
    if existing is not None and not existing.is_active:
        raise ValidationError(
            _("This account is disabled. Please ask the office's administrator."),
            code=CityErrorCode.SIGN_IN_REQUIRED,
        )
    member = make_office_staff(invitation.email, invitation.office, [invitation.role], password)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = member
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return member


def _admins_left(office, without) -> bool:
    return (
        OfficeMembership.objects.filter(office=office, role=Role.ADMIN)
        .exclude(pk__in=[m.pk for m in without])
        .exists()
    )


def _check_admin_remains(office, leaving) -> None:
    """Refuse a change that would take the office's last administrator away (an office that
    has none, managed by superusers alone, may lose other roles)."""
    leaving = [m for m in leaving if m.role == Role.ADMIN]
    if leaving and not _admins_left(office, leaving):
        raise ValidationError(
            _("The office must keep at least one administrator."),
            code=CityErrorCode.LAST_ADMIN,
        )


@transaction.atomic
def change_role(membership: OfficeMembership, role: str, *, by) -> OfficeMembership:
    """Give the member of ``membership`` the role ``role`` in its place."""
    _check_manager(by, membership.office)
    _check_role(role)
    _locked(membership.office)
    membership = OfficeMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    if OfficeMembership.objects.filter(
        user_id=membership.user_id, office_id=membership.office_id, role=role
    ).exists():
        # They hold it already: the change takes the other role away.
        remove_role(membership, by=by)
        return OfficeMembership.objects.get(
            user_id=membership.user_id, office_id=membership.office_id, role=role
        )
    _check_admin_remains(membership.office, [membership])
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_role(membership: OfficeMembership, *, by) -> None:
    """Take one role away from a member of the office."""
    _check_manager(by, membership.office)
    _locked(membership.office)
    membership = OfficeMembership.objects.filter(pk=membership.pk).first()
    if membership is None:
        return
    _check_admin_remains(membership.office, [membership])
    membership.delete()


@transaction.atomic
def remove_member(user, office, *, by) -> None:
    """Take every role in ``office`` away from ``user``: they are no longer in its team."""
    _check_manager(by, office)
    _locked(office)
    memberships = list(OfficeMembership.objects.filter(user=user, office=office))
    _check_admin_remains(office, memberships)
    for membership in memberships:
        membership.delete()
    forget_roles(user)
