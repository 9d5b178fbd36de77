"""The demo data: loads from the repository alone, and a second run changes no counts."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cities.models import City, CityOffice, Twinning
from core.i18n import LANGUAGE_CODES
from events.models import Announcement, Event


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (City, Twinning, CityOffice, Event, Announcement)
    }


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=io.StringIO())


def test_seeding_twice_creates_nothing_new(seeded):
    before = counts()

    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert counts() == before
    assert "Demo data ready" in out.getvalue()


def test_aktau_has_its_sister_ports(seeded):
    aktau = City.objects.get(name_en="Aktau", country="KZ")

    ports = {
        twinning.partner_of(aktau).name_en
        for twinning in Twinning.objects.involving(aktau).filter(kind=Twinning.Kind.SISTER_PORT)
    }

    assert {"Karachi", "Gwadar"} <= ports


def test_seeding_again_keeps_the_cities_aliases_and_finds_them(seeded):
    before = {city.slug: city.aliases for city in City.objects.exclude(aliases=[])}

    call_command("seed_demo", stdout=io.StringIO())

    assert {city.slug: city.aliases for city in City.objects.exclude(aliases=[])} == before
    assert "Alma-Ata" in before["almaty-kz"] and "Nur-Sultan" in before["astana-kz"]
    # Saving the demo's translations kept the aliases in the search documents.
    assert list(City.objects.search("alma-ata")) == [City.objects.get(slug="almaty-kz")]


def test_kazakh_and_pakistani_cities_have_names_in_every_language(seeded):
    for slug in ("aktau-kz", "almaty-kz", "karachi-pk", "lahore-pk"):
        city = City.objects.get(slug=slug)
        assert all(getattr(city, f"name_{code}") for code in LANGUAGE_CODES), slug


def test_sample_events_cover_every_category_in_every_language(seeded):
    events = Event.objects.public()

    assert {event.category for event in events} == set(Event.Category.values)
    for event in Event.objects.all():
        for field in ("title", "summary", "description"):
            assert all(getattr(event, f"{field}_{code}") for code in LANGUAGE_CODES), (
                event.title_en,
                field,
            )
        assert event.office.city_id == event.host_city_id
        if event.twinning_id:
            assert event.host_city_id in (event.twinning.city_a_id, event.twinning.city_b_id)


def test_sample_events_lie_ahead_and_include_drafts_kept_private(seeded):
    assert Event.objects.filter(starts_at__lt=timezone.now()).count() == 0
    assert Event.objects.filter(status=Event.Status.DRAFT).exists()
    assert Announcement.objects.published().exists()


def test_twinnings_carry_their_known_facts_with_a_source(seeded):
    # The file's facts reach their twinnings; a date only where the day is known.
    rochdale = City.objects.get(name_en="Rochdale", country="GB")
    sahiwal = City.objects.get(name_en="Sahiwal", country="PK")

    twinning = Twinning.objects.between(rochdale, sahiwal).get()

    assert twinning.description_en == "Twinned since 1989."
    assert twinning.description_ru == "Побратимы с 1989 года."
    assert twinning.source_url.startswith("https://")
    assert twinning.established_on is None
    described = Twinning.objects.exclude(description_en="")
    assert described.count() == 10
    assert not described.filter(source_url="").exists()
