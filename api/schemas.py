"""Request and response schemas, with the limits every input is held to."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from ..model import MAX_ITEMS, MAX_NAME, MAX_TEXT  # the limits every load keeps, the same here
from ..queries import DEFAULT_MAX_HOUSEHOLDS

__all__ = ["IsoDay", "NodePublic", "NodeCreate", "NodeUpdate", "EdgePublic", "EdgeCreate", "Removed", "Page", "IncidentCreate", "TokenPublic", "AuditRow", "MAX_PAGE",
           "ErrorPublic", "ERROR_RESPONSES", "HealthPublic", "ImportReport", "DryRunReport", "MoveBody", "SplitBody",
           "MergeBody", "RelocateBody", "HandoverBody", "ChangeReport", "IncidentOpen", "MarkBody", "CoverBody"]

MAX_PAGE = 500
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class NodePublic(BaseModel):
    """A node as the API shows it: id, kind and its properties (personal data masked unless allowed)."""

    model_config = ConfigDict(extra="allow")
    id: str
    kind: str


class EdgePublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    source: str
    target: str


def _iso_day(value: Any) -> Any:
    """An as-of day as the library takes it, ``YYYY-MM-DD``: not a number of seconds, nor a date and time."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    raise ValueError(f"an as-of day is an ISO date YYYY-MM-DD, got {str(value)[:40]!r}")


#: the day a question is asked for
IsoDay = Annotated[_dt.date, BeforeValidator(_iso_day)]

Text = Annotated[str, StringConstraints(max_length=40)]
Day = Annotated[str, StringConstraints(max_length=40), Field(
    description="a day: YYYY-MM-DD, or as a load reads it (2020/7/1, 2020.7.1, 2020年7月1日, 20200701); stored as YYYY-MM-DD")]




class _Properties(BaseModel):
    """A record with properties of its own beyond the declared fields, each held to the limits."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _limits(self) -> "_Properties":
        for name, value in (self.model_extra or {}).items():
            if len(name) > MAX_NAME:
                raise ValueError(f"a property name is longer than {MAX_NAME} characters: {name[:20]!r}...")
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, (dict, list)):
                    raise ValueError(f"property {name!r}: a value is a number, text, true/false or a list of those")
                if isinstance(item, str) and len(item) > MAX_TEXT:
                    raise ValueError(f"property {name!r}: text longer than {MAX_TEXT} characters")
            if isinstance(value, list) and len(value) > MAX_ITEMS:
                raise ValueError(f"property {name!r}: more than {MAX_ITEMS} items")
        return self


class EdgeCreate(_Properties):
    """An edge to add, or to change if one with this type, source, target and since exists (its until and
    properties are replaced). Checked as a load checks it."""

    type: Text
    source: Id
    target: Id
    since: Day | None = None
    until: Day | None = None


class NodeCreate(_Properties):
    """A node to add: its id and properties, and the edges that place it within the token's areas (a
    household's LOCATED_IN, a member's CONTACTS or ASSIGNED_TO, ...). Checked as a load checks it."""

    id: Id
    edges: list[EdgeCreate] = Field(default_factory=list, max_length=100)


class NodeUpdate(_Properties):
    """A node's properties, all of them: what is left out is removed (the id and kind stay)."""


class Removed(BaseModel):
    """What a removal took away: the nodes, and the edges (those of removed nodes included)."""

    nodes: int
    edges: int


Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """One page of a list: ``next`` is the ``after`` value of the following page, null at the end."""

    items: list[Item]
    next: str | None


class IncidentCreate(BaseModel):
    """An incident's call sheet asked for: affected areas and households (within the token's scope), at
    least one of either."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"required": ["areas"], "properties": {"areas": {"minItems": 1}}},
        {"required": ["households"], "properties": {"households": {"minItems": 1}}}]})
    areas: list[Id] = Field(default_factory=list, max_length=200)
    households: list[Id] = Field(default_factory=list, max_length=5000)
    as_of: IsoDay | None = None
    unavailable: list[Id] = Field(default_factory=list, max_length=10000)
    max_households: int = Field(default=DEFAULT_MAX_HOUSEHOLDS, ge=0, le=1000)

    @model_validator(mode="after")
    def _affected(self) -> "IncidentCreate":
        if not self.areas and not self.households:
            raise ValueError("name at least one affected area (areas) or household (households)")
        return self


class TokenPublic(BaseModel):
    id: str
    role: str
    areas: list[str]
    pii: bool
    created: str
    revoked: str | None
    expires: str | None
    active: bool


class AuditRow(BaseModel):
    seq: int
    at: str
    token: str
    route: str
    records: list[str]


class _Read(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: records read
    records: int
    #: nodes read, by kind
    nodes: dict[str, int]
    #: edges read, by type
    edges: dict[str, int]


class RegisterRead(BaseModel):
    """What a register (台账) sheet of an upload implies (:class:`orggraph.io.register.Summary`): areas by
    level and how many are new, households, members and contacts, the columns and rows read past, and
    notes for the clerk."""

    sheet: str
    header_rows: list[int]
    date: str | None
    rows: int
    areas: dict[str, int]
    new_areas: dict[str, int]
    households: int
    new_households: int
    members: int
    new_members: int
    contacts: int
    new_contacts: int
    ended_contacts: int
    ignored_columns: list[str]
    skipped_rows: list[str]
    notes: list[str]


class ImportReport(_Read):
    """What an import read, by kind and type, and what it added, changed and left unchanged; for each
    register sheet, what it implied."""

    added_nodes: int
    added_edges: int
    changed: int
    unchanged: int
    registers: list[RegisterRead] = []


class DryRunReport(_Read):
    """What a dry run read, by kind and type, and what each register sheet would add: every check made,
    nothing written."""

    dry_run: Literal[True]
    registers: list[RegisterRead] = []


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    details: list[Any]


class ErrorPublic(BaseModel):
    """The one shape of every error the API returns."""

    error: ErrorDetail


#: the errors any route may answer with, declared in the OpenAPI schema
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorPublic, "description": text}
    for status, text in ((400, "Bad request"), (401, "No valid token"), (403, "The token's role may not do this"),
                         (404, "Not found, or not within the token's scope"),
                         (409, "The id is taken"), (413, "The request body is too large"),
                         (415, "Not a JSON document, JSON Lines or a workbook"),
                         (422, "The request is not valid"),
                         (503, "The store cannot be reached now, is busy, or did not answer in time; try again (see Retry-After)"))
}


class HealthPublic(BaseModel):
    """The API is up and its store answers."""

    status: Literal["ok"]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: the first day of the new arrangement; the old relations end the day before
    on: IsoDay
    #: why, kept in the history
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class MoveBody(_Change):
    """Move an area, with all it holds, to lie within another (``to``) from ``on``."""

    area: Id
    to: Id


class SplitBody(_Change):
    """A new area (``new``, ``name``) of ``area``'s level takes the areas ``take`` from ``on``; with
    ``org`` and ``org_name``, governed by a new organization."""

    area: Id
    new: Id
    name: str = Field(min_length=1, max_length=MAX_TEXT)
    take: list[Id] = Field(min_length=1, max_length=1000)
    org: Id | None = None
    org_name: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)


class MergeBody(_Change):
    """The ``areas`` end on ``on``; what they hold lies within ``into`` from ``on``."""

    areas: list[Id] = Field(min_length=1, max_length=100)
    into: Id


class RelocateBody(_Change):
    """A household lives in the area ``to`` from ``on``."""

    household: Id
    to: Id


class HandoverBody(_Change):
    """A member's households (all, or ``households``) are contacted by the member ``to`` from ``on``."""

    member: Id
    to: Id
    households: list[Id] | None = Field(default=None, min_length=1, max_length=5000)


class ChangeReport(BaseModel):
    """What a change ended and added (or with ``dry_run`` would), and the households whose chain changes."""

    kind: str
    on: str
    dry_run: bool
    ended: list[EdgePublic]
    added: list[dict[str, Any]]
    households: list[str]
    history: int | None


class IncidentOpen(IncidentCreate):
    """An incident to open and keep: what :class:`IncidentCreate` asks for, and its name."""

    name: str = Field(min_length=1, max_length=200)


class MarkBody(BaseModel):
    """A door's outcome: ``status`` one of reached, no_answer, needs_help, moved_out, refused; ``by`` the
    member who knocked; ``note`` what was found (personal data: masked to tokens without pii)."""

    model_config = ConfigDict(extra="forbid")
    household: Id
    status: Literal["reached", "no_answer", "needs_help", "moved_out", "refused"]
    by: Id
    note: str | None = Field(default=None, max_length=500)


class CoverBody(BaseModel):
    """Permanent contacts for the uncovered households of an area (all the token's if none), from ``on``."""

    model_config = ConfigDict(extra="forbid")
    area: Id | None = None
    on: IsoDay
    unavailable: list[Id] = Field(default_factory=list, max_length=10000)
    max_households: int = Field(default=DEFAULT_MAX_HOUSEHOLDS, ge=0, le=1000)
    note: str | None = Field(default=None, max_length=MAX_TEXT)
