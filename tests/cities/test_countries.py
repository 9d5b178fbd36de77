"""Wikipedia's country names → ISO 3166-1 alpha-2 codes, and codes back to names."""

import csv
from pathlib import Path

import pycountry
import pytest

from cities.countries import country_code, country_name, localized_country_name

PROJECT = Path(__file__).resolve().parents[2]
# The full file lives beside a checkout in the shared workplace only; the committed subset
# travels with the project.
FULL_FILE = PROJECT.parent / "shared" / "data" / "twin_cities.csv"
SUBSET_FILE = PROJECT / "cities" / "data" / "twin_cities_kz_pk.csv"


def country_strings(path: Path) -> set[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row[key] for row in csv.DictReader(handle) for key in ("country1", "country2")}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # Plain ISO names and pycountry's official and common names.
        ("Kazakhstan", "KZ"),
        ("Pakistan", "PK"),
        ("Germany", "DE"),
        ("Federal Republic of Germany", "DE"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Iran", "IR"),
        ("Syria", "SY"),
        ("Laos", "LA"),
        ("Bolivia", "BO"),
        ("Venezuela", "VE"),
        ("Tanzania", "TZ"),
        ("Moldova", "MD"),
        ("Taiwan", "TW"),
        ("South Korea", "KR"),
        ("North Korea", "KP"),
        ("Congo", "CG"),
        ("Eswatini", "SZ"),
        ("Czech Republic", "CZ"),
        ("North Macedonia", "MK"),
        ("Timor-Leste", "TL"),
        ("Federated States of Micronesia", "FM"),
        ("Western Sahara", "EH"),
        ("Ireland", "IE"),
        ("Georgia", "GE"),
        # Accents need not match ISO's ASCII spelling.
        ("São Tomé and Príncipe", "ST"),
        # Wikipedia's names that ISO spells differently.
        ("Russia", "RU"),
        ("Turkey", "TR"),
        ("Brunei", "BN"),
        ("Cape Verde", "CV"),
        ("Ivory Coast", "CI"),
        ("East Timor", "TL"),
        ("Micronesia", "FM"),
        ("Democratic Republic of the Congo", "CD"),
        ("Republic of Ireland", "IE"),
        ("Macedonia", "MK"),
        ("Swaziland", "SZ"),
        ("Falkland Islands", "FK"),
        ("Georgia (country)", "GE"),
        # The United Kingdom's constituent countries.
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("Northern Ireland", "GB"),
        ("England, United Kingdom", "GB"),
        ("Northern Ireland, United Kingdom", "GB"),
        # Disputed and partially recognised territories.
        ("Kosovo", "XK"),
        ("Northern Cyprus", "CY"),
        ("Palestine", "PS"),
        ("West Bank", "PS"),
        # Typos and odd forms in the file.
        ("Kazakhstah", "KZ"),
        ("Grece", "GR"),
        ("Madagaskar", "MG"),
        ("Surinam", "SR"),
        ("Moldavia", "MD"),
        ("Bosnia and Hercegovina", "BA"),
        ("Island", "IS"),
        ("in Italy", "IT"),
        # "Place, Country": the country, or an overseas territory's own code.
        ("Brandenburg, Germany", "DE"),
        ("Lower Saxony, Germany", "DE"),
        ("Rauma, Norway", "NO"),
        ("Tinn, Norway", "NO"),
        ("Azores, Portugal", "PT"),
        ("New York, United States", "US"),
        ("Réunion, France", "RE"),
        ("Guadeloupe, France", "GP"),
        ("Martinique, France", "MQ"),
        ("French Guiana, France", "GF"),
        ("Åland Islands, Finland", "AX"),
    ],
)
def test_country_code_of_wikipedia_names(name, code):
    assert country_code(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("  France ", "FR"),
        ("FRANCE", "FR"),
        ("reunion, france", "RE"),
        ("England,  United   Kingdom", "GB"),
    ],
)
def test_country_code_ignores_case_accents_and_spacing(name, code):
    assert country_code(name) == code


def test_a_country_name_before_the_comma_is_not_taken_for_the_country():
    # Georgia the US state, not Georgia the country.
    assert country_code("Georgia, United States") == "US"
    assert country_code("Jersey, United States") == "US"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # pycountry's search_fuzzy gets these wrong (RS, NG, GW, DO, SS); exact lookups do not.
        ("Kosovo", "XK"),
        ("Niger", "NE"),
        ("Guinea", "GN"),
        ("Dominica", "DM"),
        ("Sudan", "SD"),
        ("Samoa", "WS"),
    ],
)
def test_names_that_are_substrings_of_other_names_map_exactly(name, code):
    assert country_code(name) == code


@pytest.mark.parametrize("name", ["", "   ", "Atlantis", "Europe", "Nowhere, Atlantis"])
def test_unreadable_values_map_to_none(name):
    assert country_code(name) is None


def test_country_code_is_cached():
    country_code.cache_clear()
    country_code("Kazakhstan")
    country_code("Kazakhstan")
    assert country_code.cache_info().hits == 1


@pytest.mark.skipif(not FULL_FILE.exists(), reason="the full data file is not beside this checkout")
def test_every_country_string_of_the_full_file_maps_except_empty():
    unmapped = sorted(name for name in country_strings(FULL_FILE) if country_code(name) is None)
    assert unmapped == [""]


def test_every_country_string_of_the_committed_subset_maps():
    unmapped = sorted(name for name in country_strings(SUBSET_FILE) if country_code(name) is None)
    assert unmapped == []


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("KZ", "Kazakhstan"),
        ("PK", "Pakistan"),
        ("GB", "United Kingdom"),
        ("XK", "Kosovo"),
        ("RU", "Russia"),
        ("IR", "Iran"),
        ("KR", "South Korea"),
        ("TW", "Taiwan"),
        ("PS", "Palestine"),
        ("CD", "Democratic Republic of the Congo"),
        ("ST", "São Tomé and Príncipe"),
        ("kz", "Kazakhstan"),
    ],
)
def test_country_name(code, name):
    assert country_name(code) == name


@pytest.mark.parametrize("code", ["ZZ", "", "KAZ", "Kazakhstan"])
def test_country_name_rejects_unknown_codes(code):
    with pytest.raises(KeyError):
        country_name(code)


def test_every_display_name_reads_back_to_its_code():
    codes = [country.alpha_2 for country in pycountry.countries] + ["XK"]
    mismatches = {
        code: country_name(code) for code in codes if country_code(country_name(code)) != code
    }
    assert mismatches == {}


def test_display_names_are_not_iso_inverted_forms():
    # "Korea, Republic of" style names; these two are really written with a comma.
    legitimate = {"BQ", "SH"}
    inverted = {
        country.alpha_2: country_name(country.alpha_2)
        for country in pycountry.countries
        if "," in country_name(country.alpha_2) and country.alpha_2 not in legitimate
    }
    assert inverted == {}


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [
        ("KZ", "en", "Kazakhstan"),
        ("KZ", "ru", "Казахстан"),
        ("KZ", "kk", "Қазақстан"),
        ("KZ", "ur", "قازقستان"),
        ("PK", "ur", "پاکستان"),
        ("KR", "ru", "Южная Корея"),
        ("XK", "ru", "Косово"),
        ("XK", "en", "Kosovo"),
        ("KZ", "ru-RU", "Казахстан"),
        # No Urdu translation of Russia in pycountry: English, never an empty string.
        ("RU", "ur", "Russia"),
        ("KZ", "xx", "Kazakhstan"),
    ],
)
def test_localized_country_name(code, language, name):
    assert localized_country_name(code, language) == name
