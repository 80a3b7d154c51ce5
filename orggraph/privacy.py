"""What is personal data, and how it is masked: one definition for every answer, file, error and log."""

from __future__ import annotations

import functools
import logging
import os
import re
import unicodedata
from typing import Any, Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit

__all__ = [
    "MASK",
    "PUBLIC_ENV",
    "ADDRESS_HEAD_ENDS",
    "personal_class",
    "is_personal",
    "public_properties",
    "mask_phone",
    "mask_address",
    "mask_id_card",
    "mask_text",
    "mask_value",
    "mask_record",
    "describe",
    "scrub_path",
    "ScrubLog",
]

#: what stands for a masked value, or the masked part of one
MASK = "****"
#: the environment variable (and API setting) naming the free-form properties declared non-personal
PUBLIC_ENV = "ORGGRAPH_PUBLIC_PROPERTIES"

# --- personal fields by name ----------------------------------------------------------------------------
# A name is compared in a normal form: NFKC, case folded, separators (space _ - . / : · and brackets)
# removed, so that "Mobile-Phone", "mobile_phone" and "ＭＯＢＩＬＥ ＰＨＯＮＥ" are one name.

_SEPARATORS = re.compile(r"[\s_\-./\\:：·•()（）\[\]【】]+")
_PHONE_PARTS = ("phone", "mobile", "telephone", "手机", "电话", "座机", "固话", "传真", "联系方式")
_PHONE_WORDS = {"tel", "cell", "fax", "mob"}
_ADDRESS_PARTS = ("address", "地址", "住址", "住所", "居住地", "户籍地")
_ADDRESS_WORDS = {"addr", "residence", "domicile"}
_ID_PARTS = ("idcard", "身份证", "证件号")
_ID_NAMES = {"idnumber", "idno", "identitynumber", "identity", "citizenid", "nationalid", "sfz", "sfzh", "sfzhm"}


def _normal(name: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", name).casefold())


def _words(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", unicodedata.normalize("NFKC", name))  # homeTel -> home Tel
    return {w for w in _SEPARATORS.split(spaced.casefold()) if w}


@functools.lru_cache(maxsize=4096)
def personal_class(name: str) -> str | None:
    """Whether a field's name alone makes it personal: ``"phone"``, ``"address"``, ``"id_card"`` or None.

    Case, full-width forms and separators do not matter.

    Examples
    --------
    >>> [personal_class(n) for n in ("phone", "Mobile-Phone", "home_tel", "联系电话", "座机", "家庭住址")]
    ['phone', 'phone', 'phone', 'phone', 'phone', 'address']
    >>> [personal_class(n) for n in ("ID Card", "id_number", "身份证号", "name", "hotel", "note")]
    ['id_card', 'id_card', 'id_card', None, None, None]
    """
    normal, words = _normal(name), _words(name)
    if any(p in normal for p in _ID_PARTS) or normal in _ID_NAMES:
        return "id_card"
    if any(p in normal for p in _PHONE_PARTS) or words & _PHONE_WORDS:
        return "phone"
    if any(p in normal for p in _ADDRESS_PARTS) or words & _ADDRESS_WORDS:
        return "address"
    return None


# --- which fields are free-form -------------------------------------------------------------------------

#: fields every record has: identities and dates, never masked
_IDENTITY = frozenset({"id", "kind", "type", "source", "target", "since", "until"})


@functools.lru_cache(maxsize=None)
def _schema(kind: str | None) -> frozenset[str]:
    """The fields the model declares for a node kind or an edge type (for None: for any of them)."""
    from . import model

    schemas = {**model._NODE_SCHEMAS, **model._EDGE_SCHEMAS}
    chosen = schemas.values() if kind is None else [schemas[kind]] if kind in schemas else []
    return _IDENTITY.union(*(s.__required_keys__ | s.__optional_keys__ for s in chosen))


def public_properties(names: Iterable[str] | str | None = None) -> frozenset[str]:
    """The free-form properties declared non-personal, in their normal form: the names given (a list, or
    text separated by commas), or else those of ``$ORGGRAPH_PUBLIC_PROPERTIES``.

    Examples
    --------
    >>> sorted(public_properties("楼栋备注, Build_Year"))
    ['buildyear', '楼栋备注']
    """
    if names is None:
        names = os.environ.get(PUBLIC_ENV, "")
    if isinstance(names, str):
        names = names.split(",")
    return frozenset(_normal(n) for n in names if n and n.strip())


def is_personal(field: str, kind: str | None = None, public: Iterable[str] | str | None = None) -> bool:
    """Whether a field of a record of ``kind`` (a node kind or edge type) holds personal data.

    Personal are: fields named as phones, addresses or id-card numbers (whatever the kind, declared or
    not), fields whose name holds a phone- or id-card-shaped number, and every free-form property (one the kind's schema does not declare) unless named in
    ``public`` (see :func:`public_properties`). With ``kind`` None, any kind's schema counts.

    Examples
    --------
    >>> is_personal("phone", "Member"), is_personal("name", "Member"), is_personal("emergency_contact", "Household")
    (True, False, True)
    >>> is_personal("楼栋备注", "Household", public="楼栋备注"), is_personal("mobile", "Household", public="mobile")
    (False, True)
    >>> is_personal("李四13712345678", "CONTACTS", public="李四13712345678")
    True
    """
    return _personal(field, kind, public if isinstance(public, frozenset) else public_properties(public))


@functools.lru_cache(maxsize=8192)
def _personal(field: str, kind: str | None, public: frozenset[str]) -> bool:
    if personal_class(field) or _shaped(field):
        return True
    if field in _schema(kind):
        return False
    return _normal(field) not in public


# --- masking ---------------------------------------------------------------------------------------------
# Numbers are found in a folded copy of the text, one character for one, so that a match's place is its
# place in the text: every Unicode decimal digit (full-width, Arabic-Indic, mathematical, ...) and every
# character whose compatibility form is one ASCII digit (①, ²) becomes that digit; spaces, dashes and dots
# of every width become " ", "-" and "."; full-width brackets, plus and X become ASCII ones.

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DOTS = "\u2024\u3002\uff0e\uff61"
_KEPT = frozenset("0123456789+()Xx")


class _Fold(dict):
    """A ``str.translate`` table built as characters are met (a character maps to itself unless folded)."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        if char.isdecimal():
            folded = str(unicodedata.decimal(char))
        elif char in _DASHES:
            folded = "-"
        elif char in _DOTS:
            folded = "."
        elif char.isspace() and char not in "\n\r\t\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029":
            folded = " "  # a space of any width; line and field breaks still part numbers
        else:
            compat = unicodedata.normalize("NFKC", char)
            folded = compat if len(compat) == 1 and compat in _KEPT else char
        self[code] = ord(folded)
        return self[code]


_FOLD = _Fold()


def _fold(text: str) -> str:
    """The text as numbers are looked for in it: same length, each character folded (see above).

    >>> _fold("１３８．１２３４－５６７８　①")
    '138.1234-5678 1'
    """
    return text if text.isascii() else text.translate(_FOLD)


_SEP = r"[-. ]"  # at most one between two digits: 138 1234 5678, 138-1234-5678, 138.1234.5678
_MOBILE = rf"(?:\+?86{_SEP}?)?1{_SEP}?[3-9](?:{_SEP}?\d){{9}}"
_LANDLINE = rf"\(?0\d{{2,3}}\)?{_SEP}?[2-9](?:{_SEP}?\d){{6,7}}(?:-\d{{1,6}})?"
_ID_CARD = rf"\d(?:{_SEP}?\d){{16}}{_SEP}?[\dXx]|\d(?:{_SEP}?\d){{14}}"
#: phone- and id-card-shaped runs of digits inside any (folded) text
_SHAPED = re.compile(rf"(?<!\d)(?:(?P<id>{_ID_CARD})|(?P<phone>{_MOBILE}|{_LANDLINE}))(?!\d)", re.ASCII)


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number for display: the first three and the last four digits stay.

    Examples
    --------
    >>> mask_phone("13800001234")
    '138****1234'
    >>> mask_phone("027-87654321")
    '027****4321'
    >>> mask_phone("李四13712345678"), mask_phone("１３８．１２３４．５６７８")
    ('****', '138****5678')
    >>> mask_phone(None) is None
    True
    """
    if phone is None:
        return None
    phone = _fold(phone)
    digits = re.sub(r"[^0-9]", "", phone)
    if len(digits) < 8 or re.search(r"[^0-9 +().\-]", phone):  # not a number alone: show nothing of it
        return MASK
    if len(digits) == 13 and digits.startswith("86"):  # +86 and a mobile
        digits = digits[2:]
    return f"{digits[:3]}{MASK}{digits[-4:]}"


#: what ends the part of an address :func:`mask_address` keeps (the building, or a village group): the
#: first of these found in it
ADDRESS_HEAD_ENDS = ("号楼", "栋", "幢", "号院", "组")
_ADDRESS_HEAD = re.compile("^(.*?(?:" + "|".join(ADDRESS_HEAD_ENDS) + "))")


def mask_address(address: str | None) -> str | None:
    """Keep an address down to the building, mask the rest (and any phone or id-card number in it).

    Examples
    --------
    >>> mask_address("云河市江滨街道桂花社区3号楼2单元501室")
    '云河市江滨街道桂花社区3号楼****'
    >>> mask_address("和平村五组")
    '和平****'
    """
    if address is None:
        return None
    match = _ADDRESS_HEAD.search(address)
    keep = match.group(1) if match else address[: max(1, len(address) // 2)]
    keep = keep if keep != address else address[: max(1, len(address) // 2)]
    return mask_text(keep) + MASK


def mask_id_card(number: str | None) -> str | None:
    """Mask an id-card number: the first three and the last four characters stay.

    Examples
    --------
    >>> mask_id_card("11010119900101123X")
    '110***********123X'
    >>> mask_id_card("110101 19900101 123x"), mask_id_card("身份证丢了")
    ('110***********123x', '****')
    """
    if number is None:
        return None
    number = _fold(number).strip()
    if not re.fullmatch(_ID_CARD, number, re.ASCII):
        return MASK
    number = re.sub(_SEP, "", number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_text(text: str) -> str:
    """Mask every phone- and id-card-shaped number inside a text; the rest stays.

    Digits of any script count, and one space, dash or dot (of any width) may stand between two digits.

    Examples
    --------
    >>> mask_text("李四 13712345678，座机 027-87654321")
    '李四 137****5678，座机 027****4321'
    >>> mask_text("身份证 110101199001011234")
    '身份证 110***********1234'
    >>> mask_text("张三１３８１２３４５６７８，138.1234.5678")
    '张三138****5678，138****5678'
    >>> mask_text("2021-03-01, 3号楼, h00000001")
    '2021-03-01, 3号楼, h00000001'
    """
    if not any(c.isdigit() for c in text):
        return text
    folded, out, last = _fold(text), [], 0
    for m in _SHAPED.finditer(folded):
        out += [text[last:m.start()], mask_id_card(m["id"]) if m["id"] else mask_phone(m["phone"])]
        last = m.end()
    return "".join(out) + text[last:] if out else text


def _shaped(value: Any) -> bool:
    if isinstance(value, str):
        return any(c.isdigit() for c in value) and _SHAPED.search(_fold(value)) is not None
    if isinstance(value, int) and not isinstance(value, bool):
        return _SHAPED.search(str(value)) is not None
    return isinstance(value, list) and any(_shaped(v) for v in value)


def mask_value(value: Any, field: str, kind: str | None = None, public: Iterable[str] | str | None = None) -> Any:
    """A field's value as shown without the ``pii`` permission.

    A phone field keeps its first three and last four digits, an address its part down to the building,
    an id-card number its first three and last four characters; any other personal field (a free-form
    property) shows :data:`MASK` only; in every other field, phone- and id-card-shaped numbers are
    masked inside the text.

    Examples
    --------
    >>> mask_value("13712345678", "mobile", "Household"), mask_value("李四 13712345678", "emergency_contact", "Household")
    ('137****5678', '****')
    >>> mask_value("热线 13712345678", "name", "Org"), mask_value(["3号楼", "13712345678"], "items", "CO_BUILDS")
    ('热线 137****5678', ['3号楼', '137****5678'])
    """
    if value is None or field in _IDENTITY:
        return value
    if is_personal(field, kind, public):
        cls = personal_class(field)
        if isinstance(value, list):
            return [mask_value(v, field, kind, public) for v in value]
        if not isinstance(value, str) or cls is None:
            return MASK
        return {"phone": mask_phone, "address": mask_address, "id_card": mask_id_card}[cls](value)
    if isinstance(value, list):
        return [mask_value(v, field, kind, public) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and _shaped(value):
        return mask_text(str(value))
    return value


def mask_record(record: dict[str, Any], pii: bool, public: Iterable[str] | str | None = None
                ) -> tuple[dict[str, Any], bool]:
    """A record (a node, or an edge) as shown with or without the ``pii`` permission, and whether it holds
    personal data at all (so that a showing with ``pii`` is audited).

    Without ``pii`` the names of the properties are masked too: a phone- or id-card-shaped number in a
    name (``"李四13712345678"``) is masked as in a value, and that property's value shows :data:`MASK`.

    Parameters
    ----------
    record : dict
        A node (with ``kind``) or an edge (with ``type``), as a store returns it.
    pii : bool
        Show personal data in full.
    public : names or text, optional
        Free-form properties declared non-personal (default: ``$ORGGRAPH_PUBLIC_PROPERTIES``).

    Returns
    -------
    shown : dict
        The record itself with ``pii``, else a copy with personal data masked.
    had_personal : bool

    Examples
    --------
    >>> household = {"id": "h1", "kind": "Household", "people": 2, "mobile": "13712345678",
    ...              "emergency_contact": "李四 13712345678"}
    >>> mask_record(household, pii=False)
    ({'id': 'h1', 'kind': 'Household', 'people': 2, 'mobile': '137****5678', 'emergency_contact': '****'}, True)
    >>> mask_record(household, pii=True)[1], mask_record({"id": "a1", "kind": "Area", "name": "桂花社区"}, False)
    (True, ({'id': 'a1', 'kind': 'Area', 'name': '桂花社区'}, False))
    >>> mask_record({"id": "h2", "kind": "Household", "张三电话13912345678": "有", "13812345678": ""}, pii=False)
    ({'id': 'h2', 'kind': 'Household', '张三电话139****5678': '****', '138****5678': ''}, True)
    """
    public = public_properties(public) if not isinstance(public, frozenset) else public
    kind = record.get("type") if "source" in record else record.get("kind")  # a CO_BUILDS edge has a kind too
    personal = False
    shown: dict[str, Any] | None = None if pii else {}
    for field, value in record.items():
        named = field not in _IDENTITY and _shaped(field)  # a name holding a number is itself personal
        empty = value is None or value == "" or value == []
        hit = named or not (empty or field in _IDENTITY) and (is_personal(field, kind, public) or _shaped(value))
        personal = personal or hit
        if shown is not None:
            key = mask_text(field) if named else field
            key, base, n = key, key, 2
            while key in shown:  # two names that mask alike are both kept
                key, n = f"{base} ({n})", n + 1
            shown[key] = mask_value(value, field, kind, public) if hit and not empty else value
    return (record if shown is None else shown), personal


# --- errors and logs ------------------------------------------------------------------------------------


def describe(value: Any, field: str | None = None, kind: str | None = None, limit: int = 60) -> str:
    """A value as an error message may echo it: a personal field's only by its type and size, any other
    as its ``repr`` (cut to ``limit`` characters) with phone- and id-card-shaped numbers masked.

    Examples
    --------
    >>> describe(13812345678, "phone"), describe("桂花社区1号楼\\x07", "address")
    ('a number of 11 digits', 'text of 8 characters')
    >>> describe("town", "level"), describe("热线13812345678", "name")
    ("'town'", "'热线138****5678'")
    """
    if field is not None and is_personal(field, kind, ()):
        if isinstance(value, bool):
            return "true/false"
        if isinstance(value, (int, float)):
            return f"a number of {sum(c.isdigit() for c in str(value))} digits"
        if isinstance(value, str):
            return f"text of {len(value)} characters"
        if isinstance(value, (list, tuple)):
            return f"a list of {len(value)} items"
        if isinstance(value, dict):
            return f"an object of {len(value)} keys"
        return f"a value of type {type(value).__name__}"
    text = mask_text(repr(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decoded(text: str, printable: bool = False) -> str:
    """Percent-escapes decoded, again while any are left (a number may be escaped twice); with
    ``printable``, a character that is not (a line break, a control character) stays escaped."""

    def plain(match: re.Match[str]) -> str:
        chars = unquote(match.group())
        return "".join(c if c.isprintable() else quote(c) for c in chars) if printable else chars

    for _ in range(5):
        if "%" not in text or (done := _ESCAPES.sub(plain, text)) == text:
            break
        text = done
    return text


def scrub_path(target: str) -> str:
    """A request's path for a log: personal-shaped numbers masked, the query's values left out.

    The path is decoded (percent-escapes) before numbers are looked for in it, and escaped again as the
    server writes it, so that no escape can hide or glue on to a number.

    Examples
    --------
    >>> scrub_path("/coverage?as_of=2026-11-23&unavailable=m1,m2")
    '/coverage?as_of=*&unavailable=*'
    >>> scrub_path("/households/13812345678"), scrub_path("/households/x%2013812345678")
    ('/households/138****5678', '/households/x%20138****5678')
    >>> scrub_path("/households/%E5%BC%A0%E4%B8%8913812345678")
    '/households/%E5%BC%A0%E4%B8%89138****5678'
    """
    parts = urlsplit(target)
    path = quote(mask_text(_decoded(parts.path)), safe="/*")
    if not parts.query:
        return path
    keys = [quote(mask_text(_decoded(k)), safe="*") for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    return f"{path}?{'&'.join(f'{k}=*' for k in keys) or '*'}"


def _scrub_message(message: str) -> str:
    """A log message with phone- and id-card-shaped numbers masked, those behind percent-escapes too
    (then the message is shown with its printable escapes decoded).

    >>> _scrub_message("no such household: %E5%BC%A0%0A%31%33%3812345678")
    'no such household: 张%0A138****5678'
    """
    masked = mask_text(message)
    if "%" not in masked or mask_text(plain := _decoded(masked, printable=True)) == plain:
        return masked
    return mask_text(plain)


class ScrubLog(logging.Filter):
    """A logging filter that keeps personal data out of a log: query values left out of access-log lines
    (uvicorn's, whose third argument is the path: see :func:`scrub_path`), and phone- and id-card-shaped
    numbers masked in every message and traceback, percent-escaped ones included."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            # its formatter unpacks the arguments: the path is replaced, the rest kept as they are
            record.args = (*args[:2], scrub_path(args[2]), *args[3:])
            return True
        try:
            message = record.msg % args if args else str(record.msg)
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = _scrub_message(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _scrub_message(logging.Formatter().formatException(record.exc_info))
        return True
