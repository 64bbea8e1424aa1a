"""Reading the viewer's filter and cases with the scope rules applied, for pages and API
alike: a bad filter is 400, a filter or case outside the scope 403, an unknown case 404."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, request
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from admin.auth import viewer
from admin.context import services
from admin.filters import BadFilter, CaseFilter, OutOfScope
from admin.stats import DEFAULT_PERIOD, PERIODS
from cases.models import Case


def case_filter(args: Mapping[str, str]) -> CaseFilter:
    try:
        flt = CaseFilter.from_args(args)
        flt.check_scope(viewer().scope, services().domain.org)
    except BadFilter as error:
        abort(400, description=str(error))
    except OutOfScope as error:
        abort(403, description=str(error))
    return flt


def visible_case(session: Session, number: str, *, full: bool = False) -> Case:
    """The case `number` if the viewer may see it; `full` loads events and attachments."""
    statement = select(Case).where(Case.number == number[:16])
    if full:
        statement = statement.options(selectinload(Case.events), selectinload(Case.attachments))
    case = session.scalar(statement)
    if case is None:
        abort(404)
    if not viewer().scope.allows(case):
        abort(403)
    return case


def period_arg() -> int:
    """?days= one of PERIODS; anything else is a 400 (not a silently different figure)."""
    text = request.args.get("days", "")
    if not text:
        return DEFAULT_PERIOD
    if not text.isascii() or not text.isdigit() or int(text) not in PERIODS:
        abort(400, description=f"days: one of {', '.join(map(str, PERIODS))}")
    return int(text)
