"""The overview's figures: today's and this week's cases, open cases by level, overdue cases,
the figures 12345 hotlines judge a unit by, and the series behind the charts.

The period's cases are counted in SQL, grouped by (community, courtyard, intent, day): one
pass over the created_at index gives the per-unit figures and every chart. Medians need the
durations themselves; those come as plain floats computed by the database."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from admin.filters import day_start, overdue_condition
from admin.scope import Scope
from admin.sqltime import china_day, seconds_between
from cases.clock import local
from cases.lifecycle import ACTIVE
from cases.models import Case
from cases.org import OrgTree

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
OVERDUE_SHOWN = 10


@dataclass
class Figures:
    """What a 12345 hotline measures a unit by, over the cases opened in the period."""

    cases: int = 0
    take_rate: float | None = None  # taken before the deadline / taken or timed out
    resolve_rate: float | None = None  # resolved in time, never escalated / resolved
    satisfaction: float | None = None  # rated 4-5 / rated
    mean_rating: float | None = None
    reopen_rate: float | None = None  # reopened at least once / resolved at least once
    median_take_seconds: float | None = None  # opening to the (last) take
    median_resolve_seconds: float | None = None  # opening to resolution


@dataclass
class Tally:
    """Sums from which Figures are made; tallies of groups add up."""

    cases: int = 0
    acked_ok: int = 0
    acked: int = 0
    resolved_ok: int = 0
    resolved: int = 0
    satisfied: int = 0
    rated: int = 0
    rating_sum: int = 0
    reopened: int = 0
    take_times: list[float] = field(default_factory=list)
    resolve_times: list[float] = field(default_factory=list)

    def add(self, sums: tuple[int, ...]) -> None:
        for name, value in zip(_SUM_NAMES, sums, strict=True):
            setattr(self, name, getattr(self, name) + int(value or 0))

    def figures(self) -> Figures:
        return Figures(
            cases=self.cases,
            take_rate=_share(self.acked_ok, self.acked),
            resolve_rate=_share(self.resolved_ok, self.resolved),
            satisfaction=_share(self.satisfied, self.rated),
            mean_rating=round(self.rating_sum / self.rated, 2) if self.rated else None,
            reopen_rate=_share(self.reopened, self.resolved),
            median_take_seconds=_median(self.take_times),
            median_resolve_seconds=_median(self.resolve_times),
        )


@dataclass
class UnitFigures:
    level: str
    code: str
    name: str
    figures: Figures
    open: int = 0
    overdue: int = 0


@dataclass
class Overview:
    today: int
    week: int
    open_total: int
    open_by_level: dict[str, int]
    overdue: int
    overdue_cases: list[Case]
    period_days: int
    figures: Figures
    units: list[UnitFigures]
    by_intent: dict[str, int]
    by_courtyard: dict[str, int]
    by_day: list[tuple[str, int]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of /api/stats (overdue cases by number only)."""
        data = asdict(self)
        data["overdue_cases"] = [c.number for c in self.overdue_cases]
        data["by_day"] = [{"day": day, "cases": n} for day, n in self.by_day]
        return data


def _flag(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_SUMS = (
    func.count(),
    _flag(Case.acked_on_time.is_(True)),
    func.count(Case.acked_on_time),
    _flag(Case.resolved_on_time.is_(True)),
    func.count(Case.resolved_on_time),
    _flag(Case.rating >= 4),
    func.count(Case.rating),
    func.coalesce(func.sum(Case.rating), 0),
    _flag((Case.reopen_count > 0) & Case.resolved_on_time.is_not(None)),
)
_SUM_NAMES = (
    "cases", "acked_ok", "acked", "resolved_ok", "resolved", "satisfied", "rated", "rating_sum",
    "reopened",
)  # fmt: skip


def overview(
    session: Session,
    scope: Scope,
    org: OrgTree,
    levels: tuple[str, ...],
    now: datetime,
    days: int = DEFAULT_PERIOD,
) -> Overview:
    """Everything the overview page shows, for the viewer's scope."""
    in_scope = scope.cases()
    today = local(now).date()
    week_start = day_start(today - timedelta(days=today.weekday()))
    today_start = day_start(today)
    today_count, week_count = session.execute(
        select(_flag(Case.created_at >= today_start), _flag(Case.created_at >= week_start)).where(
            in_scope, Case.created_at >= min(today_start, week_start)
        )
    ).one()
    active = active_load(session, scope, now)
    open_by_level = dict.fromkeys(levels, 0)
    for row in active:
        open_by_level[row.level] = open_by_level.get(row.level, 0) + row.count
    overdue_cases = session.scalars(
        select(Case)
        .where(in_scope, overdue_condition(now))
        .order_by(Case.due_at.asc().nulls_first(), Case.id)
        .limit(OVERDUE_SHOWN)
    ).all()

    first_day = today - timedelta(days=days - 1)
    in_period = (in_scope, Case.created_at >= day_start(first_day))
    unit_level = "courtyard" if scope.level == "community" else "community"
    total = Tally()
    tallies: dict[str | None, Tally] = defaultdict(Tally)
    by_intent: Counter[str] = Counter()
    by_courtyard: Counter[str] = Counter()
    by_day: Counter[str] = Counter()
    day = china_day(Case.created_at)
    for community, courtyard, intent, on, *sums in session.execute(
        select(Case.community, Case.courtyard, Case.intent, day, *_SUMS)
        .where(*in_period)
        .group_by(Case.community, Case.courtyard, Case.intent, day)
    ):
        total.add(sums)
        tallies[community if unit_level == "community" else courtyard].add(sums)
        by_intent[intent] += sums[0]
        by_courtyard[courtyard or ""] += sums[0]
        by_day[str(on)] += sums[0]
    for community, courtyard, take, resolve in session.execute(
        select(
            Case.community,
            Case.courtyard,
            seconds_between(Case.acknowledged_at, Case.created_at),
            seconds_between(Case.resolved_at, Case.created_at),
        ).where(*in_period, Case.acknowledged_at.is_not(None) | Case.resolved_at.is_not(None))
    ):
        unit = tallies[community if unit_level == "community" else courtyard]
        for tally in (total, unit):
            if take is not None:
                tally.take_times.append(float(take))
            if resolve is not None:
                tally.resolve_times.append(float(resolve))
    load: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for row in active:
        load[getattr(row, unit_level)][0] += row.count
        load[getattr(row, unit_level)][1] += row.overdue
    return Overview(
        today=int(today_count),
        week=int(week_count),
        open_total=sum(open_by_level.values()),
        open_by_level=open_by_level,
        overdue=sum(row.overdue for row in active),
        overdue_cases=list(overdue_cases),
        period_days=days,
        figures=total.figures(),
        units=[
            UnitFigures(unit_level, u.code, u.name, tallies[u.code].figures(), *load[u.code])
            for u in org.of_level(unit_level)
            if scope.covers(u)
        ],
        by_intent=dict(by_intent.most_common()),
        by_courtyard=dict(by_courtyard.most_common()),
        by_day=[
            (d.isoformat(), by_day.get(d.isoformat(), 0))
            for d in (first_day + timedelta(days=i) for i in range(days))
        ],
    )


@dataclass(frozen=True)
class Load:
    """Active cases of one (level, street, community, courtyard, grid), and how many are late."""

    level: str
    street: str | None
    community: str | None
    courtyard: str | None
    grid: str | None
    count: int
    overdue: int


def active_load(session: Session, scope: Scope, now: datetime) -> list[Load]:
    """All active cases of the scope, counted by where they are and who holds them: one
    query behind the open and overdue figures of the overview and of the org tree.

    The scope is applied to the grouped rows, not in SQL, so that the query always runs on
    the (status, level) index: active cases are few, a scope's cases may be most of them."""
    columns = (Case.level, Case.street, Case.community, Case.courtyard, Case.grid)
    rows = session.execute(
        select(*columns, func.count(), _flag(overdue_condition(now)))
        .where(Case.status.in_(ACTIVE))
        .group_by(*columns)
    )
    loads = [Load(*keys, int(count), int(overdue)) for *keys, count, overdue in rows]
    return [load for load in loads if scope.level is None or scope.holds(load)]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
