"""Country names as English Wikipedia writes them, mapped to ISO 3166-1 alpha-2 codes.

The twin-cities file names countries the way Wikipedia's lists do ("England", "Georgia
(country)", "Réunion, France", a few typos). ``country_code`` turns them into the codes the
``City.country`` column stores; ``country_name`` and ``localized_country_name`` turn codes back
into names for display. Pure Python on top of pycountry.
"""

import gettext
from functools import lru_cache

import pycountry

from core.folding import fold

# Kosovo has no ISO 3166-1 code. "XK" is the user-assigned code the European Commission, the
# IMF, SWIFT, CLDR and most software use for it, so it is used here too.
KOSOVO = "XK"

# Wikipedia's names that pycountry does not resolve by name, official name or common name.
# Keys are compared after ``fold`` (case and accents ignored).
_OVERRIDES = {
    # The United Kingdom's constituent countries have no ISO code of their own.
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "great britain": "GB",
    "britain": "GB",
    "uk": "GB",
    # Wikipedia's article titles and common English short names.
    "republic of ireland": "IE",
    "russia": "RU",
    "turkey": "TR",  # ISO renamed it "Türkiye" in 2022
    "brunei": "BN",
    "cape verde": "CV",  # ISO: "Cabo Verde"
    "ivory coast": "CI",  # ISO: "Côte d'Ivoire"
    "east timor": "TL",  # ISO: "Timor-Leste"
    # As a country, Wikipedia means the Federated States; the only row is Pohnpei, FM.
    "micronesia": "FM",
    "democratic republic of the congo": "CD",  # ISO: "Congo, The Democratic Republic of the"
    "dr congo": "CD",
    "macedonia": "MK",  # renamed North Macedonia in 2019
    "swaziland": "SZ",  # renamed Eswatini in 2018
    "burma": "MM",
    # The short names ``country_name`` shows, so that its names read back to their codes.
    "vatican city": "VA",
    "saint martin": "MF",
    "sint maarten": "SX",
    "u.s. virgin islands": "VI",
    "us virgin islands": "VI",
    "falkland islands": "FK",  # ISO: "Falkland Islands (Malvinas)"
    "palestine": "PS",  # ISO: "Palestine, State of"
    # Disputed or partially recognised territories.
    "kosovo": KOSOVO,
    # Northern Cyprus is recognised only by Turkey; de jure it is part of Cyprus.
    "northern cyprus": "CY",
    # ISO 3166 codes the West Bank and the Gaza Strip together as PS, "Palestine, State of".
    "west bank": "PS",
    "gaza strip": "PS",
    # Typos and older or foreign spellings found in the file.
    "kazakhstah": "KZ",
    "grece": "GR",
    "madagaskar": "MG",
    "surinam": "SR",
    "moldavia": "MD",
    "bosnia and hercegovina": "BA",
    # "Island" is Icelandic "Ísland": its only row is Norðurþing (66.05 N, 17.35 W), in
    # Iceland, twinned with Fredrikstad, Norway.
    "island": "IS",
    # A list's "Margreid an der Weinstraße, in Italy": the country is Italy.
    "in italy": "IT",
}

# Territories with an ISO code of their own, by the country Wikipedia names after their comma:
# "Réunion, France" is RE, not FR. A first part outside this table is a region or a town of the
# country after the comma ("Brandenburg, Germany", "Rauma, Norway", "Azores, Portugal"), and a
# first part that happens to be a country's name ("Georgia, United States") is not mistaken for
# that country.
_TERRITORIES = {
    "AU": frozenset({"CC", "CX", "HM", "NF"}),
    "CN": frozenset({"HK", "MO"}),
    "DK": frozenset({"FO", "GL"}),
    "FI": frozenset({"AX"}),
    "FR": frozenset({"BL", "GF", "GP", "MF", "MQ", "NC", "PF", "PM", "RE", "TF", "WF", "YT"}),
    "GB": frozenset(
        {"AI", "BM", "FK", "GG", "GI", "GS", "IM", "IO", "JE", "KY", "MS", "PN", "SH", "TC", "VG"}
    ),
    "NL": frozenset({"AW", "BQ", "CW", "SX"}),
    "NO": frozenset({"BV", "SJ"}),
    "NZ": frozenset({"CK", "NU", "TK"}),
    "US": frozenset({"AS", "GU", "MP", "PR", "UM", "VI"}),
}

# Names for display where ISO's inverted or long form reads badly in a list.
_DISPLAY_NAMES = {
    KOSOVO: "Kosovo",
    "BN": "Brunei",
    "CD": "Democratic Republic of the Congo",
    "FK": "Falkland Islands",
    "FM": "Micronesia",
    "MF": "Saint Martin",
    "PS": "Palestine",
    "RU": "Russia",
    "ST": "São Tomé and Príncipe",
    "SX": "Sint Maarten",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
}

# Kosovo is not in pycountry's translations either.
_KOSOVO_NAMES = {"en": "Kosovo", "ru": "Косово", "kk": "Косово", "ur": "کوسووو"}


@lru_cache(maxsize=1)
def _pycountry_index() -> dict[str, str]:
    """Folded name, official name and common name of every ISO country → alpha-2 code.

    Folding lets "São Tomé and Príncipe" match ISO's "Sao Tome and Principe". pycountry's
    ``search_fuzzy`` is not used: it also matches subdivisions and substrings, and on this
    file's names it is wrong as often as right ("Kosovo" → RS through the Serbian province,
    "Island" → KM Comoros, "Niger" → NG first, "" → GB).
    """
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                index.setdefault(fold(value), country.alpha_2)
    return index


def _lookup(name: str) -> str | None:
    """The code for a plain country name (no comma forms), or None."""
    key = fold(name)
    return _OVERRIDES.get(key) or _pycountry_index().get(key)


@lru_cache(maxsize=1024)
def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code for a country name as English Wikipedia writes it.

    Accepts ISO names, official and common names ("Russia", "Viet Nam", "Vietnam"), Wikipedia's
    article titles ("Georgia (country)", "Republic of Ireland"), the UK's constituent countries
    (GB), "Place, Country" forms (the country, or the territory's own code for an overseas
    territory such as "Réunion, France" → RE) and the typos of the twin-cities file. Kosovo is
    "XK". Returns None when the value names no country; in the twin-cities file only the empty
    string does.
    """
    text = " ".join(name.split())
    if not text:
        return None
    code = _lookup(text)
    if code:
        return code
    if text.endswith(" (country)"):
        return country_code(text.removesuffix(" (country)"))
    head, comma, tail = text.rpartition(",")
    if comma:
        parent = country_code(tail)
        if parent:
            territory = _lookup(head)
            if territory == parent or territory in _TERRITORIES.get(parent, ()):
                return territory
            return parent
    return None


def country_name(code: str) -> str:
    """The English short name of a country code, for display ("KZ" → "Kazakhstan").

    ISO's common name is preferred to its formal one ("Iran", not "Iran, Islamic Republic of"),
    and a few inverted ISO names are replaced by the usual English ones ("RU" → "Russia").
    Raises KeyError for a code that is neither ISO 3166-1 nor "XK".
    """
    code = code.strip().upper()
    if code in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[code]
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        raise KeyError(code)
    return getattr(country, "common_name", None) or country.name


@lru_cache(maxsize=16)
def _translations(language: str) -> gettext.NullTranslations:
    """pycountry's translations of ISO 3166-1 names into ``language`` (none when it has none)."""
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@lru_cache(maxsize=4096)
def localized_country_name(code: str, language: str) -> str:
    """A country's name in ``language`` (a code such as "ru", "kk", "ur"), else in English.

    Uses pycountry's translations of the ISO names, trying the common name first, then the
    short and the official name, so that a language missing one of them still gets a name in
    its own script. Falls back to ``country_name`` when no translation exists.
    """
    english = country_name(code)
    code = code.strip().upper()
    language = language.split("-")[0].lower()
    if code == KOSOVO:
        return _KOSOVO_NAMES.get(language, english)
    if language == "en":
        return english
    country = pycountry.countries.get(alpha_2=code)
    translations = _translations(language)
    for attribute in ("common_name", "name", "official_name"):
        value = getattr(country, attribute, None)
        if value:
            translated = translations.gettext(value)
            if translated != value:
                return translated
    return english
