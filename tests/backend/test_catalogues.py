"""The project's translation catalogues (locale/<language>/LC_MESSAGES/django.po): holding
every marked string of the code and templates, complete, with nothing left fuzzy, and each
compiled .mo beside it saying exactly what its .po says (the .mo files are committed: see
README, "The admin for city offices")."""

import ast
import gettext
import io
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.core.management.utils import handle_extensions, is_ignored_path
from django.test import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("ru", "kk", "ur")


@dataclass
class Entry:
    """One message of a .po file."""

    msgid: str = ""
    context: str | None = None
    plural: str | None = None
    strings: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, the header first; obsolete ones (#~) left out."""
    entries, entry, target = [], Entry(), None

    def finish():
        nonlocal entry
        if target is not None:
            entries.append(entry)
        entry = Entry()

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if target is not None and target[0] == "str":
                finish()
                target = None
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "str":
            finish()
        if keyword == "msgctxt":
            entry.context, target = "", ("context",)
        elif keyword == "msgid":
            target = ("msgid",)
        elif keyword == "msgid_plural":
            entry.plural, target = "", ("plural",)
        elif keyword.startswith("msgstr"):
            index = int(re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword).group(1) or 0)
            entry.strings[index], target = "", ("str", index)
        else:
            rest = line
        text = ast.literal_eval(rest)
        if target[0] == "str":
            entry.strings[target[1]] += text
        else:
            setattr(entry, target[0], getattr(entry, target[0]) + text)
    finish()
    return entries


def nplurals(header: Entry) -> int:
    return int(re.search(r"nplurals\s*=\s*(\d+)", header.strings[0]).group(1))


def catalogue(language: str) -> tuple[list[Entry], Path]:
    directory = LOCALE / language / "LC_MESSAGES"
    return parse_po(directory / "django.po"), directory / "django.mo"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    header, *entries = catalogue(language)[0]

    assert header.msgid == "" and "fuzzy" not in header.flags
    assert f"Language: {language}\n" in header.strings[0]
    assert entries, "an empty catalogue"
    untranslated = [e.msgid for e in entries if not all(e.strings.values())]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    wrong_forms = [
        e.msgid for e in entries if e.plural is not None and len(e.strings) != nplurals(header)
    ]
    assert untranslated == []
    assert fuzzy == []
    assert wrong_forms == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_placeholder_of_a_message_is_kept_in_its_translation(language):
    _, *entries = catalogue(language)[0]
    placeholder = re.compile(r"%\(\w+\)[sd]|\{\w*\}")

    different = [
        e.msgid
        for e in entries
        for text in e.strings.values()
        if sorted(placeholder.findall(text)) != sorted(placeholder.findall(e.msgid))
    ]

    assert different == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_says_what_its_po_says(language):
    (header, *entries), mo = catalogue(language)
    with mo.open("rb") as file:
        compiled = gettext.GNUTranslations(file)

    stale = []
    for e in entries:
        key = e.msgid if e.context is None else f"{e.context}\x04{e.msgid}"
        if e.plural is None:
            if compiled._catalog.get(key) != e.strings[0]:
                stale.append(e.msgid)
        elif any(compiled._catalog.get((key, n)) != text for n, text in e.strings.items()):
            stale.append(e.msgid)
    # Nothing the .po no longer has: one key per message (per form), and the header's.
    expected = 1 + sum(len(e.strings) if e.plural is not None else 1 for e in entries)

    assert stale == [], "compile the catalogues again: manage.py compilemessages"
    assert len(compiled._catalog) == expected
    assert compiled.plural(5) == (eval_plural(header, 5))


def eval_plural(header: Entry, n: int) -> int:
    """The form the header's plural rule picks for ``n``, through gettext's own parser."""
    rule = re.search(r"plural\s*=\s*([^;]+);", header.strings[0]).group(1)
    return int(gettext.c2py(rule)(n))


# --- Every marked string is in the catalogues ----------------------------------------------

BASE = Path(settings.BASE_DIR)
GETTEXT_PROGRAMS = ("xgettext", "msguniq", "msgmerge", "msgattrib")


def makefile_makemessages_arguments() -> list[str]:
    """The arguments the Makefile's `messages` target gives ``manage.py makemessages``."""
    for line in (BASE / "Makefile").read_text(encoding="utf-8").splitlines():
        words = shlex.split(line) if "manage.py makemessages" in line else []
        if "makemessages" in words:
            return words[words.index("makemessages") + 1 :]
    raise AssertionError("the Makefile's messages target runs no makemessages")


def copy_what_makemessages_reads(arguments: list[str], destination: Path) -> None:
    """The files makemessages would read from the project with these arguments (the same
    extensions and ignored paths, through its own parser and matcher), and every locale folder
    whole, copied under ``destination``: run there, it writes nothing of the project's own."""
    parser = makemessages.Command().create_parser("manage.py", "makemessages")
    options = parser.parse_args(arguments)
    patterns = list(options.ignore_patterns)
    if options.use_default_ignore_patterns:
        patterns += ["CVS", ".*", "*~", "*.pyc"]
    extensions = handle_extensions(options.extensions or ["html", "txt", "py"])
    for dirpath, dirnames, filenames in os.walk(BASE):
        relative = Path(dirpath).relative_to(BASE)
        for dirname in list(dirnames):
            path = relative / dirname
            if is_ignored_path(os.path.normpath(path), patterns):
                dirnames.remove(dirname)
            elif dirname == "locale":
                dirnames.remove(dirname)
                shutil.copytree(BASE / path, destination / path)
        for filename in filenames:
            path = relative / filename
            if path.suffix in extensions and not is_ignored_path(os.path.normpath(path), patterns):
                (destination / relative).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(BASE / path, destination / path)


def keys(path: Path) -> set[tuple[str | None, str, str | None]]:
    return {(e.context, e.msgid, e.plural) for e in parse_po(path)[1:]}


def test_every_marked_string_is_in_the_catalogues(tmp_path, monkeypatch):
    """What ``make messages`` would extract now is already in each committed .po: a string
    marked for translation and never extracted fails here, not in an untranslated admin."""
    absent = [program for program in GETTEXT_PROGRAMS if shutil.which(program) is None]
    if absent:
        pytest.fail(
            f"GNU gettext is not installed ({', '.join(absent)} missing): .ci/run installs "
            "Debian's package gettext when xgettext is missing; elsewhere: apt-get install gettext"
        )
    arguments = makefile_makemessages_arguments()
    copy = tmp_path / "project"
    copy_what_makemessages_reads(arguments, copy)
    before = {p: p.read_bytes() for p in LOCALE.glob("*/LC_MESSAGES/django.*")}

    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
        call_command("makemessages", *arguments, verbosity=0, stdout=io.StringIO())

    assert {p: p.read_bytes() for p in LOCALE.glob("*/LC_MESSAGES/django.*")} == before, (
        "makemessages wrote the project's own catalogues"
    )
    missing = {}
    for language in LANGUAGES:
        po = Path("locale", language, "LC_MESSAGES", "django.po")
        extracted = keys(copy / po)
        assert extracted, f"makemessages extracted nothing into {po}"
        new = sorted(extracted - keys(BASE / po), key=str)
        if new:
            missing[str(po)] = [
                msgid if context is None else f"{context}|{msgid}" for context, msgid, _ in new
            ]
    assert missing == {}, (
        "marked strings missing from the catalogues (run `make messages`, then translate them):\n"
        + "\n".join(f"{po}: {msgids}" for po, msgids in missing.items())
    )
