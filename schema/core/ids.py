"""Relay global IDs: decoding the ones clients send, with a clear error for a bad one."""

import binascii
import re

from django.utils.translation import gettext_noop
from graphene import relay
from graphql import is_object_type
from graphql_relay import from_global_id, to_global_id

from core.data_versions import AREAS
from core.integers import MAX_BIGINT, MAX_BIGINT_DIGITS
from graphql_server.cache_policy import cache_policy
from graphql_server.errors import ApiErrorCode, UserInputError


def primary_key(text: str) -> int | None:
    """The primary key ``text`` spells (ASCII digits, within a bigint), else None: what IDs,
    cursors and URLs carry is checked here, before a database sees it."""
    # ASCII digits only: str.isdigit() also takes "²" and other digits int() refuses.
    if not (isinstance(text, str) and text.isascii() and text.isdigit()):
        return None
    # Longer text is refused before int(), which refuses more than 4,300 digits with a
    # ValueError of its own, and spends time on fewer.
    if len(text) > MAX_BIGINT_DIGITS:
        return None
    pk = int(text)
    return pk if pk <= MAX_BIGINT else None


def _split(global_id: str) -> tuple[str, str] | None:
    """The type name and key text of ``global_id`` when it is spelled as the API spells it,
    else None. An object has one ID: base64 decoding takes other spellings of the same text
    (padding left out, a key of ``026`` for 26), which would name it under IDs that compare,
    cache and deduplicate as different ones."""
    try:
        type_name, pk = from_global_id(global_id)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        return None
    key = primary_key(pk)
    if key is None or to_global_id(type_name, str(key)) != global_id:
        return None
    return type_name, pk


# Type names spelled in capitals (an initialism, read letter by letter: "an FCMToken") whose
# first letter's name starts with a vowel sound.
_VOWEL_LETTER_NAMES = frozenset("AEFHILMNORSX")
# Words that start with a vowel letter and a consonant sound ("a User", "a Unit", "a European
# city", "a One-off"), and with a silent h ("an Hour"), by their beginning.
# "un" before a vowel is the prefix ("an Unanswered…") but for "uni"; "One" as a word of its
# own ("a OneTimeCode", not "an Onerous…").
_CONSONANT_SOUND = re.compile(r"(?i:uni|u[b-df-hj-mp-tv-z][aeiou]|eu|ewe|once)|[Oo]ne(?![a-z])")
_SILENT_H = re.compile(r"hour|honest|honou?r|heir", re.IGNORECASE)


def with_article(type_name: str) -> str:
    """``type_name`` after the indefinite article its sound takes, for messages: "an Event",
    "an Announcement", "a CityOffice", "a User" (which starts with the sound of "you"), "an
    Hour"; a name in capitals is read letter by letter ("an FAQ", "a URL")."""
    if len(type_name) > 1 and type_name[:2].isupper():
        vowel = type_name[0] in _VOWEL_LETTER_NAMES
    elif _SILENT_H.match(type_name):
        vowel = True
    else:
        vowel = type_name[:1].lower() in "aeiou" and not _CONSONANT_SOUND.match(type_name)
    return f"{'an' if vowel else 'a'} {type_name}"


def parse_id(global_id: str, expected_type: str) -> int | None:
    """The primary key inside ``global_id`` if it names an ``expected_type``, else None."""
    parts = _split(global_id)
    if parts is None or parts[0] != expected_type:
        return None
    return primary_key(parts[1])


def decode_id(global_id: str, expected_type: str, field: str) -> int:
    """The primary key inside ``global_id``, which must name an object of ``expected_type``."""
    pk = parse_id(global_id, expected_type)
    if pk is None:
        raise UserInputError(
            gettext_noop("%(id)s is not the ID of %(type)s."),
            ApiErrorCode.INVALID_ID,
            field,
            params={"id": repr(global_id), "type": with_article(expected_type)},
        )
    return pk


class NodeField(relay.node.NodeField):
    """Relay's ``node(id:)``, answering an ID that names no object type of the API, or a key
    that no row can have, with ``INVALID_ID`` rather than graphene's errors without a code.
    A well-formed ID of nothing the viewer may see is null, as before."""

    def wrap_resolve(self, parent_resolver):
        resolve = super().wrap_resolve(parent_resolver)

        def resolve_node(root, info, id):
            if _node_type_name(info, id) is None:
                raise UserInputError(
                    gettext_noop("%(id)s is not the ID of anything."),
                    ApiErrorCode.INVALID_ID,
                    "id",
                    params={"id": repr(id)},
                )
            return resolve(root, info, id=id)

        return resolve_node


def _node_type_name(info, global_id: str) -> str | None:
    """The type a global ID names, if it is a Node type of the schema with a possible key."""
    parts = _split(global_id)
    if parts is None:
        return None
    type_name = parts[0]
    graphql_type = info.schema.get_type(type_name)
    if not is_object_type(graphql_type):
        return None
    if not any(interface.name == "Node" for interface in graphql_type.interfaces):
        return None
    return type_name


# What the response cache may keep of any object by its ID (graphql_server.cache_policy): it
# may be any area's.
CACHE_POLICIES = (cache_policy(relay.Node, areas=AREAS, public=("id",)),)
