"""City names: cleaning Wikipedia's qualifiers, and "same place" tests (``core.folding`` folds
text for search).

Pure Python (no Django), so the importer, the models and the search code share one definition.
"""

import math
import re
import unicodedata

# --- Distances --------------------------------------------------------------------------------

# Mean Earth radius (IUGG), the usual choice for the spherical haversine formula; the same
# value the database-side distance in ``cities.geo`` uses, so both agree to the metre.
EARTH_RADIUS_KM = 6371.0088

# Two rows of the twin-cities file with the same cleaned name and the same country are one city
# when their coordinates are at most this far apart.
#
# Measured on the twin-cities file (25,917 rows): grouped by (clean_city_name, country_code)
# there are 17,093 groups, of which 83 hold two distinct points (none holds more). Their
# distances:
#   *  59 pairs are under 10 km and 72 under 33 km: a town and the rural gmina, district, raion
#      or district municipality named after it (largest: Zviahel / Zviahel Raion, 32.8 km).
#   *  none lies between 32.8 and 101.2 km.
#   *   3 lie between 101 and 109 km, each one place: Leven, Fife (both sides of its twinning
#      with Bruges, geocoded differently, 101.2 km), Gwadar / Gwadar District (104.2 km) and
#      Hamilton against the geocoder's fall-back point for the UK, 55.0,-3.0 (108.5 km).
#   *   8 lie from 233 km to 17,118 km, all geocoding errors: the same 55.0,-3.0 fall-back
#      (March, Wells, Street), Romania's Călărași given to a Moldovan row, Kelso at London,
#      Newburgh (GB) in Indiana and New York, Newtown (GB) at Sydney.
# So any value from 109 to 233 km gives the same grouping of this file. The upper side is set by
# real namesakes in one country, which this file cannot show: its geocoder gave every place of a
# name one point (all US Springfields sit at Springfield, Illinois, 39.799,-89.644). The nearest
# well-known pair, Springfield, Massachusetts and Springfield, Vermont, is 133 km apart
# (Springfield, Illinois to Springfield, Missouri 429 km). 120 km keeps Gwadar, Leven and
# Hamilton together with a margin and keeps those Springfields apart.
SAME_CITY_MAX_KM = 120.0


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two points given in decimal degrees.

    A sphere of mean Earth radius is within about 0.5% of the ellipsoid everywhere, far finer
    than the geocoding error of the data it is used on, and cheap enough for pairwise use.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    half_chord = (
        math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    )
    # min() guards against a rounding error pushing the argument just above 1 for antipodes.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(half_chord)))


def same_place(
    a_lat: float, a_lng: float, b_lat: float, b_lng: float, km: float = SAME_CITY_MAX_KM
) -> bool:
    """Whether two geocoded points may be the same city: at most ``km`` kilometres apart.

    The importer uses it to merge rows that share a cleaned name and a country, because the
    file's coordinates come from geocoding and the same city appears at several points.
    """
    return haversine_km(a_lat, a_lng, b_lat, b_lng) <= km


# --- Cleaning names ---------------------------------------------------------------------------

# Parenthesised type labels that Wikipedia adds to tell an administrative unit from the town it
# is named after: "Dębica (rural gmina)", "Celle (district)", "Arras (communauté)". They say what
# kind of unit the row is, never which place, so they go. Those found in the file (with counts
# of distinct names): district 65, rural gmina 19, communauté 4, microregion 2, state 1,
# local government district 1, Samtgemeinde 1, Amt 1. The rest of the list (town, city,
# municipality, village, commune, gmina, urban gmina, urban-rural gmina) are the same kind of
# label that Wikipedia uses elsewhere.
#
# Other parentheses are kept: "(Moscow)", "(Berlin)", "(Saale)", "(Taunus)" name the parent city
# or river and are part of the identity (Halle (Saale) is the official name; "Mitte (Berlin)" and
# "Mitte (Hamburg)", "Stari Grad (Sarajevo)" and "Stari Grad (Belgrade)" are different places).
_TYPE_LABELS = (
    "rural gmina",
    "urban gmina",
    "urban-rural gmina",
    "gmina",
    "district",
    "local government district",
    "communauté",
    "microregion",
    "state",
    "samtgemeinde",
    "amt",
    "town",
    "city",
    "municipality",
    "village",
    "commune",
)
_TYPE_LABEL_RE = re.compile(
    r"\s*\((?:" + "|".join(re.escape(label) for label in _TYPE_LABELS) + r")\)$",
    re.IGNORECASE,
)
_REPEATED_PAREN_RE = re.compile(r"^(?P<name>.+?)\s*\((?P=name)\)$")

# Trailing words for the district-level local government that surrounds a town and carries its
# name. In the file they sit on or next to the namesake town, so the importer can treat them as
# that town: of the pairs where both forms occur in one country, "X District" is 0-15 km from
# "X" (Gwadar 104 km; Călărași's 348 km is Romania's Călărași geocoded onto a Moldovan row),
# "X Raion" 0-33 km, "X (District) Municipality" 0-24 km, "Tartu Parish" (an Estonian rural
# municipality) 6 km. "Rural District" (Moshi Rural District, Tanzania) and "District
# Municipality" (Lithuania) are single qualifiers and go as a whole. Matched with Wikipedia's
# capital letter only, as the file writes them.
#
# Kept on purpose, though they are administrative too:
# - "County", "Province", "Prefecture", "Oblast", "Region": larger units distinct from their
#   capital, often geocoded on it (Los Angeles County and Orange County 0.0 km from the city,
#   Osaka Prefecture 1.8 km, Moscow Oblast 41 km), so stripping would merge a region into its
#   city; and US counties would become bare surnames ("Washington", "Madison", "Cook").
# - "City": part of the real name ("Quezon City", "Mexico City", "Kansas City", "Panama City",
#   "Ho Chi Minh City", "Salt Lake City", "Quebec City").
# - "City of …", "County …", "Canton of …": "City of London" is not London; none need it here.
# - "Township": US civil townships are named that way officially; no namesake town in the file.
# - ", Region" after a comma ("Friedberg, Bavaria" / "Friedberg, Hesse"): tells namesakes apart.
_SUFFIX_RE = re.compile(
    r"\s+(?:Rural District|District Municipality|District|Municipality|Raion|Parish)$"
)

# A suffix stays when what precedes it is a generic word, not a place name: "Lake District",
# "Federal District", "Capital District", "Central District" are names in their own right.
_GENERIC_WORDS = frozenset(
    {
        "capital",
        "central",
        "east",
        "eastern",
        "federal",
        "lake",
        "metropolitan",
        "north",
        "northern",
        "peak",
        "south",
        "southern",
        "special",
        "west",
        "western",
    }
)


def clean_city_name(raw: str) -> str:
    """The city's name without the administrative qualifiers Wikipedia adds to it.

    "Gwadar District" → "Gwadar", "Dębica (rural gmina)" → "Dębica", "Celle (district)" →
    "Celle", "Bonn (Bonn)" → "Bonn". Accents and case are kept, whitespace is collapsed and the
    text is NFC-normalised so that equal names compare equal. Names that only look like they
    carry a qualifier are left alone ("Quezon City", "Halle (Saale)", "Los Angeles County").
    """
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    # A label alone ("(district)") is all there is of the name, so it stays.
    name = _TYPE_LABEL_RE.sub("", name) or name
    repeated = _REPEATED_PAREN_RE.match(name)
    if repeated:
        name = repeated.group("name")
    stripped = _SUFFIX_RE.sub("", name)
    if stripped and stripped.casefold() not in _GENERIC_WORDS:
        name = stripped
    return name
