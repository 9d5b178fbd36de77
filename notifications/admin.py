"""The admin's page of push notifications: operators follow each one's progress there."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_times import ZonedTimesMixin

from .models import Notification
from .status import progress


@admin.register(Notification)
class NotificationAdmin(ZonedTimesMixin, admin.ModelAdmin):
    """Operators follow each push notification's progress here (read-only): what was sent,
    what waits, what failed and what was dropped as no longer true, each by its reason. Its
    times are the server's, in UTC, as in the logs."""

    list_display = (
        "pk",
        "kind",
        "state",
        "drop_reason",
        "path",
        "audience_size",
        "progress",
        "created_at",
    )
    list_filter = ("state", "kind", "path", "drop_reason")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields] + ["progress"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_changelist_instance(self, request):
        # The progress of a whole page in two queries, not two per row: kept on the page's
        # objects (the list evaluates its queryset once, and the rows show these objects).
        changelist = super().get_changelist_instance(request)
        for row in progress(changelist.result_list):
            row.notification.push_progress = row
        return changelist

    @admin.display(description=_("Progress"))
    def progress(self, obj):
        row = getattr(obj, "push_progress", None) or progress([obj])[0]
        return row.summary()
