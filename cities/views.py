"""The page an invitation's link opens: the invited person sets a password (a new account) or
signs in (an account they have), joins the office's team and lands in the admin.

A token no invitation has gets the same page whatever it is, so that trying links tells
nothing of who is invited; a link that expired, was used or withdrawn says so.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import authenticate, login, password_validation
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.models import User
from core.ratelimit import Rate, hit

from . import team
from .error_codes import CityErrorCode

# Wrong passwords tried on one invitation's page before it asks to wait: the link is secret,
# but whoever holds it must not be able to guess the invited account's password.
SIGN_IN_TRIES = Rate(5, 15 * 60)


class NewAccountForm(forms.Form):
    """A password for a new account, typed twice."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second:
            if first != second:
                self.add_error("password2", _("The two passwords are not the same."))
            else:
                try:
                    password_validation.validate_password(first, User(email=self.email))
                except ValidationError as error:
                    self.add_error("password1", error)
        return cleaned


class SignInForm(forms.Form):
    """The password of the account the invited address has."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request, email: str, invitation_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.request, self.email, self.invitation_id = request, email, invitation_id
        self.user = None

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            if hit(f"invitation-signin:{self.invitation_id}", SIGN_IN_TRIES) is not None:
                raise ValidationError(
                    _("Too many wrong passwords. Please wait a quarter of an hour."),
                    code="too_many_tries",
                )
            self.user = authenticate(self.request, email=self.email, password=password)
            if self.user is None:
                raise ValidationError(_("This password is not right."), code="wrong_password")
        return cleaned


class ConfirmForm(forms.Form):
    """Nothing to type: the invited person is signed in already."""


def _closed_page(request, reason, status):
    context = {**admin.site.each_context(request), "reason": reason}
    return render(request, "cities/team/invitation_closed.html", context, status=status)


def _closed_reason(invitation) -> str | None:
    """Why ``invitation`` (None: no invitation has the token) no longer opens; None while it
    is open."""
    if invitation is None:
        return "unknown"
    if invitation.accepted_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "withdrawn"
    if not invitation.is_open():
        return "expired"
    return None


@never_cache
@csrf_protect
@sensitive_post_parameters("password", "password1", "password2")
def office_invitation(request, token: str):
    """Show an invitation and accept it."""
    invitation = team.find_invitation(token)
    reason = _closed_reason(invitation)
    if reason is not None:
        return _closed_page(request, reason, 404 if invitation is None else 410)

    existing = team.invited_user(invitation)
    data = request.POST if request.method == "POST" else None
    signed_in = request.user.is_authenticated
    if team.needs_password(existing):
        form = NewAccountForm(data, email=invitation.email)
    elif signed_in and request.user.pk == existing.pk:
        form = ConfirmForm(data)
    else:
        form = SignInForm(data, request=request, email=existing.email, invitation_id=invitation.pk)

    if data is not None and form.is_valid():
        user = getattr(form, "user", None) or (
            request.user if isinstance(form, ConfirmForm) else None
        )
        try:
            member = team.accept(token, user=user, password=form.cleaned_data.get("password1"))
        except ValidationError as error:
            # Closed since the page was shown: another tab accepted it, the office withdrew it
            # or sent a new link, or it expired. The page says which.
            if getattr(error, "code", None) in (
                CityErrorCode.INVITATION_CLOSED,
                CityErrorCode.INVITATION_NOT_FOUND,
            ):
                reason = _closed_reason(team.find_invitation(token)) or "used"
                return _closed_page(request, reason, 410)
            form.add_error(None, error)
        else:
            login(request, member, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("admin:index")

    context = {
        # The admin's header and language: the page is the door to it.
        **admin.site.each_context(request),
        "invitation": invitation,
        "office": invitation.office,
        "role": invitation.get_role_display(),
        "form": form,
        "new_account": team.needs_password(existing),
        "other_account": signed_in and existing is not None and request.user.pk != existing.pk,
        "title": _("Join the office's team"),
    }
    return render(request, "cities/team/invitation.html", context)
