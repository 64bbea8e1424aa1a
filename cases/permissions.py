"""Who may act on a case: staff of the case's own org unit at the level that holds it."""

from __future__ import annotations

from cases.models import Case
from cases.org import OrgTree, Unit


def post_for(org: OrgTree, openid: str, case: Case) -> Unit | None:
    """The sender's post that holds `case` now, or None when they may not act on it."""
    for unit in org.posts_of(openid):
        if unit.level == case.level and getattr(case, unit.level, None) == unit.code:
            return unit
    return None
