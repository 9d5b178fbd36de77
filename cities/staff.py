"""City office staff: a staff user, their roles in an office, and the group that lets them use
the admin's event and announcement pages.

The roles decide which offices' rows a staff user may touch; the group's Django model
permissions decide which admin pages they may open at all. Both are needed, so they are granted
together here, for the management command and the tests alike.
"""

from django.apps import apps
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.models import User

from .models import City, CityOffice, OfficeMembership, Twinning, TwinningProposal
from .permissions import forget_roles

STAFF_GROUP_NAME = "City office staff"

# The model permissions the group holds: staff edit events and announcements (the admin then
# narrows them to their own offices), handle their events' chat reports and mutes (narrowed to
# the events they moderate) and the reports of their offices' events and announcements
# (narrowed to the offices they moderate for), look up the cities, twinnings and offices they
# cite, and follow their offices' proposals of changes to twinnings (made and withdrawn on
# pages of their own, for publishers: cities.admin_proposals). Models of the apps built on
# this one are named by their labels, as a foreign key to them would be.
STAFF_GROUP_PERMISSIONS = (
    ("events.Event", ("view", "add", "change", "delete")),
    ("events.Announcement", ("view", "add", "change", "delete")),
    ("chat.ChatReport", ("view", "change")),
    ("chat.ChatMute", ("view", "delete")),
    ("reports.Report", ("view", "change")),
    (CityOffice, ("view",)),
    (City, ("view",)),
    (Twinning, ("view",)),
    (TwinningProposal, ("view",)),
)


def office_staff_group() -> Group:
    """The "City office staff" group with its permissions, created or completed as needed.

    Permissions are only ever added, so one granted to the group by hand stays.
    """
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP_NAME)
    granted = []
    for model, actions in STAFF_GROUP_PERMISSIONS:
        if isinstance(model, str):
            model = apps.get_model(model)
        content_type = ContentType.objects.get_for_model(model)
        for action in actions:
            # Normally created by migrate; made here too, so a fresh database cannot break it.
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model._meta.model_name}",
                defaults={"name": f"Can {action} {model._meta.verbose_name}"},
            )
            granted.append(permission)
    group.permissions.add(*granted)
    return group


@transaction.atomic
def make_office_staff(email: str, office: CityOffice, roles, password: str | None = None) -> User:
    """Make ``email`` a staff user holding ``roles`` in ``office``; safe to repeat.

    A new user is created (with an unusable password when none is given); an existing one is
    made staff if needed, keeps the roles it has (this only adds) and gets the new password
    only when one is given. Raises ValidationError for a bad e-mail, role or password.
    """
    email = User.objects.normalize_email(email.strip())
    validate_email(email)
    roles = sorted(set(roles))
    unknown = [role for role in roles if role not in OfficeMembership.Role.values]
    if not roles or unknown:
        raise ValidationError(
            gettext_noop("Give roles among %(roles)s; got %(unknown)s."),
            code="invalid_role",
            params={"roles": ", ".join(OfficeMembership.Role.values), "unknown": unknown or "none"},
        )

    # E-mails differ only in case for people, not for the unique index: match either way.
    user = User.objects.filter(email__iexact=email).first()
    if password is not None:
        password_validation.validate_password(password, user or User(email=email))
    if user is None:
        user = User.objects.create_user(email, password, is_staff=True)
    else:
        changed = []
        if not user.is_staff:
            user.is_staff = True
            changed.append("is_staff")
        if password is not None:
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)

    for role in roles:
        OfficeMembership.objects.get_or_create(user=user, office=office, role=role)
    user.groups.add(office_staff_group())
    forget_roles(user)
    return user
