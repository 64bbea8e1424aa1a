"""The case list's filters, search, sort and paging: parsed once from the query string and
shared by the page, the CSV export and the JSON API, so that all three list the same cases.

Every value is checked against what it may be (a known status, a code, a date); search text
reaches SQL only as a bound parameter with LIKE's wildcards escaped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from admin.scope import Scope
from cases.clock import CHINA
from cases.lifecycle import ACTIVE, STATUSES
from cases.models import Case
from cases.org import CODE_RE, LEVELS, OrgTree

PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 10_000
MAX_QUERY = 100
SORTS: dict[str, Any] = {
    "created": Case.created_at,
    "updated": Case.updated_at,
    "due": Case.due_at,
    "priority": Case.priority,
    "number": Case.number,
    "status": Case.status,
    "level": Case.level,
}
DEFAULT_SORT = "-created"
INTENT_RE = re.compile(r"^[a-z_]{1,32}$")
NUMBER_RE = re.compile(r"^\d{6}-\d{4}$")
TRUE = {"1", "true", "on", "yes"}


class BadFilter(ValueError):
    """A filter value that cannot be (400)."""


class OutOfScope(PermissionError):
    """A filter naming a street, community or courtyard outside the viewer's scope (403)."""


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Late: still active, and past its deadline or already flagged at the top level."""
    return Case.status.in_(ACTIVE) & (Case.overdue.is_(True) | (Case.due_at < now))


def is_late(case: Case, now: datetime) -> bool:
    """`overdue_condition` for one loaded case."""
    return case.status in ACTIVE and (
        case.overdue or (case.due_at is not None and case.due_at < now)
    )


def day_start(day: date) -> datetime:
    """The naive-UTC moment a China-time day begins."""
    return datetime.combine(day, time(), CHINA).astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class CaseFilter:
    status: str = ""  # a status, or "active" for open + acknowledged + reopened
    intent: str = ""
    level: str = ""
    street: str = ""
    community: str = ""
    courtyard: str = ""
    date_from: date | None = None  # China-time days, both ends included
    date_to: date | None = None
    overdue: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CaseFilter:
        """Read the query string; an impossible value raises BadFilter naming it."""
        status = args.get("status", "").strip()
        if status and status != "active" and status not in STATUSES:
            raise BadFilter(f"status: one of active, {', '.join(STATUSES)}")
        intent = args.get("intent", "").strip()
        if intent and not INTENT_RE.match(intent):
            raise BadFilter("intent: lower-case letters and _")
        level = args.get("level", "").strip()
        if level and level not in LEVELS:
            raise BadFilter(f"level: one of {', '.join(LEVELS)}")
        codes = {}
        for key in ("street", "community", "courtyard"):
            codes[key] = args.get(key, "").strip()
            if codes[key] and not CODE_RE.match(codes[key]):
                raise BadFilter(f"{key}: a code of org.yaml")
        sort = args.get("sort", "").strip() or DEFAULT_SORT
        if sort.lstrip("-") not in SORTS:
            raise BadFilter(f"sort: one of {', '.join(SORTS)}, optionally with a leading -")
        return cls(
            status=status,
            intent=intent,
            level=level,
            street=codes["street"],
            community=codes["community"],
            courtyard=codes["courtyard"],
            date_from=_date(args, "from"),
            date_to=_date(args, "to"),
            overdue=args.get("overdue", "").strip().lower() in TRUE,
            q=" ".join(args.get("q", "").split())[:MAX_QUERY],
            sort=sort,
            page=_int(args, "page", 1, 1, MAX_PAGE),
            per_page=_int(args, "per_page", PER_PAGE, 1, MAX_PER_PAGE),
        )

    def check_scope(self, scope: Scope, org: OrgTree) -> None:
        """A street, community or courtyard filter must lie inside the viewer's scope."""
        for level in ("street", "community", "courtyard"):
            code = getattr(self, level)
            if not code:
                continue
            unit = org.units.get((level, code))
            if unit is None:
                raise BadFilter(f"{level}: there is no {level} {code!r}")
            if not scope.covers(unit):
                raise OutOfScope(f"{level} {code!r} is outside your scope")

    def conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status == "active":
            found.append(Case.status.in_(ACTIVE))
        elif self.status:
            found.append(Case.status == self.status)
        for name in ("intent", "level", "street", "community", "courtyard"):
            if getattr(self, name):
                found.append(getattr(Case, name) == getattr(self, name))
        if self.date_from:
            found.append(Case.created_at >= day_start(self.date_from))
        if self.date_to:
            found.append(Case.created_at < day_start(self.date_to + timedelta(days=1)))
        if self.overdue:
            found.append(overdue_condition(now))
        if self.q:
            found.append(search_condition(self.q))
        return found

    def where(self, scope: Scope, now: datetime) -> list[ColumnElement[bool]]:
        return [scope.cases(), *self.conditions(now)]

    def ordered(self, statement: Select[Any]) -> Select[Any]:
        column = SORTS[self.sort.lstrip("-")]
        if self.sort.startswith("-"):
            return statement.order_by(column.desc().nulls_last(), Case.id.desc())
        return statement.order_by(column.asc().nulls_last(), Case.id.asc())

    def args(self, **changes: Any) -> dict[str, str]:
        """The query string of this filter with `changes`, defaults left out (for links)."""
        values = asdict(replace(self, **changes))
        default = CaseFilter()
        out: dict[str, str] = {}
        for item in fields(self):
            value = values[item.name]
            if value == getattr(default, item.name):
                continue
            key = {"date_from": "from", "date_to": "to"}.get(item.name, item.name)
            out[key] = "1" if value is True else str(value)
        return out

    @property
    def is_filtered(self) -> bool:
        return bool(self.conditions(datetime(2000, 1, 1)))


def search_condition(text: str) -> ColumnElement[bool]:
    """A case number finds that case; other text finds cases whose number, words or location
    contain it. `autoescape` makes % and _ in the text plain characters."""
    if NUMBER_RE.match(text):
        return Case.number == text
    return or_(
        Case.number.startswith(text, autoescape=True),
        Case.text.contains(text, autoescape=True),
        Case.location_label.contains(text, autoescape=True),
    )


@dataclass(frozen=True)
class Page:
    items: list[Case]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_cases(session: Session, scope: Scope, flt: CaseFilter, now: datetime) -> Page:
    """One page of the viewer's cases matching `flt`, and how many match in all."""
    where = flt.where(scope, now)
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    statement = flt.ordered(select(Case).where(*where))
    items = session.scalars(
        statement.offset((flt.page - 1) * flt.per_page).limit(flt.per_page)
    ).all()
    return Page(list(items), total, flt.page, flt.per_page)


def _date(args: Mapping[str, str], key: str) -> date | None:
    text = args.get(key, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter(f"{key}: a date like 2025-11-21") from None


def _int(args: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    text = args.get(key, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):
        raise BadFilter(f"{key}: a whole number")
    return max(low, min(high, int(text)))
