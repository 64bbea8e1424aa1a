"""The org tree loader: the shipped file loads, and each kind of mistake is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cases.org import load_org, parse_org
from cases.yamlfile import ConfigError
from config.settings import CONFIG_DIR

ORG = CONFIG_DIR / "org.yaml"


def shipped() -> dict[str, Any]:
    return yaml.safe_load(ORG.read_text(encoding="utf-8"))


def problems_of(data: Any) -> str:
    with pytest.raises(ConfigError) as error:
        parse_org(data, Path("org.yaml"))
    return str(error.value)


def test_shipped_tree_loads_and_finds_staff() -> None:
    org = load_org(ORG)
    address = org.address("lvchang", "5")
    assert (address.street, address.community, address.grid) == ("xhl", "tbbl", "lc-2")
    assert [s.openid for s in org.staff_at(address, "grid")] == ["oGRID002"]
    assert [s.openid for s in org.staff_at(address, "street")] == ["oSTREET001"]
    assert org.address("lvchang", "99").grid == "lc-1"  # unknown building: first grid
    assert {u.code for u in org.posts_of("oCOUNCIL001")} == {"lvchang"}
    assert not org.is_staff("oRESIDENT")


def test_duplicate_codes_are_named() -> None:
    data = shipped()
    yard = data["streets"][0]["communities"][0]["courtyards"][0]
    yard["grids"][1]["code"] = "lc-1"
    assert "grid code 'lc-1' is used twice" in problems_of(data)


def test_building_in_two_grids_is_named() -> None:
    data = shipped()
    yard = data["streets"][0]["communities"][0]["courtyards"][0]
    yard["grids"][1]["buildings"].append("2")
    assert "building '2' of courtyard 'lvchang' is in two grids" in problems_of(data)


def test_courtyard_without_grid_is_named() -> None:
    data = shipped()
    del data["streets"][1]["communities"][0]["courtyards"][1]["grids"]
    assert "(qjl50): needs at least one entry under 'grids'" in problems_of(data)


def test_unknown_key_is_named() -> None:
    data = shipped()
    data["streets"][0]["communities"][0]["colour"] = "red"
    assert "unknown key 'colour'" in problems_of(data)


def test_level_without_staff_is_named() -> None:
    data = shipped()
    data["streets"][0]["communities"][0]["staff"] = []
    text = problems_of(data)
    assert "(tbbl): no staff" in text and "add 'staff:" in text


def test_every_problem_is_reported_at_once() -> None:
    data = shipped()
    data["streets"][0]["staff"] = []
    data["streets"][1]["code"] = "Bad Code"
    error_text = problems_of(data)
    assert "2 problem(s)" in error_text


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_org(tmp_path / "nope.yaml")
    broken = tmp_path / "org.yaml"
    broken.write_text("streets: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_org(broken)


def test_a_word_where_a_list_belongs_is_named_not_split() -> None:
    """`aliases: 铝厂院` would be the aliases 铝, 厂, 院, and every 院 a resident wrote would
    name this courtyard; `buildings: "1,2,3"` the buildings 1, ",", 2 … Each is an error."""
    data = shipped()
    courtyard = data["streets"][0]["communities"][0]["courtyards"][0]
    courtyard["aliases"] = "铝厂院"
    courtyard["grids"][0]["buildings"] = "1,2,3"
    courtyard["grids"][0]["name"] = ["一网格"]
    data["district"] = {"name": "中原区", "nmae": "typo"}
    text = problems_of(data)
    assert "'aliases' must be a list" in text and "'buildings' must be a list" in text
    assert "'name' must be one name" in text
    assert "district: unknown key 'nmae'" in text


def test_a_file_not_in_utf8_is_named(tmp_path: Path) -> None:
    gbk = tmp_path / "org.yaml"
    gbk.write_bytes(ORG.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_org(gbk)
