"""The admin of cities, their twinnings and the offices that speak for them.

Superusers manage offices and who works for them; office staff may look at their own offices
and their cities' twinnings, and propose changes to those (``cities.admin_proposals``).
Times are shown as the city's clocks show them, labelled with its zone (core.admin_times).
"""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.admin_times import ZonedTimesMixin
from core.i18n import translated_columns

from .admin_proposals import TwinningProposalsMixin, staff_twinnings
from .models import City, CityOffice, OfficeMembership, Twinning
from .permissions import office_roles
from .team_admin import OfficeInvitationAdmin, OfficeMembershipAdmin  # noqa: F401 (registered)

# Links typed without a scheme are taken as https (Django 6's default, asked for now).
URL_FIELDS_HTTPS = {models.URLField: {"assume_scheme": "https"}}
# Calendar dates (an agreement's) in the browser's own date box: the admin's calendar
# shortcut warns that the user's clock differs from the server's, which means nothing for a
# date.
DATE_FIELDS_NATIVE = {
    models.DateField: {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
}


@admin.register(City)
class CityAdmin(ZonedTimesMixin, admin.ModelAdmin):
    list_display = ("name_en", "country", "region", "timezone", "population")
    list_filter = ("country",)
    search_fields = ("search_document", "slug")
    readonly_fields = ("slug", "other_names", "created_at", "updated_at")
    fieldsets = (
        (_("Name"), {"fields": translated_columns("name")}),
        (None, {"fields": ("country", "region", "population", "geonames_id", "slug")}),
        (
            _("Other names"),
            {
                "fields": ("other_names",),
                "description": _(
                    "Found in GeoNames by the import, or by the command match_geonames, which "
                    "also sets the population and the GeoNames ID. To correct a wrong match, "
                    "type the right GeoNames ID and run the command again."
                ),
            },
        ),
        (_("Place"), {"fields": ("latitude", "longitude", "timezone")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    def time_zone_of(self, obj) -> str:
        return obj.timezone

    @admin.display(description=_("Other names"))
    def other_names(self, obj) -> str | None:
        # None: the admin's sign for nothing.
        return ", ".join(obj.aliases) or None


@admin.register(Twinning)
class TwinningAdmin(TwinningProposalsMixin, ZonedTimesMixin, admin.ModelAdmin):
    """Twinnings, changed by superusers; staff see their offices' cities' twinnings and may
    propose changes to them."""

    list_display = ("__str__", "kind", "status", "established_on")
    list_filter = ("kind", "status")
    list_select_related = ("city_a", "city_b")
    search_fields = ("city_a__search_document", "city_b__search_document")
    autocomplete_fields = ("city_a", "city_b")
    formfield_overrides = {**URL_FIELDS_HTTPS, **DATE_FIELDS_NATIVE}
    fieldsets = (
        (None, {"fields": ("city_a", "city_b", "kind", "status", "established_on", "ended_on")}),
        (_("Agreement title"), {"fields": translated_columns("agreement_title")}),
        (_("Agreement summary"), {"fields": translated_columns("agreement_summary")}),
        (_("Description"), {"fields": translated_columns("description")}),
        (None, {"fields": ("agreement_url", "source_url")}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return staff_twinnings(queryset, request.user)


class OfficeMembershipInline(ZonedTimesMixin, admin.TabularInline):
    """Who works for the office, in which roles; one row per role."""

    model = OfficeMembership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("office__city")

    def time_zone_of(self, obj) -> str:
        return obj.office.city.timezone


@admin.register(CityOffice)
class CityOfficeAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """Offices and, for superusers, their memberships. Staff see only the offices they hold a
    role in, and neither add nor delete offices."""

    list_display = ("name_en", "city", "email", "phone")
    list_select_related = ("city",)
    search_fields = ("name_en", "city__search_document")
    autocomplete_fields = ("city",)
    formfield_overrides = URL_FIELDS_HTTPS
    fieldsets = (
        (_("Name"), {"fields": translated_columns("name")}),
        (None, {"fields": ("city", "email", "phone", "website")}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=list(office_roles(request.user)))

    def time_zone_of(self, obj) -> str:
        return obj.city.timezone

    def get_inlines(self, request, obj):
        # Memberships grant access to events and announcements: superusers alone manage them.
        return [OfficeMembershipInline] if request.user.is_superuser else []

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)
