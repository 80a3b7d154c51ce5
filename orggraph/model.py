"""The network model: node kinds, edge types, their vocabularies and record validation."""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from itertools import repeat
from operator import contains, itemgetter
from typing import Annotated, Any, Iterable, Literal, Union, get_args

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from . import values
from .exceptions import RecordError
from .privacy import describe, is_personal, mask_phone
from .values import DAY_PATTERN, PHONE_PATTERN, BadValue

__all__ = [
    "NODE_KINDS",
    "EDGE_TYPES",
    "ENDPOINTS",
    "AREA_LEVELS",
    "AREA_RANK",
    "ORG_LEVELS",
    "ORG_STATUSES",
    "UNIT_CATEGORIES",
    "MEMBER_CATEGORIES",
    "MEMBER_STATUSES",
    "HOUSEHOLD_FLAGS",
    "POSTS",
    "POST_RANK",
    "ROLE_RANK",
    "ROLES",
    "CO_BUILD_KINDS",
    "VOCABULARIES",
    "LABELS",
    "MAX_TEXT",
    "MAX_ITEMS",
    "MAX_DEPTH",
    "MAX_NAME",
    "MAX_PROPERTIES",
    "mask_phone",
    "validate_nodes",
    "validate_edges",
    "spelled_otherwise",
    "edge_key",
    "fold",
    "unfolded",
    "how_they_differ",
]

# --- vocabularies: code -> Chinese label. The order is the order shown to users. ---------------------

AREA_LEVELS = {
    "street": "街道",
    "township": "乡镇",
    "community": "社区",
    "village": "村",
    "grid": "网格",
    "micro_grid": "微网格",
    "compound": "小区",
    "building": "楼栋",
    "entrance": "单元",
    "village_group": "村民小组",
}
#: each area level's rank, 0 the highest: an area lies within one of a higher rank (domain.md: street/
#: township > community/village > grid/compound/village_group > micro_grid > building > entrance)
AREA_RANK = {"street": 0, "township": 0, "community": 1, "village": 1, "grid": 2, "compound": 2,
             "village_group": 2, "micro_grid": 3, "building": 4, "entrance": 5}
ORG_LEVELS = {
    "street": "街道党工委",
    "township": "乡镇党委",
    "community": "社区党委",
    "village": "村党组织",
    "grid": "网格党支部",
    "building": "楼栋党小组",
    "unit": "单位党组织",
    "temporary": "临时党支部",
    "functional": "功能型党组织",
}
ORG_STATUSES = {"normal": "正常", "weak_lax": "软弱涣散"}
UNIT_CATEGORIES = {
    "agency": "机关",
    "institution": "事业单位",
    "state_firm": "国有企业",
    "private_firm": "非公企业",
    "social_org": "社会组织",
    "property_company": "物业公司",
    "owners_committee": "业委会",
}
MEMBER_CATEGORIES = {"in_service": "在职党员", "resident": "居住地党员", "retired": "离退休党员", "mobile": "流动党员"}
MEMBER_STATUSES = {"active": "在岗", "unavailable": "无法联系"}
HOUSEHOLD_FLAGS = {
    "elderly_alone": "独居老人",
    "elderly": "高龄老人",
    "disabled": "残疾人",
    "low_income": "低保户",
    "left_behind_child": "留守儿童",
    "chronic_illness": "慢性病患者",
    "pregnant": "孕产妇",
    "bedridden": "失能卧床",
}
POSTS = {"secretary": "书记", "deputy_secretary": "副书记", "committee_member": "委员", "group_leader": "组长"}
ROLES = {"grid_leader": "网格长", "grid_worker": "网格员", "building_leader": "楼栋长", "area_cadre": "包片干部"}
#: who answers for an organization first: its secretary, then deputy secretary, committee member, group leader
POST_RANK = {post: rank for rank, post in enumerate(POSTS)}
#: the order of the people assigned to an area: grid leader, grid worker, building leader, area cadre
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
CO_BUILD_KINDS = {"co_building": "共驻共建", "pairing": "结对帮扶", "dual_report": "单位报到"}

NODE_KINDS = {"Area": "区域", "Org": "党组织", "Unit": "单位", "Member": "党员", "Household": "住户"}

#: edge type -> (source kind, target kind)
ENDPOINTS: dict[str, tuple[str, str]] = {
    "WITHIN": ("Area", "Area"),
    "SUBORDINATE_TO": ("Org", "Org"),
    "GOVERNS": ("Org", "Area"),
    "LOCATED_IN": ("Household", "Area"),
    "MEMBER_OF": ("Member", "Org"),
    "HOLDS_POST": ("Member", "Org"),
    "ASSIGNED_TO": ("Member", "Area"),
    "EMPLOYED_BY": ("Member", "Unit"),
    "OF_UNIT": ("Org", "Unit"),
    "SUNK_TO": ("Member", "Org"),
    "CO_BUILDS": ("Unit", "Org"),
    "CONTACTS": ("Member", "Household"),
    "RESIDES_IN": ("Member", "Household"),
}
EDGE_TYPES = {
    "WITHIN": "区域隶属",
    "SUBORDINATE_TO": "组织隶属",
    "GOVERNS": "组织管辖",
    "LOCATED_IN": "住户位置",
    "MEMBER_OF": "组织关系",
    "HOLDS_POST": "任职",
    "ASSIGNED_TO": "包片责任",
    "EMPLOYED_BY": "工作单位",
    "OF_UNIT": "单位党组织",
    "SUNK_TO": "下沉报到",
    "CO_BUILDS": "共驻共建",
    "CONTACTS": "包保联户",
    "RESIDES_IN": "党员中心户",
}
#: field name -> vocabulary, for every field whose values come from a closed list
VOCABULARIES: dict[tuple[str, str], dict[str, str]] = {
    ("Area", "level"): AREA_LEVELS,
    ("Org", "level"): ORG_LEVELS,
    ("Org", "status"): ORG_STATUSES,
    ("Unit", "category"): UNIT_CATEGORIES,
    ("Member", "category"): MEMBER_CATEGORIES,
    ("Member", "status"): MEMBER_STATUSES,
    ("Household", "flags"): HOUSEHOLD_FLAGS,
    ("HOLDS_POST", "post"): POSTS,
    ("ASSIGNED_TO", "role"): ROLES,
    ("CO_BUILDS", "kind"): CO_BUILD_KINDS,
}

#: every code's Chinese label, for display
LABELS: dict[str, str] = {}
for _vocab in (AREA_LEVELS, POSTS, ROLES, MEMBER_CATEGORIES, UNIT_CATEGORIES, HOUSEHOLD_FLAGS, CO_BUILD_KINDS):
    LABELS.update(_vocab)

# --- schemas --------------------------------------------------------------------------------------------

# Control characters are refused (in text, all but tab and line breaks): no export, Excel above all, can
# carry them, and in an id, a name or an address they are never meant.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL_RE = re.compile(rf"[{_CONTROL}]")

# Invisible characters: an id that looks like another must not be taken for it (h0000000<U+200B>1 is not
# h00000001), nor may a name read one way and be stored another (U+202E turns the text that follows).
# The lists are Unicode's: every format character (category Cf) and every default-ignorable code point
# (the property Default_Ignorable_Code_Point: the format characters but a few, the combining grapheme
# joiner, Hangul fillers, Khmer inherent vowels, variation selectors, tags), and the noncharacters
# (U+FDD0-U+FDEF and U+xFFFE, U+xFFFF of every plane); lone surrogates are refused by the string check.
# Refused in ids, and in an id also: every space (category Zs, U+0020 and U+00A0 too), U+2800 (a blank
# braille pattern), U+FFFC and U+FFFD (stand-ins for what was lost), private-use characters (no two
# fonts agree on them) and unassigned code points. Refused in names, addresses and all other text: the
# same invisible characters, except the zero-width non-joiner and joiner (U+200C, U+200D) and the
# Mongolian vowel separator (U+180E), which shape Arabic, Indic and Mongolian words, and the variation
# selectors, which pick the form of a rare ideograph in a personal name; and a name or an address holds
# at least one visible character (a letter, number, symbol or punctuation mark, U+2800 not one).
_FORMAT = (  # category Cf (Unicode 15)
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
    (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
_DEFAULT_IGNORABLE = (  # Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15)
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_VARIATION_SELECTORS = ((0x180B, 0x180D), (0x180F, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))  # Variation_Selector
_NONCHARACTERS = ((0xFDD0, 0xFDEF),) + tuple((p + 0xFFFE, p + 0xFFFF) for p in range(0, 0x110000, 0x10000))
_SHAPING = ((0x180E, 0x180E), (0x200C, 0x200D))  # meaningful in names: kept


def _ranges(include: Iterable[tuple[int, int]], exclude: Iterable[tuple[int, int]] = ()) -> tuple[tuple[int, int], ...]:
    """The code points of ``include`` but not ``exclude``, as sorted ranges."""
    codes = {c for a, b in include for c in range(a, b + 1)} - {c for a, b in exclude for c in range(a, b + 1)}
    out: list[list[int]] = []
    for code in sorted(codes):
        if out and out[-1][1] == code - 1:
            out[-1][1] = code
        else:
            out.append([code, code])
    return tuple((a, b) for a, b in out)


def _class(ranges: Iterable[tuple[int, int]], rust: bool) -> str:
    """The body of a regex character class: for the patterns (Rust syntax) or for Python's re."""
    def one(code: int) -> str:
        return f"\\x{{{code:X}}}" if rust else f"\\U{code:08X}"
    return "".join(one(a) if a == b else f"{one(a)}-{one(b)}" for a, b in ranges)


_ID_HIDDEN = _ranges(_FORMAT + _DEFAULT_IGNORABLE + _NONCHARACTERS)
_TEXT_HIDDEN = _ranges(_FORMAT + _DEFAULT_IGNORABLE + _NONCHARACTERS, _SHAPING + _VARIATION_SELECTORS)
_STAND_INS = "\u2800\ufffc\ufffd"  # a blank braille pattern; what stands for an object, or for what was lost
# in an id: no control character (tabs and line breaks neither), nothing invisible, no space of any kind
# (nor U+2028, U+2029), nothing that stands in for another character, no private-use or unassigned one
_ID_BAD = rf"\x00-\x1f\x7f-\x9f{_class(_ID_HIDDEN, True)}\x{{2028}}\x{{2029}}\x{{2800}}\x{{FFFC}}\x{{FFFD}}\p{{Zs}}\p{{Co}}"
_TEXT_BAD = rf"{_CONTROL}{_class(_TEXT_HIDDEN, True)}"
_ID_HIDDEN_RE = re.compile(f"[{_class(_ID_HIDDEN, False)}]")
_TEXT_HIDDEN_RE = re.compile(f"[{_class(_TEXT_HIDDEN, False)}]")
# the characters a free-form property's name may not hold: as an id's, but spaces within it are kept
_KEY_BAD_RE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{_class(_ID_HIDDEN, False)}\\ud800-\\udfff]")
_TEXT_BAD_RE = re.compile(f"[{_CONTROL}{_class(_TEXT_HIDDEN, False)}\\ud800-\\udfff]")
# (unassigned code points by intersection: the regex engine's union of \p{Cn} with U+E000 loses U+E000)
Id = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=rf"^[[^{_ID_BAD}]&&\P{{Cn}}]+$")]
# text holds at least one visible character: a letter, number, symbol or punctuation mark (not U+2800)
_VISIBLE = rf"[[\p{{L}}\p{{N}}\p{{S}}\p{{P}}]--[\x{{2800}}{_TEXT_BAD}]]"
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=rf"^[^{_TEXT_BAD}]*{_VISIBLE}[^{_TEXT_BAD}]*$")]
# A phone and a day are stored in one form each (orggraph.values): a record holding them so passes the
# strict validator as it is; only a record that does not is read again (_respelled).
Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]
IsoDate = Annotated[str, StringConstraints(pattern=DAY_PATTERN)]


# --- free-form properties: the one limit, kept by every load (the API's routes share it) ---------------

#: the longest text a free-form property may hold, in characters
MAX_TEXT = 2000
#: the most items a free-form list property may hold
MAX_ITEMS = 100
#: how deeply a free-form property may nest: 1 is a list of values (text, numbers, true/false), no list
#: within it and never an object
MAX_DEPTH = 1
#: the longest name of a free-form property, in characters
MAX_NAME = 100
#: the most free-form properties one record may hold
MAX_PROPERTIES = 100

_INT64 = 2**63


def _not_whole(value: Any) -> Any:
    """A whole number is an int, held to 64 bits (a float would take it whole, and no store could)."""
    if type(value) is int:
        raise ValueError("a whole number beyond 64 bits")
    return value


def _property_type(depth: int) -> Any:
    """The type of a free-form property value that nests at most ``depth`` lists deep."""
    scalar: list[Any] = [
        # text: the characters of declared text (no control but tab and line breaks, nothing invisible)
        Annotated[str, StringConstraints(max_length=MAX_TEXT, pattern=rf"^[^{_TEXT_BAD}]*$")],
        Annotated[int, Field(ge=-_INT64, lt=_INT64)],
        Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_not_whole)],
        bool,
    ]
    if depth > 0:
        scalar.append(Annotated[list[_property_type(depth - 1)], Field(max_length=MAX_ITEMS)])  # type: ignore[misc]
    return Union[tuple(scalar)]  # type: ignore[return-value]


Property = _property_type(MAX_DEPTH)


def _lit(vocab: dict[str, str]) -> Any:
    return Literal[tuple(vocab)]  # type: ignore[valid-type]


class AreaRecord(TypedDict):
    id: Id
    name: Text
    level: _lit(AREA_LEVELS)


class OrgRecord(TypedDict):
    id: Id
    name: Text
    level: _lit(ORG_LEVELS)
    status: NotRequired[_lit(ORG_STATUSES)]


class UnitRecord(TypedDict):
    id: Id
    name: Text
    category: NotRequired[_lit(UNIT_CATEGORIES)]


class MemberRecord(TypedDict):
    id: Id
    name: Text
    phone: NotRequired[Phone]
    category: NotRequired[_lit(MEMBER_CATEGORIES)]
    status: NotRequired[_lit(MEMBER_STATUSES)]


class HouseholdRecord(TypedDict):
    id: Id
    address: NotRequired[Text]
    people: NotRequired[Annotated[int, Field(ge=1, le=100)]]
    phone: NotRequired[Phone]
    flags: NotRequired[list[_lit(HOUSEHOLD_FLAGS)]]


class EdgeRecord(TypedDict):
    source: Id
    target: Id
    since: NotRequired[IsoDate]
    until: NotRequired[IsoDate]


class HoldsPostRecord(EdgeRecord):
    post: _lit(POSTS)


class AssignedToRecord(EdgeRecord):
    role: _lit(ROLES)


class CoBuildsRecord(EdgeRecord):
    kind: NotRequired[_lit(CO_BUILD_KINDS)]
    items: NotRequired[Union[Annotated[int, Field(ge=0)], list[Text]]]


_NODE_SCHEMAS = {
    "Area": AreaRecord,
    "Org": OrgRecord,
    "Unit": UnitRecord,
    "Member": MemberRecord,
    "Household": HouseholdRecord,
}
_EDGE_SCHEMAS = {t: EdgeRecord for t in ENDPOINTS} | {
    "HOLDS_POST": HoldsPostRecord,
    "ASSIGNED_TO": AssignedToRecord,
    "CO_BUILDS": CoBuildsRecord,
}
# One strict list validator per schema. Validating a batch in one call costs about 1 µs a record; strict
# mode coerces nothing, so a record that passes is stored exactly as given, without being copied.
_STRICT = ConfigDict(strict=True)
_NODE_VALIDATORS = {k: TypeAdapter(list[s], config=_STRICT) for k, s in _NODE_SCHEMAS.items()}
_EDGE_VALIDATORS = {t: TypeAdapter(list[s], config=_STRICT) for t, s in _EDGE_SCHEMAS.items()}
#: the declared fields written in many spellings and stored in one: the pydantic errors that send a value
#: to be read again (a phone given as a number stays refused: "must be text"), and what reads it
_SPELLINGS: dict[str, tuple[frozenset[str], Any]] = {
    "phone": (frozenset({"string_pattern_mismatch"}), values.phone),
    "since": (frozenset({"string_pattern_mismatch", "string_type"}), values.day),
    "until": (frozenset({"string_pattern_mismatch", "string_type"}), values.day),
}
# the declared fields of each kind and type (with kind or type): any other key is a free-form property
_NODE_FIELDS = {k: frozenset({"kind", *s.__required_keys__, *s.__optional_keys__}) for k, s in _NODE_SCHEMAS.items()}
_EDGE_FIELDS = {t: frozenset({"type", *s.__required_keys__, *s.__optional_keys__}) for t, s in _EDGE_SCHEMAS.items()}
_PROPERTIES = TypeAdapter(list[dict[str, Property]], config=_STRICT)


def _allowed(values: Iterable[str]) -> str:
    return ", ".join(values)


def _describe(value: Any, field: str | None = None) -> str:
    """A value as an error may echo it: a personal or free-form field's by its type and size only, any
    other with phone- and id-card-shaped numbers masked (:func:`orggraph.privacy.describe`)."""
    return describe(value, field or None)


def _message(err: dict[str, Any], field: str) -> str:
    """Turn one pydantic error into a sentence a street office can act on."""
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        expected = get_args_of_literal(err)
        return f"unknown value {_describe(value, field)}; allowed: {_allowed(expected)}"
    if kind in {"greater_than_equal", "less_than_equal"}:
        return f"must be {'at least' if kind == 'greater_than_equal' else 'at most'} {err['ctx'][next(iter(err['ctx']))]}, got {_describe(value, field)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, got {_describe(value, field)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {err['ctx']['max_length']} characters)"
    if kind == "string_pattern_mismatch":
        if isinstance(value, str) and (bad := _CONTROL_RE.search(value) or (field in _ID_FIELDS and re.search(r"[\t\n\r]", value))):
            where = f" at character {bad.start() + 1}" if is_personal(field, None, ()) else ""  # the value not shown
            return f"{_describe(value, field)} holds a control character (U+{ord(bad.group()):04X}){where}; remove it"
        if isinstance(value, str) and (hidden := _hidden(value, field)):
            return hidden
        return f"{_describe(value, field)} holds a character {'an id' if field in _ID_FIELDS else 'text'} may not hold"
    if kind == "string_unicode" and isinstance(value, str):
        return _hidden(value, field) or err["msg"]
    if kind == "string_type":
        return f"must be text, got {_describe(value, field)}"
    if kind == "list_type":
        return f"must be a list, got {_describe(value, field)}"
    return err["msg"]


_ID_FIELDS = {"id", "source", "target"}
_DIRECTION = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _kind_of(char: str, is_id: bool) -> str | None:
    """What ``char`` is, if an id (``is_id``) or a text refuses it as unseen or as standing for another:
    'an invisible character', 'a space', ...; None if it is kept."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "a lone surrogate"
    if code & 0xFFFE == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        return "a noncharacter"
    if (_ID_HIDDEN_RE if is_id else _TEXT_HIDDEN_RE).match(char):
        return "a direction-control character" if char in _DIRECTION else "an invisible character"
    if not is_id:
        return None
    if char in "\u2028\u2029":
        return "a line break"
    category = unicodedata.category(char)
    if category == "Zs":
        return "a space"
    if char == "\u2800":
        return "a blank character"
    if char in _STAND_INS:
        return "a stand-in character"
    if category == "Co":
        return "a private-use character"
    if category == "Cn":
        return "an unassigned code point"
    return None


def _at(what: str, char: str, position: int) -> str:
    name = unicodedata.name(char, "")
    return f"holds {what} (U+{ord(char):04X}{' ' + name if name else ''}) at position {position}; remove it"


def _hidden(value: str, field: str) -> str | None:
    """Name the first character of ``value`` that its field refuses as unseen (an invisible or
    direction-control character, a noncharacter, a lone surrogate; in an id also a space, a stand-in, a
    private-use or unassigned code point) by code point and position, or say that a text is blank (it
    holds no letter, number, symbol or punctuation mark); None if neither. The value is never echoed.

    Examples
    --------
    >>> _hidden("h0000000\\u200b1", "id")
    'holds an invisible character (U+200B ZERO WIDTH SPACE) at position 9; remove it'
    >>> _hidden("h0000000\\u00a01", "id")
    'holds a space (U+00A0 NO-BREAK SPACE) at position 9; remove it'
    >>> _hidden("\\u202e1号楼", "address")
    'holds a direction-control character (U+202E RIGHT-TO-LEFT OVERRIDE) at position 1; remove it'
    >>> _hidden("\\u3000 ", "name")
    'must not be blank (it holds only spaces)'
    >>> _hidden("\\u2800", "name")
    'must not be blank (it holds no letter, number, symbol or punctuation mark)'
    """
    is_id = field in _ID_FIELDS
    for position, char in enumerate(value, 1):
        what = _kind_of(char, is_id)
        if what is not None:
            return _at(what, char, position)
    if not is_id and not any(unicodedata.category(c)[0] in "LNSP" and c != "\u2800" for c in value):
        if not value.replace("\u200c", "").replace("\u200d", "").replace("\u180e", "").strip():
            return "must not be blank (it holds only spaces)"
        return "must not be blank (it holds no letter, number, symbol or punctuation mark)"
    return None


def _text_problem(value: str) -> str | None:
    """What is wrong with the characters of a free-form text (a control character, an invisible one), the
    value not echoed; None if nothing."""
    bad = _TEXT_BAD_RE.search(value)
    if bad is None:
        return None
    char = bad.group()
    if _CONTROL_RE.match(char):
        return _at("a control character", char, bad.start() + 1)
    return _at(_kind_of(char, False) or "a character text may not hold", char, bad.start() + 1)


def _property_message(errs: list[dict[str, Any]], value: Any) -> str:
    """One sentence for a free-form property that failed, from every error pydantic gave for it (one for
    each type a property may have), naming the limit it broke."""
    by_kind = {err["type"]: err for err in errs}
    if "string_too_long" in by_kind:
        return f"is too long: a property holds at most {MAX_TEXT} characters of text"
    if "too_long" in by_kind:
        return f"holds {by_kind['too_long']['ctx']['actual_length']} items; a property holds at most {MAX_ITEMS}"
    for kind in ("string_pattern_mismatch", "string_unicode"):
        if kind in by_kind and isinstance(by_kind[kind]["input"], str):
            return _text_problem(by_kind[kind]["input"]) or by_kind[kind]["msg"]
    if "finite_number" in by_kind:
        return "must be a finite number"
    if {"greater_than_equal", "less_than"} & by_kind.keys():
        return "is a whole number beyond 64 bits"
    if isinstance(value, list):
        return (f"a list property holds text, numbers and true/false, nested at most {MAX_DEPTH} deep; "
                "this one holds a list or an object")
    return f"must be text, a number, true/false or a list of those, got {type(value).__name__}"


def _property_names(properties: dict[str, Any]) -> list[str]:
    """What is wrong with the names or the number of a record's free-form properties."""
    names = list(properties)
    problems = []
    if len(names) > MAX_PROPERTIES:
        problems.append(f"holds {len(names)} properties of its own; a record holds at most {MAX_PROPERTIES}")
    for name in names:
        if not isinstance(name, str):
            problems.append(f"a property name must be text, got {type(name).__name__}")
        elif len(name) > MAX_NAME:
            problems.append(f"a property name is {len(name)} characters long; a name holds at most {MAX_NAME}")
        elif (bad := _KEY_BAD_RE.search(name)) or name != name.strip() or not name:
            problems.append(f"a property name {_key_problem(name, bad)}")
    return problems


def _key_problem(name: str, bad: re.Match[str] | None) -> str:
    """What is wrong with a free-form property's name: as in an id, a control character (tabs and line
    breaks too), an invisible one or a line separator, and spaces at its ends (spaces within are kept)."""
    if bad is not None:
        char = bad.group()
        if _CONTROL_RE.match(char) or char in "\t\n\r":
            return _at("a control character", char, bad.start() + 1)
        return _at(_kind_of(char, True) or "a character a name may not hold", char, bad.start() + 1)
    if not name.strip():
        return "must not be blank"
    return "must not start or end with spaces"


#: a mainland mobile number, or an id-card number (18 digits, or 17 and X; 15 of the old cards), not part
#: of a longer run of digits (full-width digits count as digits)
_PERSONAL_ID_RE = re.compile(r"(?<!\d)(?:([1１][3-9３-９]\d{9})|\d{17}[\dXxＸｘ]|\d{15})(?!\d)")


_second = itemgetter(1)
_ELEVEN_DIGITS = b"0" * 11
_ASCII_DIGITS = bytes.maketrans(b"123456789", b"000000000")


def _may_hold_personal_id(text: str) -> bool:
    """Whether a text (a batch's ids joined by NUL: no match spans two) may hold what :data:`_PERSONAL_ID_RE`
    finds: a run of at least 11 digits. An ASCII text is told so by one scan of its bytes, as most are; any
    other is searched."""
    if text.isascii():
        return _ELEVEN_DIGITS in text.encode().translate(_ASCII_DIGITS)
    return _PERSONAL_ID_RE.search(text) is not None


def _personal_id(value: str) -> str | None:
    """What personal data an id is shaped like, if any: ids are shown to every token and never masked.

    Examples
    --------
    >>> _personal_id("13812345678")
    'holds a number shaped like a mobile phone number (11 digits, 13x-19x); ids are shown to every token, so an id must not hold one'
    >>> _personal_id("h00000001") is None, _personal_id("x138123456789") is None
    (True, True)
    """
    if len(value) < 11:
        return None
    found = _PERSONAL_ID_RE.search(value)
    if found is None:
        return None
    what = ("a mobile phone number (11 digits, 13x-19x)" if found.group(1)
            else "an id-card number (18 digits, or 17 and X, or 15)")
    return f"holds a number shaped like {what}; ids are shown to every token, so an id must not hold one"


# --- one id, one thing: ids that differ only by letter case or the width of their characters ------------

def fold(node_id: str) -> str:
    """An id as ids are told apart: NFKC (full-width and other compatibility forms to their plain form), then
    casefold, surrounding whitespace stripped. Two ids that fold alike are one id (``h1``, ``H1``,
    ``ｈ１``): a load takes one spelling only (:class:`orggraph.load.Loader`).

    Examples
    --------
    >>> fold("h1"), fold("H1"), fold("ｈ１"), fold("Ｈ１"), fold("ﬁ1")
    ('h1', 'h1', 'h1', 'h1', 'fi1')
    """
    if node_id.isascii():  # NFKC leaves ASCII alone, and casefold is lower there
        return node_id.lower().strip()
    return unicodedata.normalize("NFKC", node_id).casefold().strip()


def unfolded(ids: list[str]) -> list[tuple[int, str]]:
    """Of some ids, those spelled otherwise than their fold (:func:`fold`), as (position, fold).

    The ids of most cities are ASCII with no capital letter (``h00000001``, ``s001c1g01b1``): they are
    told in a few passes over the ids joined, some 120 µs for 5,000, and only the others are folded one by one.

    Examples
    --------
    >>> unfolded(["h1", "H2", "h3", "ｈ４"])
    [(1, 'h2'), (3, 'h4')]
    >>> unfolded(["h1", "o-s001c1"])
    []
    """
    text = "\0".join(ids)  # (an id holds no control character)
    if not ids or text.isascii() and text.lower() == text and text.split() == [text]:  # no capital, no space
        return []
    out = []
    for i, node_id in enumerate(ids):
        folded = fold(node_id)
        if folded != node_id:
            out.append((i, folded))
    return out


def how_they_differ(a: str, b: str) -> str:
    """How two ids that fold alike differ, for a message: by letter case, by full-width (or half-width)
    form, by both, or by another compatibility form of a character (ﬁ for fi, ² for 2).

    Examples
    --------
    >>> how_they_differ("H1", "h1"), how_they_differ("ｈ１", "h1"), how_they_differ("Ｈ１", "h1")
    ('letter case', 'full-width form', 'letter case and full-width form')
    >>> how_they_differ("ﬁ1", "fi1")
    'the form of a character (Unicode compatibility)'
    """
    nfkc = unicodedata.normalize
    parts = []
    if nfkc("NFKC", a) != nfkc("NFKC", b):  # the same once in plain form, but for case
        parts.append("letter case")
    if a.casefold() != b.casefold() or not parts:
        wide = any(unicodedata.decomposition(c).startswith(("<wide>", "<narrow>")) for c in a + b)
        parts.append("full-width form" if wide else "the form of a character (Unicode compatibility)")
    return " and ".join(parts)


def get_args_of_literal(err: dict[str, Any]) -> list[str]:
    """The allowed values of a failed ``Literal``, from pydantic's error context."""
    expected = err.get("ctx", {}).get("expected", "")
    return re.findall(r"'([^']*)'", expected)


def _run(
    validator: TypeAdapter, declared: frozenset[str], items: list[tuple[str, dict[str, Any]]],
    ids: tuple[str, ...] = ("id",), nulls: bool = True,
) -> tuple[list[dict[str, Any] | None], list[RecordError]]:
    """Validate a batch; return one output per item (None where it failed) and the errors.

    A null value means "not given" and is dropped; every other key is kept as it came, a free-form
    property held to the limits (:data:`MAX_TEXT`, :data:`MAX_ITEMS`, :data:`MAX_DEPTH`, :data:`MAX_NAME`,
    :data:`MAX_PROPERTIES`).
    """
    outputs: list[dict[str, Any] | None] = [
        rec if None not in rec.values() else {k: v for k, v in rec.items() if v is not None} for _, rec in items
    ] if nulls else list(map(_second, items))
    errors: list[RecordError] = []
    try:
        validator.validate_python(outputs)
    except ValidationError as exc:
        failed: dict[int, list[dict[str, Any]]] = {}
        for err in exc.errors(include_url=False):
            failed.setdefault(err["loc"][0], []).append(err)
        again = []
        for index, errs in failed.items():
            record, problems = _respelled(outputs[index], errs)  # type: ignore[arg-type]
            outputs[index] = record
            if record is not None:
                again.append(index)
            errors.extend(RecordError(items[index][0], field, message) for field, message in problems)
        if again:  # the records respelled, validated as they are to be stored
            try:
                validator.validate_python([outputs[i] for i in again])
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    index = again[err["loc"][0]]
                    field = str(err["loc"][1]) if len(err["loc"]) > 1 else None
                    outputs[index] = None
                    errors.append(RecordError(items[index][0], field, _message(err, field or "")))
    for field in ids:  # an id shaped like a phone or id-card number: shown to every token, never masked
        given = [out for out in outputs if out is not None] if errors else outputs
        if not _may_hold_personal_id("\0".join(map(itemgetter(field), given))):
            continue
        personal = [i for i, out in enumerate(outputs) if out is not None and len(out[field]) > 10
                    and _PERSONAL_ID_RE.search(out[field])]
        for i in personal:
            if outputs[i] is not None:
                errors.append(RecordError(items[i][0], field, _personal_id(outputs[i][field])))  # type: ignore[index,arg-type]
                outputs[i] = None
    present = set().union(*[out for out in outputs if out is not None])  # every key of the batch, told at once
    free = [i for i, out in enumerate(outputs) if out is not None and not declared.issuperset(out)] \
        if not declared.issuperset(present) else []
    if free:  # the records with free-form properties: their names, their number and their values
        extras = [{k: v for k, v in outputs[i].items() if k not in declared} for i in free]  # type: ignore[union-attr]
        for i, props in zip(free, extras):
            for problem in _property_names(props):
                errors.append(RecordError(items[i][0], None, problem))
                outputs[i] = None
        try:
            _PROPERTIES.validate_python(extras)
        except ValidationError as exc:
            grouped: dict[tuple[int, str], list[dict[str, Any]]] = {}
            for err in exc.errors(include_url=False):  # one error for each type a property may have
                if len(err["loc"]) > 1:
                    grouped.setdefault((free[err["loc"][0]], str(err["loc"][1])), []).append(err)
            for (i, field), errs in grouped.items():
                errors.append(RecordError(items[i][0], field, _property_message(errs, items[i][1].get(field))))
                outputs[i] = None
    return outputs, errors


def _respelled(record: dict[str, Any], errs: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, list[tuple[str | None, str]]]:
    """A record the strict validator refused, with its phone and days read in their other spellings
    (:mod:`orggraph.values`): the record as it is to be stored (a copy: the one given stays as it was), or
    None; and what is wrong with it, field by field."""
    respelled: dict[str, Any] = {}
    problems: list[tuple[str | None, str]] = []
    for err in errs:
        field = str(err["loc"][1]) if len(err["loc"]) > 1 else None
        spelling = _SPELLINGS.get(field) if len(err["loc"]) == 2 else None  # type: ignore[arg-type]
        if spelling is not None and err["type"] in spelling[0]:
            try:
                respelled[field] = spelling[1](err["input"])  # type: ignore[index]
            except BadValue as bad:
                problems.append((field, str(bad)))
            continue
        problems.append((field, _message(err, field or "")))
    if problems:
        return None, problems
    return {**record, **respelled}, []


def validate_nodes(
    kind: str, items: list[tuple[str, dict[str, Any]]], *, nulls: bool = True
) -> tuple[list[dict[str, Any] | None], list[RecordError]]:
    """Validate node records of one kind.

    Parameters
    ----------
    kind : str
        One of :data:`NODE_KINDS`.
    items : list of (where, record)
        ``where`` names the record in error messages; ``record`` holds ``id`` and the properties
        (``kind`` may be present).
    nulls : bool
        False when the caller knows that no record holds a null value (as JSON Lines read a block at a
        time do): the records are not looked through for one.

    Returns
    -------
    outputs : list
        For each item, the normalized record (a phone in its one form, :func:`orggraph.values.phone`;
        nulls dropped, every other key kept as a property), or None where it failed. A record already so
        is the very record given; one that is not, a copy.
    errors : list of RecordError

    Examples
    --------
    >>> out, errors = validate_nodes("Household", [("line 1", {"id": "h1", "people": 0})])
    >>> [str(e) for e in errors]
    ['line 1, field people: must be at least 1, got 0']
    >>> out, errors = validate_nodes("Area", [("line 2", {"id": "a1", "name": "秀林街道", "level": "town"})])
    >>> print(errors[0])  # doctest: +ELLIPSIS
    line 2, field level: unknown value 'town'; allowed: street, township, community, village, grid, ...

    Invisible characters are named by code point and position, and free-form properties held to the limits:

    >>> out, errors = validate_nodes("Household", [("line 3", {"id": "h0000000\u200b1"}),
    ...                                            ("line 4", {"id": "h2", "note": "x" * (MAX_TEXT + 1)})])
    >>> for error in errors:
    ...     print(error)
    line 3, field id: holds an invisible character (U+200B ZERO WIDTH SPACE) at position 9; remove it
    line 4, field note: is too long: a property holds at most 2000 characters of text

    A phone in any common spelling is stored in one form; one that is not one number is refused saying why:

    >>> out, errors = validate_nodes("Member", [("line 5", {"id": "m1", "name": "王芳", "phone": "+86 138 0000 1111"}),
    ...                                         ("line 6", {"id": "m2", "name": "李强", "phone": "8123456"})])
    >>> out[0]["phone"], [str(e) for e in errors]
    ('13800001111', ['line 6, field phone: no area code: a landline of 7 digits needs its area code before it (0716, 010, ...)'])
    """
    outputs, errors = _run(_NODE_VALIDATORS[kind], _NODE_FIELDS[kind], items, nulls=nulls)
    for out in outputs:
        if out is not None and "kind" not in out:
            out["kind"] = kind
    return outputs, errors


def validate_edges(
    type_: str, items: list[tuple[str, dict[str, Any]]], *, nulls: bool = True
) -> tuple[list[dict[str, Any] | None], list[RecordError]]:
    """Validate edge records of one type: fields, vocabularies, dates and ``since <= until``.

    Endpoint kinds and cycles need the whole network and are checked by the loader.

    Examples
    --------
    >>> rec = {"source": "m1", "target": "h1", "since": "2021-05-01", "until": "2021-04-30"}
    >>> out, errors = validate_edges("CONTACTS", [("line 9", rec)])
    >>> print(errors[0])
    line 9, field until: 2021-04-30 is before since 2021-05-01

    A day in any unambiguous year-month-day form is stored as an ISO day (:func:`orggraph.values.day`):

    >>> out, errors = validate_edges("CONTACTS", [("line 10", {"source": "m1", "target": "h1", "since": "2021年5月1日"})])
    >>> out[0]["since"], errors
    ('2021-05-01', [])
    """
    outputs, errors = _run(_EDGE_VALIDATORS[type_], _EDGE_FIELDS[type_], items, ("source", "target"), nulls)
    valid = [out for out in outputs if out is not None]
    sinces = [out.get("since") for out in valid]
    untils = [out.get("until") for out in valid]
    days = set(sinces).union(untils)
    wrong = {day for day in days if _calendar(day, "since")}  # each day of the batch told once
    if not wrong and untils.count(None) == len(untils) and all(map(contains, valid, repeat("type"))):
        return outputs, errors  # no until to be before its since, no day off the calendar, the type given
    for i, out in enumerate(outputs):
        if out is None:
            continue
        since, until = out.get("since"), out.get("until")
        problem = (since in wrong or until in wrong) and (_calendar(since, "since") or _calendar(until, "until"))
        if problem:
            errors.append(RecordError(items[i][0], *problem))
            outputs[i] = None
        elif since and until and until < since:
            errors.append(RecordError(items[i][0], "until", f"{until} is before since {since}"))
            outputs[i] = None
        elif "type" not in out:
            out["type"] = type_
    return outputs, errors


def _calendar(day: str | None, field: str) -> tuple[str, str] | None:
    """Catch the dates the pattern lets through (2021-02-30)."""
    if day is None:
        return None
    try:
        _dt.date.fromisoformat(day)
    except ValueError:
        try:
            values.day(day)  # says why: February 2021 has 28 days
        except BadValue as bad:
            return field, str(bad)
        return field, f"{day} is not a day of the calendar"  # pragma: no cover
    return None


def spelled_otherwise(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The phone and days of a stored record that a load would have stored in another spelling (written
    by an older orggraph, or by another tool on a graph server): (field, why), the phone never echoed.
    A value no spelling makes valid is left out here: validating the record names it.

    Examples
    --------
    >>> spelled_otherwise({"id": "m1", "kind": "Member", "name": "王芳", "phone": "+86 13800001111"})
    [('phone', 'stored as written, not in the one form a load stores (a mobile as its 11 digits, a landline as area code-number); load the record again')]
    >>> spelled_otherwise({"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2020/7/1"})
    [('since', "'2020/7/1' is stored as written, not as the ISO day 2020-07-01 every question compares; correct the edge")]
    >>> spelled_otherwise({"type": "CONTACTS", "source": "m1", "target": "h1", "since": "2020-07-01"})
    []
    """
    found = []
    phone = record.get("phone")
    if record.get("kind") in ("Member", "Household") and isinstance(phone, str) and not _PHONE_RE.fullmatch(phone):
        try:
            values.phone(phone)
        except BadValue:
            pass
        else:
            found.append(("phone", "stored as written, not in the one form a load stores (a mobile as its 11 digits, "
                                   "a landline as area code-number); load the record again"))
    if "type" in record:
        for field in ("since", "until"):
            given = record.get(field)
            if isinstance(given, str) and given and not _DAY_RE.fullmatch(given):
                try:
                    iso = values.day(given)
                except BadValue:
                    continue
                found.append((field, f"{given!r} is stored as written, not as the ISO day {iso} every question "
                                     "compares; correct the edge"))
    return found


_PHONE_RE = re.compile(PHONE_PATTERN[1:-1])
_DAY_RE = re.compile(DAY_PATTERN[1:-1])


def edge_key(edge: dict[str, Any]) -> tuple[str, str, str, str]:
    """The identity of an edge: type, source, target and ``since`` ('' when open-ended).

    Examples
    --------
    >>> edge_key({"type": "CONTACTS", "source": "m1", "target": "h1"})
    ('CONTACTS', 'm1', 'h1', '')
    """
    return (edge["type"], edge["source"], edge["target"], edge.get("since") or "")


assert set(get_args(_lit(POSTS))) == set(POSTS)

assert set(AREA_RANK) == set(AREA_LEVELS)
