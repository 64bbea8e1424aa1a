"""The org tree with its staff, and the open and overdue load of every unit and level."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import render_template
from sqlalchemy.orm import Session

from admin.auth import viewer
from admin.context import services
from admin.scope import Scope
from admin.stats import active_load
from admin.web import page_blueprint
from cases.clock import utcnow
from cases.org import LEVELS, OrgTree, Unit

bp = page_blueprint("admin_org", __name__)
CHILD = {"street": "community", "community": "courtyard", "courtyard": "grid"}


@dataclass
class Load:
    held: int = 0  # active cases this unit holds now (at its level)
    held_overdue: int = 0
    below: int = 0  # active cases anywhere under this unit
    below_overdue: int = 0


@dataclass
class Node:
    unit: Unit
    load: Load
    children: list[Node] = field(default_factory=list)


def loads(session: Session, scope: Scope) -> tuple[dict[tuple[str, str], Load], dict[str, Load]]:
    """Active cases counted per (level, code) of every unit above them, and per level."""
    per_unit: dict[tuple[str, str], Load] = defaultdict(Load)
    per_level: dict[str, Load] = defaultdict(Load)
    for row in active_load(session, scope, utcnow()):
        for unit_level in LEVELS:
            code = getattr(row, unit_level)
            if code is None:
                continue
            load = per_unit[(unit_level, code)]
            load.below += row.count
            load.below_overdue += row.overdue
            if unit_level == row.level:
                load.held += row.count
                load.held_overdue += row.overdue
        per_level[row.level].held += row.count
        per_level[row.level].held_overdue += row.overdue
    return per_unit, per_level


def tree(org: OrgTree, scope: Scope, per_unit: dict[tuple[str, str], Load]) -> list[Node]:
    """The visible part of the tree: the scope's own unit and everything under it."""
    top = scope.level or "street"

    def build(unit: Unit) -> Node:
        node = Node(unit, per_unit.get((unit.level, unit.code), Load()))
        child_level = CHILD.get(unit.level)
        if child_level:
            node.children = [
                build(child)
                for child in org.of_level(child_level)
                if child.parents.get(unit.level) == unit.code
            ]
        return node

    return [build(u) for u in org.of_level(top) if scope.covers(u)]


@bp.get("/org")
def org_page() -> str:
    svc = services()
    scope = viewer().scope
    with svc.domain.db.session() as session:
        per_unit, per_level = loads(session, scope)
    levels = [lvl for lvl in LEVELS if lvl in svc.domain.policy.levels]
    return render_template(
        "admin/org.html",
        roots=tree(svc.domain.org, scope, per_unit),
        per_level=[(lvl, per_level.get(lvl, Load())) for lvl in levels],
    )
