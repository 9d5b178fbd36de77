"""The admin's pages of offices' proposals of changes to twinnings.

A publisher opens "Propose a change" on a twinning of their office's city (a form holding the
twinning's present values), then follows the proposal on its page, where they may withdraw it
while it waits. Superusers see every proposal, each field before and after, and approve or
reject it on a page that says what will happen. Every write goes through ``cities.services``.
Staff see only the proposals of the offices they work for.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_times import ZonedTimesMixin
from core.i18n import LANGUAGES, column

from . import services
from .models import PROPOSABLE_FIELDS, CityOffice, Twinning, TwinningProposal
from .permissions import PUBLISHING_ROLES, office_roles

# The labels of the fields a proposal changes, as an office reads them.
FIELD_LABELS = {
    "kind": _("Kind of link"),
    "status": _("Status of the twinning"),
    "established_on": _("Date the agreement was signed"),
    "agreement_url": _("Link to the agreement"),
    **{
        column("description", language.code): {
            "en": _("Description in English"),
            "ru": _("Description in Russian"),
            "kk": _("Description in Kazakh"),
            "ur": _("Description in Urdu"),
        }[language.code]
        for language in LANGUAGES
    },
}
_RTL = {language.code for language in LANGUAGES if language.rtl}


def proposing_offices(user, twinning: Twinning):
    """The offices ``user`` may propose changes to ``twinning`` for."""
    if user.is_superuser:
        offices = CityOffice.objects.all()
    else:
        offices = CityOffice.objects.filter(
            pk__in=[
                office for office, roles in office_roles(user).items() if roles & PUBLISHING_ROLES
            ]
        )
    return offices.filter(city__in=[twinning.city_a_id, twinning.city_b_id]).order_by("name_en")


def staff_twinnings(queryset, user):
    """Of ``queryset``, the twinnings a staff user sees: those of the cities of the offices
    they work for."""
    cities = CityOffice.objects.filter(pk__in=list(office_roles(user))).values("city_id")
    return queryset.filter(Q(city_a__in=cities) | Q(city_b__in=cities))


def shown_value(field: str, value) -> str:
    """A value of a twinning's field as the comparison shows it."""
    if value in (None, ""):
        return gettext("(empty)")
    if field == "kind":
        return str(Twinning.Kind(value).label) if value in Twinning.Kind.values else value
    if field == "status":
        return str(Twinning.Status(value).label) if value in Twinning.Status.values else value
    return str(value)


def comparison(proposal: TwinningProposal, twinning: Twinning | None = None) -> list[dict]:
    """For each field the proposal changes: its label, its value when proposed (before), the
    proposed one (after), and, when it has changed since, its value now."""
    twinning = twinning or proposal.twinning
    rows = []
    for field in PROPOSABLE_FIELDS:
        if field not in proposal.based_on:
            continue
        now = services.shown(getattr(twinning, field))
        rows.append(
            {
                "label": FIELD_LABELS[field],
                "before": shown_value(field, proposal.based_on[field]),
                "after": shown_value(field, services.shown(proposal.proposed(field))),
                "now": shown_value(field, now) if now != proposal.based_on[field] else None,
            }
        )
    return rows


class ProposalForm(forms.ModelForm):
    """The values an office proposes for a twinning, starting from the twinning's own."""

    # Links typed without a scheme are taken as https (Django 6's default, asked for now).
    agreement_url = forms.URLField(
        label=FIELD_LABELS["agreement_url"],
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=_("The address of the published agreement, starting with https://."),
        widget=forms.URLInput(attrs={"size": 60}),
    )

    class Meta:
        model = TwinningProposal
        fields = [
            "office",
            "kind",
            "status_proposed",
            "established_on",
            "agreement_url",
            *(column("description", language.code) for language in LANGUAGES),
        ]
        labels = {
            "office": _("Proposed by the office"),
            "status_proposed": FIELD_LABELS["status"],
            **{name: label for name, label in FIELD_LABELS.items() if name != "status"},
        }
        help_texts = {
            "established_on": _("Leave empty if the date is not known."),
        }
        widgets = {
            "established_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["office"].empty_label = None
        for language in LANGUAGES:
            widget = self.fields[column("description", language.code)].widget
            widget.attrs.update(
                lang=language.code, dir="rtl" if language.code in _RTL else "ltr", rows=4
            )

    def values(self) -> dict:
        """The proposed values, by the twinning's field names."""
        data = self.cleaned_data
        return {
            field: data["status_proposed" if field == "status" else field]
            for field in PROPOSABLE_FIELDS
        }

    def add_refusal(self, error: ValidationError) -> None:
        """Put a service's refusal on the form, each message by its field where it has one."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                field = "status_proposed" if field == "status" else field
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


def initial_values(twinning: Twinning) -> dict:
    values = services.proposal_values(twinning)
    values["status_proposed"] = values.pop("status")
    return values


class TwinningProposalsMixin:
    """The "Propose a change" page of the twinnings' admin."""

    change_form_template = "admin/cities/twinning/change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/propose/",
                self.admin_site.admin_view(self.propose_view),
                name="cities_twinning_propose",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            # Superusers change the twinning itself.
            "may_propose": obj is not None
            and not request.user.is_superuser
            and proposing_offices(request.user, obj).exists(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def propose_view(self, request, object_id):
        twinning = self.get_object(request, unquote(object_id))
        if twinning is None or not self.has_view_permission(request, twinning):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        offices = proposing_offices(request.user, twinning)
        if not offices.exists():
            raise PermissionDenied
        if request.method == "POST":
            form = ProposalForm(request.POST, offices=offices)
            if form.is_valid():
                try:
                    proposal = services.propose_twinning_change(
                        request.user, form.cleaned_data["office"], twinning, form.values()
                    )
                except ValidationError as error:
                    form.add_refusal(error)
                else:
                    self.message_user(
                        request,
                        gettext(
                            "Your proposal was sent. A superuser will review it; its status "
                            "is shown here."
                        ),
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:cities_twinningproposal_change", args=[proposal.pk])
                    )
        else:
            form = ProposalForm(initial=initial_values(twinning), offices=offices)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": twinning,
            "title": gettext("Propose a change to %(twinning)s") % {"twinning": twinning},
            "form": form,
        }
        return TemplateResponse(request, "admin/cities/twinning/propose.html", context)


@admin.register(TwinningProposal)
class TwinningProposalAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """Proposals, read-only; approved, rejected or withdrawn through their own pages."""

    list_display = ("twinning", "office", "status", "proposed_by", "created_at", "reviewed_at")
    list_filter = ("status",)
    list_select_related = ("twinning__city_a", "twinning__city_b", "office__city", "proposed_by")
    fields = (
        "twinning",
        "office",
        "proposed_by",
        "created_at",
        "changes",
        "status",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    )
    readonly_fields = fields
    change_form_template = "admin/cities/twinningproposal/change_form.html"

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .select_related("twinning__city_a", "twinning__city_b", "office__city")
        )
        if request.user.is_superuser:
            return queryset
        return queryset.filter(office__in=list(office_roles(request.user)))

    def time_zone_of(self, obj) -> str:
        return obj.office.city.timezone

    def has_add_permission(self, request):
        # A proposal starts from its twinning's page ("Propose a change").
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Changes proposed"))
    def changes(self, obj):
        return render_to_string(
            "admin/cities/twinningproposal/comparison.html", {"rows": comparison(obj)}
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                view(self.approve_view),
                name="cities_twinningproposal_approve",
            ),
            path(
                "<path:object_id>/reject/",
                view(self.reject_view),
                name="cities_twinningproposal_reject",
            ),
            path(
                "<path:object_id>/withdraw/",
                view(self.withdraw_view),
                name="cities_twinningproposal_withdraw",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        pending = obj is not None and obj.status == TwinningProposal.Status.PENDING
        extra_context = {
            **(extra_context or {}),
            "may_review": pending and request.user.is_superuser,
            # Superusers reject; withdrawing is the proposing office's.
            "may_withdraw": pending
            and not request.user.is_superuser
            and services.may_withdraw(request.user, obj),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _confirm(self, request, object_id, action, template, run, note=False):
        """A confirmation page for ``action``; on POST, ``run(user, proposal, note)`` and
        back to the proposal with the outcome."""
        proposal = self.get_object(request, unquote(object_id))
        if proposal is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        back = reverse("admin:cities_twinningproposal_change", args=[proposal.pk])
        error = None
        if request.method == "POST":
            try:
                run(request.user, proposal, request.POST.get("review_note", ""))
            except ValidationError as refused:
                if not note:
                    self.message_user(request, " ".join(refused.messages), messages.ERROR)
                    return HttpResponseRedirect(back)
                error = " ".join(refused.messages)
            else:
                self.message_user(request, action, messages.SUCCESS)
                return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": proposal,
            "title": gettext("Are you sure?"),
            "proposal": proposal,
            "rows": comparison(proposal),
            "note": request.POST.get("review_note", ""),
            "error": error,
        }
        return TemplateResponse(request, f"admin/cities/twinningproposal/{template}.html", context)

    def approve_view(self, request, object_id):
        if not request.user.is_superuser:
            raise PermissionDenied
        return self._confirm(
            request,
            object_id,
            gettext("The proposal was approved and the twinning now shows its values."),
            "approve",
            lambda user, proposal, note: services.approve_proposal(user, proposal),
        )

    def reject_view(self, request, object_id):
        if not request.user.is_superuser:
            raise PermissionDenied
        return self._confirm(
            request,
            object_id,
            gettext("The proposal was rejected. The office can read your note."),
            "reject",
            services.reject_proposal,
            note=True,
        )

    def withdraw_view(self, request, object_id):
        return self._confirm(
            request,
            object_id,
            gettext("The proposal was withdrawn."),
            "withdraw",
            lambda user, proposal, note: services.withdraw_proposal(user, proposal),
        )
