"""The admin's pages of an office's team: its members with their roles, and the invitations
sent. An office's administrators (the ADMIN role) see and manage their own offices' teams only;
superusers every team. Every change goes through ``cities.team``.

Refusals of the services (the last administrator, the daily bound of invitations) are shown
as form errors or messages, never as a server error: a form's service is called while the form
is validated (``_post_clean``), inside the admin's transaction, so that its refusal is the
form's error.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_times import ZonedTimesMixin
from core.public_url import public_base_url

from . import team
from .models import CityOffice, OfficeInvitation, OfficeMembership

# Set on the request when a service refused a deletion: the admin's "deleted" message is then
# not shown, only the reason.
_REFUSED = "_team_refused"


def _reasons(error: ValidationError) -> str:
    return " ".join(error.messages)


class TeamAdminMixin(ZonedTimesMixin):
    """Pages open to superusers and to the administrators of at least one office, showing the
    rows of the offices they manage."""

    def managed(self, request):
        if not hasattr(request, "_managed_offices"):
            request._managed_offices = list(
                team.managed_offices(request.user).values_list("pk", flat=True)
            )
        return request._managed_offices

    # The users each row names, read with it.
    people = ()

    def may_manage(self, request, obj=None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        if obj is None:
            return bool(self.managed(request))
        return obj.office_id in self.managed(request)

    def has_module_permission(self, request):
        return self.may_manage(request)

    def has_view_permission(self, request, obj=None):
        return self.may_manage(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("office__city", *self.people)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office__in=self.managed(request))

    def time_zone_of(self, obj) -> str:
        return obj.office.city.timezone

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        if getattr(request, _REFUSED, False) and level == messages.SUCCESS:
            return
        super().message_user(request, message, level, *args, **kwargs)


class MembershipForm(forms.ModelForm):
    """A member's role, changed through ``team.change_role``."""

    class Meta:
        model = OfficeMembership
        fields = ("role",)

    def _post_clean(self):
        if self.errors:
            return
        try:
            self.instance = team.change_role(
                self.instance, self.cleaned_data["role"], by=self.request.user
            )
        except ValidationError as error:
            self.add_error(None, error)


@admin.register(OfficeMembership)
class OfficeMembershipAdmin(TeamAdminMixin, admin.ModelAdmin):
    """The team: one row per member and role. New members come by invitation."""

    form = MembershipForm
    people = ("user",)
    list_display = ("user", "role", "office", "created_at")
    list_filter = ("role", ("office", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__email", "user__display_name")
    readonly_fields = ("user", "office", "created_at")
    fields = ("user", "office", "role", "created_at")
    actions = ["remove_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return self.may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.may_manage(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Its own action deletes through the service, one row at a time.
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # modelform_factory makes a new class per call: the request does not leak.
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        """Saved already, by ``team.change_role`` while the form was checked."""

    def log_deletions(self, request, queryset):
        """Logged by ``delete_model`` once the role is removed: a refusal deleted nothing."""

    def delete_model(self, request, obj):
        try:
            team.remove_role(obj, by=request.user)
        except ValidationError as error:
            setattr(request, _REFUSED, True)
            self.message_user(request, _reasons(error), messages.ERROR)
        else:
            super().log_deletions(request, [obj])

    @admin.action(permissions=["delete"], description=_("Remove the selected roles from the team"))
    def remove_selected(self, request, queryset):
        removed = 0
        for membership in queryset:
            try:
                with transaction.atomic():
                    team.remove_role(membership, by=request.user)
            except ValidationError as error:
                self.message_user(
                    request,
                    _("Could not remove %(member)s: %(reason)s")
                    % {"member": membership.user, "reason": _reasons(error)},
                    messages.ERROR,
                )
            else:
                removed += 1
        if removed:
            self.message_user(
                request,
                ngettext("Removed %(count)d role.", "Removed %(count)d roles.", removed)
                % {"count": removed},
                messages.SUCCESS,
            )


class InvitationForm(forms.ModelForm):
    """Who to invite, into which office and role; sent through ``team.invite``."""

    class Meta:
        model = OfficeInvitation
        fields = ("office", "email", "role")

    def _post_clean(self):
        if self.errors:
            return
        try:
            self.instance = team.invite(
                office=self.cleaned_data["office"],
                email=self.cleaned_data["email"],
                role=self.cleaned_data["role"],
                by=self.request.user,
                base_url=public_base_url(self.request),
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
            else:
                self.add_error(None, error)


@admin.register(OfficeInvitation)
class OfficeInvitationAdmin(TeamAdminMixin, admin.ModelAdmin):
    """Invitations sent: waiting ones can be sent again or withdrawn."""

    form = InvitationForm
    people = ("invited_by",)
    list_display = ("email", "role", "office", "state", "sent_at", "expires_at", "invited_by")
    list_filter = ("role", ("office", admin.RelatedOnlyFieldListFilter))
    search_fields = ("email",)
    actions = ["send_again", "withdraw"]
    readonly_fields = (
        "office",
        "email",
        "role",
        "state",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) if obj is not None else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("office", "email", "role")
        return super().get_fields(request, obj)

    def has_add_permission(self, request):
        return self.may_manage(request)

    def has_change_permission(self, request, obj=None):
        # Sent invitations are not edited: they are sent again or withdrawn (the actions).
        return obj is None and self.may_manage(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request = request
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "office":
            kwargs["queryset"] = CityOffice.objects.filter(pk__in=self.managed(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if len(self.managed(request)) == 1:
            initial.setdefault("office", self.managed(request)[0])
        return initial

    def save_model(self, request, obj, form, change):
        """Saved and sent already, by ``team.invite`` while the form was checked."""

    def response_add(self, request, obj, post_url_continue=None):
        setattr(request, _REFUSED, True)  # the admin's own "added" message says less
        self.message_user(
            request, _("The invitation was sent to %(email)s.") % {"email": obj.email}
        )
        return self.response_post_save_add(request, obj)

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.accepted_at is not None:
            return _("accepted")
        if obj.revoked_at is not None:
            return _("withdrawn")
        if obj.expires_at <= timezone.now():
            return _("expired")
        return _("waiting")

    def _each(self, request, queryset, operation, done):
        count = 0
        for invitation in queryset:
            try:
                with transaction.atomic():
                    operation(invitation)
            except ValidationError as error:
                self.message_user(
                    request,
                    _("%(email)s: %(reason)s")
                    % {"email": invitation.email, "reason": _reasons(error)},
                    messages.ERROR,
                )
            else:
                count += 1
        if count:
            self.message_user(request, done(count), messages.SUCCESS)

    @admin.action(permissions=["view"], description=_("Send the selected invitations again"))
    def send_again(self, request, queryset):
        base_url = public_base_url(request)
        self._each(
            request,
            queryset,
            lambda invitation: team.resend(invitation, by=request.user, base_url=base_url),
            lambda count: (
                ngettext(
                    "Sent %(count)d invitation again.", "Sent %(count)d invitations again.", count
                )
                % {"count": count}
            ),
        )

    @admin.action(permissions=["view"], description=_("Withdraw the selected invitations"))
    def withdraw(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda invitation: team.revoke(invitation, by=request.user),
            lambda count: (
                ngettext("Withdrew %(count)d invitation.", "Withdrew %(count)d invitations.", count)
                % {"count": count}
            ),
        )
