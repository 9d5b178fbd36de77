from django.contrib import admin

from core.i18n import translated_columns

from .models import City, CityOffice, Twinning


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("name_en", "country", "region", "timezone", "population")
    list_filter = ("country",)
    search_fields = ("search_document", "slug")
    readonly_fields = ("slug", "created_at", "updated_at")
    fieldsets = (
        ("Name", {"fields": translated_columns("name")}),
        (None, {"fields": ("country", "region", "population", "geonames_id", "slug")}),
        ("Place", {"fields": ("latitude", "longitude", "timezone")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )


@admin.register(Twinning)
class TwinningAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "status", "established_on")
    list_filter = ("kind", "status")
    list_select_related = ("city_a", "city_b")
    search_fields = ("city_a__search_document", "city_b__search_document")
    autocomplete_fields = ("city_a", "city_b")
    fieldsets = (
        (None, {"fields": ("city_a", "city_b", "kind", "status", "established_on", "ended_on")}),
        ("Agreement title", {"fields": translated_columns("agreement_title")}),
        ("Agreement summary", {"fields": translated_columns("agreement_summary")}),
        (None, {"fields": ("source_url",)}),
    )


@admin.register(CityOffice)
class CityOfficeAdmin(admin.ModelAdmin):
    list_display = ("name_en", "city", "email", "phone")
    list_select_related = ("city",)
    search_fields = ("name_en", "city__search_document")
    autocomplete_fields = ("city",)
    fieldsets = (
        ("Name", {"fields": translated_columns("name")}),
        (None, {"fields": ("city", "email", "phone", "website")}),
    )
