"""The ``orggraph`` command from a fresh temporary folder, asked in this process as the real one answers (its exit
code, stdout and stderr apart: ``cli``; an interpreter's start-up each would cost a minute), and as a real
subprocess where its environment counts; and the README kept in step."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from orggraph.cli import app
from orggraph.store import EmbeddedStore

from .conftest import STREET, cli, run_cli

README = Path(__file__).resolve().parent.parent / "README.md"


def test_help_lists_every_command(tmp_path):
    result = cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("load", "export", "template", "generate", "demo"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command


def test_generate_load_export_load_gives_the_same_network(tmp_path):
    gen = cli("generate", "--households", "800", "--seed", "4", "city.jsonl", "--json", cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    planted = json.loads(gen.stdout)["planted"]
    assert planted["households"] == 800

    first = cli("load", "city.jsonl", "--json", cwd=tmp_path)  # default store: ./orggraph.db
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (tmp_path / "orggraph.db").exists()
    assert report["nodes"]["Household"] == 800
    assert report["added_edges"] == planted["edges"]

    again = json.loads(cli("load", "city.jsonl", "--json", cwd=tmp_path).stdout)
    assert (again["added_nodes"], again["added_edges"], again["changed"]) == (0, 0, 0)
    assert again["unchanged"] == report["records"]

    for suffix in (".xlsx", ".json", ".jsonl"):
        out = cli("export", "--unmask", f"out{suffix}", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert f"wrote {report['records']} records to out{suffix}" in out.stdout
        copy = cli("load", f"out{suffix}", "--db", f"copy{suffix}.db", "--json", cwd=tmp_path)
        assert copy.returncode == 0, copy.stderr
        assert json.loads(copy.stdout)["added_nodes"] == report["added_nodes"]

    def dump(db: str) -> list:
        with sqlite3.connect(tmp_path / db) as conn:
            return conn.execute("SELECT * FROM nodes ORDER BY id").fetchall() + conn.execute(
                "SELECT * FROM edges ORDER BY type, source, target, since").fetchall()

    original = dump("orggraph.db")
    for suffix in (".xlsx", ".json", ".jsonl"):
        assert dump(f"copy{suffix}.db") == original, suffix


def test_bad_input_exits_2_and_leaves_the_store_unchanged(tmp_path):
    (tmp_path / "street.json").write_text(json.dumps(STREET, ensure_ascii=False), encoding="utf-8")
    assert cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    before = (tmp_path / "s.db").read_bytes()
    bad = {"nodes": [{"id": "h9", "kind": "Household", "people": 0}],
           "edges": [{"type": "CONTACTS", "source": "m1", "target": "h404"}]}
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    result = cli("load", "bad.json", "--db", "s.db", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "2 problems in the input; nothing was written" in result.stderr
    assert "nodes[0], field people: must be at least 1, got 0" in result.stderr
    assert "edges[0], field target: 'h404' is not a node" in result.stderr
    assert (tmp_path / "s.db").read_bytes() == before


def test_a_dry_run_checks_against_the_store_and_writes_nothing(tmp_path):
    (tmp_path / "street.json").write_text(json.dumps(STREET, ensure_ascii=False), encoding="utf-8")
    first = cli("load", "street.json", "--db", "s.db", "--dry-run", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert set(out) == {"file", "records", "nodes", "edges", "dry_run"} and out["dry_run"] is True
    assert (out["records"], out["nodes"]["Household"], out["edges"]["CONTACTS"]) == (37, 3, 3)
    assert not (tmp_path / "s.db").exists()  # no store yet: checked as a first load, and none made
    assert cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    before = (tmp_path / "s.db").read_bytes()
    # a contact for a household the file does not hold: valid against the store, not as a first load
    (tmp_path / "more.json").write_text(json.dumps({"edges": [{"type": "CONTACTS", "source": "m2", "target": "h1"}]}))
    checked = cli("load", "more.json", "--db", "s.db", "--dry-run", cwd=tmp_path)
    assert checked.returncode == 0 and "all valid; nothing written (a dry run)" in checked.stdout
    alone = cli("load", "more.json", "--db", "absent.db", "--dry-run", cwd=tmp_path)
    assert alone.returncode == 2 and "'m2' is not a node" in alone.stderr
    (tmp_path / "bad.json").write_text(json.dumps({"nodes": [{"id": "h9", "kind": "Household", "people": 0}]}))
    bad = cli("load", "bad.json", "--db", "s.db", "--dry-run", cwd=tmp_path)
    assert bad.returncode == 2 and "field people: must be at least 1, got 0" in bad.stderr
    assert (tmp_path / "s.db").read_bytes() == before


def test_check_names_what_the_store_holds_against_the_rules(tmp_path):
    import sqlite3

    (tmp_path / "street.json").write_text(json.dumps(STREET, ensure_ascii=False), encoding="utf-8")
    assert cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    good = cli("check", "--db", "s.db", cwd=tmp_path)
    assert good.returncode == 0 and good.stdout.strip() == (
        "the store's 37 records are all valid, and so is the shape of the territory")
    with sqlite3.connect(tmp_path / "s.db") as conn:  # as an older orggraph might have let it in
        conn.execute("UPDATE nodes SET props = json_set(props, '$.address', 'x' || char(1)) WHERE id = 'h2'")
    bad = cli("check", "--db", "s.db", cwd=tmp_path)
    assert bad.returncode == 2
    assert "4 problems in the records the store holds" in bad.stderr  # the node, and its three edges
    assert "node h2, field address: text of 2 characters holds a control character (U+0001) at character 2; remove it" in bad.stderr


def test_check_and_load_name_each_fault_of_the_territory_shape(tmp_path):
    """Case 09: the load stands, with a warning a fault; check lists them and exits 2."""
    import shutil

    shutil.copy(Path(__file__).parent / "cases" / "09-hierarchy-shape-faults.json", tmp_path / "shape.json")
    loaded = cli("load", "shape.json", "--db", "s.db", cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    faults = ["1号楼(两网格共管) (b1) lies within two areas (第1网格 (g1), 第2网格 (g2))",
              "向阳社区(误挂在楼栋下) (c2) lies within an area of a lower or equal rank (2号楼 (b2))",
              "第9网格(未挂社区) (g9) lies within no street or township, with 1 household outside every street"]
    assert loaded.stderr.splitlines() == [f"warning: {f}" for f in faults]
    checked = cli("check", "--db", "s.db", cwd=tmp_path)
    assert checked.returncode == 2
    assert checked.stderr.splitlines() == [
        "orggraph: the store's 25 records are valid, but the territory has 3 faults of shape:", *faults]
    as_json = cli("check", "--db", "s.db", "--json", cwd=tmp_path)
    assert [(f["area"], f["fault"]) for f in json.loads(as_json.stdout)["territory_shape"]] == [
        ("b1", "within_two"), ("c2", "within_lower"), ("g9", "outside_street")]
    # undated relations hold on every day: the faults are there on any day asked about
    assert cli("check", "--db", "s.db", "--as-of", "1999-01-01", cwd=tmp_path).returncode == 2  # undated: every day


@pytest.mark.parametrize(
    "args, code, message",
    [
        (("load", "city.csv"), 2, "unknown format '.csv'"),
        (("load", "absent.jsonl"), 2, "absent.jsonl: no such file"),
        (("export", "out.txt"), 2, "unknown format '.txt'"),
        (("template", "t.json"), 2, "name it .xlsx"),
        (("generate", "--households", "0", "x.jsonl"), 2, "--households"),
        (("export", "out.jsonl"), 2, "no store at orggraph.db"),
        (("generate", "x.csv"), 2, "written as .jsonl or .json"),
        (("load",), 2, "Missing argument"),
        (("frobnicate",), 2, "No such command"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, args, code, message):
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == code
    assert message in result.stderr
    assert not (tmp_path / "orggraph.db").exists(), "a refused command made a store"


def test_a_damaged_store_exits_1(tmp_path):
    (tmp_path / "orggraph.db").write_text("this is not a database " * 50)
    (tmp_path / "street.json").write_text(json.dumps(STREET), encoding="utf-8")
    result = cli("load", "street.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "orggraph.db is not an orggraph store" in result.stderr


def test_the_store_comes_from_the_environment(tmp_path):
    (tmp_path / "street.json").write_text(json.dumps(STREET), encoding="utf-8")
    result = run_cli("load", "street.json", cwd=tmp_path, env={"ORGGRAPH_DB": str(tmp_path / "env.db")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.db").exists() and not (tmp_path / "orggraph.db").exists()


@pytest.mark.parametrize("option", ["--server", "--database", "--user", "--password", "--db"])
def test_a_store_option_given_empty_is_bad_input_naming_it(tmp_path, option, monkeypatch):
    """`--server ''` is neither $ORGGRAPH_SERVER nor the store file, nor is `--database ''` the default
    database: bad input, exit 2, naming the option."""
    (tmp_path / "street.json").write_text(json.dumps(STREET), encoding="utf-8")
    assert cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    for name, value in ({"ORGGRAPH_SERVER": "bolt://127.0.0.1:1"} if option == "--server" else {"ORGGRAPH_DB": "s.db"}).items():
        monkeypatch.setenv(name, value)
    for command in (["coverage"], ["load", "street.json"], ["serve", "--port", "1"]):
        result = cli(*command, option, "", cwd=tmp_path)  # in this process, as the command line reads it
        assert result.returncode == 2, (command, result.stderr)
        assert f"Invalid value for '{option}'" in result.stderr and "it is empty" in result.stderr, result.stderr
    assert not (tmp_path / "orggraph.db").exists()


def test_help_and_readme_say_every_store_command_takes_a_file_or_a_server():
    """`orggraph --help` and the README's command line section: --db FILE or --server URI with --user,
    --password and --database; each store command's row shows STORE, and only those."""
    from typer.testing import CliRunner

    said = " ".join(CliRunner().invoke(app, ["--help"], prog_name="orggraph", terminal_width=200).output.split())
    assert "--db FILE" in said and "--server URI" in said, said
    assert "with --user, --password and --database" in said and "works on the embedded store" not in said
    opening, rows = _readme_commands(README.read_text(encoding="utf-8"))
    opening = " ".join(opening.split())
    assert "`STORE` in the table" in opening and "either `--db FILE`" in opening and "`--server URI`" in opening
    assert "`--user NAME`, `--password SECRET` and `--database NAME`" in opening
    for name, row in rows.items():
        assert ("[STORE]" in row) == (name not in {"template", "generate", "ledger inspect"}), name
        assert "--db" not in row, name
    for name in ("load", "serve"):
        assert "--db FILE" in " ".join(run_help(name).split()) and "--server URI" in run_help(name), name


def run_help(name: str) -> str:
    from typer.testing import CliRunner

    return CliRunner().invoke(app, [*name.split(), "--help"], prog_name="orggraph", terminal_width=200).output


def test_wait_is_how_long_a_write_waits_on_a_server_store_too(falkordb_server, monkeypatch):
    """`--wait` reaches a server store's own wait (the seconds a write waits for another orggraph writer)
    where it has one; its help says nothing that holds for the file alone."""
    import uuid

    from orggraph.cli import StoreOptions
    from orggraph.store.server import ServerStore

    assert "store file" not in " ".join(run_help("load").split())
    if not hasattr(ServerStore, "wait"):  # a server store with no wait of its own yet: the one it is to have
        monkeypatch.setattr(ServerStore, "wait", 30.0, raising=False)
    with StoreOptions(server=f"{falkordb_server}/wait_{uuid.uuid4().hex[:8]}").open(create=True, wait=7) as store:
        try:
            assert store.wait == 7
        finally:
            store.drop()


def test_template_then_load(tmp_path):
    result = cli("template", "台账.xlsx", cwd=tmp_path)
    assert result.returncode == 0
    loaded = cli("load", "台账.xlsx", "--json", cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["records"] == 0


def test_template_and_export_write_over_a_file_only_with_force(tmp_path):
    """A filled register where the template or the export was to go stays as it was, byte for byte: exit 2
    naming it and --force, whether the export would have worked or failed (no store); --force writes."""
    (tmp_path / "street.json").write_text(json.dumps(STREET), encoding="utf-8")
    assert cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    filled = b"PK\x03\x04 a register filled in by hand"
    for args in (("template", "台账.xlsx"), ("export", "台账.xlsx", "--db", "s.db"),
                 ("export", "台账.xlsx", "--db", "absent.db"), ("export", "台账.xlsx", "--unmask", "--db", "s.db"),
                 ("export", "street.json", "--db", "s.db")):
        (tmp_path / "台账.xlsx").write_bytes(filled)
        before = (tmp_path / "street.json").read_bytes()
        result = cli(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr == (f"orggraph: {args[1]} already exists and was left as it is: to write over it, "
                                 "use --force, or give another name\n"), args
        assert result.stdout == ""
        assert (tmp_path / "台账.xlsx").read_bytes() == filled and (tmp_path / "street.json").read_bytes() == before
    assert not (tmp_path / "absent.db").exists()
    with EmbeddedStore(tmp_path / "s.db") as store:
        assert store.audit_rows(limit=10) == []  # nothing written, nothing shown: no export --unmask audited
    forced = cli("export", "台账.xlsx", "--force", "--db", "absent.db", cwd=tmp_path)
    assert forced.returncode == 2 and "no store at absent.db" in forced.stderr  # --force, but the export fails
    assert (tmp_path / "台账.xlsx").read_bytes() == filled
    forced = cli("export", "台账.xlsx", "--force", "--unmask", "--db", "s.db", cwd=tmp_path)
    assert forced.returncode == 0 and "wrote" in forced.stdout, forced.stderr
    copy = cli("load", "台账.xlsx", "--db", "copy.db", "--json", cwd=tmp_path)
    assert json.loads(copy.stdout)["added_nodes"] == len(STREET["nodes"])
    forced = cli("template", "台账.xlsx", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and forced.stdout == "wrote the template to 台账.xlsx\n"
    assert json.loads(cli("load", "台账.xlsx", "--db", "t.db", "--json", cwd=tmp_path).stdout)["records"] == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".partial") == []
    with EmbeddedStore(tmp_path / "s.db") as store:
        assert [row["route"] for row in store.audit_rows(limit=10)] == ["orggraph export --unmask"]


def test_demo_builds_a_street(tmp_path):
    result = cli("demo", "--db", "demo.db", "--households", "3000", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["counts"]["nodes"]["Household"] == 3000
    text = cli("demo", "--db", "demo.db", "--households", "3000", cwd=tmp_path)
    assert "0 nodes and 0 links added" in text.stdout  # the same sample twice changes nothing
    assert "住户 Household" in text.stdout


def test_generate_is_deterministic(tmp_path):
    for name in ("a.jsonl", "b.jsonl"):
        assert cli("generate", "--households", "300", "--seed", "7", name, cwd=tmp_path).returncode == 0
    cli("generate", "--households", "300", "--seed", "8", "c.jsonl", cwd=tmp_path)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


# -- the README and --help in step ------------------------------------------------------------------


def _commands() -> dict[str, list[str]]:
    """Every command and its options, from the command itself."""
    import typer.main

    group = typer.main.get_command(app)
    found = {}
    for name, cmd in group.commands.items():
        for sub_name, sub in getattr(cmd, "commands", {}).items():  # orggraph token create, ...
            found[f"{name} {sub_name}"] = sorted(o for p in sub.params for o in getattr(p, "opts", []) if o.startswith("--"))
        own = sorted(o for p in cmd.params for o in getattr(p, "opts", []) if o.startswith("--") and o != "--help")
        if not hasattr(cmd, "commands") or own:  # a command, or a group that answers on its own (orggraph incident)
            found[name] = own
    return found


def _help_options(name: str) -> set[str]:
    """The options a command's ``--help`` lists (a flag pair gives both), --help itself aside."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*name.split(), "--help"], prog_name="orggraph", terminal_width=200)
    assert result.exit_code == 0, result.output
    listed = result.output.split("\nOptions:\n", 1)[1]
    columns = [line.split("  ")[1] for line in listed.splitlines() if line.startswith("  --")]  # "--db <path>"
    return {o for column in columns for o in re.findall(r"--[a-z][a-z-]*", column)} - {"--help"}


def _readme_commands(text: str) -> tuple[str, dict[str, str]]:
    """The README's command line section: its opening (the store options every command that opens a store
    takes) and each command's own row of the table, by command."""
    section = text.split("\n## The command line\n", 1)[1].split("\n## ", 1)[0]
    opening = section.split("\n| command |", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if match := re.match(r"\| `orggraph ([a-z][a-z-]*(?: [a-z]+)?)\b([^`]*)` \|", line):
            assert match[1] not in rows, f"README's table has two rows for `orggraph {match[1]}`"
            rows[match[1]] = match[2]
    return opening, rows


def _readme_problems(text: str) -> list[str]:
    from orggraph.cli import STORE_OPTIONS

    store_options = {"--" + name for name in STORE_OPTIONS}
    opening, rows = _readme_commands(text)
    problems = [f"README's command line section does not say what {o} is" for o in sorted(store_options)
                if not re.search(rf"`{o}\b", opening)]
    problems += [f"README's table has a row for `orggraph {n}`, which is no command" for n in sorted(set(rows) - set(_commands()))]
    for name in _commands():
        if name not in rows:
            problems.append(f"README's table has no row for `orggraph {name}`")
            continue
        options = _help_options(name)
        written = set(re.findall(r"--[a-z][a-z-]*", rows[name]))
        problems += [f"`orggraph {name}`: its row does not show {o}" for o in sorted(options - store_options - written)]
        problems += [f"`orggraph {name}`: its row shows {o}, which its --help does not list" for o in sorted(written - options)]
    return problems


def test_readme_documents_every_command_and_option():
    """Each command's --help against its own row of the README's table; the store options, which every
    command that opens a store takes, against the section's opening."""
    problems = _readme_problems(README.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_the_readme_check_finds_an_option_shown_only_elsewhere():
    """An option of one command that the README shows only in another's row, or a row's option that the
    command does not have, is found."""
    text = README.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `orggraph incident [STORE]"))
    without = text.replace(row, row.replace("[--xlsx FILE] ", ""))  # --xlsx stays elsewhere, not in its row
    assert "--xlsx" in without
    assert _readme_problems(without) == ["`orggraph incident`: its row does not show --xlsx"]
    row = next(line for line in text.splitlines() if line.startswith("| `orggraph uncovered "))
    wrong = text.replace(row, row.replace("[--json]", "[--unmask] [--json]"))
    assert _readme_problems(wrong) == ["`orggraph uncovered`: its row shows --unmask, which its --help does not list"]


def test_the_default_limits_are_the_library_s():
    """The CLI's default limits (max households, single points of failure) are the library's."""
    import inspect

    import typer.main

    from orggraph.queries import DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SPOF, gaps, incident

    group = typer.main.get_command(app)
    defaults = {(c, p.name): p.default for c in ("gaps", "incident") for p in group.commands[c].params}
    assert defaults[("gaps", "max_households")] == defaults[("incident", "max_households")] == DEFAULT_MAX_HOUSEHOLDS
    assert defaults[("gaps", "spof")] == DEFAULT_SPOF
    assert inspect.signature(incident).parameters["max_households"].default == DEFAULT_MAX_HOUSEHOLDS
    assert inspect.signature(gaps).parameters["spof"].default == DEFAULT_SPOF


def test_every_command_that_opens_a_store_takes_the_store_options():
    from orggraph.cli import STORE_OPTIONS

    opening = {n for n in _commands() if n not in {"template", "generate", "ledger inspect"}}
    for name in _commands():
        if name in opening:
            assert {"--" + o for o in STORE_OPTIONS} <= _help_options(name), name
        else:
            assert not {"--" + o for o in STORE_OPTIONS} & _help_options(name), name


def test_readme_shows_no_command_that_does_not_exist():
    text = README.read_text(encoding="utf-8")
    shown = set(re.findall(r"^\$ orggraph ([a-z]+(?: (?:create|list|revoke|inspect))?)", text, re.M))
    assert shown, "the README shows no command"
    assert shown <= set(_commands()), shown - set(_commands())


def test_every_command_has_help_a_newcomer_can_follow(tmp_path):
    for name in _commands():  # in this process: forty interpreters' start-up would cost half a minute
        result = cli(*name.split(), "--help", cwd=tmp_path)
        assert result.returncode == 0
        summary = result.stdout.split("\n\n")[1].strip()
        assert len(summary) > 30, f"`orggraph {name} --help` says too little: {summary!r}"


# -- the questions, through the command -------------------------------------------------------------


@pytest.fixture
def street_db(tmp_path):
    (tmp_path / "street.json").write_text(json.dumps(STREET, ensure_ascii=False), encoding="utf-8")
    assert cli("load", "street.json", cwd=tmp_path).returncode == 0
    return tmp_path


def test_coverage_json_follows_the_contract(street_db):
    result = cli("coverage", "--json", "--as-of", "2026-11-23", "--level", "building", cwd=street_db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"as_of", "households", "covered", "uncovered", "rate", "areas"} <= set(report)
    assert report["as_of"] == "2026-11-23"
    assert [(a["id"], a["households"], a["covered"], a["uncovered"]) for a in report["areas"]] == [("b1", 3, 1, 2)]
    assert {"id", "name", "level", "households", "covered", "uncovered", "rate"} <= set(report["areas"][0])


def test_chain_json_and_text(street_db):
    result = cli("chain", "h1", "--json", "--as-of", "2026-11-23", cwd=street_db)
    chain = json.loads(result.stdout)
    assert set(chain) >= {"household", "covered", "links", "breaks"}
    assert chain["links"][0] == {"role": "contact", "member": "m1", "area": None, "org": None, "unit": None,
                                 "post": None, "acting": None}
    text = cli("chain", "h1", "--as-of", "2026-11-23", cwd=street_db).stdout
    assert "王芳 (m1)" in text and "138****1111" in text and "13800001111" not in text
    assert "BREAK at 桂花社区1号楼 (b1): 无管辖组织 no_org" in text
    unmasked = cli("chain", "h1", "--as-of", "2026-11-23", "--unmask", cwd=street_db).stdout
    assert "13800001111" in unmasked


#: every phone of the hand-built street, as stored
PHONES = [n["phone"] for n in STREET["nodes"] if "phone" in n]


def test_chain_and_incident_json_name_their_ids(street_db):
    """Beside the ids, "names": each one's name and kind, a member's or household's phone and a household's
    address, masked unless --unmask (then audited, as the text is)."""
    from orggraph.report import named_ids

    shown = cli("chain", "h1", "--json", "--as-of", "2026-11-23", cwd=street_db).stdout
    chain = json.loads(shown)
    names = chain.pop("names")
    assert set(names) == named_ids(chain) == {"h1", "m1", "m2", "u1", "o-u1", "b1", "g1", "c1", "s1", "o-g1", "o-c1", "o-s1"}
    assert names["m1"] == {"name": "王芳", "kind": "Member", "phone": "138****1111"}
    assert names["h1"] == {"name": None, "kind": "Household", "phone": "139****2222", "address": "桂花社区1号楼****"}
    assert names["u1"] == {"name": "云河市财政局", "kind": "Unit"} and names["o-g1"] == {"name": "第1网格党支部", "kind": "Org"}
    sheet = cli("incident", "--area", "b1", "--json", "--as-of", "2026-11-23", cwd=street_db).stdout
    incident = json.loads(sheet)
    assert set(incident["names"]) == named_ids({k: v for k, v in incident.items() if k != "names"})
    assert {"h2", "h3", "m1", "m2"} <= set(incident["names"]) and incident["names"]["h2"]["phone"] is None
    assert incident["names"]["h3"]["address"] == "桂花社区1号楼****"
    for text in (shown, sheet):
        assert not any(phone in text for phone in PHONES) and "1单元101室" not in text
    with EmbeddedStore(street_db / "orggraph.db") as store:
        assert store.audit_rows() == []
    full = json.loads(cli("chain", "h1", "--json", "--unmask", "--as-of", "2026-11-23", cwd=street_db).stdout)
    assert full["names"]["m1"]["phone"] == "13800001111" and full["names"]["h1"]["address"] == "桂花社区1号楼1单元101室"
    full = json.loads(cli("incident", "--area", "b1", "--json", "--unmask", "--as-of", "2026-11-23", cwd=street_db).stdout)
    assert full["names"]["h1"]["phone"] == "13900002222"
    with EmbeddedStore(street_db / "orggraph.db") as store:
        assert [(r["route"], r["records"]) for r in store.audit_rows()] == [
            ("orggraph chain --unmask", ["h1", "m1", "m2"]), ("orggraph incident --unmask", ["h1", "h2", "h3", "m1", "m2"])]


def test_unavailable_from_a_file(street_db):
    (street_db / "away.txt").write_text("m1\n", encoding="utf-8")
    by_file = json.loads(cli("uncovered", "--json", "--unavailable", "@away.txt", cwd=street_db).stdout)
    by_list = json.loads(cli("uncovered", "--json", "--unavailable", "m1", cwd=street_db).stdout)
    assert by_file == by_list == ["h1", "h2", "h3"]
    (street_db / "notepad.txt").write_text("m1\r\n", encoding="utf-8-sig")  # with a BOM, as Notepad saves it
    assert json.loads(cli("uncovered", "--json", "--unavailable", "@notepad.txt", cwd=street_db).stdout) == by_list
    (street_db / "gbk.txt").write_bytes("张三".encode("gbk"))
    (street_db / "folder").mkdir()
    for arg, said in (("@gbk.txt", "gbk.txt: not UTF-8 text"), ("@folder", "folder: a folder, not a file"),
                      ("@", "(nothing after @): no such file")):
        failed = cli("uncovered", "--unavailable", arg, cwd=street_db)
        assert failed.returncode == 2 and said in failed.stderr, (arg, failed.stderr)


def test_gaps_json_has_every_list(street_db):
    report = json.loads(cli("gaps", "--json", "--spof", "1", "--as-of", "2026-11-23", cwd=street_db).stdout)
    for key in ("uncovered_households", "overloaded_members", "idle_sunk_members", "vacant_posts", "idle_units",
                "single_points_of_failure", "cross_boundary_contacts", "lapsed_households", "unlocated_households"):
        assert isinstance(report[key], list), key
    assert report["single_points_of_failure"] == [{"member": "m1", "households": 1}]


def test_incident_writes_a_call_sheet(street_db):
    from openpyxl import load_workbook

    result = cli("incident", "--area", "b1", "--as-of", "2026-11-23", "--xlsx", "call.xlsx", cwd=street_db)
    assert result.returncode == 0, result.stderr
    assert "3 households, 2 uncovered, 1 vulnerable" in result.stdout
    ws = load_workbook(street_db / "call.xlsx")["应急联络单"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == ["h2", "h3", "h1"]  # vulnerable and uncovered first
    assert rows[0][5:7] == ("独居老人", "未覆盖")
    assert rows[2][7] == "王芳 (m1)\n138****1111"
    assert rows[0][2] == "桂花社区1号楼****"  # residents' addresses masked by default


@pytest.mark.parametrize("args, message", [
    (("chain", "h404"), "no household with id 'h404'"),
    (("coverage", "--as-of", "2026-13-01"), "as-of day must be an ISO date"),
    (("coverage", "--unavailable", "nobody"), "no member with id 'nobody'"),
    (("incident",), "at least one area or household"),
    (("incident", "--area", "b1", "--xlsx", "x.csv"), "name it .xlsx"),
    (("uncovered", "--unavailable", "@absent.txt"), "absent.txt: no such file"),
])
def test_bad_questions_exit_2(street_db, args, message):
    result = cli(*args, cwd=street_db)
    assert result.returncode == 2
    assert message in result.stderr


def test_questions_need_a_store(tmp_path):
    result = cli("coverage", cwd=tmp_path)
    assert result.returncode == 2
    assert "no store at orggraph.db" in result.stderr
    assert not (tmp_path / "orggraph.db").exists()


def test_coverage_of_a_store_with_no_households_says_so(tmp_path):
    """domain.md: a rate is covered / households, 1.0 when there are none. The text says there are none,
    and gives that rate as the rate of none, not as "0 of 0 households covered (100.0%)"."""
    assert cli("template", "t.xlsx", cwd=tmp_path).returncode == 0
    assert cli("load", "t.xlsx", cwd=tmp_path).returncode == 0  # an empty store
    text = cli("coverage", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "0 of 0" not in text.stdout
    assert "no households, so none uncovered (the rate where there are none is 100.0%)" in text.stdout
    report = json.loads(cli("coverage", "--json", cwd=tmp_path).stdout)
    assert (report["households"], report["rate"]) == (0, 1.0)
    (tmp_path / "street.json").write_text(json.dumps(STREET), encoding="utf-8")
    assert cli("load", "street.json", "--db", "s.db", cwd=tmp_path).returncode == 0
    whole = cli("coverage", "--db", "s.db", "--unavailable", "m1", "--as-of", "2026-11-23", cwd=tmp_path).stdout
    assert "0 of 3 households covered (0.0%)" in whole and "vulnerable households 0 of 1 (0.0%)" in whole
    plain = json.loads(json.dumps(STREET))  # no household flagged vulnerable
    for node in plain["nodes"]:
        node.pop("flags", None)
    (tmp_path / "plain.json").write_text(json.dumps(plain), encoding="utf-8")
    assert cli("load", "plain.json", "--db", "p.db", cwd=tmp_path).returncode == 0
    text = cli("coverage", "--db", "p.db", "--as-of", "2026-11-23", cwd=tmp_path).stdout
    assert "1 of 3 households covered (33.3%)" in text and "no vulnerable households." in text and "0 of 0" not in text
