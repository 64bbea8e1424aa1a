"""Residents' opinions (问需于民), grouped by topic and courtyard, with counts and the texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import abort, render_template, request
from sqlalchemy import func, select

from admin.auth import viewer
from admin.context import services
from admin.filters import day_start
from admin.web import page_blueprint
from cases.clock import local, utcnow
from cases.models import Opinion
from cases.org import CODE_RE

bp = page_blueprint("admin_opinions", __name__)
TEXTS_PER_GROUP = 10  # the newest of each group; one group alone shows up to TEXTS_ALONE
TEXTS_ALONE = 300
DAYS = (0, 7, 30, 90, 365)


@dataclass
class Group:
    topic: str
    courtyard: str | None
    count: int
    opinions: list[Opinion] = field(default_factory=list)


def _args() -> tuple[str, str, int]:
    """topic, courtyard and days from the query string; a courtyard outside the scope is 403."""
    org = services().domain.org
    topic = request.args.get("topic", "").strip()
    courtyard = request.args.get("courtyard", "").strip()
    days_text = request.args.get("days", "").strip() or "0"
    if topic and not (topic.isascii() and topic.replace("_", "").isalpha()):
        abort(400, description="topic")
    if not (days_text.isascii() and days_text.isdigit()) or int(days_text) not in DAYS:
        abort(400, description="days")
    if courtyard:
        unit = org.units.get(("courtyard", courtyard)) if CODE_RE.match(courtyard) else None
        if unit is None:
            abort(400, description="courtyard")
        if not viewer().scope.covers(unit):
            abort(403)
    return topic, courtyard, int(days_text)


@bp.get("/opinions")
def opinions() -> str:
    svc = services()
    org = svc.domain.org
    scope = viewer().scope
    topic, courtyard, days = _args()
    where = [scope.opinions(org)]
    if topic:
        where.append(Opinion.topic == topic)
    if courtyard:
        where.append(Opinion.courtyard == courtyard)
    if days:
        where.append(Opinion.created_at >= day_start(local(utcnow()).date() - timedelta(days - 1)))
    per_group = TEXTS_ALONE if topic and courtyard else TEXTS_PER_GROUP
    # The newest texts of every group in one query (a window function: SQLite and PostgreSQL).
    rank = (
        func.row_number()
        .over(
            partition_by=(Opinion.topic, Opinion.courtyard),
            order_by=(Opinion.created_at.desc(), Opinion.id.desc()),
        )
        .label("rank")
    )
    ranked = select(Opinion.id, rank).where(*where).subquery()
    with svc.domain.db.session() as session:
        counts = session.execute(
            select(Opinion.topic, Opinion.courtyard, func.count())
            .where(*where)
            .group_by(Opinion.topic, Opinion.courtyard)
        ).all()
        newest = session.scalars(
            select(Opinion)
            .join(ranked, ranked.c.id == Opinion.id)
            .where(ranked.c.rank <= per_group)
            .order_by(Opinion.created_at.desc(), Opinion.id.desc())
        ).all()
    groups = {(t, c): Group(t, c, n) for t, c, n in counts}
    for opinion in newest:
        groups[(opinion.topic, opinion.courtyard)].opinions.append(opinion)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.topic, g.courtyard or ""))
    topics = [key.split(".", 1)[1] for key in svc.wording.texts if key.startswith("topic.")]
    courtyards = scope.courtyards(org)
    matrix = {(t, c): n for t, c, n in counts}
    return render_template(
        "admin/opinions.html",
        groups=ordered,
        matrix=matrix,
        matrix_topics=[t for t in topics if any(k[0] == t for k in matrix)],
        matrix_courtyards=[u for u in courtyards if any(k[1] == u.code for k in matrix)],
        unplaced=any(k[1] is None for k in matrix),
        total=sum(g.count for g in ordered),
        topic=topic,
        courtyard=courtyard,
        days=days,
        day_choices=DAYS,
        courtyards=courtyards,
        topics=topics,
    )
