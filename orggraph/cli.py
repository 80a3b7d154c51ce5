"""The ``orggraph`` command: a thin layer over the library for scripts, cron jobs and checks."""

from __future__ import annotations

import functools
import inspect
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Iterable, Optional

import typer

from .exceptions import FileInTheWay, InvalidRecords, NotFound, OrgGraphError, StoreNotFound
from .history import default_by
from .io import FORMATS, UnknownFormat, check_format, export_store, read_file, refuse_existing, write_template
from .load import LoadReport, check_load, check_store
from .model import NODE_KINDS
from .queries import DEFAULT_HITS, DEFAULT_MAX_HOUSEHOLDS, DEFAULT_SHARE, DEFAULT_SPOF, DEFAULT_TOP, DEFAULT_TRIALS
from .store import DEFAULT_DB, open_store

if TYPE_CHECKING:
    from .report import Namer
    from .store.base import Store

__all__ = ["app", "main"]

app = typer.Typer(
    name="orggraph",
    help=(
        "The grassroots organizational network of a city as a graph: who is each household's contact, "
        "who answers for it in an emergency, and where the network has gaps.\n\n"
        "Every command that opens a store takes either --db FILE, the embedded store in one file "
        f"($ORGGRAPH_DB, default {DEFAULT_DB}), or --server URI, a graph server ($ORGGRAPH_SERVER: bolt://, "
        "neo4j://, neo4j+s:// for Neo4j, falkordb://host:port for FalkorDB) with --user, --password and "
        "--database ($ORGGRAPH_USER, $ORGGRAPH_PASSWORD, $ORGGRAPH_DATABASE); a server wins over --db. "
        "Exit status: 0 success, 2 bad input (what and where on stderr, store unchanged), 1 anything else."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _not_empty(meaning: str) -> Callable[[Optional[str]], Optional[str]]:
    """A store option's check: given empty (``--server ''``), it is a usage error naming the option, never
    the environment's value nor the default in disguise."""

    def check(value: Optional[str]) -> Optional[str]:
        if value is not None and not value.strip():
            raise typer.BadParameter(f"it is empty; {meaning}")
        return value

    return check


Db = Annotated[
    Optional[str],
    typer.Option("--db", envvar="ORGGRAPH_DB", metavar="FILE", show_default=False,
                 callback=_not_empty("name the store file, or leave --db out for $ORGGRAPH_DB or " + DEFAULT_DB),
                 help=f"The embedded store, one file [default: {DEFAULT_DB}]."),
]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
Force = Annotated[bool, typer.Option("--force", help="Write over FILE if it exists (without, a file already there is "
                                                     "left as it is, exit 2).")]
Server = Annotated[
    Optional[str],
    typer.Option("--server", envvar="ORGGRAPH_SERVER", metavar="URI",
                 callback=_not_empty("name a graph server (bolt://, neo4j://, neo4j+s:// or falkordb://host:port), "
                                     "or leave --server out for the store file (--db)"),
                 help="A graph server instead of the file: bolt://, neo4j://, neo4j+s:// (Neo4j) or "
                      "falkordb://host:port (FalkorDB). Wins over --db."),
]
User = Annotated[
    Optional[str],
    typer.Option("--user", envvar="ORGGRAPH_USER", metavar="NAME",
                 callback=_not_empty("name the server's user, or leave --user out"),
                 help="The server's user; on Neo4j, neo4j (its default user) when only a password is given."),
]
Password = Annotated[
    Optional[str], typer.Option("--password", envvar="ORGGRAPH_PASSWORD", metavar="SECRET",
                                callback=_not_empty("give the server's password, or leave --password out"),
                                help="The server's password (better from $ORGGRAPH_PASSWORD, out of the shell's history).")
]
Database = Annotated[
    Optional[str],
    typer.Option("--database", envvar="ORGGRAPH_DATABASE", metavar="NAME",
                 callback=_not_empty("name the database (on FalkorDB, the graph), or leave --database out for the default"),
                 help="The database on the server (on FalkorDB, the graph) [default: neo4j; orggraph on FalkorDB]."),
]


class StoreOptions:
    """The store a command was given: ``--db`` or ``--server`` (with ``--user``, ``--password``,
    ``--database``), each declared once, in :data:`STORE_OPTIONS`, for every command that opens a store."""

    def __init__(self, db: Optional[str] = None, server: Optional[str] = None, user: Optional[str] = None,
                 password: Optional[str] = None, database: Optional[str] = None):
        self.db, self.server, self.user, self.password, self.database = db, server, user, password, database

    def open(self, create: bool = False, wait: float | None = None) -> Any:
        """The store (:func:`orggraph.store.open_store`). ``wait`` is how many seconds a write waits for
        another writer: the store file's write lock, or a server store's write lease."""
        return open_store(self.db, server=self.server, user=self.user, password=self.password,
                          database=self.database, create=create, wait=wait)


#: the options of every command that opens a store, in the order --help lists them
STORE_OPTIONS = {"db": Db, "server": Server, "user": User, "password": Password, "database": Database}


def _store_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the :data:`STORE_OPTIONS` where its signature has ``options: StoreOptions``, and hand
    it them as one :class:`StoreOptions`."""
    signature = inspect.signature(fn, eval_str=True)
    parameters = []
    for parameter in signature.parameters.values():
        if parameter.name == "options":
            parameters += [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=kind)
                           for name, kind in STORE_OPTIONS.items()]
        else:
            parameters.append(parameter)

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, options=StoreOptions(**{name: kwargs.pop(name, None) for name in STORE_OPTIONS}), **kwargs)

    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    return command


AsOf = Annotated[
    Optional[str], typer.Option("--as-of", metavar="YYYY-MM-DD", help="The day to answer for [default: today].")
]
Unavailable = Annotated[
    Optional[str],
    typer.Option(
        "--unavailable", metavar="ID[,ID...]|@FILE",
        help="What if these members cannot be reached: ids separated by commas, or @FILE with one id a line.",
    ),
]
Unmask = Annotated[
    bool, typer.Option("--unmask", help="Show personal data in full: phone numbers, addresses, id-card numbers "
                                        "and free-form properties (masked by default; each time is audited).")
]
Public = Annotated[
    Optional[str],
    typer.Option("--public-property", envvar="ORGGRAPH_PUBLIC_PROPERTIES", metavar="NAME[,NAME...]",
                 help="Free-form properties that are not personal data, shown unmasked (others are masked; a "
                      "property named as a phone, an address or an id-card number always is)."),
]
MaxHouseholds = Annotated[
    int, typer.Option("--max-households", min=0, help="A member with more households than this is overloaded.")
]


def _ids(value: str | None) -> list[str]:
    """Member ids from --unavailable: "m1,m2" or "@file" (one id a line, or commas)."""
    if not value:
        return []
    if value.startswith("@"):
        path = Path(value[1:])
        if not value[1:] or not path.exists():
            raise FileNotFoundError(f"{value[1:] or '(nothing after @)'}: no such file (--unavailable @FILE)")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: a folder, not a file (--unavailable @FILE)")
        try:
            value = path.read_text(encoding="utf-8-sig").replace("\n", ",")  # -sig: as Notepad saves it, with a BOM
        except UnicodeDecodeError:
            raise ValueError(f"{path}: not UTF-8 text; save the list of member ids as UTF-8 (--unavailable @FILE)") from None
    return [v.strip() for v in value.split(",") if v.strip()]


def _namer(store: Store, unmask: bool, public: str | None = None) -> Namer:
    from .report import Namer

    return Namer.of(store, unmask=unmask, public=public)


def _audit(store: Store, command: str, records: Iterable[str]) -> None:
    """One row of the audit log for personal data the command showed unmasked; the token column names the
    command line and the system user who ran it."""
    from .history import now

    records = sorted(set(records))
    if records:
        store.append_audit(now(), default_by(), f"orggraph {command} --unmask", records)


def _masked_name(row: dict[str, Any], unmask: bool) -> dict[str, Any]:
    """A coverage row with phone- and id-card-shaped numbers in its area's name masked, unless unmask."""
    from .privacy import mask_record

    name = mask_record({"id": row.get("id"), "name": row.get("name")}, unmask)[0]["name"]
    return row if name == row.get("name") else {**row, "name": name}


def _coverage_text(result: dict[str, Any]) -> str:
    """Coverage as text (:func:`orggraph.report.coverage_text`), saying "no households" where there are
    none rather than "0 of 0 households covered (100.0%)", and so for vulnerable households. The rate of
    none is 1.0 (domain.md: rate = covered / households, 1.0 when there are none), which the text gives
    as such, not as a count.

    Examples
    --------
    >>> print(_coverage_text({"as_of": "2026-11-23", "households": 0, "covered": 0, "uncovered": 0, "rate": 1.0,
    ...                       "people_rate": 1.0, "vulnerable": 0, "vulnerable_covered": 0, "vulnerable_rate": 1.0,
    ...                       "areas": []}))
    Coverage as of 2026-11-23: no households, so none uncovered (the rate where there are none is 100.0%).
    """
    from .report import coverage_text

    text = coverage_text(result)
    if result["households"] == 0:
        gone = len(result.get("unavailable") or [])
        whatif = f", with {gone} member{'s' if gone != 1 else ''} unavailable" if gone else ""
        head = (f"Coverage as of {result['as_of']}{whatif}: no households, so none uncovered "
                f"(the rate where there are none is {result['rate'] * 100:.1f}%).")
        return head + text[len(text.split("\n", 1)[0]):]
    if result["vulnerable"] == 0:
        return text.replace(f"vulnerable households 0 of 0 ({result['vulnerable_rate'] * 100:.1f}%).",
                            "no vulnerable households.", 1)
    return text


def _fail(code: int, message: str) -> None:
    from .privacy import mask_text

    typer.echo(f"orggraph: {mask_text(message)}", err=True)  # never a whole phone or id-card number
    raise typer.Exit(code)


def _errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's exceptions into the contract's exit codes and messages on stderr."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except BrokenPipeError:  # the reader went away (orggraph gaps | head): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(1)
        except InvalidRecords as exc:
            _fail(2, str(exc))
        except (UnknownFormat, FileNotFoundError, FileInTheWay, NotFound, ValueError) as exc:
            _fail(2, str(exc))
        except OrgGraphError as exc:
            _fail(1, str(exc))
        except sqlite3.Error as exc:  # the store file, from below the library: said plainly all the same
            _fail(1, f"the store file failed: {exc}")
        except OSError as exc:
            _fail(1, str(exc))

    return wrapper


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _report_dict(report: LoadReport, **extra: Any) -> dict[str, Any]:
    return {**extra, **report.as_dict()}


@app.command()
@_errors
@_store_options
def load(
    file: Annotated[Path, typer.Argument(metavar="FILE", help=f"The records: {', '.join(FORMATS)}.", show_default=False)],
    options: StoreOptions = None,
    json_: Json = False,
    progress: Annotated[
        Optional[bool],
        typer.Option("--progress/--no-progress", help="Progress bar on stderr [default: for large files on a terminal]."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every record as a load would, against the store, "
                                                             "and write nothing.")] = False,
    wait: Annotated[float, typer.Option("--wait", envvar="ORGGRAPH_WAIT", min=0, metavar="SECONDS",
                                        help="The longest to wait for another write to the store (another load, "
                                             "the API's changes), on the file or on a graph server, before giving "
                                             "up with nothing written, exit 1.")] = 600,
    by: Annotated[Optional[str], typer.Option("--by", metavar="NAME",
                                              help="Who, kept in the history [default: the system user, cli:USER].")] = None,
    note: Annotated[Optional[str], typer.Option("--note", metavar="TEXT", help="Why, kept in the history.")] = None,
    map_: Annotated[Optional[Path], typer.Option("--map", metavar="MAP.toml",
                                                 help="How to read a register (台账) whose headers orggraph does not "
                                                      "know: its sheet, header rows and the field of each column "
                                                      "(orggraph ledger inspect FILE --write-map MAP.toml writes one "
                                                      "to edit).")] = None,
) -> None:
    """Add the records of FILE to the store, all or nothing.

    FILE may be orggraph's own workbook (orggraph template) or a register as offices keep it: one row a
    household, with its street, community, grid or building by name, address, head of household,
    phones, people, vulnerable groups and its contact (分包人, 包保人) by name. A register is recognised
    by its headers, below any title and date rows; --map reads one whose headers orggraph does not know.
    Its households and members get ids derived from their area and address, and from name and phone (or
    community), so loading it again changes nothing, and next month's register updates it in place: a
    household whose contact changed gets the new contact from the register's date and the old relation
    ends the day before. What the register implies (areas by level, households, members, contacts) is
    printed, with --dry-run before anything is written.

    Nodes are keyed by id and edges by type, source, target and since, so loading the same file twice
    changes nothing. A load that changes something is recorded in the history (orggraph history), with
    --by and --note. If any record is invalid, every problem found is listed on stderr (record, field,
    what is wrong), nothing is written, and the exit status is 2. With --dry-run the same checks run and
    nothing is written even when all is well.
    """
    from .io import read_mapping

    mapping = read_mapping(_read_text(map_), str(map_)) if map_ is not None else None
    read_file(file, mapping=mapping)  # a missing or unknown file fails before the store is touched
    registers: list[Any] = []

    def records(store: Store | None) -> Any:
        return read_file(file, progress=progress, store=store, mapping=mapping, registers=registers, runs=True)

    if dry_run:
        try:
            with options.open() as store:
                report = check_load(store, records(store))
        except StoreNotFound:  # no store yet: check the file as a first load
            report = check_load(None, records(None))
    else:
        with options.open(create=True, wait=wait) as store:
            report = store.load(records(store),
                                history={"kind": "load", "by": default_by() if by is None else by, "note": note})
            _warn_shape(store)
    if json_:
        extra = {"registers": [r.as_dict() for r in registers]} if registers else {}
        _print_json(_report_dict(report, file=str(file), **extra))
    else:
        for register in registers:
            typer.echo(f"{file}: {register}")
        typer.echo(f"{file}: {report}")


def _read_text(path: Path) -> str:
    """A small text file the user names (a mapping), or a clear error."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text; save the mapping as UTF-8") from None


def _warn_shape(store: Store) -> None:
    """After a load: each fault of the territory's shape today, as a warning on stderr (the load stands)."""
    from .queries import territory_shape
    from .report import Namer, shape_line

    faults = territory_shape(store)
    if faults:
        namer = Namer(store)
        for fault in faults:
            typer.echo(f"warning: {shape_line(fault, namer)}", err=True)


@app.command()
@_errors
@_store_options
def check(
    options: StoreOptions = None,
    as_of: AsOf = None,
    json_: Json = False,
) -> None:
    """Check every record the store holds against the rules as they stand, and the shape of the territory
    on the day (today by default), and write nothing.

    For a store written by an older orggraph, or on a graph server where other tools can write. Each
    invalid record is listed on stderr (record, field, what is wrong) and the exit status is 2. So is each
    fault of the territory's shape: an area within two areas on the same day, within one of a lower or
    equal rank, or outside every street or township (with the households there), and an organization
    subordinate to one that governs no area above its own.
    """
    from .queries import territory_shape
    from .report import Namer, shape_line

    with options.open() as store:
        report = check_store(store)
        faults = territory_shape(store, as_of=as_of)
        lines = [shape_line(f, Namer(store)) for f in faults]
    if json_:
        _print_json({**report.as_dict(), "territory_shape": faults})
    elif not faults:
        typer.echo(f"the store's {report.records:,} records are all valid, and so is the shape of the territory")
    if faults:
        _fail(2, f"the store's {report.records:,} records are valid, but the territory has "
                 f"{len(faults)} fault{'s' if len(faults) != 1 else ''} of shape:\n" + "\n".join(lines))


@app.command()
@_errors
@_store_options
def export(
    file: Annotated[Path, typer.Argument(metavar="FILE", help=f"Where to write: {', '.join(FORMATS)}.", show_default=False)],
    options: StoreOptions = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="Write personal data in full: a complete backup, "
                                                          "audited (masked by default).")] = False,
    public: Public = None,
    force: Force = False,
    json_: Json = False,
) -> None:
    """Write the whole store to FILE; with --unmask, so that loading it elsewhere gives the same network.

    Without --unmask, personal data (phones, addresses, id-card numbers, free-form properties) is masked:
    a copy to hand on, not a backup. With --unmask the file is a complete backup, and the records whose
    personal data it holds are named in the audit log. The format follows the extension. A workbook
    holds at most 1,048,575 rows a sheet: export a large city to .jsonl. A workbook prints: A4
    landscape, one page wide, the header row on every page, page numbers in the footer. The file is
    complete or not written at all; a file already at FILE is left as it is (exit 2) unless --force.
    """
    check_format(file)
    refuse_existing(file, force, option="--force")  # before the store is opened
    shown: list[str] = []
    with options.open() as store:
        count = export_store(store, file, unmask=unmask, public=public, shown=shown if unmask else None,
                             force=force)
        if unmask:
            _audit(store, "export", shown)
    if json_:
        _print_json({"file": str(file), "records": count, "masked": not unmask})
    else:
        typer.echo(f"wrote {count} records to {file}" + ("" if unmask else
                   " (personal data masked: not a backup; --unmask writes everything)"))


@app.command()
@_errors
def template(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The workbook to write (.xlsx).", show_default=False)],
    force: Force = False,
) -> None:
    """Write an empty Excel workbook (台账) to fill in and load.

    One sheet a kind of record (区域, 党组织, 单位, 党员, 住户) and a kind of link (包保联户, 任职, 下沉报到, ...),
    Chinese headers, drop-down lists for levels, posts and roles, and a sheet of instructions (填表说明).
    Every sheet prints on A4 landscape, one page wide, with its header row on every page and page
    numbers; the instructions on one page. A file already at FILE (a filled register, say) is left as
    it is (exit 2) unless --force.
    """
    if file.suffix.lower() != ".xlsx":
        raise UnknownFormat(f"{file}: a template is an Excel workbook; name it .xlsx")
    refuse_existing(file, force, option="--force")
    write_template(file, force=force)
    typer.echo(f"wrote the template to {file}")


@app.command()
@_errors
def generate(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the city: .jsonl (streamed) or .json.", show_default=False)],
    households: Annotated[int, typer.Option("--households", min=1, help="How many households.")] = 20000,
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same city.")] = 1,
    json_: Json = False,
) -> None:
    """Generate a sample city modelled on the seed reports, with gaps planted at known rates.

    Streets of 8 communities, 10-14 grids each, 4-7 buildings a grid, 24-54 households a building;
    a Party organization for each (some planted missing, one weak and lax); co-building units sending
    in-service members who each contact 10-14 households; a 2020 flood's temporary branch; in each
    street's first community a grid split (2025-07-01), five households moving (2025-09-01) and a sunk
    member handing over (2025-11-01). Names, addresses and phone numbers are made up. Two million
    households stream in constant memory.
    """
    from .generate import write_city

    planted = write_city(str(file), households=households, seed=seed)
    summary = planted.summary()
    if json_:
        _print_json({"file": str(file), "seed": seed, "planted": summary})
    else:
        typer.echo(
            f"wrote {file}: {summary['households']} households, {summary['members']} members, "
            f"{summary['orgs']} organizations, {summary['areas']} areas, {summary['edges']} links"
        )


@app.command()
@_errors
@_store_options
def demo(
    options: StoreOptions = None,
    households: Annotated[
        Optional[int], typer.Option("--households", min=1, help="How many households [default: one whole street, about 20,000].")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same city.")] = 1,
    json_: Json = False,
) -> None:
    """Build a sample street (about 20,000 households) in the store and print its coverage and gaps."""
    from .generate import generate_city

    if households is None:
        records, planted = generate_city(households=10**7, streets=1, seed=seed)
    else:
        records, planted = generate_city(households=households, seed=seed)
    with options.open(create=True) as store:
        report = store.load(((what, f"generated record {i}", rec) for i, (what, rec) in enumerate(records, 1)),
                            history={"kind": "load", "by": default_by(), "note": "orggraph demo"})
        counts = store.counts()
        where = getattr(store, "path", None) or options.server
    if json_:
        _print_json({"db": str(where), "load": _report_dict(report), "counts": counts})
        return
    typer.echo(f"Built the sample city in {where} ({report.added_nodes} nodes and {report.added_edges} links added).")
    typer.echo("")
    for kind, label in NODE_KINDS.items():
        typer.echo(f"  {label} {kind:<10} {counts['nodes'].get(kind, 0):>8,}")
    typer.echo(f"  {'关系 links':<13} {sum(counts['edges'].values()):>8,}")
    from .queries import coverage as run_coverage
    from .queries import gaps as run_gaps
    from .report import gaps_text

    with options.open() as store:
        typer.echo("")
        shown = run_coverage(store, level="community")  # the store may hold more than the sample city
        typer.echo(_coverage_text({**shown, "areas": [_masked_name(row, False) for row in shown["areas"]]}))
        typer.echo("")
        typer.echo(gaps_text(run_gaps(store), _namer(store, False), limit=3))
    typer.echo("")
    typer.echo(f"Next: orggraph chain HOUSEHOLD --db {where}, orggraph incident --area ID --db {where}, orggraph --help")


@app.command()
@_errors
@_store_options
def coverage(
    level: Annotated[Optional[str], typer.Option("--level", help="Only areas of this level: street, community, grid, building, ...")] = None,
    area: Annotated[Optional[str], typer.Option("--area", metavar="ID", help="Only this area and the areas within it.")] = None,
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    unmask: Unmask = False,
    json_: Json = False,
) -> None:
    """Coverage of every area: households, covered, uncovered and rate.

    A household is covered when an available member contacts it (包保联户) on the day. An area counts the
    households in it and in every area within it. Also the rate by people and for vulnerable households.
    """
    from .queries import coverage as run

    with options.open() as store:
        result = run(store, level=level, area=area, as_of=as_of, unavailable=_ids(unavailable))
        result["areas"] = [_masked_name(row, unmask) for row in result["areas"]]
        _audit(store, "coverage", [row["id"] for row in result["areas"] if unmask and _masked_name(row, False) != row])
    if json_:
        _print_json(result)
    else:
        typer.echo(_coverage_text(result))


@app.command()
@_errors
@_store_options
def uncovered(
    area: Annotated[Optional[str], typer.Option("--area", metavar="ID", help="Only households within this area.")] = None,
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    json_: Json = False,
) -> None:
    """List the households with no available contact on the day, one id a line."""
    from .queries import uncovered_households

    with options.open() as store:
        ids = uncovered_households(store, area=area, as_of=as_of, unavailable=_ids(unavailable))
    if json_:
        _print_json(ids)
    else:
        for household in ids:
            typer.echo(household)


@app.command()
@_errors
@_store_options
def chain(
    household: Annotated[str, typer.Argument(metavar="HOUSEHOLD", help="The household's id.", show_default=False)],
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    unmask: Unmask = False,
    public: Public = None,
    json_: Json = False,
) -> None:
    """The 包保 responsibility chain of a household, in the order to call.

    Its contacts, each with the unit that sent them; then, from its building up to the street, the members
    assigned to each area and the responsible person of each governing organization; and the breaks:
    no_org, no_responsible, weak_org. With --json, "names" names each id: its name and kind, a member's
    or household's phone and a household's address (masked unless --unmask).
    """
    from .queries import responsibility_chain

    with options.open() as store:
        result = responsibility_chain(store, household, as_of=as_of, unavailable=_ids(unavailable))
        namer = _namer(store, unmask, public)
        if json_:
            from .report import names_of

            _print_json({**result, "names": names_of(result, namer)})
        else:
            from .report import chain_text

            typer.echo(chain_text(result, namer))
        _audit(store, "chain", namer.shown)


@app.command()
@_errors
@_store_options
def search(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="An id, part of a name or an address, or a phone's last "
                                                             "digits (4, or more with --unmask).", show_default=False)],
    options: StoreOptions = None,
    kind: Annotated[Optional[list[str]], typer.Option(
        "--kind", metavar="KIND", help="Only records of this kind: Household, Member, Area, Org or Unit (repeat it "
                                       "for several).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The most hits listed.")] = DEFAULT_HITS,
    as_of: AsOf = None,
    unmask: Unmask = False,
    public: Public = None,
    json_: Json = False,
) -> None:
    """Find households, members, areas, units and organizations by id, part of a name or an address, or a
    phone's last digits.

    Exact id first, then names, addresses and phones, each by id. A record that takes no part on the day
    (--as-of) is not found. Without --unmask only what masked records show is looked in: an address down to
    its building, a phone by its last 4 digits alone; --unmask looks in full (and shows, audited). With
    --json, {"query", "as_of", "hits": [{"id", "kind", "match"}], "more", "phone_needs_pii", "names"}.
    """
    from .queries import search as run_search

    with options.open() as store:
        result = run_search(store, text, kinds=kind, as_of=as_of, pii=unmask, limit=limit)
        namer = _namer(store, unmask, public)
        if json_:
            ids = [hit["id"] for hit in result["hits"]]
            namer.read(ids)
            _print_json({**result, "names": {i: named for i in ids if (named := namer.described(i)) is not None}})
        else:
            from .report import search_text

            typer.echo(search_text(result, namer))
        _audit(store, "search", namer.shown)


@app.command()
@_errors
@_store_options
def gaps(
    max_households: MaxHouseholds = DEFAULT_MAX_HOUSEHOLDS,
    spof: Annotated[int, typer.Option("--spof", min=1, help="A member who is the only contact of this many households is a single point of failure.")] = DEFAULT_SPOF,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Items shown of each kind in the text output.")] = 20,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", metavar="FILE", help="Also write the list of gaps (问题清单) to this workbook: a sheet for each kind, with names, areas, addresses and phones.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write the workbook over an existing file.")] = False,
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    unmask: Unmask = False,
    public: Public = None,
    json_: Json = False,
) -> None:
    """Every gap: uncovered and lapsed households, overloaded and idle members, vacant posts, idle units,
    single points of failure, cross-boundary contacts and unlocated households.

    With --xlsx, also the list a street office works through (问题清单), one sheet for each kind of gap
    with the name, area, address and phone of each item; phone numbers and addresses are masked unless
    --unmask is given (then audited).
    """
    from .queries import gaps as run

    if xlsx is not None:
        if xlsx.suffix.lower() != ".xlsx":
            raise UnknownFormat(f"{xlsx}: the list of gaps is an Excel workbook; name it .xlsx")
        refuse_existing(xlsx, force, option="--force")  # before the question is asked
    with options.open() as store:
        result = run(store, max_households=max_households, spof=spof, as_of=as_of, unavailable=_ids(unavailable))
        namer = _namer(store, unmask, public)
        if xlsx is not None:
            from .io.files import writing
            from .report import gaps_workbook

            with writing(xlsx, force) as partial:
                gaps_workbook(result, namer, partial)
        if json_:
            _print_json(result)
        else:
            from .report import gaps_text

            typer.echo(gaps_text(result, namer, limit=limit))
            if xlsx is not None:
                typer.echo(f"wrote the list of gaps to {xlsx}")
        _audit(store, "gaps", namer.shown)


def _robustness_text(result: dict[str, Any], namer: Namer) -> str:
    """Robustness as text: what was drawn, the totals, a row an area, and the costliest members by name.

    Examples
    --------
    >>> from orggraph.report import Namer
    >>> print(_robustness_text({"as_of": "2026-11-23", "area": None, "share": 0.1, "trials": 200, "seed": 0,
    ...     "categories": [], "unavailable": [], "held_out": 0, "pool": 10, "lost": 1, "households": 4, "covered": 3,
    ...     "rate": 0.75, "expected": 0.7, "p5": 0.5, "areas": [], "costliest": []}, Namer(None)))
    Robustness as of 2026-11-23, the whole network: 200 trials (seed 0), in each 1 of the 10 members who contact its households (10.0%) unreachable.
    4 households: 75.0% covered as things stand; expected 70.0%, 5th percentile 50.0%.
    """
    from .model import LABELS
    from .report import _pct, _table

    where = namer.name(result["area"]) if result["area"] else "the whole network"
    kept = []
    if result["categories"]:
        kept.append(f"{result['held_out']:,} member{'s' if result['held_out'] != 1 else ''} "
                    f"({', '.join(result['categories'])})")
    if result["unavailable"]:
        kept.append(f"{len(result['unavailable']):,} named unavailable")
    out = f"; unreachable in every trial: {' and '.join(kept)}" if kept else ""
    if result["pool"]:
        drawn = (f"{result['trials']:,} trials (seed {result['seed']}), in each {result['lost']:,} of the "
                 f"{result['pool']:,} members who contact its households ({_pct(result['lost'] / result['pool'])}) unreachable")
    else:
        drawn = f"{result['trials']:,} trials: no member who can be reached contacts its households"
    lines = [f"Robustness as of {result['as_of']}, {where}: {drawn}{out}.",
             f"{result['households']:,} households: {_pct(result['rate'])} covered as things stand; expected "
             f"{_pct(result['expected'])}, 5th percentile {_pct(result['p5'])}."]
    if result["areas"]:
        rows = [[a["id"], a["name"], LABELS.get(a["level"], a["level"]), a["households"], _pct(a["rate"]),
                 _pct(a["expected"]), _pct(a["p5"])] for a in result["areas"]]
        lines += ["", _table(["id", "name", "level", "households", "now", "expected", "5th percentile"], rows)]
    if result["costliest"]:
        lines += ["", "members whose absence costs most (households expected to be left uncovered were they lost too) "
                      "关键党员:"]
        rows = [[namer.name(c["member"]), c["households"], c["alone"], f"{c['expected']:,.2f}"] for c in result["costliest"]]
        lines.append(_table(["member", "households", "only contact of", "expected loss"], rows))
    return "\n".join(lines)


@app.command()
@_errors
@_store_options
def robustness(
    area: Annotated[Optional[str], typer.Option("--area", metavar="ID", help="This area and the areas within it [default: the whole network].")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="Only areas of this level in the table: street, community, grid, building, ...")] = None,
    share: Annotated[float, typer.Option("--share", min=0.0, max=1.0, help="The share of the members who cannot be reached in each trial, drawn at random.")] = DEFAULT_SHARE,
    trials: Annotated[int, typer.Option("--trials", min=1, max=10_000, help="How many trials.")] = DEFAULT_TRIALS,
    seed: Annotated[int, typer.Option("--seed", min=0, help="The seed of the draws: the same seed, the same answer.")] = 0,
    category: Annotated[list[str], typer.Option("--category", metavar="CAT", help="Members who cannot be reached in any trial: sunk (who reported to a community) or unit:ID (whom a unit employs); repeat for several.")] = [],
    top: Annotated[int, typer.Option("--top", min=0, help="How many of the members whose absence costs most to list.")] = DEFAULT_TOP,
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    json_: Json = False,
) -> None:
    """How much coverage holds when members cannot be reached: in each trial a share of them drawn at random.

    For every area, the share of households covered as things stand, expected over the trials, and at its
    5th percentile; and the members whose absence would cost most. The same --seed gives the same answer.
    """
    from .queries import robustness as run

    with options.open() as store:
        result = run(store, area, share=share, trials=trials, seed=seed, categories=category, level=level,
                     as_of=as_of, unavailable=_ids(unavailable), top=top)
        result["areas"] = [_masked_name(row, False) for row in result["areas"]]
        if json_:
            _print_json(result)
        else:
            typer.echo(_robustness_text(result, _namer(store, False)))


# -- restructuring as dated changes (orggraph.changes), and the history --------------------------------

On = Annotated[str, typer.Option("--on", metavar="YYYY-MM-DD", show_default=False,
                                 help="The first day of the new arrangement; the old relations end the day before.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change (records, and the households "
                                                         "whose chain changes) and write nothing.")]
Note = Annotated[Optional[str], typer.Option("--note", metavar="TEXT", help="Why, kept in the history.")]
By = Annotated[Optional[str], typer.Option("--by", metavar="NAME",
                                           help="Who, kept in the history [default: the system user, cli:USER].")]


def _list(value: str | None) -> list[str]:
    """Ids from an option that takes them separated by commas."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _change_text(change: dict[str, Any]) -> str:
    """A change as text: what it ended and added, and how many households' chains change."""
    from .history import key_text

    def key(r: dict[str, Any]) -> str:
        return r["id"] if "id" in r else key_text([r["type"], r["source"], r["target"], r.get("since")])

    would = "would " if change["dry_run"] else ""
    head = (f"{change['kind']} on {change['on']}: a dry run, nothing written" if change["dry_run"]
            else f"{change['kind']} on {change['on']}: written (history #{change['history']})")
    lines = [head]
    lines += [f"  {would}end {key(r)} (until {r['until']})" for r in change["ended"]]
    lines += [f"  {would}add {r['kind']} {r['id']}" if "id" in r else f"  {would}add {key(r)}" for r in change["added"]]
    n = len(change["households"])
    whose = "1 household's chain" if n == 1 else f"{n:,} households' chains"
    verb = "would change" if would else "changes" if n == 1 else "change"
    shown = ", ".join(change["households"][:20]) + (f" and {n - 20:,} more" if n > 20 else "")
    lines.append(f"{whose} {verb} on {change['on']}" + (f": {shown}" if n else "."))
    return "\n".join(lines)


#: the options every change takes, after its own: name -> (annotation, default)
_CHANGE_OPTIONS = {"dry_run": (DryRun, False), "note": (Note, None), "by": (By, None), "json_": (Json, False)}


def _change_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a restructuring command the :data:`_CHANGE_OPTIONS`. The command returns what to run on the
    store (``run(store, note=, by=, dry_run=)``); the change is made and printed here."""
    signature = inspect.signature(fn, eval_str=True)
    parameters = [*signature.parameters.values(),
                  *(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=kind)
                    for name, (kind, default) in _CHANGE_OPTIONS.items())]

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> None:
        given = {name: kwargs.pop(name, default) for name, (_, default) in _CHANGE_OPTIONS.items()}
        run = fn(*args, **kwargs)
        with kwargs["options"].open() as store:
            change = run(store, note=given["note"], by=given["by"], dry_run=given["dry_run"])
        if given["json_"]:
            _print_json(change)
        else:
            typer.echo(_change_text(change))

    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    return command


@app.command()
@_errors
@_store_options
@_change_options
def move(
    area: Annotated[str, typer.Argument(metavar="AREA", help="The area that moves, with all it holds.", show_default=False)],
    to: Annotated[str, typer.Option("--to", metavar="PARENT", help="The area it lies within from --on.", show_default=False)],
    on: On,
    options: StoreOptions = None,
) -> Callable[..., Any]:
    """Move AREA to lie within PARENT from a day on: its WITHIN edges end the day before, and it lies within
    PARENT since that day. Every answer for a day before stays as it was. Recorded in the history."""
    from .changes import move as run

    return lambda store, **change: run(store, area, to, on, **change)


@app.command()
@_errors
@_store_options
@_change_options
def split(
    area: Annotated[str, typer.Argument(metavar="AREA", help="The area split.", show_default=False)],
    new: Annotated[str, typer.Option("--new", metavar="ID", help="The new area's id.", show_default=False)],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="The new area's name.", show_default=False)],
    take: Annotated[str, typer.Option("--take", metavar="CHILD[,CHILD...]", show_default=False,
                                      help="The areas within AREA that go to the new one.")],
    on: On,
    org: Annotated[Optional[str], typer.Option("--org", metavar="ID", help="A new organization to govern the new area.")] = None,
    org_name: Annotated[Optional[str], typer.Option("--org-name", metavar="NAME", help="The new organization's name.")] = None,
    options: StoreOptions = None,
) -> Callable[..., Any]:
    """Split AREA: a new area of its level, within the area above it, takes the areas named from a day on
    (with --org, governed by a new organization subordinate to the one above). Recorded in the history."""
    from .changes import split as run

    return lambda store, **change: run(store, area, new, name, _list(take), on, org=org, org_name=org_name, **change)


@app.command()
@_errors
@_store_options
@_change_options
def merge(
    areas: Annotated[list[str], typer.Argument(metavar="AREA [AREA...]", help="The areas that end.", show_default=False)],
    into: Annotated[str, typer.Option("--into", metavar="AREA", help="The area that takes what they hold.", show_default=False)],
    on: On,
    options: StoreOptions = None,
) -> Callable[..., Any]:
    """Merge areas into another of their level from a day on: what they hold (areas, households) lies within
    the other since that day; their own relations (WITHIN, GOVERNS, ASSIGNED_TO) end the day before; their
    organizations are not dissolved. Recorded in the history."""
    from .changes import merge as run

    return lambda store, **change: run(store, areas, into, on, **change)


@app.command()
@_errors
@_store_options
@_change_options
def relocate(
    household: Annotated[str, typer.Argument(metavar="HOUSEHOLD", help="The household that moves.", show_default=False)],
    to: Annotated[str, typer.Option("--to", metavar="AREA", help="Where it lives from --on.", show_default=False)],
    on: On,
    options: StoreOptions = None,
) -> Callable[..., Any]:
    """A household moves to AREA from a day on: where it was located ends the day before. Its contacts stay
    (see orggraph handover). Recorded in the history."""
    from .changes import relocate as run

    return lambda store, **change: run(store, household, to, on, **change)


@app.command()
@_errors
@_store_options
@_change_options
def handover(
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="The member handing over.", show_default=False)],
    to: Annotated[str, typer.Option("--to", metavar="MEMBER", help="The member taking over.", show_default=False)],
    on: On,
    households: Annotated[Optional[str], typer.Option("--households", metavar="H[,H...]",
                                                      help="Only these households [default: all the member's].")] = None,
    options: StoreOptions = None,
) -> Callable[..., Any]:
    """MEMBER hands their households (all, or those named) to another member from a day on: each contact
    ends the day before, and the other member contacts the household since that day. Recorded in the history."""
    from .changes import handover as run

    named = _list(households) if households is not None else None
    return lambda store, **change: run(store, member, to, on, households=named, **change)


@app.command()
@_errors
@_store_options
def history(
    node: Annotated[Optional[str], typer.Argument(metavar="[ID]", help="Only the entries naming this record.",
                                                  show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The last entries shown.")] = 50,
    options: StoreOptions = None,
    json_: Json = False,
) -> None:
    """The history of the records, oldest first and newest last: each load, API change and restructuring,
    with who, when, the note, and the records added, changed, ended and removed (their ids only)."""
    from .history import entry_text

    with options.open() as store:
        entries: list[dict[str, Any]] = []
        after = 0
        while True:
            page = store.history(node, after=after, limit=1000)
            entries = (entries + page)[-limit:]
            if len(page) < 1000:
                break
            after = page[-1]["id"]
    if json_:
        _print_json(entries)
    elif not entries:
        typer.echo(f"no entry names {node}" if node else "the history is empty")
    else:
        typer.echo("\n".join(entry_text(e, about=node) for e in entries))


# -- incidents kept as records (orggraph.incidents), and permanent contacts proposed ---------------------

incident_app = typer.Typer(invoke_without_command=True, rich_markup_mode=None)
app.add_typer(incident_app, name="incident")

IncidentId = Annotated[str, typer.Argument(metavar="INC", help="The incident's id (orggraph incident list).",
                                           show_default=False)]
Areas = Annotated[list[str], typer.Option("--area", metavar="ID", help="An affected area (repeat for several).")]
Households = Annotated[list[str], typer.Option("--household", metavar="ID", help="An affected household (repeat).")]


@incident_app.callback()
@_errors
@_store_options
def incident(
    ctx: typer.Context,
    area: Areas = [],
    household: Households = [],
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", metavar="FILE", help="Also write the call sheet (应急联络单) to this workbook.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write the workbook over an existing file.")] = False,
    max_households: MaxHouseholds = DEFAULT_MAX_HOUSEHOLDS,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Households shown in the text output.")] = 50,
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    unmask: Unmask = False,
    public: Public = None,
    json_: Json = False,
) -> None:
    """Today's call sheet of an incident, kept nowhere: every affected household with its chain, vulnerable
    and uncovered first, and a stand-in assigned to each uncovered one. With a command (open, mark,
    progress, ...), an incident kept as a record; see each command's --help.

    The stand-ins are chosen together: available members with room under --max-households, nearest
    first (building, grid, community), no one given more than their room. Phone numbers and addresses
    are masked unless --unmask is given; a printed call sheet usually needs them.
    """
    if ctx.invoked_subcommand is not None:
        given = [o for o, v in (("--area", area), ("--household", household), ("--xlsx", xlsx), ("--force", force),
                                ("--as-of", as_of), ("--unavailable", unavailable), ("--unmask", unmask),
                                ("--json", json_)) if v]
        if given:
            raise typer.BadParameter(f"{', '.join(given)} go after the command: orggraph incident "
                                     f"{ctx.invoked_subcommand} ... {given[0]} ...")
        return
    if not area and not household:
        raise ValueError("an incident needs at least one area or household (--area ID, --household ID), or a "
                         "command: orggraph incident --help")
    from .queries import incident as run

    _xlsx_target(xlsx, force)
    with options.open() as store:
        result = run(store, area, household, as_of=as_of, unavailable=_ids(unavailable), max_households=max_households)
        _show_sheet(store, result, None, xlsx, force, limit, unmask, public, json_, "incident")


def _xlsx_target(xlsx: Path | None, force: bool) -> None:
    if xlsx is not None:
        if xlsx.suffix.lower() != ".xlsx":
            raise UnknownFormat(f"{xlsx}: a call sheet is an Excel workbook; name it .xlsx")
        refuse_existing(xlsx, force, option="--force")


def _show_sheet(store: Store, result: dict[str, Any], kept: dict[str, Any] | None, xlsx: Path | None, force: bool,
                limit: int, unmask: bool, public: str | None, json_: bool, command: str) -> None:
    from .report import incident_text, incident_workbook, masked_outcomes

    namer = _namer(store, unmask, public)
    if kept is not None:
        result = masked_outcomes(result, namer)
    if xlsx is not None:
        from .io.files import writing

        with writing(xlsx, force) as partial:
            incident_workbook(result, namer, partial, incident=kept)
    if json_:
        from .report import names_of

        _print_json({**result, "names": names_of(result, namer)})
    else:
        typer.echo(incident_text(result, namer, limit=limit))
        if xlsx is not None:
            typer.echo(f"wrote the call sheet to {xlsx}")
    _audit(store, command, namer.shown)


@incident_app.command("open")
@_errors
@_store_options
def incident_open(
    name: Annotated[str, typer.Option("--name", metavar="TEXT", help="What the incident is called.", show_default=False)],
    area: Areas = [],
    household: Households = [],
    max_households: MaxHouseholds = DEFAULT_MAX_HOUSEHOLDS,
    by: By = None,
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    json_: Json = False,
) -> None:
    """Open an incident over areas and households: its call sheet, stand-ins assigned, is kept as it stands
    now, and its id printed alone on stdout (what it holds on stderr)."""
    from .incidents import open_incident

    with options.open() as store:
        record = open_incident(store, area, household, name=name, as_of=as_of, unavailable=_ids(unavailable),
                               max_households=max_households, by=default_by() if by is None else by)
    if json_:
        _print_json(record)
        return
    typer.echo(record["id"])
    typer.echo(f"opened {record['id']} {record['name']} as of {record['as_of']}: {record['households']:,} households, "
               f"{record['uncovered']:,} uncovered ({record['placed']:,} given a stand-in), "
               f"{record['vulnerable']:,} vulnerable", err=True)


@incident_app.command("mark")
@_errors
@_store_options
def incident_mark(
    incident_id: IncidentId,
    household: Annotated[str, typer.Argument(metavar="HOUSEHOLD", help="The door.", show_default=False)],
    status: Annotated[str, typer.Option("--status", metavar="STATUS", show_default=False,
                                        help="reached, no_answer, needs_help, moved_out or refused.")],
    by: Annotated[str, typer.Option("--by", metavar="MEMBER", help="The member who knocked.", show_default=False)],
    note: Annotated[Optional[str], typer.Option("--note", metavar="TEXT", help="What was found (kept, masked "
                                                "as personal data).")] = None,
    options: StoreOptions = None,
    json_: Json = False,
) -> None:
    """Record a door's outcome: a later mark of the household supersedes this one; every mark is kept."""
    from .incidents import mark

    with options.open() as store:
        done = mark(store, incident_id, household, status, by, note=note, recorded_by=default_by())
    if json_:
        _print_json({**done, "note": "****" if done["note"] else None})
    else:
        typer.echo(f"mark {done['seq']}: {household} {status} by {by} at {done['at']}")


@incident_app.command("marks")
@_errors
@_store_options
def incident_marks(
    incident_id: IncidentId,
    file: Annotated[Path, typer.Argument(metavar="SHEET.xlsx", help="The call sheet, its 结果 column filled in.",
                                         show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and write nothing.")] = False,
    options: StoreOptions = None,
    json_: Json = False,
) -> None:
    """Take back the outcomes written on a printed call sheet and typed into its workbook (orggraph incident
    sheet INC --xlsx): all or nothing, every bad row named with its column. Rows with no outcome are left."""
    from .incidents import mark_many
    from .io.outcomes import read_outcomes

    if check_format(file) != ".xlsx":
        raise UnknownFormat(f"{file}: a call sheet is an Excel workbook (.xlsx)")
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such file")
    from .report import CALL_SHEET

    with options.open() as store:
        from .incidents import changed_outcomes, sheet_households

        class Members:  # who may mark: a member of the store, looked up as the rows name them
            def __init__(self) -> None:
                self.kinds: dict[str, str | None] = {}

            def __contains__(self, member: object) -> bool:
                if not isinstance(member, str):
                    return False
                if member not in self.kinds:
                    self.kinds[member] = store.kinds_of([member]).get(member)
                return self.kinds[member] == "Member"

        # every row's problem at once, by column: the households of the sheet, the members of the store
        read = read_outcomes(file, incident_id, households=sheet_households(store, incident_id), members=Members())

        rows = changed_outcomes(store, incident_id, read,
                                places=[f"{file.name}, sheet {CALL_SHEET}, row {r['row']}" for r in read])
        places = [f"{file.name}, sheet {CALL_SHEET}, row {r['row']}" for r in rows]
        if dry_run:
            from .incidents import check_marks

            check_marks(store, incident_id, rows, places=places)
            done: list[dict[str, Any]] = []
        else:
            done = mark_many(store, incident_id, rows, recorded_by=default_by(), places=places)
    unchanged = len(read) - len(rows)
    if json_:
        _print_json({"incident": incident_id, "rows": len(read), "unchanged": unchanged, "marked": len(done),
                     "dry_run": dry_run})
    else:
        typer.echo(f"{file}: {len(read)} outcome{'s' if len(read) != 1 else ''} read"
                   + (f" ({unchanged} as marked already)" if unchanged else "") + "; "
                   + ("nothing written (--dry-run)" if dry_run else f"{len(done)} marked on {incident_id}"))


@incident_app.command("sheet")
@_errors
@_store_options
def incident_sheet(
    incident_id: IncidentId,
    xlsx: Annotated[Optional[Path], typer.Option("--xlsx", metavar="FILE", help="Also write the call sheet, with an "
                                                 "outcome column, to this workbook.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write the workbook over an existing file.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Households shown in the text output.")] = 50,
    options: StoreOptions = None,
    unmask: Unmask = False,
    public: Public = None,
    json_: Json = False,
) -> None:
    """An incident's call sheet as it stood when opened, with each door's latest outcome."""
    from .incidents import call_sheet

    _xlsx_target(xlsx, force)
    with options.open() as store:
        result = call_sheet(store, incident_id)
        _show_sheet(store, result, result["incident"], xlsx, force, limit, unmask, public, json_, "incident sheet")


@incident_app.command("progress")
@_errors
@_store_options
def incident_progress(
    incident_id: IncidentId,
    level: Annotated[Optional[str], typer.Option("--level", metavar="LEVEL", help="Only areas of this level "
                                                 "[default: every level but buildings].")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Areas, households and members shown in the text output.")] = 20,
    options: StoreOptions = None,
    json_: Json = False,
) -> None:
    """How far the door-to-door action has got, by area and overall: doors done (reached, needing help, moved
    out, refused) and open, the vulnerable ones still open first, and who has marked most and least."""
    from .incidents import progress
    from .report import progress_text

    with options.open() as store:
        result = progress(store, incident_id)
        if json_:
            from .report import names_of

            _print_json({**result, "names": names_of(result, _namer(store, False))})
        else:
            typer.echo(progress_text(result, _namer(store, False), level=level, limit=limit))


@incident_app.command("list")
@_errors
@_store_options
def incident_list(
    open_only: Annotated[bool, typer.Option("--open", help="Only incidents not closed.")] = False,
    options: StoreOptions = None,
    json_: Json = False,
) -> None:
    """The incidents, oldest first: id, name, when opened, the day of its sheet, households, and whether closed."""
    from .incidents import incidents

    with options.open() as store:
        rows = incidents(store, open_only=open_only)
    if json_:
        _print_json(rows)
        return
    if not rows:
        typer.echo("no incident")
    for r in rows:
        state = f"closed {r['closed']}" if r["closed"] else "open"
        typer.echo(f"{r['id']}  {r['name']}  opened {r['opened']}  as of {r['as_of']}  {r['households']:,} households, "
                   f"{r['uncovered']:,} uncovered  {state}")


@incident_app.command("close")
@_errors
@_store_options
def incident_close(incident_id: IncidentId, by: By = None, options: StoreOptions = None, json_: Json = False) -> None:
    """Close an incident: it takes no more marks; its sheet, marks and progress stay."""
    from .incidents import close_incident

    with options.open() as store:
        record = close_incident(store, incident_id, by=default_by() if by is None else by)
    if json_:
        _print_json(record)
    else:
        typer.echo(f"closed {record['id']} at {record['closed']}")


@app.command("cover-plan")
@_errors
@_store_options
def cover_plan(
    area: Annotated[Optional[str], typer.Option("--area", metavar="ID", help="Only the households of this area "
                                                "[default: every uncovered household].")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Write the contacts proposed, from --on, recorded in the history.")] = False,
    on: Annotated[Optional[str], typer.Option("--on", metavar="YYYY-MM-DD", help="With --apply: the first day of "
                                              "the new contacts; the plan is made for that day.")] = None,
    max_households: MaxHouseholds = DEFAULT_MAX_HOUSEHOLDS,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Households shown in the text output.")] = 50,
    note: Note = None,
    by: By = None,
    options: StoreOptions = None,
    as_of: AsOf = None,
    unavailable: Unavailable = None,
    json_: Json = False,
) -> None:
    """Propose a permanent contact for each uncovered household (of an area): one member each, chosen
    together, nearest first (building, grid, community), no one given more than their room under
    --max-households. With --apply --on DATE, write them as contacts from DATE."""
    from .queries import cover_plan as run
    from .report import plan_text

    if apply and on is None:
        raise typer.BadParameter("--apply needs --on DATE, the first day of the new contacts")
    if on is not None and not apply:
        raise typer.BadParameter("--on goes with --apply")
    if apply and as_of is not None and as_of != on:
        raise typer.BadParameter("with --apply the plan is made for --on; leave --as-of out")
    with options.open() as store:
        change = None
        if apply:  # the plan as written: from DATE on, with the contacts that start later
            from .changes import cover

            change = dict(cover(store, area, on=on, unavailable=_ids(unavailable), max_households=max_households,
                                note=note, by=by))
            plan = change.pop("plan")
        else:
            plan = run(store, area, as_of=as_of, unavailable=_ids(unavailable), max_households=max_households)
        if json_:
            _print_json({**plan, "change": change})
        else:
            typer.echo(plan_text(plan, _namer(store, False), limit=limit))
            if change is not None:
                typer.echo(_change_text(change))


ledger_app = typer.Typer(help="Registers (台账) as offices keep them: what orggraph recognises in one, and a "
                              "mapping for one it does not.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("inspect")
@_errors
def ledger_inspect(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The workbook (.xlsx).", show_default=False)],
    map_: Annotated[Optional[Path], typer.Option("--map", metavar="MAP.toml",
                                                 help="Read the register as this mapping says.")] = None,
    write_map: Annotated[Optional[Path], typer.Option("--write-map", metavar="MAP.toml",
                                                      help="Write what was recognised as a mapping to edit, "
                                                           "then load with --map.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write the mapping over an existing file.")] = False,
    json_: Json = False,
) -> None:
    """Show how orggraph reads each sheet of FILE, and load nothing.

    For a register: the sheet, the header row(s), the register's date (from a "时间：" row above the
    headers), each column with the field it feeds, and the columns read past or not recognised. With
    --write-map, the same as a mapping file (TOML) for the clerk to edit and pass to orggraph load --map;
    an existing file is kept unless --force. Exit 2 when a sheet cannot be read as it stands.
    """
    from .io import read_mapping
    from .io.excel import inspect_workbook

    if check_format(file) != ".xlsx":
        raise UnknownFormat(f"{file}: a register is an Excel workbook (.xlsx)")
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such file")
    mapping = read_mapping(_read_text(map_), str(map_)) if map_ is not None else None
    sheets = inspect_workbook(file, mapping)
    registers = [s for s in sheets if s.kind == "register"]
    if write_map is not None:
        if not registers:
            raise ValueError(f"{file}: no sheet reads as a register, so there is no mapping to write; name the "
                             "sheet and header_rows in a mapping by hand (see the README)")
        from .io.files import writing

        refuse_existing(write_map, force, option="--force")
        with writing(write_map, force) as partial:
            partial.write_text(registers[0].layout.to_toml(), encoding="utf-8")
    from .privacy import mask_text

    if json_:  # a header is text a clerk wrote: a phone number in one (网格员13912345678) is masked, as anywhere
        _print_json(json.loads(mask_text(json.dumps({"file": str(file), "sheets": [s.as_dict() for s in sheets],
                                                     **({"mapping": str(write_map)} if write_map else {})},
                                                    ensure_ascii=False))))
    else:
        for found in sheets:
            typer.echo(mask_text(_sheet_text(found)))
        if write_map is not None:
            typer.echo(f"wrote the mapping of sheet {registers[0].sheet} to {write_map}: edit it, then "
                       f"orggraph load {file} --map {write_map}")
    problems = [f"sheet {s.sheet}: {p}" for s in registers for p in s.layout.problems]
    problems += [f"sheet {s.sheet}: neither the template's sheet nor a register" for s in sheets if s.kind == "unknown"]
    if problems:
        _fail(2, f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in {file}:\n  " + "\n  ".join(problems))


def _sheet_text(found: Any) -> str:
    if found.kind == "template":
        return f"sheet {found.sheet}: the template's sheet, {found.rows} rows"
    if found.kind == "unknown":
        return f"sheet {found.sheet}: no register's headers in its first rows ({found.rows} rows)"
    layout = found.layout
    lines = [f"sheet {found.sheet}: a register" + (" (as the mapping says)" if layout.mapped else "")
             + (f", headers in row {'-'.join(map(str, layout.header_rows))}" if layout.header_rows else "")
             + f", {found.rows} rows below them"
             + (f", dated {layout.date}" + (f" (row {layout.date_row})" if layout.date_row else "") if layout.date
                else ", undated")]
    from .io.register import FIELDS

    for c in layout.columns:
        if c.field is None:
            lines.append(f"  {c.letter} {c.header}: not recognised")
        elif c.field == "ignore":
            lines.append(f"  {c.letter} {c.header}: read past")
        else:
            lines.append(f"  {c.letter} {c.header} -> {c.field}: {FIELDS[c.field]}")
    return "\n".join(lines)


token_app = typer.Typer(help="API tokens: each has a role (admin, editor, viewer) and a scope of areas.",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(token_app, name="token")


@token_app.command("create")
@_errors
@_store_options
def token_create(
    role: Annotated[str, typer.Option("--role", help="admin, editor or viewer.")],
    area: Annotated[list[str], typer.Option("--area", metavar="ID", help="An area the token may see (repeat for several).")],
    pii: Annotated[bool, typer.Option("--pii", help="May see phone numbers and addresses unmasked (each time is audited).")] = False,
    days: Annotated[Optional[int], typer.Option("--days", min=1, max=3650, metavar="N",
                                                help="The token stops working N days from now (default: when revoked).")] = None,
    options: StoreOptions = None,
) -> None:
    """Make a token and print it, alone, on stdout. Only its hash is kept: it cannot be shown again."""
    import datetime as dt

    from .access import create_token

    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days) if days else None
    with options.open() as store:
        secret, _ = create_token(store, role, area, pii=pii, expires=expires)
    typer.echo(secret)


@token_app.command("list")
@_errors
@_store_options
def token_list(options: StoreOptions = None, json_: Json = False) -> None:
    """List the tokens (never their secrets): id, role, areas, pii, when made, and active, expired or revoked."""
    from .access import tokens

    with options.open() as store:
        rows = [t.public() for t in tokens(store)]
    if json_:
        _print_json(rows)
        return
    for t in rows:
        state = (f"revoked {t['revoked']}" if t["revoked"] else f"expired {t['expires']}" if not t["active"]
                 else f"active until {t['expires']}" if t["expires"] else "active")
        typer.echo(f"{t['id']}  {t['role']:<7} {','.join(t['areas'])}  pii={'yes' if t['pii'] else 'no'}  "
                   f"made {t['created']}  {state}")


@token_app.command("revoke")
@_errors
@_store_options
def token_revoke(token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (from token list).")],
                 options: StoreOptions = None) -> None:
    """Revoke a token at once; its record stays for the audit."""
    from .access import revoke_token

    with options.open() as store:
        revoke_token(store, token_id)
    typer.echo(f"revoked {token_id}")


@app.command()
@_errors
@_store_options
def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port to listen on.")] = 8000,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Processes serving requests, each with the store open (one per core).")] = 1,
    options: StoreOptions = None,
    cors_origin: Annotated[Optional[list[str]], typer.Option(
        "--cors-origin", help="A web origin (https://host[:port]) whose pages may call the API from a browser; "
                              "repeat for more. None by default.")] = None,
    public: Public = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) and the web workbench (at /) with uvicorn. Every API
    request needs a bearer token; the workbench signs in with one.

    A graph server out of reach does not stop it: it starts, says so in one line, and answers 503 until the
    server can be reached. A store that cannot be opened for good (credentials refused, a database that
    does not exist, a file that is no store) stops it at once: one line on stderr, exit 1.
    """
    import uvicorn
    from pydantic import ValidationError

    from .api.settings import Settings

    given = {"db": str(Path(options.db).resolve()) if options.db else None, "server": options.server,
             "user": options.user, "password": options.password, "database": options.database, "cors_origins": ",".join(cors_origin or []), "public_properties": public}
    try:
        settings = Settings(**{k: v for k, v in given.items() if v})  # a bad setting fails here, before a worker starts
    except ValidationError as exc:
        raise typer.BadParameter("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                                           for e in exc.errors())) from None
    _check_store(options, settings.store_deadline)
    for key, value in given.items():  # the workers read their settings from the environment
        if value:
            os.environ[f"ORGGRAPH_{key.upper()}"] = value
    try:
        uvicorn.run("orggraph.api.main:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="info", log_config=_log_config())
    except SystemExit as exc:  # uvicorn's own codes (3: the app did not start) are "anything else" here
        if exc.code not in (0, None):
            raise typer.Exit(1) from None
        raise


def _check_store(options: StoreOptions, seconds: float) -> None:
    """Open the store once before serving, waiting at most ``seconds``: a store that cannot be opened for a
    reason that will not pass by itself ends the command (exit 1, one line on stderr); a graph server out
    of reach, or one that does not answer in time, is left to the API, which serves without it meanwhile
    (:class:`orggraph.api.db.Link`)."""
    import threading

    from .api.db import out_of_reach
    from .exceptions import StoreError

    failed: list[BaseException] = []

    def attempt() -> None:
        try:
            options.open(create=True).close()
        except Exception as exc:  # noqa: BLE001  (judged below)
            failed.append(exc)

    thread = threading.Thread(target=attempt, daemon=True, name="orggraph-check")
    thread.start()
    thread.join(seconds)
    if not failed or out_of_reach(failed[0]):
        return
    if isinstance(failed[0], StoreError):  # its message in one line, whatever the server said
        _fail(1, f"cannot serve: {' '.join(str(failed[0]).split())}")
    raise failed[0]


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with :class:`orggraph.privacy.ScrubLog` on every handler: access lines name the
    path without the query's values, and no message or traceback carries a phone or id-card number."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["scrub"] = {"()": "orggraph.privacy.ScrubLog"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("scrub")
    config["loggers"]["orggraph"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def main() -> None:
    """Entry point of the console script and of ``python -m orggraph``."""
    app(prog_name="orggraph")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
