"""Input hygiene: invisible characters, byte order marks and line ends, one limit for free-form
properties, and a record given twice in one input with other properties."""

from __future__ import annotations

import json
import unicodedata

import pytest

from orggraph import model
from orggraph.exceptions import InvalidRecords
from orggraph.io import load_file
from orggraph.model import MAX_DEPTH, MAX_ITEMS, MAX_NAME, MAX_PROPERTIES, MAX_TEXT

from .conftest import items, run_cli, snapshot, street
from .test_api import api, post_import, send  # noqa: F401  (the API over both stores)


def refused(store, records: list) -> list[str]:
    """Load records into a store that holds the street; return the messages, and check nothing changed."""
    store.load(items(street()))
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(records)
    assert snapshot(store) == before, "a refused load changed the store"
    return [str(e) for e in info.value.errors]


def node(where: str = "line 1", **record) -> tuple:
    return ("node", where, record)


def edge(where: str = "line 1", **record) -> tuple:
    return ("edge", where, record)


# -- 1. invisible and direction-control characters -----------------------------------------------------

INVISIBLE_IN_IDS = [
    "\u200b",  # zero width space
    "\ufeff",  # byte order mark (zero width no-break space)
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200e",  # left-to-right mark
    "\u00ad",  # soft hyphen
    "\u2060",  # word joiner
    "\u200d",  # zero width joiner: meaningful in a name, never in an id
    "\u3164",  # Hangul filler
    "\ufe0f",  # variation selector
    "\U000e0041",  # tag latin capital letter A
    "\ufffe", "\uffff", "\ufdd0", "\U0010ffff",  # noncharacters
]


@pytest.mark.parametrize("char", INVISIBLE_IN_IDS, ids=lambda c: f"U+{ord(c):04X}")
def test_an_id_with_an_invisible_character_is_refused_by_code_point_and_position(embedded, char):
    code = f"U+{ord(char):04X}"
    messages = refused(embedded, [node(id=f"h0000000{char}1", kind="Household"),
                                  edge("line 2", type="LOCATED_IN", source=f"h0000000{char}1", target="b1")])
    assert messages[0].startswith(f"line 1, field id: holds ")
    assert f"({code}" in messages[0] and "at position 9; remove it" in messages[0]
    assert messages[1].startswith("line 2, field source: holds ") and f"({code}" in messages[1]


def test_a_zero_width_space_does_not_pass_for_the_id_without_it(store):
    messages = refused(store, [edge(type="CONTACTS", source="m1", target="h\u200b1")])
    assert messages == ["line 1, field target: holds an invisible character (U+200B ZERO WIDTH SPACE) at position 2; "
                        "remove it"]


def test_a_lone_surrogate_is_refused_in_an_id_a_name_and_a_property(embedded):
    messages = refused(embedded, [node(id="h\ud8009", kind="Household"),
                                  node("line 2", id="m9", kind="Member", name="张\udfff三"),
                                  node("line 3", id="h8", kind="Household", note="二楼\ud800")])
    assert messages == ["line 1, field id: holds a lone surrogate (U+D800) at position 2; remove it",
                        "line 2, field name: holds a lone surrogate (U+DFFF) at position 2; remove it",
                        "line 3, field note: holds a lone surrogate (U+D800) at position 3; remove it"]


@pytest.mark.parametrize("char, what", [
    ("\u202e", "a direction-control character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("\u2067", "a direction-control character (U+2067 RIGHT-TO-LEFT ISOLATE)"),
    ("\u200f", "a direction-control character (U+200F RIGHT-TO-LEFT MARK)"),
    ("\u200b", "an invisible character (U+200B ZERO WIDTH SPACE)"),
    ("\ufeff", "an invisible character (U+FEFF ZERO WIDTH NO-BREAK SPACE)"),
    ("\u3164", "an invisible character (U+3164 HANGUL FILLER)"),
    ("\ufffe", "a noncharacter (U+FFFE)"),
    ("\uffff", "a noncharacter (U+FFFF)"),
])
def test_names_and_addresses_refuse_invisible_characters_without_echoing_the_value(embedded, char, what):
    address = f"桂花社区1号楼{char}1单元301室"
    messages = refused(embedded, [node(id="m9", kind="Member", name=f"王{char}芳"),
                                  node("line 2", id="h9", kind="Household", address=address)])
    assert messages == [f"line 1, field name: holds {what} at position 2; remove it",
                        f"line 2, field address: holds {what} at position 8; remove it"]
    assert not any("桂花社区" in m for m in messages)  # the address is never echoed


def test_a_c1_control_character_is_a_control_character(embedded):
    messages = refused(embedded, [node(id="m9", kind="Member", name="王\x85芳")])
    assert messages == ["line 1, field name: '王\\x85芳' holds a control character (U+0085); remove it"]


@pytest.mark.parametrize("name", ["  ", "\u3000", "\u3000\u00a0\t", "\u200d", " \u200c\u3000"])
def test_a_blank_name_is_refused(embedded, name):
    assert refused(embedded, [node(id="m9", kind="Member", name=name)]) == [
        "line 1, field name: must not be blank (it holds only spaces)"]


def test_a_blank_address_is_refused(embedded):
    assert refused(embedded, [node(id="h9", kind="Household", address="\u3000\u3000")]) == [
        "line 1, field address: must not be blank (it holds only spaces)"]


@pytest.mark.parametrize("name", [
    "کتاب\u200cخانه",  # Persian: the non-joiner keeps two letters apart, as the word is spelled
    "क्\u200dष",  # Devanagari: the joiner asks for the half form
    "ᠮᠣᠩᠭᠣᠯ\u180eᠠ",  # Mongolian: the vowel separator picks the final form
    "葛\U000e0100优",  # an ideographic variation sequence: the form of a rare character in a name
    "王 芳", "王芳\u3000",  # spaces within and at the ends of a name are kept
])
def test_characters_that_shape_a_name_are_kept(embedded, name):
    embedded.load([node(id="m9", kind="Member", name=name)])
    assert embedded.node("m9")["name"] == name


# Unicode's own lists, which Python's unicodedata does not give (PropList.txt, Unicode 15)
OTHER_DEFAULT_IGNORABLE = [(0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x2065, 0x2065), (0x3164, 0x3164),
                           (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0xE0000, 0xE0000), (0xE0002, 0xE001F),
                           (0xE0080, 0xE00FF), (0xE01F0, 0xE0FFF)]
VARIATION_SELECTORS = [(0x180B, 0x180D), (0x180F, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF)]
PREPENDED_CONCATENATION_MARKS = [(0x0600, 0x0605), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
                                 (0x08E2, 0x08E2), (0x110BD, 0x110BD), (0x110CD, 0x110CD)]


def codes(ranges) -> set[int]:
    return {c for a, b in ranges for c in range(a, b + 1)}


def default_ignorable() -> set[int]:
    """Default_Ignorable_Code_Point, derived as DerivedCoreProperties.txt derives it: the format characters
    (from unicodedata), the other default-ignorable code points and the variation selectors, less the
    white space, the interlinear annotation and Egyptian format characters and the prepended marks."""
    cf = {c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"}
    white = {c for c in range(0x110000) if chr(c).isspace()}
    return ((cf | codes(OTHER_DEFAULT_IGNORABLE) | codes(VARIATION_SELECTORS)) - white - codes([(0xFFF9, 0xFFFB)])
            - codes([(0x13430, 0x1343F)]) - codes(PREPENDED_CONCATENATION_MARKS))


def test_the_lists_are_unicode_s():
    """The model's lists are the Unicode properties: every format character (Cf) of the Unicode this Python
    knows, and Default_Ignorable_Code_Point as derived from it."""
    assert codes(model._DEFAULT_IGNORABLE) == default_ignorable()
    assert codes(model._VARIATION_SELECTORS) == codes(VARIATION_SELECTORS)
    for code in range(0x110000):
        if unicodedata.category(chr(code)) == "Cf":
            assert code in codes(model._FORMAT), f"U+{code:04X} is a format character the lists miss"


def test_every_default_ignorable_code_point_is_refused_but_the_listed_joiners():
    """Refused in an id, every one; in a name, every one but the joiners and the variation selectors."""
    kept_in_text = codes([(0x180E, 0x180E), (0x200C, 0x200D)]) | codes(VARIATION_SELECTORS)
    chars = sorted(default_ignorable() | codes(model._FORMAT))
    ids, _ = model.validate_nodes("Household", [(f"{c}", {"id": f"h{chr(c)}1"}) for c in chars])
    names, _ = model.validate_nodes("Member", [(f"{c}", {"id": "m", "name": f"王{chr(c)}芳"}) for c in chars])
    for code, id_out, name_out in zip(chars, ids, names):
        assert id_out is None, f"U+{code:04X} is taken in an id"
        assert (name_out is None) == (code not in kept_in_text), f"U+{code:04X} in a name"


@pytest.mark.parametrize("char", ["\u034f", "\u17b4", "\u17b5", "\u2065", "\U000e0002"], ids=lambda c: f"U+{ord(c):04X}")
def test_a_default_ignorable_code_point_is_refused_in_a_name_and_an_address(embedded, char):
    name = unicodedata.name(char, "")
    messages = refused(embedded, [node(id="m9", kind="Member", name=f"王{char}芳"),
                                  node("line 2", id="h9", kind="Household", address=f"桂花社区1号楼{char}")])
    what = f"an invisible character (U+{ord(char):04X}{' ' + name if name else ''})"
    assert messages == [f"line 1, field name: holds {what} at position 2; remove it",
                        f"line 2, field address: holds {what} at position 8; remove it"]


def unassigned_in_python_only(char: str) -> bool:
    """A code point this Python's Unicode does not know, that the patterns' newer one may have assigned."""
    return unicodedata.category(char) == "Cn" and not (ord(char) & 0xFFFE == 0xFFFE or 0xFDD0 <= ord(char) <= 0xFDEF)


def test_the_patterns_and_the_messages_agree():
    """What a pattern refuses, the message names (the patterns run in Rust, the messages in Python)."""
    samples = [chr(c) for c in range(0x80, 0x30000) if not 0xD800 <= c <= 0xDFFF] + [chr(c) for c in range(0xE0000, 0x110000, 7)]
    ids, id_errors = model.validate_nodes("Household", [(f"{i}", {"id": f"h{c}1"}) for i, c in enumerate(samples)])
    names, _ = model.validate_nodes("Member", [(f"{i}", {"id": "m", "name": f"王{c}芳"}) for i, c in enumerate(samples)])
    for char, id_out, name_out in zip(samples, ids, names):
        named = bool(model._kind_of(char, True) or 0x80 <= ord(char) <= 0x9f)
        if not (id_out is not None and unassigned_in_python_only(char)):
            assert (id_out is None) == named, f"U+{ord(char):04X} in an id"
        assert (name_out is None) == bool(model._TEXT_HIDDEN_RE.match(char) or 0x80 <= ord(char) <= 0x9f), \
            f"U+{ord(char):04X} in a name"
    assert all("holds " in e.message and "(U+" in e.message for e in id_errors)


# -- invisible and blank: names that look blank, ids that pass for others --------------------------------

@pytest.mark.parametrize("name", ["\ufe0f", "\u2800", "\u2800\u2800", "\u0301", "\ufe0f\u200d", "\U000e0100"])
def test_a_name_without_a_visible_character_is_refused(embedded, name):
    assert refused(embedded, [node(id="m9", kind="Member", name=name),
                              node("line 2", id="h9", kind="Household", address=f" {name} ")]) == [
        "line 1, field name: must not be blank (it holds no letter, number, symbol or punctuation mark)",
        "line 2, field address: must not be blank (it holds no letter, number, symbol or punctuation mark)"]


@pytest.mark.parametrize("name, what", [
    ("\u034f", "U+034F COMBINING GRAPHEME JOINER"), ("\u3164", "U+3164 HANGUL FILLER"),
    ("\u115f", "U+115F HANGUL CHOSEONG FILLER"), ("\uffa0", "U+FFA0 HALFWIDTH HANGUL FILLER"),
])
def test_a_name_of_a_filler_is_refused_by_code_point(embedded, name, what):
    assert refused(embedded, [node(id="m9", kind="Member", name=name)]) == [
        f"line 1, field name: holds an invisible character ({what}) at position 1; remove it"]


@pytest.mark.parametrize("name", ["⠁⠃", "王\u2800芳", "♥", "“”", "1", "\u200d王"])
def test_a_name_of_one_visible_character_or_more_is_kept(embedded, name):
    embedded.load([node(id="m9", kind="Member", name=name)])
    assert embedded.node("m9")["name"] == name


@pytest.mark.parametrize("node_id, what, position", [
    ("h00000001\u2800", "a blank character (U+2800 BRAILLE PATTERN BLANK)", 10),
    ("h0000000\u00a01", "a space (U+00A0 NO-BREAK SPACE)", 9),
    ("h0000000 1", "a space (U+0020 SPACE)", 9),
    ("h0000000\u30001", "a space (U+3000 IDEOGRAPHIC SPACE)", 9),
    ("h0000000\u20071", "a space (U+2007 FIGURE SPACE)", 9),
    ("h\ufffc1", "a stand-in character (U+FFFC OBJECT REPLACEMENT CHARACTER)", 2),
    ("h\ufffd1", "a stand-in character (U+FFFD REPLACEMENT CHARACTER)", 2),
    ("h\ue0001", "a private-use character (U+E000)", 2),
    ("h\uf8ff1", "a private-use character (U+F8FF)", 2),
    ("h\U000f00001", "a private-use character (U+F0000)", 2),
    ("h\U0010fffd1", "a private-use character (U+10FFFD)", 2),
    ("h\u03781", "an unassigned code point (U+0378)", 2),
    ("h\U000e01f01", "an invisible character (U+E01F0)", 2),
])
def test_an_id_that_passes_for_another_is_refused(embedded, node_id, what, position):
    messages = refused(embedded, [node(id=node_id, kind="Household"),
                                  edge("line 2", type="LOCATED_IN", source=node_id, target="b1")])
    assert messages == [f"line 1, field id: holds {what} at position {position}; remove it",
                        f"line 2, field source: holds {what} at position {position}; remove it"]


# -- ids shaped like personal data -------------------------------------------------------------------

PHONE_ID = "holds a number shaped like a mobile phone number (11 digits, 13x-19x); ids are shown to every token, so an id must not hold one"
CARD_ID = "holds a number shaped like an id-card number (18 digits, or 17 and X, or 15); ids are shown to every token, so an id must not hold one"


@pytest.mark.parametrize("node_id, message", [
    ("13812345678", PHONE_ID), ("h19912345678", PHONE_ID), ("王13812345678户", PHONE_ID), ("h-15912345678-2", PHONE_ID),
    ("１３８１２３４５６７８", PHONE_ID),
    ("110105194912310021", CARD_ID), ("11010519491231002X", CARD_ID), ("h11010519491231002x", CARD_ID),
    ("110105491231002", CARD_ID),
])
def test_an_id_shaped_like_personal_data_is_refused_without_echoing_it(store, node_id, message):
    messages = refused(store, [node(id=node_id, kind="Household"),
                               edge("line 2", type="CONTACTS", source="m1", target=node_id)])
    assert messages == [f"line 1, field id: {message}", f"line 2, field target: {message}"]


@pytest.mark.parametrize("node_id", ["h12345678901", "h2381234567x", "h1381234567", "138123456789", "h1101051949123100",
                                     "1101051949123100211", "h00000001", "s001c1g01b1", "o-s001c1-flood2020"])
def test_an_id_whose_digits_are_no_phone_or_id_card_number_is_kept(embedded, node_id):
    embedded.load(items(street()) + [node(id=node_id, kind="Household")])
    assert embedded.node(node_id)["id"] == node_id


def test_no_id_of_the_generated_city_is_shaped_like_personal_data():
    """Its ids (h00000001, m0000124, s001c1g01b1, u00003, ...) hold runs of 8 digits at most, so a city of
    any size passes (2,000,000 households were checked once, 11,578,386 ids)."""
    from orggraph.generate import generate_city
    from orggraph.load import check_records

    records, _ = generate_city(households=3000, seed=3)
    records = list(records)
    assert check_records([(what, f"record {i}", r) for i, (what, r) in enumerate(records)]) is None
    ids = {r["id"] for what, r in records if what == "node"}
    assert {i[0] for i in ids} >= {"h", "m", "s", "u", "o"}
    assert not [i for i in ids if model._PERSONAL_ID_RE.search(i)]


def test_the_api_refuses_an_id_shaped_like_a_phone_number(api):
    response = send(api, "post", "/households", json={"id": "13812345678",
                                                      "edges": [{"type": "LOCATED_IN", "source": "13812345678", "target": "b1"}]})
    assert response.status_code == 422, response.text
    assert "13812345678" not in response.text and "138****5678" not in response.text
    assert "ids are shown to every token" in response.json()["error"]["details"][0]["message"]


# -- free-form properties: names as ids, text as text ------------------------------------------------------

@pytest.mark.parametrize("name, problem", [
    ("contact\x85", "holds a control character (U+0085) at position 8; remove it"),
    ("con\u2028tact", "holds a line break (U+2028 LINE SEPARATOR) at position 4; remove it"),
    ("con\ttact", "holds a control character (U+0009) at position 4; remove it"),
    ("con\u200btact", "holds an invisible character (U+200B ZERO WIDTH SPACE) at position 4; remove it"),
    ("\u202econtact", "holds a direction-control character (U+202E RIGHT-TO-LEFT OVERRIDE) at position 1; remove it"),
    ("contact ", "must not start or end with spaces"),
    ("\u3000contact", "must not start or end with spaces"),
    ("\u3000", "must not be blank"),
])
def test_a_property_name_is_held_to_the_rules_of_an_id(embedded, name, problem):
    assert refused(embedded, [node(id="h9", kind="Household", **{name: "x"})]) == [
        f"line 1: a property name {problem}"]


@pytest.mark.parametrize("char, what", [
    ("\x00", "a control character (U+0000)"), ("\x1b", "a control character (U+001B)"),
    ("\x7f", "a control character (U+007F)"), ("\x85", "a control character (U+0085)"),
    ("\x9b", "a control character (U+009B)"),
    ("\u200b", "an invisible character (U+200B ZERO WIDTH SPACE)"),
    ("\u202e", "a direction-control character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("\u034f", "an invisible character (U+034F COMBINING GRAPHEME JOINER)"),
    ("\ufffe", "a noncharacter (U+FFFE)"),
])
def test_property_text_is_held_to_the_rules_of_text(store, char, what):
    messages = refused(store, [node(id="h9", kind="Household", note=f"二楼{char}东户"),
                               node("line 2", id="h8", kind="Household", tags=["a", f"b{char}"]),
                               edge("line 3", type="CONTACTS", source="m1", target="h3", note=f"{char}")])
    assert messages == [f"line 1, field note: holds {what} at position 3; remove it",
                        f"line 2, field tags: holds {what} at position 2; remove it",
                        f"line 3, field note: holds {what} at position 1; remove it"]
    assert not any("东户" in m for m in messages)


def test_property_text_keeps_tabs_line_breaks_joiners_and_spaces(embedded):
    props = {"emergency contact": "王芳\t二楼\n东户", "note": "क्\u200dष 葛\U000e0100优", "blank": " ", "empty": ""}
    embedded.load(items(street()) + [node(id="h9", kind="Household", **props)])
    assert {k: embedded.node("h9")[k] for k in props} == props


# -- 2. byte order marks and line ends ----------------------------------------------------------------

HOUSEHOLDS = [{"id": "h7", "kind": "Household", "address": "桂花社区2号楼101室"},
              {"id": "h8", "kind": "Household", "people": 2}]
PLACED = [{"type": "LOCATED_IN", "source": "h7", "target": "b1"}, {"type": "LOCATED_IN", "source": "h8", "target": "b1"}]


def jsonl(records: list[tuple[str, dict]], end: str) -> bytes:
    return "".join(json.dumps({what: r}, ensure_ascii=False) + end for what, r in records).encode()


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "BOM"])
def test_json_lines_load_with_a_bom_and_any_line_end(tmp_path, store, bom, end):
    store.load(items(street()))
    path = tmp_path / "new.jsonl"
    path.write_bytes(bom + jsonl([("node", r) for r in HOUSEHOLDS] + [("edge", e) for e in PLACED], end))
    report = load_file(store, path)
    assert (report.added_nodes, report.added_edges) == (2, 2)
    assert store.node("h7")["address"] == "桂花社区2号楼101室"


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "BOM"])
def test_a_json_document_loads_with_a_bom_and_any_line_end(tmp_path, embedded, bom, end):
    path = tmp_path / "street.json"
    text = json.dumps(street(), ensure_ascii=False, indent=1).replace("\n", end)
    path.write_bytes(bom + text.encode())
    assert load_file(embedded, path).added_nodes == len(street()["nodes"])


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_errors_name_the_line_an_editor_shows_whatever_the_line_ends(tmp_path, embedded, end):
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps({"node": HOUSEHOLDS[0]}), "", json.dumps({"node": {"id": "h9", "kind": "Household", "people": 0}}),
             "{not json", json.dumps({"vertex": {}})]
    path.write_bytes(b"\xef\xbb\xbf" + end.join(lines).encode() + end.encode())
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, path)
    assert [e.where for e in info.value.errors] == ["line 3", "line 4", "line 5"]
    doc = tmp_path / "bad.json"
    doc.write_bytes(b"\xef\xbb\xbf" + end.join(['{"nodes": [', '{"id": "h1",', '"kind": Household}]}']).encode())
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, doc)
    assert "line 3 column 9" in info.value.errors[0].message


def test_a_utf16_file_is_named_as_such(tmp_path, embedded):
    path = tmp_path / "street.jsonl"
    path.write_bytes(jsonl([("node", HOUSEHOLDS[0])], "\r\n").decode().encode("utf-16"))
    with pytest.raises(InvalidRecords, match="UTF-16.*save it as UTF-8"):
        load_file(embedded, path)


def test_the_cli_loads_a_file_saved_by_a_windows_tool(tmp_path):
    path = tmp_path / "street.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(street(), ensure_ascii=False, indent=1).replace("\n", "\r\n").encode())
    done = run_cli("load", str(path), "--db", str(tmp_path / "city.db"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "added 15 nodes" in done.stdout


# -- 3. one limit for free-form properties ------------------------------------------------------------

def test_the_api_keeps_the_limits_of_the_model():
    from orggraph.api import schemas

    assert (schemas.MAX_TEXT, schemas.MAX_ITEMS, schemas.MAX_NAME) == (MAX_TEXT, MAX_ITEMS, MAX_NAME)


def test_a_load_keeps_the_one_limit_on_free_form_properties(store):
    long = "x" * (MAX_TEXT + 1)
    messages = refused(store, [
        node(id="h9", kind="Household", note=long),
        node("line 2", id="h8", kind="Household", note="y" * 50_000_000),
        node("line 3", id="h7", kind="Household", tags=list(range(MAX_ITEMS + 1))),
        node("line 4", id="h6", kind="Household", tags=[["nested"]]),
        node("line 5", id="h5", kind="Household", tags={"an": "object"}),
        node("line 6", id="h4", kind="Household", **{"n" * (MAX_NAME + 1): 1}),
        node("line 7", id="h3", kind="Household", **{f"p{i}": i for i in range(MAX_PROPERTIES + 1)}),
        node("line 8", id="h2", kind="Household", tags=["x" * (MAX_TEXT + 1)]),
        edge("line 9", type="CONTACTS", source="m1", target="h3", note=long),
        node("line 10", id="h1", kind="Household", count=2**64, ratio=float("inf")),
    ])
    assert messages == [
        f"line 1, field note: is too long: a property holds at most {MAX_TEXT} characters of text",
        f"line 2, field note: is too long: a property holds at most {MAX_TEXT} characters of text",
        f"line 3, field tags: holds {MAX_ITEMS + 1} items; a property holds at most {MAX_ITEMS}",
        f"line 4, field tags: a list property holds text, numbers and true/false, nested at most {MAX_DEPTH} deep; "
        "this one holds a list or an object",
        "line 5, field tags: must be text, a number, true/false or a list of those, got dict",
        f"line 6: a property name is {MAX_NAME + 1} characters long; a name holds at most {MAX_NAME}",
        f"line 7: holds {MAX_PROPERTIES + 1} properties of its own; a record holds at most {MAX_PROPERTIES}",
        f"line 8, field tags: is too long: a property holds at most {MAX_TEXT} characters of text",
        f"line 9, field note: is too long: a property holds at most {MAX_TEXT} characters of text",
        "line 10, field count: is a whole number beyond 64 bits",
        "line 10, field ratio: must be a finite number",
    ]


def test_properties_within_the_limits_load(store):
    props = {"note": "x" * MAX_TEXT, "tags": ["a", 1, 2.5, True] * (MAX_ITEMS // 4), "n" * MAX_NAME: -(2**63)}
    store.load(items(street()))
    store.load([node(id="h9", kind="Household", **props),
                edge("line 2", type="CONTACTS", source="m1", target="h9", note="y" * MAX_TEXT)])
    assert {k: store.node("h9")[k] for k in props} == props


def test_the_cli_refuses_a_property_over_the_limit(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"node": {"id": "h1", "kind": "Household", "note": "x" * 5_000_000}}) + "\n")
    done = run_cli("load", str(path), "--db", str(tmp_path / "city.db"), cwd=tmp_path)
    assert done.returncode == 2
    assert f"line 1, field note: is too long: a property holds at most {MAX_TEXT} characters of text" in done.stderr
    assert len(done.stderr) < 2000


def test_the_api_keeps_the_same_limit_on_every_route(api):
    long = "x" * (MAX_TEXT + 1)
    imported = post_import(api, "editor", {"nodes": [{"id": "h1", "kind": "Household", "note": long}]})
    assert imported.status_code == 422
    assert imported.json()["error"]["details"] == [
        {"where": "nodes[0]", "field": "note", "message": f"is too long: a property holds at most {MAX_TEXT} characters of text"}]
    lines = json.dumps({"node": {"id": "h1", "kind": "Household", "tags": [["a"]]}}) + "\n"
    assert post_import(api, "editor", lines, "application/x-ndjson").status_code == 422
    put = send(api, "put", "/households/h1", json={"note": long})
    assert put.status_code == 422 and str(MAX_TEXT) in put.text
    assert send(api, "put", "/households/h1", json={"note": "x" * MAX_TEXT}).status_code == 200


# -- 4. a record given twice in one input ---------------------------------------------------------------

def test_an_id_given_again_with_other_properties_names_both_lines(tmp_path, store):
    store.load(items(street()))
    before = snapshot(store)
    lines = [{"node": {"id": "h7", "kind": "Household"}}, {"node": {"id": "h8", "kind": "Household"}},
             {"node": {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "people": 3}},
             {"node": {"id": "h9", "kind": "Household"}}, {"edge": {"type": "LOCATED_IN", "source": "h9", "target": "b1"}},
             {"node": {"id": "h8", "kind": "Household"}},  # given again alike: taken once
             {"node": {"id": "h1", "kind": "Household", "address": "桂花社区1号楼1单元101室", "people": 4}}]
    path = tmp_path / "twice.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    with pytest.raises(InvalidRecords) as info:
        load_file(store, path)
    assert [str(e) for e in info.value.errors] == [
        "line 7, field id: 'h1' is given again with other properties (first at line 3)"]
    assert snapshot(store) == before
    with pytest.raises(InvalidRecords):
        load_file(store, path, dry_run=True)


def test_a_record_given_twice_alike_is_taken_once_and_is_unchanged_on_reload(tmp_path, store):
    doc = street()
    doc["nodes"].insert(3, dict(doc["nodes"][-1]))  # h3, with its keys in another order below
    doc["nodes"].append(dict(reversed(list(doc["nodes"][-1].items()))))
    doc["edges"].append(dict(doc["edges"][-1]))
    path = tmp_path / "street.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    first = load_file(store, path)
    assert (first.added_nodes, first.added_edges) == (len(street()["nodes"]), len(street()["edges"]))
    again = load_file(store, path)
    assert (again.added_nodes, again.added_edges, again.changed) == (0, 0, 0)


def test_an_edge_given_again_with_another_until_or_other_properties_names_both_places(store):
    store.load(items(street()))
    doc = {"nodes": [], "edges": [
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-01-01"},
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-06-01"},  # another since: another edge
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-01-01", "until": "2025-12-31"},
        {"type": "LOCATED_IN", "source": "h3", "target": "b1", "floor": 2},
        {"type": "LOCATED_IN", "source": "h3", "target": "b1", "floor": 3},
        {"type": "LOCATED_IN", "source": "h3", "target": "b1", "floor": 2},  # alike the first: no more to say
        {"type": "CONTACTS", "source": "m1", "target": "h3", "since": "2025-06-01"},
    ]}
    before = snapshot(store)
    with pytest.raises(InvalidRecords) as info:
        store.load(items(doc))
    assert [str(e) for e in info.value.errors] == [
        "edges[2]: this CONTACTS edge (its source, target and since) is given again with other properties or until "
        "(first at edges[0])",
        "edges[4]: this LOCATED_IN edge (its source, target and since) is given again with other properties or until "
        "(first at edges[3])"]
    assert snapshot(store) == before


def test_an_id_given_for_two_kinds_is_named_once(embedded):
    messages = refused(embedded, [node(id="h9", kind="Household"), node("line 2", id="h9", kind="Member", name="王芳")])
    assert messages == ["line 2, field id: 'h9' is already a Household in this load; an id names one node only"]


def test_repeats_are_found_across_batches(embedded):
    records = [node(f"line {i}", id=f"h{i}", kind="Household", people=1 + i % 5) for i in range(1, 12_001)]
    records.append(node("line 12001", id="h17", kind="Household", people=5))
    messages = refused(embedded, records)
    assert messages == ["line 12001, field id: 'h17' is given again with other properties (first at line 17)"]


def test_a_row_given_again_in_a_workbook_names_both_rows_and_the_column(tmp_path, embedded):
    from orggraph.io.excel import write_workbook

    path = tmp_path / "台账.xlsx"
    write_workbook([{"id": "h1", "kind": "Household", "people": 2}, {"id": "h2", "kind": "Household"},
                    {"id": "h1", "kind": "Household", "people": 3}], [], path)
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, path)
    [error] = info.value.errors
    assert (error.where, error.message) == ("sheet 住户, row 4", "'h1' is given again with other properties (first at sheet 住户, row 2)")
    assert error.field.startswith("column A") and error.field.endswith("(id)")


# -- whole numbers past 64 bits, and a key given twice, in every file a load reads -------------------------

BIG = [2**64, 2**70, 1180591620717411303424, -(2**63) - 1, -(2**70), 10**400]


def jsonl_of(*records: str) -> bytes:
    return "".join(records).encode()


@pytest.mark.parametrize("number", BIG, ids=lambda n: f"{'-' if n < 0 else ''}{len(str(abs(n)))}digits")
def test_a_whole_number_past_64_bits_is_refused_by_line_and_field(tmp_path, store, number):
    store.load(items(street()))
    before = snapshot(store)
    lines = tmp_path / "big.jsonl"
    lines.write_bytes(jsonl_of('{"node": {"id": "h9", "kind": "Household"}}\n',
                               f'{{"node": {{"id": "h8", "kind": "Household", "count": {number}}}}}\n',
                               f'{{"edge": {{"type": "CONTACTS", "source": "m1", "target": "h3", "tags": [1, {number}]}}}}\n'))
    doc = tmp_path / "big.json"
    doc.write_text(f'{{"nodes": [{{"id": "h8", "kind": "Household", "count": {number}}}], "edges": []}}')
    for path, expected in ((lines, ["line 2, field count: is a whole number beyond 64 bits",
                                    "line 3, field tags: is a whole number beyond 64 bits"]),
                           (doc, ["nodes[0], field count: is a whole number beyond 64 bits"])):
        with pytest.raises(InvalidRecords) as info:
            load_file(store, path)
        assert [str(e) for e in info.value.errors] == expected
    assert snapshot(store) == before


def test_numbers_orjson_reads_as_written_still_load(tmp_path, embedded):
    path = tmp_path / "numbers.jsonl"
    path.write_text('{"node": {"id": "h8", "kind": "Household", "a": 9223372036854775807, "b": -9223372036854775808, '
                    '"c": 1.5e300, "d": 0.1234567890123456789, "e": "13812345678901234567890", "f": "10:30"}}\n')
    load_file(embedded, path)
    assert {k: embedded.node("h8")[k] for k in "abcdef"} == {
        "a": 2**63 - 1, "b": -(2**63), "c": 1.5e300, "d": 0.1234567890123456789, "e": "13812345678901234567890",
        "f": "10:30"}


def test_a_key_given_twice_in_a_record_is_refused_naming_the_record_and_the_key(tmp_path, store):
    store.load(items(street()))
    before = snapshot(store)
    lines = tmp_path / "twice.jsonl"
    lines.write_bytes(jsonl_of('{"node": {"id": "h9", "kind": "Household", "people": 1}}\n',
                               '{"node": {"id": "h8", "kind": "Household", "people": 1, "people": 2}}\n',
                               '{"node": {"id": "h7", "kind": "Household"}, "node": {"id": "h6", "kind": "Household"}}\n',
                               '{"edge": {"type": "CONTACTS", "source": "m1", "target": "h3", "note": "a", "note": "a"}}\n',
                               '{"node": {"id": "h5", "kind": "Household", "note": "10:30", "x": 1, "x": 2, "y": 1, "y": 1}}\n'))
    doc = tmp_path / "twice.json"
    doc.write_text('{"nodes": [{"id": "h9", "kind": "Household"}, {"id": "h8", "kind": "Household", "people": 1, '
                   '"people": 2}], "edges": []}')
    twice = "gives the key {} twice; keep one (the last would win silently)"
    for path, expected in ((lines, [f"line 2: {twice.format(repr('people'))}", f"line 3: {twice.format(repr('node'))}",
                                    f"line 4: {twice.format(repr('note'))}",
                                    "line 5: gives the keys 'x', 'y' twice; keep one of each"]),
                           (doc, [f"nodes[1]: {twice.format(repr('people'))}"])):
        with pytest.raises(InvalidRecords) as info:
            load_file(store, path)
        assert [str(e) for e in info.value.errors] == expected
    assert snapshot(store) == before


def household_sheet(path, extra: str):
    """A workbook whose 住户 row 2 holds ``extra`` in its 其他属性 column, and a LOCATED_IN edge from it."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    book.create_sheet("住户").append(["编号", "地址", "其他属性"])
    book["住户"].append(["h7", "桂花社区1号楼401室", extra])
    book.create_sheet("住户位置").append(["住户编号", "区域编号"])
    book["住户位置"].append(["h7", "b1"])
    book.save(path)
    return path


@pytest.mark.parametrize("extra, message", [
    ('{"people_twice": 1, "people_twice": 2}', "gives the key 'people_twice' twice; keep one (the last would win silently)"),
    ('{"count": 1180591620717411303424}', None),
])
def test_a_workbook_s_other_properties_cell_is_read_as_written(tmp_path, embedded, extra, message):
    embedded.load(items(street()))
    path = household_sheet(tmp_path / "台账.xlsx", extra)
    with pytest.raises(InvalidRecords) as info:
        load_file(embedded, path)
    error = info.value.errors[0]  # then the edge from the row's node, if the row was read
    assert error.where == "sheet 住户, row 2"
    if message:
        assert error.message == f"column C 其他属性: {message}"
    else:
        assert (error.field, error.message) == ("count", "is a whole number beyond 64 bits")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_import_whose_row_is_refused_as_read_names_the_row_beside_an_edge_to_it(api, tmp_path):
    """The row is refused as the file is read, so the edge to it reaches a node the load does not hold:
    the answer is still the row's fault, by sheet, row and column, and never the phone it holds."""
    before = snapshot(api.store)
    path = household_sheet(tmp_path / "台账.xlsx", "张三 13812345678")
    response = post_import(api, "editor", path.read_bytes(), XLSX)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"] == [{"where": "sheet 住户, row 2", "field": None,
                                 "message": 'column C 其他属性: must be a JSON object like {"备注": "..."}'}]
    assert "13812345678" not in response.text and "张三" not in response.text
    lines = ('{"node": {"id": "h7", "kind": "Household", "people": NaN}}\n'
             '{"edge": {"type": "LOCATED_IN", "source": "h7", "target": "b1"}}\n')
    response = post_import(api, "editor", lines, "application/x-ndjson")
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["where"] == "line 1" and detail["message"].startswith("not valid JSON")
    assert snapshot(api.store) == before


def test_an_import_refuses_a_number_past_64_bits_and_a_key_given_twice(api):
    body = ('{"nodes": [{"id": "h7", "kind": "Household", "count": 1180591620717411303424}, '
            '{"id": "h6", "kind": "Household", "people": 1, "people": 2}], '
            '"edges": [{"type": "LOCATED_IN", "source": "h7", "target": "b1"}, {"type": "LOCATED_IN", "source": "h6", "target": "b1"}]}')
    response = post_import(api, "editor", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"] == [
        {"where": "nodes[0]", "field": "count", "message": "is a whole number beyond 64 bits"},
        {"where": "nodes[1]", "field": None, "message": "gives the key 'people' twice; keep one (the last would win silently)"}]
