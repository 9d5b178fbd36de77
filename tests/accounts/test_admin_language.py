"""The admin in the office's language: the profile's language, else the browser's, else
English; Urdu right to left; a chooser in the header that saves to the profile; the API's own
language untouched."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from cities.models import OfficeMembership
from cities.staff import office_staff_group
from events.models import Event

Role = OfficeMembership.Role


def url(name, *args):
    return reverse(f"admin:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def language_left_as_found():
    """The requests here activate other languages in this thread; later tests start in the
    language this one started in."""
    with translation.override(translation.get_language()):
        yield


@pytest.fixture
def office(office_factory):
    return office_factory(city__name_en="Almaty", name_en="Almaty office")


@pytest.fixture
def publisher(db, client, office):
    """A publisher of ``office``, signed in to the admin, whose profile keeps the default
    language (English)."""
    user = get_user_model().objects.create_user("publisher@example.org", "unused", is_staff=True)
    OfficeMembership.objects.create(user=user, office=office, role=Role.PUBLISHER)
    user.groups.add(office_staff_group())
    client.force_login(user)
    return user


@pytest.fixture
def draft(event_factory, office):
    return event_factory(
        office=office,
        host_city=office.city,
        status=Event.Status.DRAFT,
        announced_at=None,
        title_en="Dombra night",
    )


def speaking(user, language):
    user.language = language
    user.save(update_fields=["language"])
    return user


# --- Which language --------------------------------------------------------------------------


def test_a_russian_browser_gets_the_event_list_in_russian(client, publisher, draft):
    response = client.get(url("events_event_changelist"), HTTP_ACCEPT_LANGUAGE="ru")

    page = text(response)
    assert response.status_code == 200
    assert '<html lang="ru" dir="ltr">' in page
    assert "Выберите мероприятие для изменения" in page
    assert "Название (Английский)" in page
    assert "Категория" in page
    assert "Черновик" in page
    assert "Select event to change" not in page


def test_a_russian_browser_gets_the_event_form_in_russian(client, publisher, draft):
    response = client.get(url("events_event_change", draft.pk), HTTP_ACCEPT_LANGUAGE="ru")

    page = text(response)
    assert "Ссылка на изображение (https)" in page
    assert "Сколько человек может прийти. Оставьте пустым, если ограничения нет." in page
    assert "Часовой пояс места проведения, например Europe/Moscow." in page
    assert ">Когда<" in page
    assert "Image url" not in page


def test_urdu_on_the_profile_wins_over_an_english_browser_right_to_left(client, publisher, draft):
    speaking(publisher, "ur")

    response = client.get(url("events_event_change", draft.pk), HTTP_ACCEPT_LANGUAGE="en")

    page = text(response)
    assert '<html lang="ur" dir="rtl">' in page
    assert "admin/css/rtl.css" in page
    assert "تصویر کا لنک (https)" in page
    # Each language's box keeps its own direction inside the right-to-left page.
    assert 'name="title_en"' in page
    assert 'lang="en" dir="ltr"' in page
    assert 'lang="ur" dir="rtl"' in page


def test_kazakh_on_the_profile_wins_over_an_english_browser(client, publisher, draft):
    speaking(publisher, "kk")

    response = client.get(url("events_event_changelist"), HTTP_ACCEPT_LANGUAGE="en")

    page = text(response)
    assert '<html lang="kk" dir="ltr">' in page
    assert "Жоба" in page


def test_without_a_profile_language_or_a_browser_one_the_admin_is_english(client, publisher, draft):
    response = client.get(url("events_event_changelist"))

    page = text(response)
    assert '<html lang="en" dir="ltr">' in page
    assert "Delete selected drafts" in page


def test_a_services_refusal_is_shown_in_the_admins_language(client, publisher, draft):
    # Given a public event
    Event.objects.filter(pk=draft.pk).update(status=Event.Status.ANNOUNCED)
    start = timezone.localtime(draft.starts_at, draft.zone) + datetime.timedelta(days=3)

    # When it is postponed to an end before its new start
    response = client.post(
        url("events_event_postpone", draft.pk),
        {
            "new_starts_at_0": f"{start:%Y-%m-%d}",
            "new_starts_at_1": "19:00",
            "new_ends_at_0": f"{start:%Y-%m-%d}",
            "new_ends_at_1": "18:00",
            "preview": "1",
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )

    # Then the service's reason is on the page, in Russian, and nothing changed
    assert "Новое окончание должно быть позже нового начала." in text(response)
    draft.refresh_from_db()
    assert draft.status == Event.Status.ANNOUNCED


# --- The chooser -----------------------------------------------------------------------------


def test_the_header_offers_the_four_languages_by_their_own_names(client, publisher, draft):
    page = text(client.get(url("index")))

    assert 'action="/admin/language/"' in page
    for code, name in (("en", "English"), ("ru", "Русский"), ("kk", "Қазақ"), ("ur", "اردو")):
        assert f'value="{code}" lang="{code}"' in page
        assert f">{name}</option>" in page


def test_choosing_a_language_saves_it_to_the_profile(client, publisher, draft):
    back_to = url("events_event_changelist")

    response = client.post(
        reverse("admin-language"), {"language": "kk", "next": back_to}, HTTP_ACCEPT_LANGUAGE="ru"
    )

    publisher.refresh_from_db()
    assert publisher.language == "kk"
    assert response.status_code == 302
    assert response.url == back_to
    # Remembered for the admin's pages only: the API goes on reading Accept-Language.
    assert response.cookies["django_language"]["path"] == "/admin/"
    assert "Жоба" in text(client.get(back_to))


def test_choosing_english_overrides_a_russian_browser(client, publisher, draft):
    speaking(publisher, "ru")

    client.post(reverse("admin-language"), {"language": "en", "next": url("index")})
    response = client.get(url("events_event_changelist"), HTTP_ACCEPT_LANGUAGE="ru")

    publisher.refresh_from_db()
    assert publisher.language == "en"
    assert "Delete selected drafts" in text(response)


def test_an_unknown_language_changes_nothing(client, publisher):
    speaking(publisher, "ru")

    response = client.post(reverse("admin-language"), {"language": "xx", "next": url("index")})

    publisher.refresh_from_db()
    assert publisher.language == "ru"
    assert response.status_code == 302
    assert "django_language" not in response.cookies


def test_the_chooser_is_for_signed_in_staff_only(client, db):
    response = client.post(reverse("admin-language"), {"language": "ru"})

    assert response.status_code == 302
    assert response.url.startswith(url("login"))


# --- The API and the site link ---------------------------------------------------------------


def test_the_profile_language_does_not_reach_the_api(client, publisher):
    speaking(publisher, "ru")

    response = client.get("/graphql/", {"query": "{ languages { code } }"})

    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_there_is_no_view_site_link_to_a_missing_page(client, publisher):
    page = text(client.get(url("index")))

    assert "View site" not in page


@pytest.mark.parametrize("language", ["ru", "kk", "ur"])
def test_every_list_and_form_of_the_admin_opens_in_each_language(
    client, admin_user, draft, announcement_factory, language
):
    speaking(admin_user, language)
    client.force_login(admin_user)
    announcement = announcement_factory(office=draft.office)
    pages = [
        url(f"{app}_{model}_changelist")
        for app, model in (
            ("events", "event"),
            ("events", "announcement"),
            ("chat", "chatreport"),
            ("chat", "chatmute"),
            ("notifications", "notification"),
            ("cities", "city"),
            ("cities", "twinning"),
            ("cities", "cityoffice"),
            ("accounts", "user"),
        )
    ]
    pages += [
        url("events_event_add"),
        url("events_event_change", draft.pk),
        url("events_announcement_add"),
        url("events_announcement_change", announcement.pk),
        url("events_event_history", draft.pk),
        url("accounts_user_change", admin_user.pk),
    ]

    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert f'<html lang="{language}"' in text(response), page
