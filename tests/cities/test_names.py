"""Cleaning city names, folding text for search, and great-circle distances."""

import csv
import math
import unicodedata
from pathlib import Path

import pytest

from cities.names import (
    EARTH_RADIUS_KM,
    SAME_CITY_MAX_KM,
    clean_city_name,
    haversine_km,
    same_place,
)
from core.folding import _fold_char, fold

FULL_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "twin_cities.csv"

GWADAR = (25.1264, 62.3225)
GWADAR_DISTRICT = (25.3333, 63.3333)
SPRINGFIELD_IL = (39.7990, -89.6440)
SPRINGFIELD_MO = (37.2090, -93.2923)
SPRINGFIELD_MA = (42.1015, -72.5898)
SPRINGFIELD_VT = (43.2984, -72.4823)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # Trailing district-level qualifiers.
        ("Gwadar District", "Gwadar"),
        ("Moshi Rural District", "Moshi"),
        ("Vilnius District Municipality", "Vilnius"),
        ("Jelgava Municipality", "Jelgava"),
        ("Brovary Raion", "Brovary"),
        ("Tartu Parish", "Tartu"),
        # Parenthesised type labels.
        ("Dębica (rural gmina)", "Dębica"),
        ("Celle (district)", "Celle"),
        ("Arras (communauté)", "Arras"),
        ("Drahanská vrchovina (microregion)", "Drahanská vrchovina"),
        ("Winchester (local government district)", "Winchester"),
        ("Aue (Samtgemeinde)", "Aue"),
        ("Trittau (Amt)", "Trittau"),
        ("Victoria (state)", "Victoria"),
        ("Xyz (town)", "Xyz"),
        ("Xyz (City)", "Xyz"),
        # A parenthesis repeating the name.
        ("Bonn (Bonn)", "Bonn"),
        # Whitespace collapsed, accents and case kept.
        ("  Gwadar   District ", "Gwadar"),
        ("Bérat", "Bérat"),
        ("het Bildt (Waadhoeke)", "het Bildt (Waadhoeke)"),
    ],
)
def test_clean_city_name_strips_administrative_qualifiers(raw, clean):
    assert clean_city_name(raw) == clean


@pytest.mark.parametrize(
    "name",
    [
        # "City" is part of these names.
        "Quezon City",
        "Mexico City",
        "Kansas City",
        "Panama City",
        "Ho Chi Minh City",
        "Salt Lake City",
        "Quebec City",
        # Larger units that are not their capital city.
        "Los Angeles County",
        "County Cork",
        "Moscow Oblast",
        "Osaka Prefecture",
        "Shandong Province",
        "Bratislava Region",
        "Canton of Bern",
        "City of London",
        "Warminster Township",
        # Parent places and rivers are part of the identity.
        "Halle (Saale)",
        "Mitte (Berlin)",
        "Stari Grad (Sarajevo)",
        "District 1 (Ho Chi Minh City)",
        "Odessos District (Varna)",
        # Commas tell namesakes apart.
        "Friedberg, Bavaria",
        "Suzhou, Jiangsu",
        # A generic word before the qualifier: the whole is the name.
        "Lake District",
        "Federal District",
        "District",
        # Nothing but a label: nothing to strip it from.
        "(district)",
    ],
)
def test_clean_city_name_keeps_real_names(name):
    assert clean_city_name(name) == name


def test_clean_city_name_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Bérat")
    assert clean_city_name(decomposed) == "Bérat"
    assert unicodedata.is_normalized("NFC", clean_city_name(decomposed))


@pytest.mark.skipif(not FULL_FILE.exists(), reason="the full data file is not beside this checkout")
def test_clean_city_name_on_the_full_file():
    with FULL_FILE.open(newline="", encoding="utf-8") as handle:
        names = {row[key] for row in csv.DictReader(handle) for key in ("city1", "city2")}
    cleaned = {name: clean_city_name(name) for name in names}
    changed = {raw: clean for raw, clean in cleaned.items() if raw != clean}
    assert all(cleaned.values())
    assert not any(raw.endswith(" City") for raw in changed)
    assert not any(
        clean.endswith((" District", " Raion", "(rural gmina)")) for clean in changed.values()
    )
    assert changed["Gwadar District"] == "Gwadar"
    # 204 names carry a qualifier that goes (of 16,882 distinct names).
    assert len(changed) == 204


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Bérat", "berat"),
        ("BERAT", "berat"),
        ("  São   Paulo ", "sao paulo"),
        ("Ёлка", "елка"),
        ("ЁЛКА", "елка"),
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("Łódź", "lodz"),
        ("Ağrı", "agri"),
        ("Tvøroyri", "tvoroyri"),
        ("Norðurþing", "nordurthing"),
        ("Marcq-en-Barœul", "marcq-en-baroeul"),
        ("Budapest XVIII – Pestszentlőrinc", "budapest xviii - pestszentlorinc"),
        ("Smarhon’", "smarhon'"),
        ("ﬁnal", "final"),
        # Kazakh letters stay.
        ("Қарағанды", "қарағанды"),
        ("Өскемен", "өскемен"),
        ("ҮРЖАР", "үржар"),
        ("Шымкент", "шымкент"),
        # Й is a letter of its own, not an accented И.
        ("Йошкар-Ола", "йошкар-ола"),
        # Urdu letters stay, including those Unicode composes (آ, ئ, ۓ).
        ("گوادر", "گوادر"),
        ("کراچی", "کراچی"),
        ("ٹنڈو آدم", "ٹنڈو آدم"),
        ("ڈیرہ اسماعیل خان", "ڈیرہ اسماعیل خان"),
        ("ئ ۓ", "ئ ۓ"),
        # Optional Arabic-script vowel marks go.
        ("كَتَبَ", "كتب"),
        ("", ""),
    ],
)
def test_fold(text, key):
    assert fold(text) == key


def test_fold_matches_decomposed_and_composed_input_alike():
    assert fold(unicodedata.normalize("NFD", "Йошкар-Ола Bérat")) == "йошкар-ола berat"


@pytest.mark.parametrize("text", ["Bérat", "Ёлка", "Қарағанды", "ٹنڈو آدم", "Łódź"])
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_fold_supports_substring_search():
    assert fold("berat") in fold("Bérat (Tarn-et-Garonne)")
    assert fold("МОСКВА") in fold("Москва")


def test_ascii_text_folds_as_each_of_its_characters_does():
    # fold() takes a shorter path for ASCII text: every ASCII character, alone and between
    # letters, gives the key that folding character by character gives.
    for code in range(128):
        for text in (chr(code), f"Ab{chr(code)}Cd", f" X {chr(code)} "):
            by_character = " ".join("".join(_fold_char(ch) for ch in text).split())
            assert fold(text) == by_character, repr(text)


def test_haversine_london_to_paris():
    # 343.5 km is the reference great-circle distance between these two points.
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=1.0)


def test_haversine_basic_properties():
    assert haversine_km(*GWADAR, *GWADAR) == 0.0
    assert haversine_km(*GWADAR, *GWADAR_DISTRICT) == pytest.approx(
        haversine_km(*GWADAR_DISTRICT, *GWADAR)
    )
    # Half the circumference between antipodes, pole to pole or across the equator.
    assert haversine_km(90, 0, -90, 0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    # One degree of longitude on the equator, across the antimeridian.
    assert haversine_km(0, 179.5, 0, -179.5) == pytest.approx(2 * math.pi * EARTH_RADIUS_KM / 360)


def test_gwadar_and_its_district_are_the_same_place():
    assert haversine_km(*GWADAR, *GWADAR_DISTRICT) == pytest.approx(104.2, abs=0.1)
    assert same_place(*GWADAR, *GWADAR_DISTRICT)


@pytest.mark.parametrize(
    ("a", "b"),
    [(SPRINGFIELD_IL, SPRINGFIELD_MO), (SPRINGFIELD_MA, SPRINGFIELD_VT)],
)
def test_namesakes_in_one_country_stay_apart(a, b):
    assert not same_place(*a, *b)


def test_same_place_threshold():
    # Above every same-place pair of the file (108.5 km), below the nearest namesakes (133 km).
    assert 108.5 < SAME_CITY_MAX_KM < 133.0
    assert same_place(*GWADAR, *GWADAR_DISTRICT, km=105)
    assert not same_place(*GWADAR, *GWADAR_DISTRICT, km=100)
    distance = haversine_km(*GWADAR, *GWADAR_DISTRICT)
    assert same_place(*GWADAR, *GWADAR_DISTRICT, km=distance)
