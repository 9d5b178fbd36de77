"""The admin of users and groups. Their times (joined, last signed in) are shown in each
user's own time zone, labelled with it (core.admin_times)."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.admin_times import ZonedTimesMixin

from .deletion import delete_account_by_operator
from .models import User


@admin.register(User)
class UserAdmin(ZonedTimesMixin, DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("__str__", "email", "firebase_uid", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "display_name", "firebase_uid")
    readonly_fields = ("firebase_uid", "date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password", "display_name", "firebase_uid")}),
        (_("Preferences"), {"fields": ("language", "time_zone", "muted_categories")}),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def time_zone_of(self, obj) -> str:
        return obj.time_zone

    # Deleting here deletes the account as accountDelete does (accounts.deletion), not by
    # Django's cascade alone: RSVPs withdrawn so that waitlists move and counts stay right,
    # push topics unsubscribed, chat messages kept without their author.
    def delete_model(self, request, obj):
        delete_account_by_operator(obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        # All of them or none.
        for user in queryset:
            delete_account_by_operator(user)


# Django's own group admin, with its change history's times labelled like every other page's.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ZonedTimesMixin, DjangoGroupAdmin):
    pass
