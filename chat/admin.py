"""The admin's chat pages for moderators: reports to settle and mutes to lift, of the events
whose offices they moderate for, through the same services as the API. Their times are shown as
the event's venue's clocks show them, like the event's own."""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.admin_people import person_column
from cities.permissions import MODERATING_ROLES
from events.admin import ServiceAdmin
from events.models import Event

from . import services
from .models import ChatMute, ChatReport
from .permissions import can_moderate_chat


class ModeratedAdmin(ServiceAdmin):
    """Rows of the events the user moderates the chat of, their times in the event's venue's
    zone; nothing is added here."""

    office_roles_needed = MODERATING_ROLES

    def time_zone_of(self, obj) -> str:
        return obj.event.timezone

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(event__in=Event.objects.acted_for_by(self.staff_offices(request)))

    def _moderates(self, request, obj) -> bool:
        """Whether the user moderates ``obj``'s event, or for the list any event at all."""
        if obj is None:
            return request.user.is_superuser or bool(self.staff_offices(request))
        return can_moderate_chat(request.user, obj.event)

    def has_add_permission(self, request):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._moderates(request, obj)


@admin.register(ChatReport)
class ChatReportAdmin(ModeratedAdmin):
    """Reports of chat messages; the actions dismiss them or delete the messages."""

    list_display = ("created_at", "excerpt", "reason", "status", "event", "reporter_shown")
    list_filter = ("status",)
    list_select_related = ("message", "event", "reporter")
    readonly_fields = (
        "event",
        "message",
        "excerpt",
        "reporter_shown",
        "reason",
        "status",
        "created_at",
        "resolved_by_shown",
        "resolved_at",
    )
    reporter_shown = person_column("reporter", _("Reporter"))
    resolved_by_shown = person_column("resolved_by", _("Resolved by"))
    fields = readonly_fields
    actions = ("dismiss_reports", "delete_messages")

    def has_change_permission(self, request, obj=None):
        # The list's actions need it; a report's own page is to read (nothing on it is edited:
        # a report is settled through the actions, by the chat's services), so a save sent to
        # it is refused as any change without the permission is.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj) and self._moderates(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Message"))
    def excerpt(self, obj):
        message = obj.message
        if message.deleted_at is not None:
            return _("(deleted)")
        return Truncator(message.body).chars(80)

    def _resolve(self, request, queryset, action, verb, done):
        self.run_for_each(
            request,
            queryset,
            lambda report: services.resolve_report(request.user, report, action),
            verb,
            done,
        )

    @admin.action(permissions=["change"], description=_("Dismiss selected reports"))
    def dismiss_reports(self, request, queryset):
        self._resolve(
            request, queryset, services.ReportAction.DISMISS, _("dismiss"), _("Dismissed")
        )

    @admin.action(permissions=["change"], description=_("Delete the reported messages"))
    def delete_messages(self, request, queryset):
        self._resolve(
            request, queryset, services.ReportAction.DELETE_MESSAGE, _("settle"), _("Settled")
        )


@admin.register(ChatMute)
class ChatMuteAdmin(ModeratedAdmin):
    """People muted in chats; deleting a mute lifts it."""

    delete_service = staticmethod(
        lambda actor, mute: services.unmute_user(actor, mute.event, mute.user)
    )
    list_display = ("user_shown", "event", "until", "reason", "muted_by_shown")
    list_select_related = ("user", "event", "muted_by")
    readonly_fields = ("event", "user_shown", "until", "reason", "muted_by_shown", "created_at")
    user_shown = person_column("user", _("Muted"))
    muted_by_shown = person_column("muted_by", _("Muted by"))
    fields = readonly_fields
    actions = ("delete_selected",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._moderates(request, obj)
