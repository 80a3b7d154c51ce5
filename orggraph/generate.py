"""Generated sample cities, modelled on the seed reports, with gaps planted at known rates."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Iterator

from .days import day_before

__all__ = ["CityPlan", "Planted", "PlantedSplit", "PlantedMove", "PlantedHandover", "generate_city", "write_city",
           "sample_store", "RATES", "SPLIT_ON", "MOVE_ON", "HANDOVER_ON"]

#: how often each gap is planted; the generator counts what it planted in :class:`Planted`
RATES = {
    "uncovered_household": 0.03,  # a household its member's round skips
    "uncovered_block": 0.02,  # a run of households nobody took
    "lapsed_contact": 0.01,  # a household whose only contact ended on 2025-06-30
    "grid_without_branch": 0.02,
    "building_without_group": 0.10,
    "org_without_post_holder": 0.01,
    "unavailable_member": 0.01,
    "unlocated_household": 0.0005,
    "elderly_alone": 0.08,
    "disabled": 0.03,
    "low_income": 0.04,
}
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
    "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国建华志强海燕丹玲宇浩凯鹏飞晨阳雪梅文婷"
    "子涵欣怡雨萱梓轩浩然思远嘉怡俊杰家豪德明光辉春燕秋菊冬梅永红金凤淑珍淑华玉兰德福长江卫东新民振华"
)
_STREETS = "江滨 城南 桂园 滨湖 望江 西山 东岳 南苑 北辰 文昌 莲池 云台 石桥 凤凰 青龙 白沙 金港 玉泉 柳林 月湖".split()
_COMMUNITIES = "桂花 向阳 和平 新华 丰收 长青 明珠 幸福 书院 朝阳 东风 红星 春晖 锦绣 翠微 兴隆".split()
_AGENCIES = (
    ("市财政局", "agency"), ("市住房和城乡建设局", "agency"), ("市教育局", "agency"), ("市卫生健康局", "agency"),
    ("市人民医院", "institution"), ("市第二中学", "institution"), ("市图书馆", "institution"),
    ("市供电公司", "state_firm"), ("市自来水公司", "state_firm"), ("市农商银行", "state_firm"),
    ("安居物业服务有限公司", "property_company"), ("绿城科技有限公司", "private_firm"),
    ("市志愿者协会", "social_org"), ("业主委员会", "owners_committee"),
)
_CITY = "云河市"
_SINCE = ("2021-03-01", "2021-09-01", "2022-03-01", "2023-03-01", "2024-03-01")
_LAPSED_UNTIL = "2025-06-30"
_FLOOD = ("2020-07-01", "2020-09-30")
#: the days the network changes in every street's first community (the old relations end the day before)
SPLIT_ON = "2025-07-01"  # a grid gives its last buildings to a new grid with a branch of its own
MOVE_ON = "2025-09-01"  # a few households move to a building of another grid
HANDOVER_ON = "2025-11-01"  # a sunk member leaves, and a newly reported one takes their households
_MOVERS = 5


@dataclass
class CityPlan:
    """The shape of a generated city; the defaults follow Xiulin street (seed 000)."""

    households: int = 20000
    seed: int = 1
    streets: int | None = None  # stop after this many streets, even short of ``households``
    communities_per_street: int = 8
    grids_per_community: tuple[int, int] = (10, 14)
    buildings_per_grid: tuple[int, int] = (4, 7)
    households_per_building: tuple[int, int] = (24, 54)
    contacts_per_member: tuple[int, int] = (10, 14)
    units_per_community: tuple[int, int] = (3, 6)
    changes: bool = True  # plant the dated changes (a grid split, household moves, a handover)


@dataclass(frozen=True)
class PlantedSplit:
    """A grid split on ``on``: ``buildings`` (holding ``households`` located households) lie within
    ``grid`` until the day before and within ``new_grid`` (WITHIN ``community``, governed by ``new_org``,
    subordinate to the community's org, with ``secretary`` as its secretary and grid leader) from ``on``.
    The building groups of those buildings answer to ``new_org`` from ``on`` instead of ``org``."""

    grid: str
    new_grid: str
    name: str
    community: str
    org: str
    new_org: str
    secretary: str
    buildings: tuple[str, ...]
    households: int
    on: str = SPLIT_ON


@dataclass(frozen=True)
class PlantedMove:
    """A household located in building ``source`` until the day before ``on`` and in ``target`` from it."""

    household: str
    source: str
    target: str
    on: str = MOVE_ON


@dataclass(frozen=True)
class PlantedHandover:
    """Member ``member`` contacts ``households`` (and is sunk to ``org``) until the day before ``on``;
    member ``to``, newly sunk to ``org`` and employed by the same unit, contacts them from ``on``."""

    member: str
    to: str
    org: str
    households: tuple[str, ...]
    on: str = HANDOVER_ON


@dataclass
class Planted:
    """What the generator planted, counted as it went. The gaps are as of any day after 2025-06-30 (the
    dated changes leave them as they are); ``splits``, ``moves`` and ``handovers`` are the changes
    planted in each street's first community, on :data:`SPLIT_ON`, :data:`MOVE_ON` and
    :data:`HANDOVER_ON` (none with ``CityPlan.changes`` off, or when the city ends too soon)."""

    households: int = 0
    people: int = 0
    areas: int = 0
    orgs: int = 0
    units: int = 0
    members: int = 0
    edges: int = 0
    uncovered: set[str] = field(default_factory=set)
    lapsed: set[str] = field(default_factory=set)
    unlocated: set[str] = field(default_factory=set)
    vulnerable: int = 0
    overloaded: set[str] = field(default_factory=set)
    unavailable: set[str] = field(default_factory=set)
    areas_without_org: set[str] = field(default_factory=set)
    orgs_without_post_holder: set[str] = field(default_factory=set)
    weak_orgs: set[str] = field(default_factory=set)
    idle_units: set[str] = field(default_factory=set)
    idle_sunk_members: set[str] = field(default_factory=set)
    cross_boundary: set[tuple[str, str]] = field(default_factory=set)
    temporary_orgs: set[str] = field(default_factory=set)
    splits: list[PlantedSplit] = field(default_factory=list)
    moves: list[PlantedMove] = field(default_factory=list)
    handovers: list[PlantedHandover] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        out = {}
        for key, value in vars(self).items():
            out[key] = len(value) if isinstance(value, (set, list)) else value
        return out


class _City:
    def __init__(self, plan: CityPlan):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.planted = Planted()
        self.next_member = 0
        self.next_unit = 0
        self.next_household = 0
        self.last_post_holder: str | None = None
        self.previous_round: list[str] = []
        # the dated changes: chosen with a generator of their own, so that the rest of the city is drawn
        # exactly as without them, and written at the end, so that no id made before them moves
        self.changes_rng = random.Random(f"orggraph-changes-{plan.seed}")
        self.later: list[Iterator[tuple[str, dict[str, Any]]]] = []

    # -- small makers ---------------------------------------------------------------------------------

    def name(self, rng: random.Random | None = None) -> str:
        rng = rng or self.rng
        given = rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else "")
        return rng.choice(_SURNAMES) + given

    def phone(self, rng: random.Random | None = None) -> str:
        rng = rng or self.rng
        return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"

    def node(self, kind: str, **props: Any) -> tuple[str, dict[str, Any]]:
        counter = {"Area": "areas", "Org": "orgs", "Unit": "units", "Member": "members"}.get(kind)
        if counter:
            setattr(self.planted, counter, getattr(self.planted, counter) + 1)
        return "node", {"kind": kind, **props}

    def edge(self, type_: str, source: str, target: str, **props: Any) -> tuple[str, dict[str, Any]]:
        self.planted.edges += 1
        return "edge", {"type": type_, "source": source, "target": target, **props}

    def member(self, category: str, **props: Any) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
        self.next_member += 1
        member_id = f"m{self.next_member:07d}"
        record = {"id": member_id, "name": self.name(), "phone": self.phone(), "category": category}
        if self.rng.random() < RATES["unavailable_member"]:
            record["status"] = "unavailable"
            self.planted.unavailable.add(member_id)
        record.update(props)
        return member_id, [self.node("Member", **record)]

    def new_member(self, category: str) -> tuple[str, tuple[str, dict[str, Any]]]:
        """A member who joins in a dated change: available, drawn with the changes' generator."""
        self.next_member += 1
        member_id = f"m{self.next_member:07d}"
        rng = self.changes_rng
        return member_id, self.node("Member", id=member_id, name=self.name(rng), phone=self.phone(rng), category=category)

    def org(self, org_id: str, name: str, level: str, parent: str | None, governs: str | None,
            since: str = "2021-03-01", until: str | None = None, posts: tuple[str, ...] = ("secretary",),
            category: str = "resident", status: str | None = None,
            parent_until: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """An org with its post holders; sometimes planted without any.

        Sets ``last_post_holder`` to the last available one (None when there is none today).
        ``parent_until`` ends its subordination to ``parent`` on that day.
        """
        dates = {"since": since} | ({"until": until} if until else {})
        props: dict[str, Any] = {"id": org_id, "name": name, "level": level}
        if status:
            props["status"] = status
            self.planted.weak_orgs.add(org_id)
        yield self.node("Org", **props)
        if parent:  # subordinate from the day it is set up (a temporary one while it lasts, or until moved)
            yield self.edge("SUBORDINATE_TO", org_id, parent, **(dates | ({"until": parent_until} if parent_until else {})))
        if governs:
            yield self.edge("GOVERNS", org_id, governs, **dates)
        self.last_post_holder = None
        if level in {"grid", "building"} and self.rng.random() < RATES["org_without_post_holder"]:
            self.planted.orgs_without_post_holder.add(org_id)
            return
        for post in posts:
            member_id, records = self.member(category)
            yield from records
            yield self.edge("MEMBER_OF", member_id, org_id, **dates)
            yield self.edge("HOLDS_POST", member_id, org_id, post=post, **dates)
            if member_id not in self.planted.unavailable and until is None:
                self.last_post_holder = member_id
        if self.last_post_holder is None:  # nobody available holds a post today
            self.planted.orgs_without_post_holder.add(org_id)

    # -- the city -------------------------------------------------------------------------------------

    def records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        street_no = 0
        while self.planted.households < self.plan.households and (
            self.plan.streets is None or street_no < self.plan.streets
        ):
            street_no += 1
            yield from self.street(street_no)
        for records in self.later:
            yield from records

    def street(self, no: int) -> Iterator[tuple[str, dict[str, Any]]]:
        rng, plan = self.rng, self.plan
        base = _STREETS[(no - 1) % len(_STREETS)]
        round_ = (no - 1) // len(_STREETS)
        sname = f"{base}{'' if round_ == 0 else '第' + str(round_ + 1)}街道"
        sid = f"s{no:03d}"
        sorg = f"o-{sid}"
        yield self.node("Area", id=sid, name=sname, level="street")
        yield from self.org(sorg, f"{sname}大工委", "street", None, sid,
                            posts=("secretary", "deputy_secretary", "committee_member"), category="in_service")
        overload_done = idle_unit_done = flood_done = False
        for c in range(1, plan.communities_per_street + 1):
            if self.planted.households >= plan.households:
                break
            cname = f"{_COMMUNITIES[(c - 1) % len(_COMMUNITIES)]}社区"
            cid = f"{sid}c{c}"
            corg = f"o-{cid}"
            yield self.node("Area", id=cid, name=f"{sname}{cname}", level="community")
            yield self.edge("WITHIN", cid, sid)
            yield from self.org(corg, f"{cname}大党委", "community", sorg, cid,
                                posts=("secretary", "deputy_secretary", "committee_member"))
            # co-building units, each with its own Party org whose secretary answers for its members
            units = []
            for _ in range(rng.randint(*plan.units_per_community)):
                self.next_unit += 1
                uid = f"u{self.next_unit:05d}"
                uname, category = rng.choice(_AGENCIES)
                yield self.node("Unit", id=uid, name=f"{_CITY[:-1]}{uname}" if uname.startswith("市") else f"{sname}{uname}",
                                category=category)
                uorg = f"o-{uid}"
                yield from self.org(uorg, f"{uname}党支部", "unit", None, None, category="in_service")
                yield self.edge("OF_UNIT", uorg, uid)
                yield self.edge("CO_BUILDS", uid, corg, kind=rng.choice(("co_building", "pairing", "dual_report")),
                                since=rng.choice(_SINCE), items=rng.randint(1, 4))
                units.append(uid)
            idle_unit = None
            if not idle_unit_done and len(units) > 2:
                idle_unit = units[-1]
                self.planted.idle_units.add(idle_unit)
                idle_unit_done = True
            senders = [u for u in units if u != idle_unit]
            # the round of households, building by building; sunk members take runs of 10-14
            round_households: list[str] = []
            grids = rng.randint(*plan.grids_per_community)
            flood_grids = set() if flood_done else {1, 2}
            flood_done = True
            # the dated changes of the street, in its first community: the first grid from the fifth on
            # with a branch and four buildings or more splits; households of the grid two after it move
            # to a building of the grid between
            plant = plan.changes and c == 1
            split: dict[str, Any] | None = None
            buildings_of: dict[int, list[str]] = {}
            for g in range(1, grids + 1):
                if self.planted.households >= plan.households:
                    break
                gid = f"{cid}g{g:02d}"
                yield self.node("Area", id=gid, name=f"{cname}第{g}网格", level="grid")
                yield self.edge("WITHIN", gid, cid)
                leader = weak = None
                if rng.random() < RATES["grid_without_branch"] and g not in flood_grids:
                    self.planted.areas_without_org.add(gid)
                    parent = corg
                else:
                    gorg = parent = f"o-{gid}"
                    weak = "weak_lax" if c == 1 and g == 3 else None  # one weak and lax branch a street
                    yield from self.org(gorg, f"{cname}第{g}网格党支部", "grid", corg, gid, status=weak)
                    leader = self.last_post_holder
                    if self.last_post_holder:
                        yield self.edge("ASSIGNED_TO", self.last_post_holder, gid, role="grid_leader",
                                        since="2021-03-01")
                if g in flood_grids:
                    torg = f"o-{cid}-flood2020"
                    if g == 1:
                        self.planted.temporary_orgs.add(torg)
                        yield from self.org(torg, f"{cname}防汛临时党支部", "temporary", corg, None,
                                            since=_FLOOD[0], until=_FLOOD[1])
                    yield self.edge("GOVERNS", torg, gid, since=_FLOOD[0], until=_FLOOD[1])
                buildings = rng.randint(*plan.buildings_per_grid)
                taken_from = buildings + 1  # the buildings from this number on go to the new grid
                if plant and split is None and g >= 5 and leader and not weak and buildings >= 4:
                    n = grids + 1
                    split = {"grid": gid, "no": g, "new_grid": f"{cid}g{n:02d}", "org": parent,
                             "name": f"{cname}第{n}网格(由第{g}网格拆分)", "org_name": f"{cname}第{n}网格党支部",
                             "community": cid, "community_org": corg, "buildings": [], "groups": [], "households": 0}
                    taken_from = buildings - buildings // 2 + 1
                move_to = None
                if split and g == split["no"] + 2 and buildings_of.get(g - 1):
                    move_to = self.changes_rng.choice(buildings_of[g - 1])
                for b in range(1, buildings + 1):
                    if self.planted.households >= plan.households:
                        break
                    yield from self.building(sname, cname, gid, parent, b, round_households,
                                             split=split if b >= taken_from else None,
                                             move_to=move_to if b == 1 else None)
                    if plant:
                        buildings_of.setdefault(g, []).append(f"{gid}b{b}")
            if split and split["buildings"]:
                self.later.append(self.split_records(split))
            # sunk members: in-service members of the units, each taking a run of households
            yield from self.sunk_members(corg, senders, round_households, overload=not overload_done, handover=plant)
            overload_done = True

    def building(self, sname: str, cname: str, gid: str, parent: str, b: int, round_households: list[str],
                 split: dict[str, Any] | None = None, move_to: str | None = None):
        """A building with its group and households; ``split``: it goes to the new grid on SPLIT_ON;
        ``move_to``: a few of its households move to that building on MOVE_ON."""
        rng, planted = self.rng, self.planted
        bid = f"{gid}b{b}"
        yield self.node("Area", id=bid, name=f"{cname}{b}号楼", level="building")
        ends = {"until": day_before(SPLIT_ON)} if split else {}
        yield self.edge("WITHIN", bid, gid, **ends)
        if split:
            split["buildings"].append(bid)
        if rng.random() < RATES["building_without_group"]:
            planted.areas_without_org.add(bid)
        else:
            borg = f"o-{bid}"
            yield from self.org(borg, f"{cname}{b}号楼党小组", "building", parent, bid, posts=("group_leader",),
                                parent_until=ends.get("until"))
            if split:
                split["groups"].append(borg)
            if self.last_post_holder:
                yield self.edge("ASSIGNED_TO", self.last_post_holder, bid, role="building_leader", since="2021-03-01")
        size = rng.randint(*self.plan.households_per_building)
        size = min(size, self.plan.households - planted.households)
        movers = set(self.changes_rng.sample(range(size), min(_MOVERS, size))) if move_to else set()
        moved = []
        ids = []
        for i in range(size):
            self.next_household += 1
            hid = f"h{self.next_household:08d}"
            entrance, rest = divmod(i, 12)
            floor, door = divmod(rest, 2)
            people = rng.choice((1, 1, 2, 2, 2, 3, 3, 3, 4, 5))
            record: dict[str, Any] = {
                "id": hid,
                "address": f"{_CITY}{sname}{cname}{b}号楼{entrance + 1}单元{floor + 1}0{door + 1}室",
                "people": people,
                "phone": self.phone(),
            }
            flags = [f for f in ("elderly_alone", "disabled", "low_income") if rng.random() < RATES[f]]
            if flags:
                record["flags"] = flags
                planted.vulnerable += 1
            if flags and "elderly_alone" in flags:
                record["people"] = 1
            planted.households += 1
            planted.people += record["people"]
            yield self.node("Household", **record)
            if rng.random() < RATES["unlocated_household"]:
                planted.unlocated.add(hid)
            elif i in movers:
                yield self.edge("LOCATED_IN", hid, bid, until=day_before(MOVE_ON))
                moved.append(PlantedMove(hid, bid, move_to))  # type: ignore[arg-type]
            else:
                yield self.edge("LOCATED_IN", hid, bid)
            if split and hid not in planted.unlocated:
                split["households"] += 1
            ids.append(hid)
        if moved:
            self.later.append(self.move_records(moved))
        # a resident member's own household (党员中心户): a third of the buildings have one
        if ids and rng.random() < 0.33:
            member_id, records = self.member("resident")
            yield from records
            yield self.edge("RESIDES_IN", member_id, rng.choice(ids))
        round_households.extend(ids)

    def sunk_members(self, corg: str, senders: list[str], households: list[str], overload: bool,
                     handover: bool = False):
        """The community's sunk members; ``handover``: the first available one from a drawn place on
        with households of their own hands them over on HANDOVER_ON to a member who reports that day."""
        rng, planted, plan = self.rng, self.planted, self.plan
        i = 0
        first = True
        pick = self.changes_rng.randint(3, 8) if handover else None  # the place from which to look
        place = 0
        while i < len(households):
            run = rng.randint(*plan.contacts_per_member)
            if overload and first:
                run = 22
            chunk = households[i : i + run]
            i += run
            if rng.random() < RATES["uncovered_block"] and not first:
                planted.uncovered.update(chunk)
                continue
            unit = rng.choice(senders) if senders else None
            member_id, out = self.member("in_service")
            since = rng.choice(_SINCE)
            if unit:
                out.append(self.edge("EMPLOYED_BY", member_id, unit))
            out.append(self.edge("SUNK_TO", member_id, corg, since=since))
            leaving = pick is not None and place >= pick and not first and member_id not in planted.unavailable
            place += 1
            if first and overload:
                planted.overloaded.add(member_id)
            first = False
            unavailable = member_id in planted.unavailable
            valid = 0
            for hid in chunk:
                draw = rng.random()
                if draw < RATES["uncovered_household"]:
                    planted.uncovered.add(hid)
                    continue
                if draw < RATES["uncovered_household"] + RATES["lapsed_contact"]:
                    out.append(self.edge("CONTACTS", member_id, hid, since="2021-03-01", until=_LAPSED_UNTIL))
                    planted.uncovered.add(hid)
                    planted.lapsed.add(hid)
                    continue
                out.append(self.edge("CONTACTS", member_id, hid, since=since))
                valid += 1
                if unavailable:
                    planted.uncovered.add(hid)
            if leaving and valid:  # the member leaves: their report and their live contacts end
                taken = []
                for _, record in out:
                    if record.get("type") in {"SUNK_TO", "CONTACTS"} and "until" not in record:
                        record["until"] = day_before(HANDOVER_ON)
                        if record["type"] == "CONTACTS":
                            taken.append(record["target"])
                self.later.append(self.handover_records(member_id, unit, corg, taken))
                pick = None
            yield from out
            if member_id in planted.overloaded and (unavailable or valid <= 15):
                planted.overloaded.discard(member_id)
            if valid == 0:
                planted.idle_sunk_members.add(member_id)
        # one member per community who reported but took no households (idle), and one whose
        # extra household lies in the next community (cross-boundary), once households exist elsewhere
        if households:
            member_id, records = self.member("in_service")
            yield from records
            yield self.edge("SUNK_TO", member_id, corg, since="2024-03-01")
            if senders:
                yield self.edge("EMPLOYED_BY", member_id, rng.choice(senders))
            planted.idle_sunk_members.add(member_id)
            if self.previous_round:
                outside = rng.choice(self.previous_round)
                helper, records = self.member("in_service")
                yield from records
                yield self.edge("SUNK_TO", helper, corg, since="2024-03-01")
                yield self.edge("CONTACTS", helper, outside, since="2024-03-01")
                planted.cross_boundary.add((helper, outside))
                if helper not in planted.unavailable:
                    planted.uncovered.discard(outside)
                    planted.lapsed.discard(outside)
            self.previous_round = households

    # -- the dated changes, written after the city ---------------------------------------------------

    def split_records(self, split: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        on, grid, org = SPLIT_ON, split["new_grid"], f"o-{split['new_grid']}"
        yield self.node("Area", id=grid, name=split["name"], level="grid")
        yield self.edge("WITHIN", grid, split["community"], since=on)
        yield self.node("Org", id=org, name=split["org_name"], level="grid")
        yield self.edge("SUBORDINATE_TO", org, split["community_org"], since=on)
        yield self.edge("GOVERNS", org, grid, since=on)
        secretary, record = self.new_member("resident")
        yield record
        yield self.edge("MEMBER_OF", secretary, org, since=on)
        yield self.edge("HOLDS_POST", secretary, org, post="secretary", since=on)
        yield self.edge("ASSIGNED_TO", secretary, grid, role="grid_leader", since=on)
        for building in split["buildings"]:
            yield self.edge("WITHIN", building, grid, since=on)
        for group in split["groups"]:
            yield self.edge("SUBORDINATE_TO", group, org, since=on)
        self.planted.splits.append(PlantedSplit(
            grid=split["grid"], new_grid=grid, name=split["name"], community=split["community"], org=split["org"],
            new_org=org, secretary=secretary, buildings=tuple(split["buildings"]), households=split["households"]))

    def move_records(self, moves: list[PlantedMove]) -> Iterator[tuple[str, dict[str, Any]]]:
        for move in moves:
            yield self.edge("LOCATED_IN", move.household, move.target, since=move.on)
            self.planted.moves.append(move)

    def handover_records(self, member: str, unit: str | None, org: str,
                         households: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        successor, record = self.new_member("in_service")
        yield record
        if unit:
            yield self.edge("EMPLOYED_BY", successor, unit)
        yield self.edge("SUNK_TO", successor, org, since=HANDOVER_ON)
        for household in households:
            yield self.edge("CONTACTS", successor, household, since=HANDOVER_ON)
        self.planted.handovers.append(PlantedHandover(member, successor, org, tuple(households)))


def generate_city(plan: CityPlan | None = None, **kwargs: Any) -> tuple[Iterator[tuple[str, dict]], Planted]:
    """A generated city as a stream of ("node" | "edge", record), and the tally of what it planted.

    The stream is made lazily and holds one community's household ids at a time, so two million
    households need no more memory than twenty thousand. The tally fills in as the stream is consumed.

    Parameters
    ----------
    plan : CityPlan, optional
        The shape; keyword arguments (``households=``, ``seed=``) override its fields.

    Examples
    --------
    >>> records, planted = generate_city(households=300, seed=7)
    >>> kinds = {r["kind"] for what, r in records if what == "node"}
    >>> sorted(kinds)
    ['Area', 'Household', 'Member', 'Org', 'Unit']
    >>> planted.households
    300
    """
    plan = plan or CityPlan()
    for key, value in kwargs.items():
        setattr(plan, key, value)
    if plan.households < 1:
        raise ValueError(f"households must be at least 1, got {plan.households}")
    city = _City(plan)
    return city.records(), city.planted


def write_city(path: str, plan: CityPlan | None = None, **kwargs: Any) -> Planted:
    """Write a generated city to a ``.jsonl`` (streamed) or ``.json`` file and return what it planted.

    A ``.json`` document lists nodes before edges, so the city is generated twice from the same seed
    (once for each list) rather than held in memory.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "city.jsonl")
    >>> write_city(path, households=100, seed=2).households
    100
    """
    import os

    import orjson

    from .io.jsonio import write_json

    plan = plan or CityPlan()
    for key, value in kwargs.items():
        setattr(plan, key, value)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in {".jsonl", ".json"}:
        raise ValueError(f"{path}: a generated city is written as .jsonl or .json")
    partial = path + ".partial"
    try:
        with open(partial, "wb") as out:
            if suffix == ".jsonl":
                records, planted = generate_city(plan)
                dumps = orjson.dumps
                for what, record in records:
                    out.write(dumps({what: record}))
                    out.write(b"\n")
            else:
                nodes, _ = generate_city(plan)
                edges, planted = generate_city(plan)
                write_json((r for w, r in nodes if w == "node"), (r for w, r in edges if w == "edge"), out)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return planted


def sample_store(db: str | None = None, *, households: int | None = None, seed: int = 1, **open_args: Any) -> Any:
    """A store holding the sample city: one whole street by default (about 20,000 households).

    ``db`` is the embedded store's file (a new temporary one when None); ``open_args`` go to
    :func:`orggraph.store.open_store` (``server=...`` for a graph server). Without ``server`` it is the
    embedded store, whatever ``$ORGGRAPH_SERVER`` says. Loading the same sample again changes nothing.
    Returns the open store.
    """
    import os
    import tempfile

    from .store import EmbeddedStore, open_store

    if households is None:
        records, _ = generate_city(households=10**7, streets=1, seed=seed)
    else:
        records, _ = generate_city(households=households, seed=seed)
    if open_args.get("server"):
        store = open_store(db, **open_args)
    else:  # the file, not a server named in the environment
        path = db if db is not None else os.path.join(tempfile.mkdtemp(prefix="orggraph-"), "sample.db")
        store = EmbeddedStore(path) if open_args.get("wait") is None else EmbeddedStore(path, wait=open_args["wait"])
    store.load((what, f"generated record {i}", rec) for i, (what, rec) in enumerate(records, 1))
    return store
