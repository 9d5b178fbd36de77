"""Every page of the admin shows its times with their zone, and none is typed in the server's.

These walk the whole admin site (every registered model, its inlines, its list, change, add
and history pages), so that a model or a field added later is held to the same rule.
"""

import datetime
import re

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.models import Group
from django.db import models
from django.urls import reverse
from django.utils import formats, timezone

from accounts.models import User
from chat.models import ChatMute, ChatReport
from cities.models import (
    City,
    CityOffice,
    OfficeInvitation,
    OfficeMembership,
    Twinning,
    TwinningProposal,
)
from core.admin_times import ZonedTimesMixin
from events.admin_forms import VenueTimeField
from events.models import Announcement, Event, Tag
from notifications.models import Notification
from reports.models import Report
from tests.factories import ChatMessageFactory

UTC = datetime.UTC
# A time that reads differently in every zone used below (UTC, Moscow, Karachi).
AT = datetime.datetime(2031, 5, 4, 16, 5, tzinfo=UTC)


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def datetime_fields(model) -> set[str]:
    return {
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField)
    }


def flat(names) -> list:
    found = []
    for name in names:
        found.extend(flat(name) if isinstance(name, list | tuple) else [name])
    return found


@pytest.fixture
def superuser_request(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    return request


@pytest.mark.parametrize(
    ("model", "model_admin"),
    registered(),
    ids=[model._meta.label for model, _ in registered()],
)
def test_no_admin_shows_or_reads_a_time_in_the_servers_zone(
    model, model_admin, superuser_request, one_of_each
):
    request = superuser_request
    rows = (None, one_of_each[model])
    admins = [model_admin]
    for obj in rows:
        admins.extend(model_admin.get_inline_instances(request, obj))

    assert not datetime_fields(model) & set(flat(model_admin.get_list_display(request)))
    for each in admins:
        assert isinstance(each, ZonedTimesMixin), type(each).__name__
        raw = datetime_fields(each.model)
        for obj in rows:
            readonly = flat(each.get_readonly_fields(request, obj))
            on_page = flatten_fieldsets(each.get_fieldsets(request, obj))
            assert not raw & set(readonly)
            if each is model_admin:
                form = each.get_form(request, obj, change=obj is not None)
            else:
                form = each.get_formset(request, obj).form
            typed = {
                name
                for name, field in form.base_fields.items()
                if isinstance(field, forms.DateTimeField | forms.SplitDateTimeField)
            }
            # A time typed on a form is read by a field that reads it in the row's zone...
            assert all(isinstance(form.base_fields[name], VenueTimeField) for name in typed)
            # ...and any other time on the page is one of the zoned displays.
            assert raw & set(on_page) <= typed
            # The admin's calendar and clock script warns "You are N hours ahead of server
            # time" beside every date box; none is used.
            assert "DateTimeShortcuts.js" not in str(form().media)


@pytest.fixture
def one_of_each(admin_user, city_factory, office_factory, twinning_factory, event_factory):
    """A row of every registered model, with times that read differently in every zone."""
    karachi = city_factory(name_en="Karachi", country="PK", timezone="Asia/Karachi")
    office = office_factory(city=karachi)
    OfficeMembership.objects.create(user=admin_user, office=office, role="EDITOR")
    event = event_factory(office=office, host_city=karachi, timezone="Europe/Moscow")
    message = ChatMessageFactory(event=event)
    report = ChatReport.objects.create(event=event, message=message, reporter=admin_user)
    Report.objects.create(
        event=event, reporter=admin_user, reason="SPAM", resolved_by=admin_user, resolved_at=AT
    )
    ChatMute.objects.create(event=event, user=message.author, until=AT)
    Announcement.objects.create(
        office=office, city=karachi, title_en="News", body_en="News.", published_at=AT
    )
    Notification.objects.create(kind="EVENT_ANNOUNCED", dedupe_key="event:1", event=event)
    twinning = twinning_factory(city_a=karachi)
    TwinningProposal.objects.create(
        twinning=twinning,
        office=office,
        kind="FRIENDSHIP_CITY",
        status_proposed="ACTIVE",
        based_on={"kind": "SISTER_CITY"},
        status="APPROVED",
        reviewed_by=admin_user,
    )
    Group.objects.create(name="Editors")
    Tag.objects.create(slug="music", name_en="Music")
    for model in (
        City,
        CityOffice,
        Twinning,
        TwinningProposal,
        Event,
        Announcement,
        Notification,
        ChatReport,
        Report,
    ):
        model.objects.update(
            **{name: AT for name in datetime_fields(model) if name not in ("starts_at", "ends_at")}
        )
    User.objects.update(date_joined=AT, last_login=AT)
    OfficeMembership.objects.update(created_at=AT)
    OfficeInvitation.objects.create(
        office=office,
        email="invited@example.org",
        role="EDITOR",
        token_hash="0" * 64,
        sent_at=AT,
        expires_at=AT,
        accepted_at=AT,
        accepted_by=admin_user,
        invited_by=admin_user,
    )
    OfficeInvitation.objects.update(created_at=AT)
    rows = {model: model.objects.first() for model, _ in registered()}
    rows.update({City: karachi, CityOffice: office, ChatReport: report})
    return rows


def test_every_admin_page_shows_each_time_in_its_zone_with_its_name(
    admin_client, superuser_request, one_of_each
):
    # What the admin would show for a time without a zone: the server's (UTC) clock, bare, in
    # the admin's format or in ISO's without the zone that follows every labelled time.
    bare = formats.localize(timezone.template_localtime(AT))
    bare_iso = re.compile(rf"{AT:%Y-%m-%d %H:%M}(?! \()")

    for model, model_admin in registered():
        obj = one_of_each[model]
        assert obj is not None, model
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages = {
            "list": reverse(f"{info}_changelist"),
            "change": reverse(f"{info}_change", args=[obj.pk]),
            "history": reverse(f"{info}_history", args=[obj.pk]),
        }
        if model_admin.has_add_permission(superuser_request):
            pages["add"] = reverse(f"{info}_add")
        for name, path in pages.items():
            response = admin_client.get(path)
            page = response.content.decode()

            assert response.status_code == 200, (model, name)
            assert bare not in page, (model, name)
            assert not bare_iso.search(page), (model, name, bare_iso.search(page))
            assert "DateTimeShortcuts.js" not in page, (model, name)
        zone = model_admin.time_zone_of(obj)
        assert f"Times in {zone}" in admin_client.get(pages["history"]).content.decode()


def test_each_zone_is_the_rows_own(admin_client, one_of_each):
    moscow = "2031-05-04 19:05 (Europe/Moscow, UTC+03:00)"
    karachi = "2031-05-04 21:05 (Asia/Karachi, UTC+05:00)"
    pages = {
        "chat_chatreport_changelist": moscow,
        "chat_chatmute_changelist": moscow,
        "events_announcement_changelist": karachi,
        "notifications_notification_changelist": "2031-05-04 16:05 (UTC)",
        "accounts_user_changelist": "2031-05-04 16:05 (UTC)",
    }
    for name, shown in pages.items():
        assert shown in admin_client.get(reverse(f"admin:{name}")).content.decode(), name
    city, office = one_of_each[City], one_of_each[CityOffice]
    city_page = admin_client.get(reverse("admin:cities_city_change", args=[city.pk]))
    office_page = admin_client.get(reverse("admin:cities_cityoffice_change", args=[office.pk]))
    assert karachi in city_page.content.decode()
    # The membership's time, in the office's city's zone.
    assert karachi in office_page.content.decode()


DRILL_DOWNS = [
    (model, model_admin) for model, model_admin in registered() if model_admin.date_hierarchy
]


@pytest.mark.parametrize(
    ("model", "model_admin"), DRILL_DOWNS, ids=[m._meta.label for m, _ in DRILL_DOWNS]
)
@pytest.mark.parametrize(
    "days", ["year=9999", "year=9999&{field}__month=12&{field}__day=31", "year=1&{field}__month=0"]
)
def test_a_date_drill_down_past_what_a_date_holds_is_a_wrong_filter(
    admin_client, model, model_admin, days
):
    field = model_admin.date_hierarchy
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    response = admin_client.get(f"{url}?{field}__{days.format(field=field)}")

    # The admin's answer to a filter it cannot apply: back to the list, saying so.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
