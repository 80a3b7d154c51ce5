"""Personal data in every field: masked without pii, audited with it, never in an error or a log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from orggraph.access import create_token
from orggraph.api import create_app
from orggraph.api.settings import Settings
from orggraph.exceptions import InvalidRecords
from orggraph.privacy import is_personal, mask_record
from orggraph.store import EmbeddedStore

from .conftest import items, run_cli, served, street
from .test_api import DAY, api, get, send, two_communities  # noqa: F401 (api is a fixture)

MOBILE, OTHER_MOBILE, ID_CARD = "13712345678", "13812345678", "11010119900101123X"
HOUSEHOLD = {"id": "h7", "address": "桂花社区1号楼2单元701室", "mobile": MOBILE,
             "emergency_contact": f"李四 {OTHER_MOBILE}",
             "edges": [{"type": "LOCATED_IN", "source": "h7", "target": "b1"}]}


def audit_rows(client) -> list[tuple[str, list[str]]]:
    return [(r["route"], r["records"]) for r in get(client, "/audit", "admin").json()]


def nothing_personal(text: str) -> bool:
    return not any(v in text for v in (MOBILE, OTHER_MOBILE, ID_CARD, "李四", "2单元701室"))


# -- the API ----------------------------------------------------------------------------------------------


def test_extra_and_edge_properties_are_masked_for_a_viewer_and_audited_for_pii(api):
    created = send(api, "post", "/households", json=HOUSEHOLD)
    assert created.status_code == 201, created.text
    assert nothing_personal(created.text)  # the editor has no pii: its own answer is masked too
    edge = send(api, "post", "/edges", json={"type": "CONTACTS", "source": "m1", "target": "h7", "phone": OTHER_MOBILE})
    assert edge.status_code == 201 and edge.json()["phone"] == "138****5678"

    shown = get(api, "/households/h7").json()
    assert shown["mobile"] == "137****5678" and shown["emergency_contact"] == "****"
    assert shown["address"] == "桂花社区1号楼****" and shown["kind"] == "Household"
    for response in (get(api, "/households"), get(api, "/edges", node="h7"), get(api, "/edges", node="m1")):
        assert response.status_code == 200 and nothing_personal(response.text)
    assert audit_rows(api) == []  # nothing was shown unmasked

    full = get(api, "/households/h7", "pii").json()
    assert (full["mobile"], full["emergency_contact"]) == (MOBILE, f"李四 {OTHER_MOBILE}")
    contact = [e for e in get(api, "/edges", "pii", node="h7").json()["items"] if e["type"] == "CONTACTS"]
    assert contact[0]["phone"] == OTHER_MOBILE
    assert audit_rows(api) == [("GET /households/{id}", ["h7"]), ("GET /edges", ["h7", "m1"])]


def test_a_member_s_address_and_id_card_are_personal(api):
    record = {"name": "王芳", "phone": "13800001111", "address": "桂花社区3号楼1单元202室", "id_card": ID_CARD}
    changed = send(api, "put", "/members/m1", json=record)
    assert changed.status_code == 200, changed.text
    shown = get(api, "/members/m1").json()
    assert shown["address"] == "桂花社区3号楼****" and shown["id_card"] == "110***********123X"
    assert "1单元202室" not in json.dumps(get(api, "/members").json(), ensure_ascii=False)
    assert get(api, "/members/m1", "pii").json()["id_card"] == ID_CARD
    assert audit_rows(api) == [("GET /members/{id}", ["m1"])]


def test_a_phone_in_any_text_is_masked_and_a_declared_property_is_shown(api):
    """A free-form property is masked whole unless declared non-personal; then, as in a name, only the
    phone in it is masked."""
    send(api, "put", "/households/h3", json={"note": f"二楼东户，儿子电话 {MOBILE}", "people": 2})
    send(api, "put", "/orgs/o-c1", json={"name": f"桂花社区大党委（值班 {OTHER_MOBILE}）", "level": "community"})
    assert get(api, "/households/h3").json()["note"] == "****"
    assert get(api, "/orgs/o-c1").json()["name"] == "桂花社区大党委（值班 138****5678）"
    declared = TestClient(create_app(Settings(public_properties="note, 楼栋备注"), store=api.store))
    with declared:
        declared.tokens = api.tokens
        assert get(declared, "/households/h3").json()["note"] == "二楼东户，儿子电话 137****5678"
        assert get(declared, "/households/h3", "pii").json()["note"] == f"二楼东户，儿子电话 {MOBILE}"
    assert audit_rows(api)[-1] == ("GET /households/{id}", ["h3"])


def test_api_errors_do_not_echo_personal_values(api):
    cases = [
        ("put", "/households/h1", {"phone": int(OTHER_MOBILE)}),  # a phone that is not text
        ("put", "/households/h1", {"address": "桂花社区1号楼2单元701室\x07"}),  # a control character
        ("put", "/households/h1", {"people": OTHER_MOBILE}),  # a phone where a number belongs
        ("put", "/households/h1", {"mobile": {"number": OTHER_MOBILE}}),  # a free-form value of the wrong kind
        ("post", "/households", {**HOUSEHOLD, "flags": [MOBILE]}),
    ]
    for method, path, body in cases:
        response = send(api, method, path, json=body)
        assert response.status_code == 422, (body, response.text)
        assert set(response.json()) == {"error"} and nothing_personal(response.text), response.text
    message = send(api, "put", "/households/h1", json={"phone": int(OTHER_MOBILE)}).json()["error"]["details"][0]
    assert message["field"] == "phone" and message["message"] == "must be text, got a number of 11 digits"


# -- the library ------------------------------------------------------------------------------------------


def test_library_errors_do_not_echo_personal_values(embedded):
    from orggraph.model import _message

    doc = street()
    doc["nodes"][9]["phone"] = int(OTHER_MOBILE)
    doc["nodes"][12]["address"] = "桂花社区1号楼2单元701室\x07"
    doc["nodes"][13]["people"] = MOBILE
    with pytest.raises(InvalidRecords) as info:
        embedded.load(items(doc))
    text = str(info.value)
    assert "field address: text of 15 characters holds a control character (U+0007) at character 15" in text
    assert "field phone: must be text, got a number of 11 digits" in text
    assert "field people: must be a whole number, got '137****5678'" in text and nothing_personal(text)

    class Free(TypedDict):  # a free-form property held to the rules of text, as a limit on one would be
        emergency_contact: str

    with pytest.raises(ValidationError) as bad:
        TypeAdapter(list[Free], config={"strict": True}).validate_python([{"emergency_contact": 13712345678}])
    [error] = bad.value.errors()
    assert _message(error, str(error["loc"][1])) == "must be text, got a number of 11 digits"


def test_one_definition_of_personal():
    assert [is_personal(f, "Household") for f in ("mobile", "Tel", "手机号码", "联系电话", "座机", "家庭住址", "身份证号",
                                                  "ID-Number", "emergency_contact", "people", "flags")] == [True] * 9 + [False] * 2
    assert is_personal("note", "Household", public="note") is False
    assert is_personal("phone", "CONTACTS", public="phone") is True  # a phone is never declared away
    edge = {"type": "CO_BUILDS", "source": "u1", "target": "o-c1", "kind": "co_building", "items": ["旧衣", MOBILE]}
    assert mask_record(edge, pii=False) == ({**edge, "items": ["旧衣", "137****5678"]}, True)


# -- the command line -------------------------------------------------------------------------------------


@pytest.fixture
def personal_db(tmp_path):
    doc = street()
    doc["nodes"][12].update(mobile=MOBILE, emergency_contact=f"李四 {OTHER_MOBILE}")
    doc["nodes"][9].update(id_card=ID_CARD, address="桂花社区3号楼1单元202室")
    doc["edges"][-4]["phone"] = OTHER_MOBILE  # CONTACTS m1 -> h1
    (tmp_path / "street.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    return tmp_path


def cli_audit(folder) -> list[tuple[str, str, list[str]]]:
    with EmbeddedStore(folder / "s.db") as store:
        return [(row["token"].split(":")[0], row["route"], row["records"]) for row in store.audit_rows(limit=1000)]


def test_export_masks_unless_unmask_and_a_complete_one_is_audited(personal_db):
    masked = run_cli("export", "out.json", "--db", "s.db", cwd=personal_db)
    assert masked.returncode == 0 and "personal data masked" in masked.stdout
    text = (personal_db / "out.json").read_text(encoding="utf-8")
    assert nothing_personal(text) and "3号楼1单元202室" not in text and '"13900002222"' not in text
    assert cli_audit(personal_db) == []
    full = run_cli("export", "--unmask", "full.json", "--db", "s.db", cwd=personal_db)
    assert full.returncode == 0 and "masked" not in full.stdout
    nodes = {n["id"]: n for n in json.loads((personal_db / "full.json").read_text(encoding="utf-8"))["nodes"]}
    assert (nodes["h1"]["mobile"], nodes["m1"]["id_card"], nodes["h1"]["phone"]) == (MOBILE, ID_CARD, "13900002222")
    [row] = cli_audit(personal_db)
    assert row[:2] == ("cli", "orggraph export --unmask") and {"h1", "h3", "m1", "m2"} <= set(row[2])
    reloaded = run_cli("load", "full.json", "--db", "copy.db", cwd=personal_db)
    assert reloaded.returncode == 0, reloaded.stderr
    with EmbeddedStore(personal_db / "copy.db") as copy:
        assert copy.node("h1")["emergency_contact"] == f"李四 {OTHER_MOBILE}"


def test_the_command_line_masks_and_audits_what_it_shows(personal_db):
    doc = street()
    doc["nodes"][9]["name"] = f"王芳 {MOBILE}"  # a name holding a phone
    (personal_db / "name.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "name.json", "--db", "s.db", cwd=personal_db).returncode == 0
    chain = run_cli("chain", "h1", "--as-of", DAY, "--db", "s.db", cwd=personal_db)
    assert chain.returncode == 0 and "王芳 137****5678" in chain.stdout and nothing_personal(chain.stdout)
    sheet = run_cli("incident", "--area", "b1", "--as-of", DAY, "--xlsx", "call.xlsx", "--db", "s.db", cwd=personal_db)
    assert sheet.returncode == 0 and nothing_personal(sheet.stdout)
    from openpyxl import load_workbook

    cells = " ".join(str(c.value) for row in load_workbook(personal_db / "call.xlsx").active.iter_rows() for c in row)
    assert "138****1111" in cells and nothing_personal(cells) and "1单元101室" not in cells
    assert cli_audit(personal_db) == []
    unmasked = run_cli("chain", "h1", "--as-of", DAY, "--unmask", "--db", "s.db", cwd=personal_db)
    assert f"王芳 {MOBILE}" in unmasked.stdout and "13800001111" in unmasked.stdout
    assert cli_audit(personal_db) == [("cli", "orggraph chain --unmask", ["m1", "m2"])]


def test_command_line_errors_do_not_echo_personal_values(tmp_path):
    doc = {"nodes": [{"id": "h1", "kind": "Household", "phone": int(OTHER_MOBILE)},
                     {"id": "h2", "kind": "Household", "address": "桂花社区1号楼2单元701室\x07"},
                     {"id": "m1", "kind": f"Member {MOBILE}", "name": "王芳"}]}
    (tmp_path / "bad.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run_cli("load", "bad.json", "--db", "x.db", cwd=tmp_path)
    assert result.returncode == 2 and "3 problems" in result.stderr
    assert "nodes[1], field address: text of 15 characters holds a control character" in result.stderr
    assert "unknown node kind 'Member 137****5678'" in result.stderr and nothing_personal(result.stderr)


# -- the access log ---------------------------------------------------------------------------------------


def served_log(tmp_path, paths: list[str]) -> str:
    """The log of a real ``orggraph serve`` after a pii token asked for each path (quoted as given)."""
    (tmp_path / "street.json").write_text(json.dumps(two_communities(), ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "street.json", cwd=tmp_path).returncode == 0
    with EmbeddedStore(tmp_path / "orggraph.db") as store:
        secret = create_token(store, "viewer", ["c1"], pii=True)[0]
    with served(cwd=tmp_path) as (url, proc):
        for path in paths:
            request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {secret}"})
            try:
                urllib.request.urlopen(request, timeout=10).read()
            except urllib.error.HTTPError as exc:
                assert nothing_personal(exc.read().decode())
    log = proc.log
    assert log.count(" HTTP/1.1") >= len(paths), log  # every request was logged
    return log


def test_the_access_log_of_a_real_server_holds_nothing_personal(tmp_path):
    log = served_log(tmp_path, [f"/coverage?as_of={DAY}&unavailable={MOBILE},m1", "/households/h1",
                                f"/households/{OTHER_MOBILE}", f"/edges?node=h1&type=CONTACTS&id_card={ID_CARD}"])
    assert "GET /coverage?as_of=*&unavailable=* HTTP/1.1" in log and "GET /households/138****5678 HTTP/1.1" in log
    assert "GET /edges?node=*&type=*&id_card=* HTTP/1.1" in log
    assert nothing_personal(log) and "13900002222" not in log and "m1" not in log


def test_the_access_log_decodes_a_path_before_masking_it(tmp_path):
    """A number glued to a percent-escape, escaped itself (once or twice), or in full-width digits."""
    from urllib.parse import quote, unquote

    paths = ["/households/%E5%BC%A0%E4%B8%8913812345678", "/households/x%2013812345678",
             "/households/" + "".join(f"%{ord(c):02X}" for c in OTHER_MOBILE),
             "/households/" + "".join(f"%25{ord(c):02X}" for c in OTHER_MOBILE),
             "/households/" + quote("１３８１２３４５６７８"), "/households/" + quote("138.1234.5678"),
             f"/edges?node=h1&x%20{MOBILE}=1"]
    log = served_log(tmp_path, paths)
    lines = [line for line in log.splitlines() if " HTTP/1.1" in line]
    assert not any(leaks(unquote(unquote(line))) for line in lines), log
    assert "GET /households/%E5%BC%A0%E4%B8%89138****5678 HTTP/1.1" in log
    assert "GET /households/x%20138****5678 HTTP/1.1" in log and "GET /edges?node=*&x%20137****5678=* HTTP/1.1" in log


# -- numbers in property names, in digits of any script, behind percent-escapes -------------------------------

NUMBERS = (MOBILE, OTHER_MOBILE, "13912345678", "110101199003074518")
NAMED = {"id": "hK1", "address": "桂花社区1号楼2单元702室", "张三电话13912345678": "有",
         "身份证110101199003074518": True, "13812345678": "x",
         "edges": [{"type": "LOCATED_IN", "source": "hK1", "target": "b1"}]}
FULL_WIDTH_NAME, DOTTED_NAME = "张三１３８１２３４５６７８", "张三138.1234.5678"
FULL_WIDTH_ADDRESS = "张三家电话１３８１２３４５６７８桂花社区1号楼1单元101室"


def leaks(text: str) -> bool:
    """Whether a whole number shows, in any digits and with any separators between them (folded here in
    the test's own way: NFKC, then spaces, dots and dashes dropped)."""
    import re
    import unicodedata

    folded = re.sub(r"[\s.\-]", "", unicodedata.normalize("NFKC", text))
    return any(n in folded for n in NUMBERS)


def shown(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def cells(data) -> str:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    return " ".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)


def test_numbers_in_property_names_are_masked_for_a_viewer_and_audited_for_pii(api):
    created = send(api, "post", "/households", json=NAMED)
    assert created.status_code == 201, created.text
    assert not leaks(created.text)  # the editor has no pii
    edge = send(api, "post", "/edges", json={"type": "CONTACTS", "source": "m1", "target": "hK1", "李四13712345678": "y"})
    assert edge.status_code == 201 and not leaks(edge.text) and edge.json()["李四137****5678"] == "****"

    household = get(api, "/households/hK1").json()
    assert household["张三电话139****5678"] == household["138****5678"] == household["身份证110***********4518"] == "****"
    for response in (get(api, "/households"), get(api, "/edges", node="hK1"), get(api, "/edges", node="m1")):
        assert response.status_code == 200 and not leaks(shown(response)), response.text
    assert audit_rows(api) == []

    full = get(api, "/households/hK1", "pii").json()
    assert (full["张三电话13912345678"], full["身份证110101199003074518"], full["13812345678"]) == ("有", True, "x")
    contact = [e for e in get(api, "/edges", "pii", node="hK1").json()["items"] if e["type"] == "CONTACTS"]
    assert contact[0]["李四13712345678"] == "y"
    assert audit_rows(api) == [("GET /households/{id}", ["hK1"]), ("GET /edges", ["hK1", "m1"])]


def test_two_names_that_mask_alike_are_both_shown():
    record = {"id": "h1", "kind": "Household", "13812345678": "a", "138 9999 5678": "b", "138****5678": "c"}
    masked, personal = mask_record(record, pii=False)
    assert personal and masked == {"id": "h1", "kind": "Household", "138****5678": "****",
                                   "138****5678 (2)": "****", "138****5678 (3)": "****"}


def test_digits_of_any_script_and_any_separator_are_masked():
    from orggraph.privacy import mask_address, mask_id_card, mask_phone, mask_text

    cases = {
        FULL_WIDTH_NAME: "张三138****5678",
        DOTTED_NAME: "张三138****5678",
        "李四１３８．１２３４．５６７８。": "李四138****5678。",
        "王五 138－1234－5678 住": "王五 138****5678 住",
        "赵六 138\u30001234\u30005678": "赵六 138****5678",
        "钱七 138\u20131234\u20135678": "钱七 138****5678",
        "孙八 ١٣٨١٢٣٤٥٦٧٨ 号": "孙八 138****5678 号",  # Arabic-Indic
        "周九 १३८१२३४५६७८": "周九 138****5678",  # Devanagari
        "吴十 \U0001d7cf\U0001d7d1\U0001d7d6\U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2\U0001d7d3\U0001d7d4\U0001d7d5\U0001d7d6": "吴十 138****5678",
        "座机 ０２７－８７６５４３２１ 转": "座机 027****4321 转",
        "身份证 110101 19900307 4518": "身份证 110***********4518",
        "身份证 １１０１０１１９９００３０７４５１８，完": "身份证 110***********4518，完",
    }
    for text, masked in cases.items():
        assert mask_text(text) == masked, text
    assert mask_text("2021.03.01-2023.12.31，3号楼2单元，0.5 1.5 2.5") == "2021.03.01-2023.12.31，3号楼2单元，0.5 1.5 2.5"
    assert mask_phone("１３８．１２３４．５６７８") == "138****5678" and mask_id_card("１１０１０１１９９００３０７４５１８") == "110***********4518"
    assert mask_address(FULL_WIDTH_ADDRESS) == "张三家电话138****5678桂花社区1号楼****"


def test_full_width_and_dotted_numbers_are_masked_in_answers_and_call_sheets(api):
    assert send(api, "put", "/members/m1", json={"name": FULL_WIDTH_NAME, "phone": "13800001111"}).status_code == 200
    assert send(api, "put", "/members/m2", json={"name": DOTTED_NAME}).status_code == 200
    assert send(api, "put", "/households/h1", json={"address": FULL_WIDTH_ADDRESS, "people": 3}).status_code == 200
    assert get(api, "/members/m1").json()["name"] == "张三138****5678"
    assert get(api, "/households/h1").json()["address"] == "张三家电话138****5678桂花社区1号楼****"
    for response in (get(api, "/members/m2"), get(api, "/members"), get(api, "/households")):
        assert not leaks(shown(response)), response.text
    sheet = api.post("/call-sheet.xlsx", json={"areas": ["b1"], "as_of": DAY},
                     headers={"Authorization": f"Bearer {api.tokens['viewer']}"})
    assert sheet.status_code == 200
    text = cells(sheet.content)
    assert "张三家电话138****5678桂花社区1号楼****" in text and not leaks(text), text
    assert audit_rows(api) == []
    assert get(api, "/members/m2", "pii").json()["name"] == DOTTED_NAME
    assert audit_rows(api) == [("GET /members/{id}", ["m2"])]


@pytest.fixture
def hidden_db(tmp_path):
    """A store whose only personal data hides in property names, full-width digits and dotted numbers."""
    doc = street()
    for node in doc["nodes"]:
        node.pop("phone", None)
    doc["nodes"][9]["name"] = FULL_WIDTH_NAME  # m1
    doc["nodes"][10]["name"] = DOTTED_NAME  # m2
    doc["nodes"][12]["address"] = FULL_WIDTH_ADDRESS  # h1
    doc["nodes"][14].pop("note")  # h3
    doc["nodes"][14].update({k: v for k, v in NAMED.items() if k not in ("id", "address", "edges")})
    doc["edges"][-2]["李四13712345678"] = "y"  # CONTACTS m3 -> h2: m3's only personal data
    (tmp_path / "street.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert run_cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    return tmp_path


def test_exports_and_call_sheets_mask_numbers_in_names_and_any_digits(hidden_db):
    for name in ("masked.jsonl", "masked.xlsx"):
        assert run_cli("export", name, "--db", "s.db", cwd=hidden_db).returncode == 0
    text = (hidden_db / "masked.jsonl").read_text(encoding="utf-8")
    assert "张三电话139****5678" in text and "李四137****5678" in text and not leaks(text)
    assert not leaks(cells(hidden_db / "masked.xlsx"))
    sheet = run_cli("incident", "--area", "b1", "--as-of", DAY, "--xlsx", "call.xlsx", "--db", "s.db", cwd=hidden_db)
    assert sheet.returncode == 0 and not leaks(sheet.stdout), sheet.stdout
    call = cells(hidden_db / "call.xlsx")
    assert "张三家电话138****5678桂花社区1号楼****" in call and not leaks(call)
    assert cli_audit(hidden_db) == []
    assert run_cli("export", "--unmask", "full.jsonl", "--db", "s.db", cwd=hidden_db).returncode == 0
    [row] = cli_audit(hidden_db)
    assert row[1] == "orggraph export --unmask" and set(row[2]) == {"m1", "m2", "m3", "h1", "h2", "h3"}


def test_library_errors_mask_numbers_in_property_names(embedded):
    doc = street()
    doc["nodes"][12]["13812345678"] = {"a": 1}
    doc["nodes"][13][FULL_WIDTH_NAME] = "x" * 3000
    with pytest.raises(InvalidRecords) as info:
        embedded.load(items(doc))
    text = str(info.value)
    assert "field 138****5678:" in text and "field 张三138****5678:" in text and not leaks(text), text


def test_member_households_masks_through_the_one_definition(embedded):
    from orggraph import viz
    from orggraph.graph import OrgGraph

    doc = street()
    doc["nodes"][12]["address"] = FULL_WIDTH_ADDRESS
    embedded.load(items(doc))
    table = viz.member_households(OrgGraph.from_store(embedded), "m1", as_of=DAY)
    assert (table.loc[0, "address"], table.loc[0, "phone"]) == ("张三家电话138****5678桂花社区1号楼****", "139****2222")
    full = viz.member_households(OrgGraph.from_store(embedded), "m1", as_of=DAY, unmask=True)
    assert (full.loc[0, "address"], full.loc[0, "phone"]) == (FULL_WIDTH_ADDRESS, "13900002222")


def test_names_mask_through_the_one_definition_and_keep_within_what_is_allowed(embedded):
    """An answer's names (orggraph.report.names_of): a phone in a member's name masked as anywhere; an id
    the caller may not read neither named nor counted as shown."""
    from orggraph.queries import responsibility_chain
    from orggraph.report import Namer, names_of

    doc = street()
    doc["nodes"][9]["name"] = f"王芳 {MOBILE}"  # m1
    doc["nodes"][12]["address"] = FULL_WIDTH_ADDRESS  # h1
    embedded.load(items(doc))
    chain = responsibility_chain(embedded, "h1", as_of=DAY)
    namer = Namer.of(embedded)
    names = names_of(chain, namer)
    assert names["m1"] == {"name": "王芳 137****5678", "kind": "Member", "phone": "138****1111"}
    assert names["h1"]["address"] == "张三家电话138****5678桂花社区1号楼****" and namer.shown == set()
    assert nothing_personal(json.dumps(names, ensure_ascii=False))
    namer = Namer.of(embedded, unmask=True)
    names = names_of(chain, namer, within=lambda node_id: node_id not in ("m1", "h1"))
    assert "m1" not in names and "h1" not in names and names["m2"]["phone"] == "0716-7654321"
    assert namer.shown == {"m2"}
