"""The twin-cities importer on a sample of the real file, and on rows it must refuse."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cities.geonames import Gazetteer
from cities.importer import ImportFileError, import_twinnings_file
from cities.models import City, Twinning
from cities.services import match_cities_to_geonames

SAMPLE = Path(__file__).parent / "data" / "twin_cities_sample.csv"
HEADER = "city1,country1,lat1,lng1,city2,country2,lat2,lng2\n"


def city(name, country):
    return City.objects.get(name_en=name, country=country)


@pytest.fixture
def imported(db):
    return import_twinnings_file(SAMPLE)


def test_every_row_is_accounted_for(imported):
    assert imported.rows == 428
    assert (
        imported.twinnings_created + imported.duplicate_rows + len(imported.skipped)
        == imported.rows
    )
    assert Twinning.objects.count() == imported.twinnings_created
    assert City.objects.count() == imported.cities_created


def test_a_pair_listed_from_both_sides_becomes_one_twinning(imported):
    # Line 160: Bristol,England,…,Tbilisi,Georgia; line 211: Tbilisi,Georgia (country),…,
    # Bristol,"England, United Kingdom". One twinning, whatever the spelling and order.
    bristol, tbilisi = city("Bristol", "GB"), city("Tbilisi", "GE")

    assert Twinning.objects.between(bristol, tbilisi).count() == 1
    assert Twinning.objects.involving(tbilisi).count() == 1


def test_wikipedia_country_names_become_iso_codes(imported):
    assert city("Penrith", "GB")  # "England, United Kingdom"
    assert city("Akhmeta", "GE")  # "Georgia (country)"
    # "Varna, Bulgaria" with an empty country column, three times: one city.
    varna = city("Varna", "BG")
    assert Twinning.objects.involving(varna).count() == 3


def test_qualifiers_are_dropped_and_the_same_place_is_one_city(imported):
    gwadar = city("Gwadar", "PK")

    partners = {t.partner_of(gwadar).name_en for t in Twinning.objects.involving(gwadar)}
    assert partners == {"Zhuhai", "Puyang"}
    assert not City.objects.filter(name_en__contains="District", country="PK").exists()


def test_time_zones_are_derived_from_coordinates(imported):
    assert city("Aktau", "KZ").timezone == "Asia/Aqtau"
    assert city("Gwadar", "PK").timezone == "Asia/Karachi"
    assert city("Varna", "BG").timezone == "Europe/Sofia"


def test_rows_twinning_a_city_with_itself_are_reported_by_line(imported):
    assert [(s.line, s.reason) for s in imported.skipped] == [
        (232, "both sides are the same city (Nienburg, DE)"),
        (393, "both sides are the same city (Stryi, UA)"),
        (397, "both sides are the same city (Dobřany, CZ)"),
    ]


def test_a_second_run_changes_nothing(imported):
    before = {
        "cities": list(City.objects.order_by("id").values()),
        "twinnings": list(Twinning.objects.order_by("id").values()),
    }

    again = import_twinnings_file(SAMPLE)

    assert (again.cities_created, again.twinnings_created) == (0, 0)
    assert again.twinnings_existing == imported.twinnings_created
    assert list(City.objects.order_by("id").values()) == before["cities"]
    assert list(Twinning.objects.order_by("id").values()) == before["twinnings"]


AKTAU_KARACHI = HEADER + "Aktau,Kazakhstan,43.6525,51.1575,Karachi,Pakistan,24.86,67.01\n"


def test_new_cities_come_with_the_aliases_population_and_id_of_their_geonames_place(db):
    report = import_twinnings_file(io.StringIO(AKTAU_KARACHI))

    aktau, karachi = city("Aktau", "KZ"), city("Karachi", "PK")
    assert (aktau.geonames_id, karachi.geonames_id) == (610612, 1174872)
    assert karachi.population > 10_000_000
    assert {"Shevchenko", "Ақтау"} <= set(aktau.aliases)
    assert "کراچی" in karachi.aliases and "Karachi" not in karachi.aliases
    assert list(City.objects.search("كراتشي")) == [karachi]
    assert report.cities_matched == 2


def test_the_sample_finds_most_of_its_cities_in_geonames(imported):
    found = City.objects.exclude(geonames_id=None)

    # The sample is the file's oddities (namesakes, qualifiers, rows geocoded far off): still
    # 405 of its 564 cities are found.
    assert imported.cities_matched == found.count() > imported.cities_created * 2 / 3
    # Aliases come with a place only (a small place may have no other name).
    assert not City.objects.filter(geonames_id=None).exclude(aliases=[]).exists()
    assert City.objects.exclude(aliases=[]).count() > found.count() * 3 / 4


def test_importing_again_keeps_the_aliases_the_command_gave(db):
    # Cities imported with no GeoNames at hand (as before aliases existed) …
    import_twinnings_file(io.StringIO(AKTAU_KARACHI), places=Gazetteer([]))
    assert City.objects.filter(aliases=[]).count() == 2
    # … are given theirs by the command, and one is corrected in the admin.
    match_cities_to_geonames()
    City.objects.filter(name_en="Aktau").update(geonames_id=1526601)  # another Aktau
    before = list(City.objects.order_by("id").values())

    again = import_twinnings_file(io.StringIO(AKTAU_KARACHI))

    assert (again.cities_created, again.twinnings_existing) == (0, 1)
    assert list(City.objects.order_by("id").values()) == before
    assert list(City.objects.search("کراچی")) == [city("Karachi", "PK")]


def test_a_new_city_is_not_given_a_place_that_a_stored_city_holds(db, city_factory):
    # Typed in the admin: the place of Aktau is this city's, under another spelling.
    holder = city_factory(name_en="Aqtau", latitude=43.65, longitude=51.16, geonames_id=610612)

    report = import_twinnings_file(io.StringIO(AKTAU_KARACHI))

    assert city("Aktau", "KZ").geonames_id is None
    assert city("Aktau", "KZ").aliases == []
    assert City.objects.get(geonames_id=610612) == holder
    assert report.cities_matched == 1


def test_a_pair_already_stored_in_the_other_order_is_not_added(db):
    import_twinnings_file(
        io.StringIO(HEADER + "Aktau,Kazakhstan,43.65,51.16,Elista,Russia,46.3,44.3\n")
    )

    report = import_twinnings_file(
        io.StringIO(HEADER + "Elista,Russia,46.31,44.26,Aktau,Kazakhstan,43.6525,51.1575\n")
    )

    assert (report.cities_created, report.twinnings_created, report.twinnings_existing) == (0, 0, 1)
    assert Twinning.objects.count() == 1


def test_unmappable_rows_are_reported_with_line_numbers_and_write_nothing(db):
    rows = (
        HEADER
        + "Aktau,Kazakhstan,43.65,51.16,Elista,Russia,46.3,44.3\n"  # line 2: fine
        + "Atlantis,Atlantis,10,10,Aktau,Kazakhstan,43.65,51.16\n"  # 3: unknown country
        + "Aktau,Kazakhstan,north,51.16,Elista,Russia,46.3,44.3\n"  # 4: not a number
        + "Aktau,Kazakhstan,95,51.16,Elista,Russia,46.3,44.3\n"  # 5: out of range
        + "Aktau,Kazakhstan,43.65\n"  # 6: short row
        + ",Kazakhstan,43.65,51.16,Elista,Russia,46.3,44.3\n"  # 7: no name
    )

    report = import_twinnings_file(io.StringIO(rows))

    assert [s.line for s in report.skipped] == [3, 4, 5, 6, 7]
    assert "unknown country 'Atlantis'" in report.skipped[0].reason
    assert "not numbers" in report.skipped[1].reason
    assert "out of range" in report.skipped[2].reason
    assert "8 columns" in report.skipped[3].reason
    assert "empty city name" in report.skipped[4].reason
    assert City.objects.count() == 2
    assert Twinning.objects.count() == 1


def test_a_city_name_that_shows_nothing_is_no_name_and_its_row_is_reported(db, tmp_path):
    # Given a file whose second row names a city with zero-width spaces and a word joiner, and
    # whose third row pads a name with them
    path = tmp_path / "pairs.csv"
    path.write_text(
        HEADER
        + "Aktau,Kazakhstan,43.65,51.16,Elista,Russia,46.3,44.3\n"
        + "Aktau,Kazakhstan,43.65,51.16,\u200b\u2060\u200b,Russia,46.3,44.3\n"
        + "\ufeffAktau\u200b,Kazakhstan,43.65,51.16,Karachi,Pakistan,24.86,67.01\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()

    # When it is imported
    call_command("import_twinnings", str(path), stdout=out, stderr=err)

    # Then the row without a name that shows is skipped and listed with its line number, as
    # an empty name is; the padded name is trimmed and found
    assert "line 3: skipped: city2: empty city name" in err.getvalue()
    assert "1 skipped" in out.getvalue()
    assert sorted(City.objects.values_list("name_en", flat=True)) == ["Aktau", "Elista", "Karachi"]
    assert Twinning.objects.count() == 2


def test_a_file_with_another_header_is_refused(db):
    with pytest.raises(ImportFileError):
        import_twinnings_file(io.StringIO("name,country\nAktau,KZ\n"))
    assert City.objects.count() == 0


def test_the_command_prints_skips_and_a_summary(db, tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(
        HEADER
        + "Aktau,Kazakhstan,43.65,51.16,Elista,Russia,46.3,44.3\n"
        + "Atlantis,Atlantis,10,10,Aktau,Kazakhstan,43.65,51.16\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()

    call_command("import_twinnings", str(path), stdout=out, stderr=err)

    assert "line 3: skipped: city1: unknown country 'Atlantis'" in err.getvalue()
    assert "2 rows: 2 cities created (2 found in GeoNames), 1 twinnings created" in out.getvalue()
    assert "1 skipped" in out.getvalue()


def test_the_command_fails_clearly_on_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="cannot import"):
        call_command("import_twinnings", str(tmp_path / "missing.csv"))
