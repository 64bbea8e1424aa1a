"""What part of the district an admin may see: all of it, one street, or one community.

Every read and every action goes through a Scope, so that a community admin sees only that
community's cases everywhere (pages, exports, the API, Open311)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true

from cases.models import Case, Opinion
from cases.org import CODE_RE, OrgTree, Unit

SCOPE_LEVELS = ("street", "community")


class ScopeError(ValueError):
    """A scope written wrongly, or naming a unit the org tree does not have."""


@dataclass(frozen=True)
class Scope:
    level: str | None = None  # None: the whole district
    code: str | None = None

    @classmethod
    def parse(cls, text: str | None, org: OrgTree | None = None) -> Scope:
        """'street:CODE' or 'community:CODE' (None or '' is the district); with `org`, the
        unit must exist, so that a typo does not make an account that sees nothing."""
        if not text:
            return cls()
        level, _, code = text.partition(":")
        if level not in SCOPE_LEVELS or not CODE_RE.match(code):
            raise ScopeError(f"scope {text!r} must be street:CODE or community:CODE")
        if org is not None and (level, code) not in org.units:
            raise ScopeError(f"scope {text!r}: there is no {level} {code!r} in the org tree")
        return cls(level, code)

    @property
    def is_district(self) -> bool:
        return self.level is None

    def text(self) -> str | None:
        return f"{self.level}:{self.code}" if self.level else None

    def cases(self) -> ColumnElement[bool]:
        """The SQL condition that keeps a query to this scope's cases."""
        if self.level is None:
            return true()
        return getattr(Case, self.level) == self.code  # type: ignore[no-any-return]

    def allows(self, case: Case) -> bool:
        return self.holds(case)

    def holds(self, row: object) -> bool:
        """Whether a case, or a row carrying a case's street and community, is in scope."""
        return self.level is None or getattr(row, self.level) == self.code

    def communities(self, org: OrgTree) -> list[Unit]:
        """The communities this scope covers, in the order of org.yaml."""
        return [u for u in org.of_level("community") if self.covers(u)]

    def courtyards(self, org: OrgTree) -> list[Unit]:
        return [u for u in org.courtyards if self.covers(u)]

    def covers(self, unit: Unit) -> bool:
        """Whether `unit` lies inside this scope (the scope's own unit included)."""
        if self.level is None:
            return True
        if unit.level == self.level:
            return unit.code == self.code
        return unit.parents.get(self.level) == self.code

    def opinions(self, org: OrgTree) -> ColumnElement[bool]:
        """Opinions carry their community (not their street): a street scope is the list of
        its communities."""
        if self.level is None:
            return true()
        codes = [u.code for u in self.communities(org)]
        return Opinion.community.in_(codes) if codes else false()

    def label(self, org: OrgTree) -> str:
        if self.level is None or self.code is None:
            return f"{org.district or '全区'}（全部）"
        key = (self.level, self.code)
        return org.units[key].name if key in org.units else self.code
