from django.contrib import admin

from core.i18n import translated_columns

from .models import Announcement, Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title_en", "category", "status", "starts_at", "host_city")
    list_filter = ("status", "category")
    list_select_related = ("host_city",)
    search_fields = ("search_document",)
    date_hierarchy = "starts_at"
    autocomplete_fields = ("host_city", "twinning", "office")
    fieldsets = (
        ("Title", {"fields": translated_columns("title")}),
        ("Summary", {"fields": translated_columns("summary")}),
        ("Description", {"fields": translated_columns("description")}),
        (None, {"fields": ("category", "status", "announced_at", "capacity", "image_url")}),
        ("When", {"fields": ("starts_at", "ends_at", "timezone")}),
        ("Where", {"fields": ("venue_name", "venue_address", "latitude", "longitude")}),
        ("Who", {"fields": ("host_city", "twinning", "office")}),
    )


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title_en", "office", "city", "published_at")
    list_select_related = ("office", "city")
    search_fields = ("title_en",)
    autocomplete_fields = ("office", "city", "twinning", "event")
    fieldsets = (
        ("Title", {"fields": translated_columns("title")}),
        ("Body", {"fields": translated_columns("body")}),
        (None, {"fields": ("office", "city", "twinning", "event", "published_at")}),
    )
