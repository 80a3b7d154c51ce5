"""Flat registers (台账) as offices keep them: one row a household, read into the network's records."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..days import day_before, today, valid_on
from ..exceptions import OrgGraphError
from ..model import AREA_LEVELS, AREA_RANK, HOUSEHOLD_FLAGS, fold
from ..privacy import describe

if TYPE_CHECKING:
    from ..store.base import Store

__all__ = [
    "FIELDS", "HEADERS", "GROUPS", "FLAG_NAMES", "AREA_FIELDS", "Mapping", "BadMapping", "read_mapping",
    "Layout", "Column", "TOTAL", "find_layout", "Summary", "build_records", "derived_id", "normal_address", "normal_area_name",
]

# --- the fields a register's columns feed ------------------------------------------------------------------

#: the area levels a register names, from the highest: each column feeds one
AREA_FIELDS = ("street", "township", "community", "village", "grid", "compound", "village_group", "micro_grid",
               "building", "entrance")

#: every field a register's column may feed, with what it is
FIELDS: dict[str, str] = {
    **{level: f"the {AREA_LEVELS[level]} ({level}) the household lies in, by name" for level in AREA_FIELDS},
    "household_id": "the household's own id, where the register gives one (编号)",
    "head": "the head of the household (户主), kept with the household",
    "address": "the household's address (家庭地址): with its area, what tells it from another",
    "room": "the room or door number (房号), where the address is given in parts",
    "people": "the people of the household (人数), a whole number",
    "phone": "a phone of the household; several columns, or several numbers in one, are kept in order",
    "flags": "vulnerable groups (重点人群): 独居老人, 残疾, 低保, 留守儿童, ...",
    "note": "a remark (备注), kept with the household",
    "contact": "the contact (包保人) by name; several names in one cell are several contacts",
    "contact_phone": "the contact's phone, which tells two contacts of one name apart",
    "since": "the day the contact took the household on (the register's own date if not given)",
    "until": "the day the contact's relation ended",
    "ignore": "a column read past (its values are not loaded)",
}

_REPEATABLE = {"phone", "contact", "contact_phone"}
_IDENTITY = {"household_id", "address", "head", "room"}


def _header_key(text: str) -> str:
    """A header as compared: full-width folded, no spaces, no marks of a required column."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s*※★:：]", "", text)


_NAMES: dict[str, tuple[str, ...]] = {
    "street": ("街道", "街道名称", "街道办", "街道办事处", "所属街道", "街道(乡镇)", "街镇", "镇街", "乡镇(街道)"),
    "township": ("乡镇", "乡镇名称", "镇", "乡", "所属乡镇"),
    "community": ("社区", "社区名称", "所属社区", "社区(村)", "居委会", "社区居委会", "村(社区)", "村居", "村社区"),
    "village": ("村", "村名", "行政村", "所属村", "村委会"),
    "grid": ("网格", "网格名称", "所属网格", "网格名", "网格编号"),
    "compound": ("小区", "小区名称", "所属小区", "院落", "小区(院落)"),
    "village_group": ("村民小组", "组", "小组"),
    "micro_grid": ("微网格", "微网格名称"),
    "building": ("楼栋", "楼栋号", "楼号", "栋", "幢", "栋号", "楼栋名称", "楼"),
    "entrance": ("单元", "单元号"),
    "household_id": ("编号", "户编号", "住户编号", "户号"),
    "head": ("户主", "户主姓名", "姓名", "居民姓名", "户主名称"),
    "address": ("家庭地址", "家庭住址", "住址", "详细地址", "地址", "现住址", "居住地址", "现居住地址"),
    "room": ("房号", "门牌号", "室", "房间号", "户室号", "门牌"),
    "people": ("人数", "家庭人口", "户籍人口", "家庭人数", "常住人口", "人口数", "家庭成员数", "户人数"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "电话", "座机", "固定电话", "户主电话", "户主手机",
              "联系方式", "电话号码", "户主联系电话"),
    "flags": ("重点人群", "人员类别", "特殊人群", "重点人员类别", "特殊群体", "人群类别", "重点人群类别"),
    "note": ("备注", "说明"),
    "contact": ("分包人", "包保人", "包保党员", "联系人", "联户党员", "包保责任人", "包户人", "联系党员",
                "分包干部", "包保干部", "包联人", "联户人", "包保联系人"),
    "contact_phone": ("分包人电话", "包保人电话", "包保人手机", "联系人电话", "包保党员电话", "联户党员电话",
                      "包保责任人电话", "分包人手机", "包保人联系电话", "分包人联系电话", "联系人手机"),
    "since": ("包保时间", "包保日期", "开始日期", "联系日期", "包保开始时间", "包保开始日期", "登记日期", "日期"),
    "until": ("结束日期", "包保结束日期", "包保结束时间"),
    "ignore": ("序号", "联系户数", "包保户数", "户数", "性别", "年龄", "出生日期", "身份证号", "身份证号码",
               "民族", "政治面貌", "工作单位", "与户主关系"),
}

#: the built-in names of a register's headers, each as compared (:func:`_header_key`), and the field it feeds
HEADERS: dict[str, str] = {_header_key(name): f for f, names in _NAMES.items() for name in names}

_CONTACT_GROUP = {"姓名": "contact", "名字": "contact", "手机": "contact_phone", "电话": "contact_phone",
                  "手机号": "contact_phone", "手机号码": "contact_phone", "联系电话": "contact_phone"}
_HEAD_GROUP = {"姓名": "head", "手机": "phone", "电话": "phone", "手机号": "phone", "手机号码": "phone",
               "联系电话": "phone", "人数": "people"}
_ADDRESS_GROUP = {"楼栋": "building", "楼号": "building", "栋": "building", "单元": "entrance", "房号": "room",
                  "门牌号": "room", "室": "room", "户": "room"}

#: group headings merged over two-row headers (分包社区工作者: 姓名 / 手机), and what each heading below feeds
GROUPS: dict[str, dict[str, str]] = {
    **{_header_key(g): _CONTACT_GROUP for g in (
        "分包社区工作者", "分包人", "包保人", "包保责任人", "联系人", "联户党员", "包保党员", "包保干部", "分包干部",
        "包户人", "包保联系人", "分包人员", "包保人员", "联系党员")},
    **{_header_key(g): _HEAD_GROUP for g in ("户主", "户主信息", "户主情况")},
    **{_header_key(g): _ADDRESS_GROUP for g in ("住址", "地址", "家庭住址", "家庭地址", "房屋信息", "房屋地址")},
}

_FLAG_NAMES = {
    "elderly_alone": ("独居老人", "独居", "空巢独居", "独居老年人"),
    "elderly": ("高龄老人", "高龄", "80岁以上老人", "高龄老年人"),
    "disabled": ("残疾人", "残疾", "残障", "残障人士", "残疾人员"),
    "low_income": ("低保户", "低保", "低保家庭", "低保对象"),
    "left_behind_child": ("留守儿童", "留守"),
    "chronic_illness": ("慢性病患者", "慢性病", "慢病", "慢病患者"),
    "pregnant": ("孕产妇", "孕妇"),
    "bedridden": ("失能卧床", "失能", "卧床", "失能半失能", "半失能"),
}
#: the built-in names of vulnerable groups in a 重点人群 column, and the flag each stands for
FLAG_NAMES: dict[str, str] = {**{code: code for code in HOUSEHOLD_FLAGS},
                              **{name: code for code, names in _FLAG_NAMES.items() for name in names}}
_NO_FLAG = {"无", "否", "-", "/", "—", "－", "暂无", "没有"}
_NO_PHONE = _NO_FLAG | {"不详", "无电话", "未知", "空号", "--"}
_SEPARATORS = re.compile(r"[、，,；;/]+")
_DATE_LABEL = re.compile(r"(?:(?:填报|统计|登记|截止|截至|报送)?(?:时间|日期)\s*[:：]|截至|截止)\s*(\S+)")
_FOOTNOTE = re.compile(r"^(?:合计|总计|小计|填表|填报|制表|审核|负责人|联系人|注|备注|说明)")


def _lookup(key: str, group: str | None = None) -> str | None:
    """The field a header feeds (``key`` as compared), under a group heading when given; None if unknown."""
    if group is not None:
        sub = GROUPS.get(group, {})
        if key in sub:
            return sub[key]
    found = HEADERS.get(key)
    if found is None and re.search(r"[(（][^()（）]*[)）]$", key):  # 人数(人), 手机号码（必填）
        found = HEADERS.get(re.sub(r"[(（][^()（）]*[)）]$", "", key))
    if found is None and re.search(r"\d+$", key):  # 电话1, 电话2, 分包人2
        bare = HEADERS.get(re.sub(r"\d+$", "", key))
        if bare in _REPEATABLE:
            found = bare
    return found


# --- the mapping file ----------------------------------------------------------------------------------------

class BadMapping(OrgGraphError, ValueError):
    """A mapping file that cannot be used: each problem named, by key."""


@dataclass
class Mapping:
    """How to read one register: its sheet, header rows, the field of each column, and the register's date.

    Written as TOML (see the README's section on registers)::

        sheet = "Sheet1"
        header_rows = [4]
        date = "2024-03-01"
        [columns]
        "街道" = "street"
        "家庭地址" = "address"
        "H" = "contact"
        "联系户数" = "ignore"
        [flags]
        "空巢老人" = "elderly_alone"

    A key of ``columns`` is a header as written (``"分包社区工作者/姓名"`` under a group heading) or a
    column's letter. Columns a mapping does not name are read past, and said so.
    """

    sheet: str | None = None
    header_rows: tuple[int, ...] | None = None
    date: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    area_code: str | None = None
    within: str | None = None


def read_mapping(text: str, name: str = "the mapping") -> Mapping:
    """A :class:`Mapping` from its TOML text, every problem named at once.

    Raises
    ------
    BadMapping
        TOML that does not parse, an unknown key or field, a header row that is not a row number, a date
        that is not a day.

    Examples
    --------
    >>> m = read_mapping('sheet = "台账"\\nheader_rows = [4, 5]\\n[columns]\\n"户主姓名" = "head"\\nH = "contact"')
    >>> m.sheet, m.header_rows, m.columns
    ('台账', (4, 5), {'户主姓名': 'head', 'H': 'contact'})
    >>> read_mapping('[columns]\\n"户主" = "owner"')
    Traceback (most recent call last):
    ...
    orggraph.io.register.BadMapping: the mapping: columns."户主": unknown field 'owner'; one of street, township, ...
    """
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        hint = ""
        if re.search(r"^\s*[^\s\x00-\x7f\"'][^=\n]*=", text, re.M):
            hint = "; a header is a key in quotes: \"户主姓名\" = \"head\""
        raise BadMapping(f"{name}: not TOML: {exc}{hint}") from None
    problems = []
    known = {"sheet", "header_rows", "date", "columns", "flags", "area_code", "within"}
    for key in data:
        if key not in known:
            problems.append(f"unknown key {key!r}; one of {', '.join(sorted(known))}")
    mapping = Mapping()
    sheet = data.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        problems.append("sheet: must be the sheet's name, as text")
    mapping.sheet = sheet if isinstance(sheet, str) else None
    rows = data.get("header_rows")
    if rows is not None:
        if isinstance(rows, int) and not isinstance(rows, bool):
            rows = [rows]
        if (not isinstance(rows, list) or not 1 <= len(rows) <= 2
                or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in rows)
                or (len(rows) == 2 and rows[1] != rows[0] + 1)):
            problems.append("header_rows: one row number, or two in a row, as [4] or [4, 5]")
        else:
            mapping.header_rows = tuple(rows)
    if "date" in data:
        try:
            mapping.date = _day(data["date"])
        except ValueError as exc:
            problems.append(f"date: {exc}")
    code = data.get("area_code")
    if code is not None:
        if not (isinstance(code, str) and re.fullmatch(r"0\d{2,3}", code)):
            problems.append("area_code: the local area code, as \"0716\"")
        else:
            mapping.area_code = code
    within = data.get("within")
    if within is not None:
        if not isinstance(within, str) or not within.strip():
            problems.append("within: the id of the area the register's rows lie within, as \"c1\"")
        else:
            mapping.within = within.strip()
    allowed = ", ".join(FIELDS)
    columns = data.get("columns", {})
    if not isinstance(columns, dict):
        problems.append("columns: a table of header = field")
        columns = {}
    for header, target in columns.items():
        if target == "?":
            problems.append(f"columns.\"{header}\": not named yet; name its field ({allowed})")
        elif target not in FIELDS:
            problems.append(f"columns.\"{header}\": unknown field {target!r}; one of {allowed}")
        else:
            mapping.columns[header] = target
    flags = data.get("flags", {})
    if not isinstance(flags, dict):
        problems.append("flags: a table of name = flag")
        flags = {}
    for label, code in flags.items():
        if code not in HOUSEHOLD_FLAGS and code != "":
            problems.append(f"flags.\"{label}\": unknown flag {code!r}; one of {', '.join(HOUSEHOLD_FLAGS)}, "
                            "or \"\" to read past it")
        else:
            mapping.flags[label] = code
    if problems:
        raise BadMapping(f"{name}: " + "; ".join(problems))
    return mapping


def _toml_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


# --- finding the headers -------------------------------------------------------------------------------------

@dataclass
class Column:
    """One column of a register: its letter, header as written, and the field it feeds (None: unknown)."""

    letter: str
    number: int
    header: str
    field: str | None

    @functools.cached_property
    def place(self) -> str:
        return f"column {self.letter} {self.header}" + (f" ({self.field})" if self.field else "")


@dataclass
class Layout:
    """Where a register's records lie in a sheet: the header rows, each column's field, the register's date.

    ``problems`` lists what keeps it from being read (unknown headers, a header twice, ...), all at once.
    """

    sheet: str
    header_rows: tuple[int, ...]
    columns: list[Column]
    date: str | None = None
    date_row: int | None = None
    problems: list[str] = field(default_factory=list)
    mapped: bool = False
    flags: dict[str, str] = field(default_factory=dict)
    area_code: str | None = None
    within: str | None = None

    @property
    def fields(self) -> dict[int, str]:
        return {c.number: c.field for c in self.columns if c.field and c.field != "ignore"}

    @property
    def ignored(self) -> list[Column]:
        return [c for c in self.columns if c.field in (None, "ignore")]

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "header_rows": list(self.header_rows), "date": self.date,
                "date_row": self.date_row, "mapped": self.mapped,
                "columns": [{"column": c.letter, "header": c.header, "field": c.field} for c in self.columns],
                "problems": self.problems}

    def to_toml(self) -> str:
        """The layout as a mapping file a clerk can edit and pass back with ``--map``."""
        lines = [
            "# How orggraph reads this register; edit it and load with: orggraph load FILE.xlsx --map THIS.toml",
            "# Fields: " + ", ".join(FIELDS),
            f"sheet = {_toml_string(self.sheet)}",
            f"header_rows = [{', '.join(map(str, self.header_rows))}]",
        ]
        lines.append(f"# date = {_toml_string(self.date or '2024-03-01')}  # the register's date, when no 时间：row "
                     "above the headers gives it: contacts start on it")
        lines.append(f"area_code = {_toml_string(self.area_code)}" if self.area_code else
                     "# area_code = \"0716\"  # prefixed to landlines written without one")
        lines.append(f"within = {_toml_string(self.within)}" if self.within else
                     "# within = \"c1\"  # the id of the area every row lies within (a community's own register)")
        lines += ["", "[columns]"]
        for c in self.columns:
            lines.append(f"{_toml_string(c.header)} = {_toml_string(c.field or '?')}"
                         + ("  # not recognised: name its field, or ignore" if c.field is None else ""))
        lines += ["", "# other names of vulnerable groups, each = one of " + ", ".join(HOUSEHOLD_FLAGS)
                  + ", or \"\" to read past it", "[flags]"]
        lines += [f"{_toml_string(k)} = {_toml_string(v)}" for k, v in self.flags.items()]
        return "\n".join(lines) + "\n"


def _letter(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(number)


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _score(cells: dict[int, Any]) -> tuple[int, bool]:
    """How many of a row's cells are known headers or group headings, and whether one names a household."""
    known, identity = 0, False
    for value in cells.values():
        text = _cell_text(value)
        if text is None:
            continue
        key = _header_key(text)
        found = _lookup(key)
        if found is not None or key in GROUPS:
            known += 1
            identity = identity or found in _IDENTITY or (key in GROUPS and GROUPS[key] is not _CONTACT_GROUP)
    return known, identity


def find_layout(sheet: str, rows: list[tuple[int, dict[int, Any]]], mapping: Mapping | None = None,
                *, scan: int = 30) -> Layout | None:
    """The layout of a register sheet from its first rows (row number, {column number: value}), or None
    when nothing in them reads as a register's headers and no ``mapping`` is given.

    The header row is the one of the first ``scan`` with the most known headers (at least two, one of
    them naming the household: address, head, id or room); the row under it is a second header row when
    it holds the headings under a merged group heading (分包社区工作者: 姓名 / 手机). Above the headers, a
    "时间：2024年03月01日" row gives the register's date.

    Examples
    --------
    >>> rows = [(1, {1: "附件1"}), (2, {1: "居民联系方式登记表"}), (3, {3: "时间：2024年03月01日"}),
    ...         (4, {1: "社区", 2: "户主姓名", 3: "家庭地址", 4: "分包人"}), (5, {1: "桂花", 2: "张甲"})]
    >>> layout = find_layout("Sheet1", rows)
    >>> layout.header_rows, layout.date, [c.field for c in layout.columns]
    ((4,), '2024-03-01', ['community', 'head', 'address', 'contact'])
    """
    named = mapping if mapping is not None and mapping.columns else None  # a mapping naming the columns
    head = [(n, cells) for n, cells in rows if n <= (max(mapping.header_rows) if mapping and mapping.header_rows
                                                     else 10**9)][:scan]
    if mapping and mapping.header_rows:
        header_rows = mapping.header_rows
    else:
        best = None
        by_row = dict(head)
        for n, cells in head:
            if named is not None:  # the row (or two) holding most of the headers the mapping names
                texts = {t for v in cells.values() if (t := _cell_text(v))}
                known = len(texts & set(named.columns))
                below = by_row.get(n + 1, {})
                pairs = {f"{_cell_text(cells.get(c))}/{_cell_text(below.get(c))}" for c in below}
                known += len(pairs & set(named.columns))
                identity = known >= 1
            else:
                known, identity = _score(cells)
            if known >= (1 if named is not None else 2) and identity and (best is None or known > best[1]):
                best = (n, known)
        if best is None:
            if mapping is None:
                return None
            return Layout(sheet, (), [], problems=["no row of headers found in the first rows: give header_rows "
                                                   "in the mapping"], mapped=True)
        header_rows = (best[0],)
        top, below = by_row[best[0]], by_row.get(best[0] + 1)
        if below and named is not None:
            pairs = {f"{_cell_text(top.get(c))}/{_cell_text(below.get(c))}" for c in below}
            if pairs & set(named.columns):
                header_rows = (best[0], best[0] + 1)
        elif below and _second_row(top, below):
            header_rows = (best[0], best[0] + 1)
    by_number = dict(rows)
    top = by_number.get(header_rows[0], {})
    sub = by_number.get(header_rows[1], {}) if len(header_rows) > 1 else {}
    layout = Layout(sheet, header_rows, [], mapped=mapping is not None)
    if mapping is not None:
        layout.flags, layout.area_code, layout.within = dict(mapping.flags), mapping.area_code, mapping.within
    seen: dict[str, Column] = {}
    for number in sorted(set(top) | set(sub)):
        upper, lower = _cell_text(top.get(number)), _cell_text(sub.get(number))
        if upper is not None and lower is not None and _header_key(upper) != _header_key(lower):
            header, group, key = f"{upper}/{lower}", _header_key(upper), _header_key(lower)
        else:
            header = upper or lower
            group, key = None, _header_key(header) if header else ""
        if header is None:
            continue
        letter = _letter(number)
        if named is not None:
            target = named.columns.get(header, named.columns.get(letter))
            if header in named.columns and letter in named.columns and header != letter:
                layout.problems.append(f"the mapping names column {letter} twice: by its header {header!r} "
                                       f"({named.columns[header]}) and by its letter ({named.columns[letter]}); keep one")
        else:
            target = _lookup(key, group)
        column = Column(letter, number, header, target)
        layout.columns.append(column)
        if target is not None and target not in _REPEATABLE and target != "ignore":
            if target in seen:
                layout.problems.append(f"column {letter}: the header {header!r} feeds {target}, as column "
                                       f"{seen[target].letter} {seen[target].header!r} does; keep one, or map "
                                       "one of them to ignore")
            seen[target] = column
    if named is not None:
        letters = {c.letter for c in layout.columns}
        headers = {c.header for c in layout.columns}
        for key in named.columns:
            if key not in headers and key not in letters:
                layout.problems.append(f"the mapping names the column {key!r}, which row "
                                       f"{'-'.join(map(str, header_rows))} of sheet {sheet} does not hold")
    else:
        unknown = [c for c in layout.columns if c.field is None]
        if unknown:
            layout.problems.append(
                "unknown header" + ("s " if len(unknown) > 1 else " ")
                + ", ".join(f"{c.letter} {c.header!r}" for c in unknown)
                + "; name each column's field in a mapping (orggraph ledger inspect FILE --write-map MAP.toml, "
                  "then orggraph load FILE --map MAP.toml; over the API, POST /import?mapping=), or copy the rows "
                  "into the template (orggraph template)")
    fed = {c.field for c in layout.columns}
    if fed & _IDENTITY == {"head"} and "contact" not in fed and named is None:
        layout.problems.append("names people (姓名) with no address, room, id nor contact: a roster of members "
                               "(党员花名册) rather than a register of households? orggraph reads households; leave "
                               "the sheet out, or read it with a mapping")
    if not any(c.field in _IDENTITY for c in layout.columns):
        layout.problems.append("no column names the household (an address, the head of household, a room or an "
                               "id): " + ("map one" if named is not None else "name one in a mapping"))
    # the register's date: its own 时间 row above the headers, else the mapping's
    for n, cells in head:
        if n >= header_rows[0]:
            break
        for value in cells.values():
            text = _cell_text(value)
            found = _DATE_LABEL.search(text) if text else None
            if found:
                try:
                    layout.date, layout.date_row = _day(found.group(1).strip()), n
                except ValueError as exc:
                    layout.problems.append(f"the register's date in row {n}, {found.group(1).strip()!r}: {exc}; "
                                           "write the day, or give date in a mapping")
    if layout.date is None and mapping is not None and mapping.date:
        layout.date = mapping.date
    return layout


def _second_row(top: dict[int, Any], below: dict[int, Any]) -> bool:
    """Whether ``below`` is a second header row under ``top``: each of its values a heading under a group
    heading above it, or the same heading as above (a header merged down over both rows)."""
    under_group = False
    for number, value in below.items():
        text = _cell_text(value)
        if text is None:
            continue
        upper = _cell_text(top.get(number))
        key = _header_key(text)
        if upper is not None and _header_key(upper) == key:
            continue
        group = _header_key(upper) if upper else None
        if group in GROUPS and key in GROUPS[group]:
            under_group = True
            continue
        if upper is None or _lookup(key) is None:
            return False
        under_group = under_group or group in GROUPS
    return under_group


# --- everyday values -----------------------------------------------------------------------------------------

def _day(value: Any, *, serial: bool = False, epoch: Any = None) -> str:
    from datetime import datetime

    from ..values import day

    if isinstance(epoch, datetime):  # openpyxl gives a workbook's date system as a datetime
        epoch = epoch.date()
    return day(value, serial=serial, **({"epoch": epoch} if epoch is not None else {}))


def _phones(text: str, area_code: str | None) -> list[str]:
    from ..values import phones

    if area_code:
        parts = [p for p in re.split(r"[,，、;；/\n]+", unicodedata.normalize("NFKC", text)) if p.strip()]
        text = ",".join(f"{area_code}-{p.strip()}" if re.fullmatch(r"\s*[2-9]\d{6,7}\s*", p) else p for p in parts)
    return phones(text)


def _plain_name(text: str) -> str:
    """A person's name as kept: full-width folded, spaces between Chinese characters taken out (李  乙)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if re.fullmatch(r"[\u3400-\u9fff·\s]+", text):
        text = re.sub(r"\s+", "", text)
    return re.sub(r"\s+", " ", text)


_AREA_SUFFIXES = {
    0: ("街道办事处", "街道办", "街道", "办事处", "镇人民政府", "镇", "乡", "街"),
    1: ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "社区", "村民委员会", "村委会", "村"),
    2: ("网格", "小区", "村民小组", "小组", "组"),
    3: ("微网格", "网格"),
    4: ("号楼", "楼栋", "号栋", "栋", "幢", "座", "号", "楼"),
    5: ("单元",),
}


def normal_area_name(name: str, level: str, above: Iterable[tuple[str, str]] = ()) -> str:
    """An area's name as compared within its parent: folded, no spaces, the names of the areas above it
    (``above``: (name, level) pairs) taken off its start, no word for its level.

    Examples
    --------
    >>> normal_area_name("桂花社区", "community") == normal_area_name("桂花", "community")
    True
    >>> normal_area_name("1号楼", "building"), normal_area_name("第１网格", "grid")
    ('1', '1')
    >>> normal_area_name("桂花社区第1网格", "grid", [("桂花", "community")])
    '1'
    """
    return _normal_area_name(name, level, tuple(above))


@functools.lru_cache(maxsize=65536)
def _normal_area_name(name: str, level: str, above: tuple[tuple[str, str], ...]) -> str:
    text = _strip_prefixes(_squash(name), _prefixes(above))
    rank = AREA_RANK[level]
    for suffix in _AREA_SUFFIXES.get(rank, ()):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if rank >= 2 and text.startswith("第") and len(text) > 1:
        text = text[1:]
    return text


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))  # folded as ids are, then no space anywhere


@functools.lru_cache(maxsize=4096)
def _prefixes(above: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The ways the names of these areas (from the highest) may begin a name or an address below them: as
    written, and each with the names above it taken off, bare and with its level's word (江滨街道桂花社区
    under 江滨街道: 桂花, 桂花社区). Longest first, then in order: the same every run."""
    found = set()
    for i, (upper, level) in enumerate(above):
        found.add(_squash(upper))
        core = _normal_area_name(upper, level, above[:i])
        found.add(core)
        found.add(_squash(_area_display(core, level)))
    return tuple(sorted((p for p in found if len(p) >= 2 and not p.isdigit()), key=lambda p: (-len(p), p)))


def _strip_prefixes(text: str, prefixes: tuple[str, ...]) -> str:
    """``text`` with every one of ``prefixes`` it begins with taken off, one after another (江滨街道桂花社区
    第1网格: 第1网格), as long as something is left."""
    again = True
    while again:
        again = False
        for prefix in prefixes:
            if text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix):]
                again = True
                break
    return text


_LEVEL_WORD = {"street": "街道", "community": "社区", "grid": "网格", "micro_grid": "微网格", "building": "号楼",
               "entrance": "单元"}


@functools.lru_cache(maxsize=65536)
def _area_display(name: str, level: str) -> str:
    """A new area's name: as written, with its level's word when the register gives a bare name or number
    (桂花 → 桂花社区, 1 → 1号楼)."""
    word = _LEVEL_WORD.get(level)
    if word is None or any(name.endswith(s) for s in _AREA_SUFFIXES[AREA_RANK[level]]) or name.endswith(word):
        return name
    if level in {"grid", "micro_grid"} and re.fullmatch(r"\d+", name):
        return f"第{name}{word}"
    if level in {"building", "entrance"} and not re.fullmatch(r"[0-9A-Za-z\-]+", name):
        return name
    return name + word


def normal_address(address: str, areas: Iterable[tuple[str, str]] = ()) -> str:
    """An address as compared: folded, no spaces, everything up to the last name of one of its ``areas``
    ((name, level) pairs, from the highest) taken off (云河市江滨街道桂花社区1号楼1单元101室 in 1号楼: 1单元101),
    one spelling of building and room.

    Examples
    --------
    >>> normal_address("桂花社区 1号楼1单元101室", [("桂花社区", "community")]) == \\
    ...     normal_address("1栋1单元101", [("桂花", "community")])
    True
    >>> normal_address("云河市江滨街道桂花社区1号楼1单元101室", [("江滨", "street"), ("1", "building")])
    '1单元101'
    """
    text = _squash(address)
    text = re.sub(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]", "-", text)
    cut = 0
    for name in _prefixes(tuple(areas)):
        at = text.rfind(name)
        if at >= 0 and at + len(name) < len(text):
            cut = max(cut, at + len(name))
    text = text[cut:]
    text = re.sub(r"(\d+)(?:号楼|号栋|栋|幢|号院)", r"\1栋", text)
    text = re.sub(r"(\d+)室$", r"\1", text)
    return text


def derived_id(prefix: str, *parts: str) -> str:
    """A stable id for a record a register names without one: ``prefix`` and 16 letters of a 64-bit hash of
    the parts (never the parts themselves: an id is shown to every token; and no digits, which could make
    a number shaped like a phone or an id card, which no id may hold).

    Examples
    --------
    >>> derived_id("h", "a-1", "1栋1单元101")
    'h-trqcvkcrmxzvqbpb'
    """
    number = int.from_bytes(hashlib.sha1("\x1f".join(parts).encode()).digest()[:8], "big")
    letters = []
    for _ in range(16):  # 64 bits in letters: no run of digits an id may not hold (a phone, an id card)
        number, rest = divmod(number, len(_ID_LETTERS))
        letters.append(_ID_LETTERS[rest])
    return f"{prefix}-{''.join(letters)}"


#: the letters of a derived id: consonants, so that no word is spelt
_ID_LETTERS = "bcdfghjkmnpqrstvwxz"


_ID_PREFIX = {"street": "s", "township": "s", "community": "c", "village": "c", "grid": "g", "compound": "g",
              "village_group": "g", "micro_grid": "mg", "building": "b", "entrance": "e"}


# --- building the records ------------------------------------------------------------------------------------

@dataclass
class Summary:
    """What a register implies, before it is loaded: areas by level, households, members and contacts, each
    with how many the store does not hold yet; the rows read past and why; notes for the clerk."""

    sheet: str
    header_rows: tuple[int, ...]
    date: str | None
    rows: int = 0
    areas: dict[str, int] = field(default_factory=dict)
    new_areas: dict[str, int] = field(default_factory=dict)
    households: int = 0
    new_households: int = 0
    members: int = 0
    new_members: int = 0
    contacts: int = 0
    new_contacts: int = 0
    ended_contacts: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    skipped_rows: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    def __str__(self) -> str:
        levels = ", ".join(f"{n} {AREA_LEVELS.get(level, level)}" + (f" ({self.new_areas[level]} new)"
                                                                       if self.new_areas.get(level) else "")
                           for level, n in self.areas.items()) or "none"
        lines = [
            f"sheet {self.sheet}: a register, headers in row {'-'.join(map(str, self.header_rows))}"
            + (f", dated {self.date}" if self.date else ", undated"),
            f"  {self.rows} rows; areas: {levels}",
            f"  households: {self.households} ({self.new_households} new); members: {self.members} "
            f"({self.new_members} new); contacts: {self.contacts} ({self.new_contacts} new, "
            f"{self.ended_contacts} ended the day before)",
        ]
        if self.ignored_columns:
            lines.append(f"  columns read past: {', '.join(self.ignored_columns)}")
        lines += [f"  {line}" for line in self.skipped_rows + self.notes]
        return "\n".join(lines)


@dataclass
class _Row:
    number: int
    values: dict[str, Any]  # field -> value (a list for repeatable fields)
    places: dict[str, str]  # field -> "column D 家庭地址 (address)"


class _Territory:
    """The store's areas by parent, level rank and name as compared, to find the areas a register names."""

    def __init__(self, store: Store | None, visible: Callable[[str, str], bool] = lambda kind, node: True):
        self.by_parent: dict[str | None, dict[tuple[int, str], list[str]]] = defaultdict(lambda: defaultdict(list))
        self.anywhere: dict[tuple[int, str], list[str]] = defaultdict(list)
        self.parents: dict[str, set[str]] = defaultdict(set)
        self.names: dict[str, str] = {}
        self.levels: dict[str, str] = {}
        if store is None:
            return
        levels = {}
        for area in store.nodes("Area"):
            if not visible("Area", area["id"]):
                continue
            levels[area["id"]] = area.get("level")
            self.names[area["id"]] = area.get("name", "")
        for edge in store.edges("WITHIN"):
            if edge["source"] in levels and edge["target"] in levels:
                self.parents[edge["source"]].add(edge["target"])
        self.levels = levels
        for area, level in levels.items():
            if level not in AREA_RANK:
                continue
            key = (AREA_RANK[level], normal_area_name(self.names[area], level, self._above(area)))
            self.anywhere[key].append(area)
            for parent in self.parents.get(area, ()) or (None,):
                self.by_parent[parent][key].append(area)

    def _above(self, area: str) -> list[tuple[str, str]]:
        """(name, level) of every area ``area`` has lain within, on any day, from the highest."""
        out, seen, todo = [], {area}, sorted(self.parents.get(area, ()))
        while todo:
            a = todo.pop(0)
            if a in seen:
                continue
            seen.add(a)
            if self.levels.get(a) in AREA_RANK:
                out.append((self.names.get(a, ""), self.levels[a]))
            todo.extend(sorted(self.parents.get(a, ())))
        return out[::-1]

    def below(self, area: str) -> list[str]:
        """``area`` and every area that has lain within it, on any day."""
        if not hasattr(self, "_children"):
            self._children: dict[str, list[str]] = defaultdict(list)
            for child, parents in self.parents.items():
                for parent in parents:
                    self._children[parent].append(child)
        out, seen, todo = [], set(), [area]
        while todo:
            a = todo.pop()
            if a not in seen:
                seen.add(a)
                out.append(a)
                todo.extend(self._children.get(a, ()))
        return sorted(out)

    def community_of(self, area: str) -> str | None:
        """The community or village ``area`` is, or lies within (the first found, on any day), or None."""
        seen, todo = set(), [area]
        while todo:
            a = todo.pop(0)
            if a in seen:
                continue
            seen.add(a)
            if AREA_RANK.get(self.levels.get(a, ""), 9) <= 1:
                return a if AREA_RANK[self.levels[a]] == 1 else None
            todo.extend(sorted(self.parents.get(a, ())))
        return None

    def find(self, parent: str | None, level: str, name: str, above: list[tuple[str, str]]) -> list[str]:
        key = (AREA_RANK[level], normal_area_name(name, level, above))
        if parent is None:
            return sorted(self.anywhere.get(key, ()))
        return sorted(self.by_parent.get(parent, {}).get(key, ()))

    def within(self, area: str, ancestor: str) -> bool:
        seen, todo = set(), [area]
        while todo:
            a = todo.pop()
            if a == ancestor:
                return True
            if a not in seen:
                seen.add(a)
                todo.extend(self.parents.get(a, ()))
        return False


def build_records(layout: Layout, rows: Iterable[tuple[int, dict[int, Any]]], store: Store | None,
                  summary: Summary, *, epoch: Any = None, where: Any = None,
                  visible: Callable[[str, str], bool] | None = None) -> Iterator[tuple[str, Any, Any]]:
    """The records a register's rows imply, as a store's ``load`` takes them ("node", "edge" or "error",
    where, record or message): the areas it names (those the store holds found by name within their
    parent), each household located in the lowest, its contacts and their 包保 relations, dated by the
    row's own date or the register's; and, for a household whose contact changed, the old relation ended
    the day before. ``summary`` is filled in as the rows are read.

    ``where(row, columns)`` makes a row's place for errors (a sheet row naming its columns).
    ``visible(kind, id)``, when given, says which of the store's records may be found (a token's scope):
    what it cannot see is looked for as if it were not there.
    """
    place = where or (lambda number, columns: f"sheet {layout.sheet}, row {number}")
    fields = layout.fields
    columns_of = {c.field: c.place for c in layout.columns if c.field and c.field != "ignore"}
    summary.ignored_columns = [f"{c.letter} {c.header}" for c in layout.ignored]
    by_number = {c.number: c for c in layout.columns}
    parsed: list[_Row] = []
    bad: set[int] = set()
    above: dict[int, Any] = {}  # each column's value in the row above, for a ditto mark (〃, 同上)
    for number, cells in rows:
        if number <= layout.header_rows[-1]:
            continue
        if cells is None:  # a row refused already (a cell that cannot be read)
            bad.add(number)
            continue
        texts = [t for v in cells.values() if (t := _cell_text(v))]
        if any(TOTAL.match(t) for t in texts):
            summary.skipped_rows.append(f"row {number}: a total row ({next(t for t in texts if TOTAL.match(t))}), "
                                        "not a household; read past")
            continue
        if len(texts) == 1 and (_FOOTNOTE.match(texts[0]) or re.search(r"[:：]", texts[0])):
            summary.skipped_rows.append(f"row {number}: a footnote, not a household; read past")
            continue
        row = _Row(number, {}, {})
        problems = []
        for column, value in sorted(cells.items()):
            target = fields.get(column)
            if target is None:
                continue
            if isinstance(value, str) and value.strip() in _DITTO and column in above:
                value = above[column]
            above[column] = value
            col = by_number[column]
            try:
                converted = _convert(target, value, layout, epoch)
                if target == "contact" and converted:  # a phone written beside the name: the contact's
                    converted, inline = _contact_phones(converted, layout.area_code)
                    if inline:
                        row.values.setdefault("contact_phone", []).extend(inline)
                        row.places.setdefault("contact_phone", col.place)
            except ValueError as exc:
                problems.append((col.place, str(exc)))
                continue
            if converted is None:
                continue
            if target in _REPEATABLE:
                row.values.setdefault(target, []).extend(converted)
                row.places.setdefault(target, col.place)
            else:
                row.values[target] = converted
                row.places[target] = col.place
        if not row.values and not problems:
            continue
        if not any(f in row.values for f in _IDENTITY):
            if problems == [] and not any(f in row.values for f in ("contact", "phone", "people", "flags")):
                summary.skipped_rows.append(f"row {number}: names no household (only "
                                            f"{', '.join(sorted(row.values))}); read past")
                continue
            problems.append(("", "names no household: no address, head of household, room or id"))
        for at, problem in problems:
            yield ("error", place(number, columns_of), (at, problem) if at else problem)
        if problems:
            bad.add(number)
        else:
            parsed.append(row)
    # an area a register names on some rows and leaves blank on another, above an area the row names (or
    # on a row naming none): a blank the clerk meant as "as above", or a slip; either way not a guess
    levels = [f for f in AREA_FIELDS if f in set(fields.values())]
    given = {level for row in parsed for level in levels if level in row.values}
    kept = []
    for row in parsed:
        named = [AREA_RANK[level] for level in levels if level in row.values]
        lowest = max(named) if named else 99
        blank = [level for level in levels if level in given and level not in row.values and AREA_RANK[level] < lowest]
        if blank:
            bad.add(row.number)
            for level in blank:  # each blank column named
                yield ("error", place(row.number, columns_of), (columns_of[level], "blank, while other rows name it"
                       + (" and this row names an area below it" if named else "")
                       + ": fill it in (a merged cell is read in every row it covers; 〃 or 同上 repeats the row above)"))
            continue
        kept.append(row)
    summary.rows = len(kept) + len(bad)
    yield from _Builder(layout, store, summary, place, columns_of, visible).run(kept)


#: a total row's first words (合计, 总 计, 小计：2户): read past, not a household
TOTAL = re.compile(r"^(?:合|总|小)\s*计")
_DITTO = {"〃", "同上", "\"", "\u201d", "\u201c", "々", "''", "\u3003"}
_PHONE_IN_TEXT = re.compile(r"(?:\+?86[\s-]?)?1[3-9](?:[\s-]?\d){9}|0\d{2,3}[\s-]?\d{7,8}")


def _contact_phones(names: list[str], area_code: str | None) -> tuple[list[str], list[str]]:
    """Names of contacts written with their phones (李乙 13900000001, 李乙(13900000001), 陈戊/139...): the
    names, and the phones, normalized."""
    out, phones = [], []
    for name in names:
        found = _PHONE_IN_TEXT.findall(name)
        if found:
            name = _PHONE_IN_TEXT.sub("", name)
            name = re.sub(r"[()（）\[\]【】:：,，/\s]+", "", name)
            for number in found:
                phones.extend(_phones(number, area_code))
        if name:
            out.append(name)
    return out, phones


def _convert(target: str, value: Any, layout: Layout, epoch: Any) -> Any:
    """A cell's value for a field; ValueError says what is wrong with it (never the personal value)."""
    if target in {"since", "until"}:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _day(value, serial=True, epoch=epoch)
    text = _cell_text(value)
    if text is None:
        return None
    if target == "people":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
            number = int(value)
        else:
            digits = re.fullmatch(r"(\d+)\s*(?:人|口)?", unicodedata.normalize("NFKC", text))
            if digits is None:
                raise ValueError(f"must be a whole number of people, got {describe(text)}")
            number = int(digits.group(1))
        if number < 1:
            raise ValueError(f"must be at least 1, got {number}")
        return number
    if target in {"phone", "contact_phone"}:
        if unicodedata.normalize("NFKC", text).strip() in _NO_PHONE:
            return None
        return _phones(text, layout.area_code)
    if target == "flags":
        codes = []
        unknown = []
        for part in re.split(r"[、，,；;/\s]+", unicodedata.normalize("NFKC", text)):
            part = part.strip()
            if not part or part in _NO_FLAG:
                continue
            code = layout.flags.get(part, FLAG_NAMES.get(part))
            if code is None:
                unknown.append(part)
            elif code and code not in codes:
                codes.append(code)
        if unknown:
            raise ValueError(f"unknown group{'s' if len(unknown) > 1 else ''} {'、'.join(map(repr, unknown))}; "
                             f"known: {'、'.join(FLAG_NAMES)}; name others in the mapping's [flags]")
        return codes or None
    if target == "contact":
        names = []
        for part in _SEPARATORS.split(text):
            tokens = part.split()
            if len(tokens) > 1 and all(re.fullmatch(r"[\u3400-\u9fff·]{2,}", t) or _PHONE_IN_TEXT.fullmatch(t)
                                       for t in tokens):
                names.extend(tokens)  # 李乙 陈戊: two contacts; 李 乙 (spaced out to line up) is one
            elif part.strip():
                names.append(part if _PHONE_IN_TEXT.search(part) else _plain_name(part))
        return names
    if target in {"head"}:
        return _plain_name(text)
    if target in {"address", "note", "room", "household_id"}:
        return text if target != "household_id" else unicodedata.normalize("NFKC", text).strip()
    return unicodedata.normalize("NFKC", text).strip()  # an area's name


class _Builder:
    """The records of a register's parsed rows, resolved against the store."""

    def __init__(self, layout: Layout, store: Store | None, summary: Summary, place: Any,
                 columns: dict[str, str], visible: Callable[[str, str], bool] | None = None):
        self.layout, self.store, self.summary, self.place, self.columns = layout, store, summary, place, columns
        self.visible = visible or (lambda kind, node: True)
        self.territory = _Territory(store, self.visible)
        self._addresses: dict[tuple, dict[str, list[str]]] = {}
        self.levels = [f for f in AREA_FIELDS if f in set(layout.fields.values())]

    def where(self, row: _Row) -> Any:
        return self.place(row.number, self.columns)

    def run(self, rows: list[_Row]) -> Iterator[tuple[str, Any, Any]]:
        summary = self.summary
        # 1. the areas, each once, found in the store by name within its parent or made
        area_of: dict[tuple, str] = {}
        new_areas: dict[str, tuple[_Row, dict[str, Any], str | None]] = {}
        counted: dict[str, set[str]] = defaultdict(set)
        lowest: dict[int, str | None] = {}
        community: dict[int, str | None] = {}
        names_of: dict[int, list[str]] = {}
        parts_of: dict[int, list[str]] = {}
        bad: set[int] = set()
        top, top_scope = self.layout.within, None
        if top is not None:
            level = self.territory.levels.get(top)
            if level is None:
                yield ("error", f"sheet {self.layout.sheet}", f"the mapping's within {top!r} names no area the store "
                       "holds (or that may be read)")
                return
            top_scope = self.territory.community_of(top)
            above_top = [(self.territory.names.get(top, ""), level)]
        for row in rows:
            parent = top
            path: tuple = (top,) if top is not None else ()
            names: list[str] = [above_top[0][0]] if top is not None else []
            named_levels: list[str] = [above_top[0][1]] if top is not None else []
            parts: list[str] = []  # the building and entrance, as a household's address begins
            scope = top_scope
            for level in self.levels:
                name = row.values.get(level)
                if name is None:
                    continue
                above = list(zip(names, named_levels))
                names.append(name)
                named_levels.append(level)
                if AREA_RANK[level] >= 4:
                    parts.append(_area_display(name, level))
                path = path + ((AREA_RANK[level], normal_area_name(name, level, above)),)
                area = area_of.get(path)
                if area is None:
                    found = [] if parent in new_areas else self.territory.find(parent, level, name, above)
                    if len(found) > 1:
                        yield ("error", self.where(row), (self.columns[level], f"{name!r} names "
                               f"{len(found)} areas{' within ' + parent if parent else ''}: "
                               f"{', '.join(found)}; give the area above it too, or tell them apart by name"))
                        bad.add(row.number)
                        break
                    if found:
                        area = found[0]
                    else:
                        area = derived_id(_ID_PREFIX[level], parent or "", level, path[-1][1])
                        record = {"id": area, "kind": "Area", "name": _area_display(name, level), "level": level}
                        new_areas[area] = (row, record, parent)
                    area_of[path] = area
                counted[level].add(area)
                parent = area
                if AREA_RANK[level] <= 1:
                    scope = area
            lowest[row.number] = parent
            community[row.number] = scope
            names_of[row.number] = list(zip(names, named_levels))
            parts_of[row.number] = parts
        rows = [row for row in rows if row.number not in bad]  # every other row read on: all problems at once
        known = self._stored(list(new_areas))
        for area, (row, record, parent) in new_areas.items():
            if area in known:
                continue
            yield ("node", self.place(row.number, self.columns), record)
            if parent is not None:
                yield ("edge", self.place(row.number, self.columns),
                       {"type": "WITHIN", "source": area, "target": parent})
        for level in self.levels:
            summary.areas[level] = len(counted[level])
            summary.new_areas[level] = sum(1 for a in counted[level] if a in new_areas and a not in known)
        # 2. the households: a given id, or one derived from the area and address, or the stored household
        # at that address in that area (loaded from elsewhere, with its own id)
        keys: list[tuple[_Row, str, str | None]] = []
        for row in rows:
            values = row.values
            area = lowest[row.number]
            if "household_id" in values:
                keys.append((row, values["household_id"], None))
                continue
            if "address" in values:
                key = normal_address(values["address"], names_of[row.number])
            elif "room" in values:
                key = normal_address(values["room"])
            else:
                key = None
            derived = derived_id("h", area or "", f"a|{key}" if key is not None else "n|" + _plain_name(values["head"]))
            keys.append((row, derived, key))
        stored = self._stored([hid for _, hid, _ in keys])
        households: dict[str, _Row] = {}
        record_of: dict[str, dict[str, Any]] = {}
        for row, hid, key in keys:
            area = lowest[row.number]
            if hid not in stored and key is not None and area is not None and area not in new_areas:
                found = self._at_address(area, names_of[row.number]).get(key, [])
                if len(found) == 1:
                    hid = found[0]
                    stored[hid] = "Household"
                elif len(found) > 1:
                    summary.notes.append(f"row {row.number}: {len(found)} households of the store lie at this "
                                         f"address ({', '.join(found[:3])}): a new one is made; give 编号 to name one")
            if hid in households:
                first = households[hid]
                yield ("error", self.where(row), f"the same household as row {first.number} (the same area and "
                       "address): give each household one row, with its contacts in one cell (李乙、陈戊)")
                continue
            households[hid] = row
            values = row.values
            record: dict[str, Any] = {"id": hid, "kind": "Household"}
            address = values.get("address")
            if address is None and "room" in values:
                address = "".join(parts_of[row.number]) + values["room"]
            if address is not None:
                record["address"] = address
            if "people" in values:
                record["people"] = values["people"]
            numbers = list(dict.fromkeys(values.get("phone", [])))
            if numbers:
                record["phone"] = numbers[0]
                if len(numbers) > 1:
                    record["phones"] = numbers[1:]
            for name in ("flags", "head", "note"):
                if name in values:
                    record[name] = values[name]
            record_of[hid] = record
        for hid, kind in list(stored.items()):
            if kind != "Household" and hid in households:
                yield ("error", self.where(households[hid]), f"the household's id {hid!r} is {kind} in the store")
                del households[hid], record_of[hid]
        stored = {h: k for h, k in stored.items() if h in households}
        summary.households = len(households)
        summary.new_households = len(households) - len(stored)
        located = set()  # a stored household's location is the store's: moved (orggraph relocate), it stays moved
        if stored:
            located = {s for s, _, _ in self.store.facts().edges("LOCATED_IN", sources=list(stored))}  # type: ignore[union-attr]
        for hid, record in record_of.items():
            row = households[hid]
            day = row.values.get("since") or self.layout.date
            if day:
                record["register_day"] = day  # the day of the register the details are from
            if hid in stored:  # next month's register: what it gives replaces, the rest is kept
                kept = self.store.node(hid)  # type: ignore[union-attr]
                newer = kept.get("register_day")
                if isinstance(newer, str) and day and newer > day:  # an older register, loaded after a newer one
                    summary.notes.append(f"row {row.number}: the household's details are from a later register "
                                         f"({newer}), and are kept")
                    record = kept
                    yield from self._located_before(hid, day, row)
                else:
                    record = {**kept, **record}
            yield ("node", self.where(row), record)
            area = lowest[row.number]
            if area is not None and hid not in located:
                edge = {"type": "LOCATED_IN", "source": hid, "target": area}
                day = row.values.get("since") or self.layout.date
                if day and hid not in stored:  # a household new in this register lies there from its day
                    edge["since"] = day
                yield ("edge", self.where(row), edge)
        # 3. the contacts, as members
        self._kept = set(stored)
        yield from self._contacts(rows, households, community)

    def _contacts(self, rows: list[_Row], households: dict[str, _Row],
                  community: dict[int, str | None]) -> Iterator[tuple[str, Any, Any]]:
        summary = self.summary
        if "contact" not in set(self.layout.fields.values()):
            return
        hid_of = {row.number: hid for hid, row in households.items()}
        # who the register names: (name, scope) -> phones given with the name, and rows
        people: dict[tuple[str, str | None], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        named: dict[int, list[tuple[str, str | None]]] = {}
        for row in rows:
            names = [self._without_prefix(n, row) for n in row.values.get("contact", [])]
            given = row.values.get("contact_phone", [])
            if given and len(given) not in (1, len(names)):
                yield ("error", self.where(row), (row.places["contact_phone"], f"{len(given)} phones "
                       f"for {len(names)} contacts; give one phone a contact, in the same order"))
                continue
            pairs = [(n, given[i] if i < len(given) else (given[0] if len(names) == 1 and given else None))
                     for i, n in enumerate(names)]
            named[row.number] = pairs
            for n, phone in pairs:
                people[(n, community[row.number])][phone or ""].append(row.number)
        members, problems = self._members(people)
        for row_number, message in problems:
            row = next(r for r in rows if r.number == row_number)
            yield ("error", self.where(row), (self.columns["contact"], message))
        stored = self._stored([m for m, _ in members.values()])
        for mid, kind in list(stored.items()):
            if kind != "Member":
                yield ("error", f"sheet {self.layout.sheet}", f"the contact's id {mid!r} is {kind} in the store")
                members = {k: v for k, v in members.items() if v[0] != mid}
                del stored[mid]
        emitted = set()
        for (name, scope, phone), (mid, update) in members.items():
            if mid in emitted:
                continue
            emitted.add(mid)
            if mid not in stored:
                record = {"id": mid, "kind": "Member", "name": name}
                if phone:
                    record["phone"] = phone
                yield ("node", f"sheet {self.layout.sheet}, the contact {name}", record)
            elif update:
                yield ("node", f"sheet {self.layout.sheet}, the contact {name}",
                       {**self.store.node(mid), "phone": phone})  # type: ignore[union-attr]
        summary.members = len(emitted)
        summary.new_members = len(emitted - set(stored))
        # the relations: new where none is valid on the row's day; an old one ended the day before
        wanted: dict[str, tuple[_Row, list[str], str | None]] = {}
        troubled = {number for number, _ in problems}
        for row in rows:
            if row.number not in hid_of or row.number in troubled or row.number not in named:
                continue
            ids = [members[(n, community[row.number], p or "")][0] for n, p in named.get(row.number, [])
                   if (n, community[row.number], p or "") in members]
            day = row.values.get("since") or self.layout.date
            wanted[hid_of[row.number]] = (row, list(dict.fromkeys(ids)), day)
        current = self._current(wanted)
        for hid, (row, ids, day) in wanted.items():
            now = current.get(hid, {})
            for mid in ids:
                summary.contacts += 1
                if mid in now:
                    continue
                edge = {"type": "CONTACTS", "source": mid, "target": hid}
                if day:
                    edge["since"] = day
                until = row.values.get("until")
                later = self._next_start(hid, day) if day and hid in self._kept else None
                if later is not None:  # an older register loaded after a newer one: up to the newer one's day
                    before = day_before(later)
                    until = min(until, before) if until else before
                if until:
                    edge["until"] = until
                summary.new_contacts += 1
                yield ("edge", self.where(row), edge)
            for mid, edges in now.items():
                if mid in ids:
                    continue
                if day is None:
                    summary.notes.append(f"row {row.number}: the household's contact {mid} is not in the register, "
                                         "which gives no date: the relation is kept; give the register's date "
                                         "(date in a mapping) to end it")
                    continue
                for edge in edges:
                    if edge.get("since") == day:
                        yield ("error", self.where(row), (self.columns["contact"],
                               f"on {day} the household's contact is already {mid}, from {day} on; a register of "
                               "the same day cannot name another: give this register a later date, or hand the "
                               "household over (orggraph handover)"))
                        continue
                    if edge.get("since") and edge["since"] > day:
                        continue  # begun after this register's day: a later register's, kept
                    ended = {**edge, "until": day_before(day)}
                    summary.ended_contacts += 1
                    yield ("edge", self.where(row), ended)

    def _located_before(self, household: str, day: str, row: _Row) -> Iterator[tuple[str, Any, Any]]:
        """For a household an older register names: where it lay from the newer register's day, from this
        register's day too, up to the day before (when no location of it is valid on this day)."""
        edges = self.store.edges_of(household, "LOCATED_IN")  # type: ignore[union-attr]
        if any(e["source"] == household and valid_on(e, day) for e in edges):
            return
        later = sorted((e for e in edges if e["source"] == household and (e.get("since") or "") > day),
                       key=lambda e: e["since"])
        if later:
            first = later[0]
            yield ("edge", self.where(row), {"type": "LOCATED_IN", "source": household, "target": first["target"],
                                             "since": day, "until": day_before(first["since"])})

    def _next_start(self, household: str, day: str) -> str | None:
        """The first day after ``day`` on which a stored contact relation of the household begins."""
        starts = [e["since"] for e in self.store.edges_of(household, "CONTACTS")  # type: ignore[union-attr]
                  if e.get("since") and e["since"] > day]
        return min(starts) if starts else None

    def _stored(self, ids: list[str]) -> dict[str, str]:
        """The kind of each of these ids the store holds and the reader may see."""
        if self.store is None or not ids:
            return {}
        return {i: k for i, k in self.store.kinds_of(ids).items() if self.visible(k, i)}

    def _at_address(self, area: str, names: list[tuple[str, str]]) -> dict[str, list[str]]:
        """The store's households located in ``area`` or below it (any day), by their address as compared:
        a register at the level of the grid finds the households the store keeps in its buildings."""
        key = (area, tuple(names))
        if key not in self._addresses:
            found: dict[str, list[str]] = defaultdict(list)
            households = sorted({s for s, _, _ in self.store.facts().edges(  # type: ignore[union-attr]
                "LOCATED_IN", targets=self.territory.below(area))})
            for hid in households:
                if not self.visible("Household", hid):
                    continue
                address = self.store.node(hid).get("address")  # type: ignore[union-attr]
                if isinstance(address, str):
                    found[normal_address(address, names)].append(hid)
            self._addresses[key] = found
        return self._addresses[key]

    def _without_prefix(self, name: str, row: _Row) -> str:
        """A contact's name with the name of the row's community (or street, grid) taken off its start:
        桂花李乙 in 桂花社区 is 李乙."""
        for level in self.levels:
            area = row.values.get(level)
            if not area:
                continue
            for prefix in sorted({_plain_name(area), _area_display(_plain_name(area), level),
                                  normal_area_name(area, level)}, key=len, reverse=True):
                if prefix and name.startswith(prefix) and len(name) - len(prefix) >= 2:
                    return name[len(prefix):]
        return name

    def _members(self, people: dict[tuple[str, str | None], dict[str, list[int]]]
                 ) -> tuple[dict[tuple[str, str | None, str], tuple[str, bool]], list[tuple[int, str]]]:
        """The member each (name, community, phone) the register names stands for, and whether a stored
        member gains its phone; or the rows naming a name that stands for two members."""
        out: dict[tuple[str, str | None, str], tuple[str, bool]] = {}
        problems: list[tuple[int, str]] = []
        stored = self._stored_members({name for name, _ in people}) if self.store is not None else {}
        for (name, scope), by_phone in people.items():
            phones = [p for p in by_phone if p]
            kept = stored.get(name, [])
            local = [m for m in kept if scope is None or self._serves(m, scope)]
            for phone in phones:
                same = [m for m in kept if m["phone"] == phone]
                if same:
                    out[(name, scope, phone)] = (same[0]["id"], False)
                    continue
                bare = derived_id("m", name, "c", scope or "")
                if any(m["id"] == bare and not m["phone"] for m in kept) and len(phones) == 1:
                    out[(name, scope, phone)] = (bare, True)  # the member a register named without a phone
                else:
                    out[(name, scope, phone)] = (derived_id("m", name, "p", phone), False)
            if "" not in by_phone:
                continue
            rows = by_phone[""]
            if len(phones) == 1:
                target = out[(name, scope, phones[0])][0]
                others = sorted({m["id"] for m in local} - {target})
                if others:  # the phone's member, and another of the name serving the community: which?
                    problems.append((rows[0], f"{name!r} names {1 + len(others)} members: {target} (with the phone "
                                              f"of row {by_phone[phones[0]][0]}) and {', '.join(others[:4])} (in the "
                                              "store); give the contact's phone to tell them apart"))
                    continue
                out[(name, scope, "")] = out[(name, scope, phones[0])]
                continue
            if len(phones) > 1:
                where = "; ".join(f"{out[(name, scope, p)][0]} (row {by_phone[p][0]})" for p in phones)
                problems.append((rows[0], f"{name!r} names {len(phones)} members of this register: {where}; give "
                                          "the contact's phone to tell them apart"))
                continue
            bare = derived_id("m", name, "c", scope or "")
            if any(m["id"] == bare for m in kept):
                out[(name, scope, "")] = (bare, False)
            elif len(local) == 1:
                out[(name, scope, "")] = (local[0]["id"], False)
            elif len(local) > 1:
                problems.append((rows[0], f"{name!r} names {len(local)} members in the store: "
                                          f"{', '.join(m['id'] for m in local[:5])}; give the contact's phone to "
                                          "tell them apart"))
            else:
                out[(name, scope, "")] = (bare, False)
        if self.store is not None and out:
            # an id derived from a name and phone that the store holds for a member the reader may not see
            # (another community's): the member is made under another id, of this community, so that the
            # answer is the one for a person the store does not hold, and tells nothing of the other
            held = self.store.kinds_of(sorted({mid for mid, _ in out.values()}))
            hidden = {mid for mid, kind in held.items() if not self.visible(kind, mid)}
            for (name, scope, phone), (mid, update) in list(out.items()):
                if mid in hidden:
                    out[(name, scope, phone)] = (derived_id("m", name, "p", phone, "in", scope or ""), False)
        return out, problems

    def _stored_members(self, names: set[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for member in self.store.nodes("Member"):  # type: ignore[union-attr]
            name = member.get("name")
            if name in names and self.visible("Member", member["id"]):
                found[name].append({"id": member["id"], "phone": member.get("phone")})
        return found

    def _serves(self, member: dict[str, Any], scope: str) -> bool:
        """Whether a stored member contacts a household within the area ``scope`` (any day)."""
        facts = self.store.facts()  # type: ignore[union-attr]
        households = [t for _, t, _ in facts.edges("CONTACTS", sources=[member["id"]])]
        areas = {t for _, t, _ in facts.edges("LOCATED_IN", sources=households)} if households else set()
        return any(self.territory.within(a, scope) for a in areas)

    def _current(self, wanted: dict[str, tuple[_Row, list[str], str | None]]) -> dict[str, dict[str, list[dict]]]:
        """For each stored household, its contacts' relations valid on the register's day (today when
        undated), by member."""
        if self.store is None:
            return {}
        by_day: dict[str | None, list[str]] = defaultdict(list)
        for hid, (_, _, day) in wanted.items():
            if hid in self._kept:  # a household the store holds and the reader may see
                by_day[day].append(hid)
        facts = self.store.facts()
        out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for day, hids in by_day.items():
            valid = facts.edges("CONTACTS", targets=hids, day=day or today())
            pairs = defaultdict(set)
            for source, target, _ in valid:
                pairs[target].add(source)
            for hid, sources in pairs.items():
                if set(sources) <= set(wanted[hid][1]):
                    for source in sources:
                        out[hid][source] = []
                    continue
                for edge in self.store.edges_of(hid, "CONTACTS"):
                    if edge["source"] in sources and valid_on(edge, day or today()):
                        out[hid][edge["source"]].append(edge)
        return out


