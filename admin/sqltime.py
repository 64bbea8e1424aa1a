"""Two time expressions that SQLite and PostgreSQL spell differently, compiled per dialect,
so that the overview can count by China-time day and measure durations inside the database
instead of reading every row into Python."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class china_day(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it is
    """The China-time day ('2025-11-21') of a stored naive-UTC moment (China has no DST)."""

    type = String()
    inherit_cache = True


class seconds_between(FunctionElement[float]):  # noqa: N801
    """seconds_between(later, earlier) as a float."""

    type = Float()
    inherit_cache = True


@compiles(china_day, "sqlite")
def _day_sqlite(element: china_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(china_day, "postgresql")
def _day_postgresql(element: china_day, compiler: Any, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"to_char({moment} + interval '8 hours', 'YYYY-MM-DD')"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


@compiles(china_day)
@compiles(seconds_between)
def _default(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
    """Other dialects (and printing a statement) see the name; only the two above run it."""
    return f"{element.__class__.__name__}({compiler.process(element.clauses, **kw)})"
