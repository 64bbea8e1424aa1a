"""The org tree (街道 › 社区 › 楼院 › 网格) from config/org.yaml, and who is responsible where.

Staff are found, not hard-coded: a case's courtyard and building select its grid, and the
tree above it gives the courtyard council, the community and the street.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases.yamlfile import ConfigError, check_keys, load_yaml, text_list

LEVELS: tuple[str, ...] = ("grid", "courtyard", "community", "street")
LEVEL_NAMES = {"grid": "网格", "courtyard": "楼院", "community": "社区", "street": "街道"}
CODE_RE = re.compile(r"^[a-z0-9-]+$")
OPENID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class StaffMember:
    name: str
    openid: str
    role: str = ""


@dataclass(frozen=True)
class Unit:
    """One node of the tree at one level, with the codes of the units above it."""

    level: str
    code: str
    name: str
    staff: tuple[StaffMember, ...]
    parents: dict[str, str] = field(default_factory=dict)  # level -> code, upwards
    aliases: tuple[str, ...] = ()
    buildings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Address:
    """Where a case is, as codes of every level (the grid may be unknown without a building)."""

    street: str
    community: str
    courtyard: str
    grid: str

    def code_at(self, level: str) -> str:
        return str(getattr(self, level))


class OrgTree:
    """Lookup over the validated tree; built only by `load_org` / `parse_org`."""

    def __init__(self, district: str, units: list[Unit]) -> None:
        self.district = district
        self.units: dict[tuple[str, str], Unit] = {(u.level, u.code): u for u in units}
        # openid -> (unit, member) of each post, in tree order: every text message asks
        # whether its sender is staff, so this is an index, not a scan.
        self._posts: dict[str, list[tuple[Unit, StaffMember]]] = {}
        for unit in units:
            for member in unit.staff:
                self._posts.setdefault(member.openid, []).append((unit, member))

    def unit(self, level: str, code: str) -> Unit:
        return self.units[(level, code)]

    def of_level(self, level: str) -> list[Unit]:
        return [u for (lvl, _), u in self.units.items() if lvl == level]

    @property
    def courtyards(self) -> list[Unit]:
        return self.of_level("courtyard")

    def address(self, courtyard: str, building: str | None = None) -> Address:
        """The full address of a courtyard; the grid is the one holding `building`, else the
        courtyard's first grid (a grid worker of the courtyard still hears of the case)."""
        yard = self.unit("courtyard", courtyard)
        grids = [u for u in self.of_level("grid") if u.parents["courtyard"] == courtyard]
        grid = next((g for g in grids if building and building in g.buildings), grids[0])
        return Address(
            street=yard.parents["street"],
            community=yard.parents["community"],
            courtyard=courtyard,
            grid=grid.code,
        )

    def staff_at(self, address: Address, level: str) -> tuple[StaffMember, ...]:
        return self.unit(level, address.code_at(level)).staff

    def posts_of(self, openid: str) -> list[Unit]:
        """The units where `openid` is staff: what a staff member may act on."""
        return [unit for unit, _ in self.staff_posts(openid)]

    def staff_posts(self, openid: str) -> list[tuple[Unit, StaffMember]]:
        """(unit, entry) of each post `openid` holds, in tree order."""
        return self._posts.get(openid, [])

    def member(self, openid: str) -> StaffMember | None:
        """The staff entry of `openid` (its first post), None if not staff."""
        posts = self._posts.get(openid)
        return posts[0][1] if posts else None

    def is_staff(self, openid: str) -> bool:
        return openid in self._posts

    def covers(self, unit: Unit, address: Address) -> bool:
        """Whether `unit` is the address's unit at its level (or above it)."""
        return address.code_at(unit.level) == unit.code

    def all_staff(self) -> Iterator[tuple[Unit, StaffMember]]:
        for unit in self.units.values():
            for member in unit.staff:
                yield unit, member


_CHILDREN = {"street": "communities", "community": "courtyards", "courtyard": "grids"}
_KEYS = {
    "street": {"code", "name", "staff", "communities"},
    "community": {"code", "name", "staff", "courtyards"},
    "courtyard": {"code", "name", "staff", "grids", "aliases"},
    "grid": {"code", "name", "staff", "buildings"},
}


def load_org(path: Path) -> OrgTree:
    """Read and validate the operator's org.yaml; every mistake is reported at once."""
    return parse_org(load_yaml(path), path)


def parse_org(data: Any, path: Path) -> OrgTree:
    problems: list[str] = []
    units: list[Unit] = []
    if not isinstance(data, dict):
        raise ConfigError(path, ["the file must be a mapping with a 'streets' list"])
    check_keys("top level", data, {"district", "streets"}, problems)
    district = data.get("district") or {}
    if isinstance(district, dict):
        check_keys("district", district, {"name"}, problems)
    else:
        problems.append("district: must be a mapping, e.g. district: {name: 中原区}")
        district = {}
    district_name = str(district.get("name", ""))
    streets = data.get("streets")
    if not isinstance(streets, list) or not streets:
        problems.append("top level: 'streets' must be a non-empty list")
        streets = []
    for i, street in enumerate(streets):
        _parse_unit("street", street, f"streets[{i}]", {}, units, problems)
    _check_unique(units, problems)
    if problems:
        raise ConfigError(path, problems)
    return OrgTree(district_name, units)


def _parse_unit(
    level: str,
    data: Any,
    entry: str,
    parents: dict[str, str],
    units: list[Unit],
    problems: list[str],
) -> None:
    if not isinstance(data, dict):
        problems.append(f"{entry}: must be a mapping with code, name and staff")
        return
    code = str(data.get("code", ""))
    entry = f"{entry} ({code or 'no code'})"
    check_keys(entry, data, _KEYS[level], problems)
    if not CODE_RE.match(code):
        problems.append(f"{entry}: 'code' must be lower-case letters, digits and '-', e.g. lc-1")
    if not data.get("name"):
        problems.append(f"{entry}: 'name' is missing")
    elif not isinstance(data["name"], str):
        problems.append(f"{entry}: 'name' must be one name, e.g. name: 铝厂小区")
    staff = _parse_staff(data.get("staff"), entry, level, problems)
    buildings = text_list(entry, data, "buildings", problems)
    aliases = text_list(entry, data, "aliases", problems)
    units.append(
        Unit(level, code, str(data.get("name", "")), staff, dict(parents), aliases, buildings)
    )
    child_key = _CHILDREN.get(level)
    if child_key is None:
        return
    children = data.get(child_key)
    if not isinstance(children, list) or not children:
        problems.append(f"{entry}: needs at least one entry under '{child_key}'")
        return
    child_level = LEVELS[LEVELS.index(level) - 1]
    for j, child in enumerate(children):
        _parse_unit(
            child_level,
            child,
            f"{entry}.{child_key}[{j}]",
            {**parents, level: code},
            units,
            problems,
        )


def _parse_staff(data: Any, entry: str, level: str, problems: list[str]) -> tuple[StaffMember, ...]:
    if not isinstance(data, list) or not data:
        problems.append(
            f"{entry}: no staff at this {LEVEL_NAMES[level]} level: add "
            "'staff: [{name: ..., openid: ...}]' so that its cases reach someone"
        )
        return ()
    members = []
    for k, item in enumerate(data):
        where = f"{entry}.staff[{k}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping with name and openid")
            continue
        check_keys(where, item, {"name", "openid", "role"}, problems)
        openid = str(item.get("openid", ""))
        if not OPENID_RE.match(openid):
            problems.append(f"{where}: 'openid' is missing or malformed")
        members.append(StaffMember(str(item.get("name", "")), openid, str(item.get("role", ""))))
    return tuple(members)


def _check_unique(units: list[Unit], problems: list[str]) -> None:
    seen: dict[tuple[str, str], str] = {}
    names: dict[str, str] = {}
    for unit in units:
        key = (unit.level, unit.code)
        if key in seen:
            problems.append(f"{unit.level} code {unit.code!r} is used twice: codes must be unique")
        seen[key] = unit.name
        if unit.level == "courtyard":
            for label in (unit.name, *unit.aliases):
                other = names.setdefault(label, unit.code)
                if other != unit.code:
                    problems.append(
                        f"courtyard name or alias {label!r} names both {other!r} and "
                        f"{unit.code!r}: give each courtyard its own names"
                    )
    building_owner: dict[tuple[str, str], str] = {}
    for unit in units:
        if unit.level != "grid":
            continue
        for building in unit.buildings:
            key = (unit.parents["courtyard"], building)
            owner = building_owner.setdefault(key, unit.code)
            if owner != unit.code:
                problems.append(
                    f"building {building!r} of courtyard {key[0]!r} is in two grids "
                    f"({owner!r} and {unit.code!r}): keep it in one"
                )
