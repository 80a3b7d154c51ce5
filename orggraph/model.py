"""The network model: node kinds, edge types, their vocabularies and record validation."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Any, Iterable, Literal, Union, get_args

from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from .exceptions import RecordError
from .privacy import MASK, describe, is_personal, mask_phone

__all__ = [
    "NODE_KINDS",
    "EDGE_TYPES",
    "ENDPOINTS",
    "AREA_LEVELS",
    "ORG_LEVELS",
    "ORG_STATUSES",
    "UNIT_CATEGORIES",
    "MEMBER_CATEGORIES",
    "MEMBER_STATUSES",
    "HOUSEHOLD_FLAGS",
    "POSTS",
    "ROLES",
    "CO_BUILD_KINDS",
    "VOCABULARIES",
    "LABELS",
    "DATED_EDGE_TYPES",
    "mask_phone",
    "validate_nodes",
    "validate_edges",
    "edge_key",
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
#: edge types whose validity is bounded by ``since`` and ``until`` in the spec
DATED_EDGE_TYPES = frozenset(
    {"GOVERNS", "MEMBER_OF", "HOLDS_POST", "ASSIGNED_TO", "SUNK_TO", "CO_BUILDS", "CONTACTS"}
)

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

_MOBILE = r"(?:\+?86[- ]?)?1[3-9]\d{9}"
_LANDLINE = r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?"
PHONE_PATTERN = rf"^(?:{_MOBILE}|{_LANDLINE})$"

# Control characters are refused (in text, all but tab and line breaks): no export, Excel above all, can
# carry them, and in an id, a name or an address they are never meant.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROL_RE = re.compile(rf"[{_CONTROL}]")
_ID_END = r"[^\s\x00-\x1f\x7f]"
Id = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=rf"^{_ID_END}(?:[^\x00-\x1f\x7f]*{_ID_END})?$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=rf"^[^{_CONTROL}]*$")]
Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN)]
IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$")]
_DATE_FIELDS = {"since", "until"}


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
_PHONE_FIELDS = {"phone"}


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
    if kind.startswith("date") or (kind == "string_pattern_mismatch" and field in _DATE_FIELDS):
        return f"must be an ISO date YYYY-MM-DD, got {_describe(value, field)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {err['ctx']['max_length']} characters)"
    if kind == "string_pattern_mismatch":
        if field in _PHONE_FIELDS:
            masked = mask_phone(str(value))
            return (
                f"{masked if masked != MASK else _describe(value, field)} is not a mainland mobile (11 digits, "
                "13x-19x) or landline (area code, then 7-8 digits) number"
            )
        if isinstance(value, str) and (bad := _CONTROL_RE.search(value) or (field == "id" and re.search(r"[\t\n\r]", value))):
            where = f" at character {bad.start() + 1}" if is_personal(field, None, ()) else ""  # the value not shown
            return f"{_describe(value, field)} holds a control character (U+{ord(bad.group()):04X}){where}; remove it"
        return f"{_describe(value, field)} must not be blank or start or end with spaces"
    if kind == "string_type":
        return f"must be text, got {_describe(value, field)}"
    if kind == "list_type":
        return f"must be a list, got {_describe(value, field)}"
    return err["msg"]


def get_args_of_literal(err: dict[str, Any]) -> list[str]:
    """The allowed values of a failed ``Literal``, from pydantic's error context."""
    expected = err.get("ctx", {}).get("expected", "")
    return re.findall(r"'([^']*)'", expected)


def _run(
    validator: TypeAdapter, items: list[tuple[str, dict[str, Any]]]
) -> tuple[list[dict[str, Any] | None], list[RecordError]]:
    """Validate a batch; return one output per item (None where it failed) and the errors.

    A null value means "not given" and is dropped; every other key is kept as it came.
    """
    outputs: list[dict[str, Any] | None] = [
        rec if None not in rec.values() else {k: v for k, v in rec.items() if v is not None} for _, rec in items
    ]
    try:
        validator.validate_python(outputs)
        return outputs, []
    except ValidationError as exc:
        errors: list[RecordError] = []
        for err in exc.errors(include_url=False):
            index = err["loc"][0]
            field = str(err["loc"][1]) if len(err["loc"]) > 1 else None
            outputs[index] = None
            errors.append(RecordError(items[index][0], field, _message(err, field or "")))
        return outputs, errors


def validate_nodes(
    kind: str, items: list[tuple[str, dict[str, Any]]]
) -> tuple[list[dict[str, Any] | None], list[RecordError]]:
    """Validate node records of one kind.

    Parameters
    ----------
    kind : str
        One of :data:`NODE_KINDS`.
    items : list of (where, record)
        ``where`` names the record in error messages; ``record`` holds ``id`` and the properties
        (``kind`` may be present).

    Returns
    -------
    outputs : list
        For each item, the normalized record (dates as ISO strings, nulls dropped, every other key kept
        as a property), or None where it failed.
    errors : list of RecordError

    Examples
    --------
    >>> out, errors = validate_nodes("Household", [("line 1", {"id": "h1", "people": 0})])
    >>> [str(e) for e in errors]
    ['line 1, field people: must be at least 1, got 0']
    >>> out, errors = validate_nodes("Area", [("line 2", {"id": "a1", "name": "秀林街道", "level": "town"})])
    >>> print(errors[0])  # doctest: +ELLIPSIS
    line 2, field level: unknown value 'town'; allowed: street, township, community, village, grid, ...
    """
    outputs, errors = _run(_NODE_VALIDATORS[kind], items)
    for out in outputs:
        if out is not None and "kind" not in out:
            out["kind"] = kind
    return outputs, errors


def validate_edges(
    type_: str, items: list[tuple[str, dict[str, Any]]]
) -> tuple[list[dict[str, Any] | None], list[RecordError]]:
    """Validate edge records of one type: fields, vocabularies, dates and ``since <= until``.

    Endpoint kinds and cycles need the whole network and are checked by the loader.

    Examples
    --------
    >>> rec = {"source": "m1", "target": "h1", "since": "2021-05-01", "until": "2021-04-30"}
    >>> out, errors = validate_edges("CONTACTS", [("line 9", rec)])
    >>> print(errors[0])
    line 9, field until: 2021-04-30 is before since 2021-05-01
    """
    outputs, errors = _run(_EDGE_VALIDATORS[type_], items)
    for i, out in enumerate(outputs):
        if out is None:
            continue
        since, until = out.get("since"), out.get("until")
        problem = _calendar(since, "since") or _calendar(until, "until")
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
        return field, f"{day} is not a day of the calendar"
    return None


def edge_key(edge: dict[str, Any]) -> tuple[str, str, str, str]:
    """The identity of an edge: type, source, target and ``since`` ('' when open-ended).

    Examples
    --------
    >>> edge_key({"type": "CONTACTS", "source": "m1", "target": "h1"})
    ('CONTACTS', 'm1', 'h1', '')
    """
    return (edge["type"], edge["source"], edge["target"], edge.get("since") or "")


assert set(get_args(_lit(POSTS))) == set(POSTS)
