"""Who is told about a case: the staff of its level for its own org unit (org.yaml), and for an
emergency every level of the policy's `notify` list at once.

A case whose unit is unknown (an emergency before the resident said where, or a unit removed
from org.yaml) still reaches someone: the staff of its street, else of every street."""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import Case
from cases.org import OrgTree, StaffMember
from cases.policy import Policy


@dataclass(frozen=True)
class Recipient:
    level: str  # the level this person is told as
    member: StaffMember


def levels_to_push(policy: Policy, case: Case) -> tuple[str, ...]:
    """The case's own level; at an emergency's start level, every level it notifies."""
    rule = policy.rule(case.intent)
    if case.level == rule.start and len(rule.notify) > 1:
        return rule.notify
    return (case.level,)


def staff_for(org: OrgTree, case: Case, level: str) -> tuple[StaffMember, ...]:
    """The staff of `case`'s unit at `level`, falling back upwards to the street(s)."""
    code = getattr(case, level, None)
    if code and (level, code) in org.units:
        return org.unit(level, code).staff
    if case.street and ("street", case.street) in org.units:
        return org.unit("street", case.street).staff
    return tuple(member for unit in org.of_level("street") for member in unit.staff)


def recipients(org: OrgTree, policy: Policy, case: Case) -> list[Recipient]:
    """Everyone to push for the case's current stage, each person once (at the lowest level)."""
    seen: set[str] = set()
    out: list[Recipient] = []
    for level in levels_to_push(policy, case):
        for member in staff_for(org, case, level):
            if member.openid not in seen:
                seen.add(member.openid)
                out.append(Recipient(level, member))
    return out


def unit_name(org: OrgTree, case: Case, level: str) -> str:
    code = getattr(case, level, None)
    if code and (level, code) in org.units:
        return org.unit(level, code).name
    return ""
