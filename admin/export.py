"""The case list as CSV for Excel: UTF-8 with a BOM (so Excel reads the Chinese), phone
numbers masked, and cells that Excel would run as formulas defused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.filters import CaseFilter, is_late
from admin.present import Labels, mask_phone, when
from admin.scope import Scope
from cases.models import Case

MAX_ROWS = 200_000
BATCH = 1000
HEADER = (
    "工单号", "受理时间", "类型", "状态", "当前层级", "当前负责", "街道", "社区", "楼院", "网格",
    "楼号", "单元", "房号", "电话", "内容", "位置", "截止时间", "是否超时", "接单时间",
    "办结时间", "评价", "上报次数", "重开次数",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A cell Excel shows as text: a leading = + - @ would make it a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def row(case: Case, labels: Labels, now: datetime) -> list[str]:
    values = (
        case.number, when(case.created_at), labels.intent(case.intent),
        labels.status(case.status), labels.level(case.level), labels.holder(case),
        labels.unit("street", case.street), labels.unit("community", case.community),
        labels.unit("courtyard", case.courtyard), labels.unit("grid", case.grid),
        case.building, case.unit, case.room, mask_phone(case.phone), case.text,
        case.location_label, when(case.due_at), "是" if is_late(case, now) else "否",
        when(case.acknowledged_at), when(case.resolved_at), case.rating,
        case.escalations, case.reopen_count,
    )  # fmt: skip
    return [cell(v) for v in values]


def count(session: Session, scope: Scope, flt: CaseFilter, now: datetime) -> int:
    where = flt.where(scope, now)
    return session.scalar(select(func.count()).select_from(Case).where(*where)) or 0


def lines(
    session: Session, scope: Scope, flt: CaseFilter, labels: Labels, now: datetime
) -> Iterator[bytes]:
    """The file, in chunks of BATCH rows, read with a streaming cursor (no list in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    statement = flt.ordered(select(Case).where(*flt.where(scope, now))).limit(MAX_ROWS)
    result = session.scalars(statement.execution_options(yield_per=BATCH))
    for n, case in enumerate(result, 1):
        writer.writerow(row(case, labels, now))
        if n % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")
