"""The case list (filters, search, sort, paging, CSV export) and one case's page with the
admin's moves: a note, another level, closing and reopening, each with a reason."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from admin import export, moves
from admin.audit import audit
from admin.auth import viewer
from admin.context import services
from admin.filters import PER_PAGE, is_late, list_cases
from admin.jobs import enqueue
from admin.lookup import case_filter, visible_case
from admin.present import Labels
from admin.web import page_blueprint
from cases.clock import local, utcnow
from cases.lifecycle import ACTIVE, STATUSES, IllegalMove
from cases.locking import lock_case
from cases.policy import CASE_INTENTS

bp = page_blueprint("admin_cases", __name__)


def filter_options() -> dict[str, Any]:
    """The choices of the filter form, limited to the viewer's scope."""
    svc = services()
    scope = viewer().scope
    communities = scope.communities(svc.domain.org)
    return {
        "statuses": ("active", *STATUSES),
        "intents": CASE_INTENTS,
        "levels": svc.domain.policy.levels,
        "communities": communities,
        "courtyards": scope.courtyards(svc.domain.org),
    }


@bp.get("/cases")
def case_list() -> str:
    flt = case_filter(request.args)
    with services().domain.db.session() as session:
        page = list_cases(session, viewer().scope, flt, utcnow())
    return render_template(
        "admin/cases.html", page=page, flt=flt, options=filter_options(), now=utcnow()
    )


@bp.get("/cases.csv")
def case_export() -> Response:
    """All cases of the filter (no paging) as a download; the export is audited."""
    flt = case_filter(request.args)
    svc = services()
    now = utcnow()
    scope = viewer().scope
    with svc.domain.db.session() as session:
        total = export.count(session, scope, flt, now)
        detail = f"{total} rows; filter {flt.args(page=1, per_page=PER_PAGE) or 'none'}"
        audit(session, viewer().actor, "export.csv", detail)
    labels = Labels(svc.wording, svc.domain.org)

    def generate() -> Any:
        with svc.domain.db.session() as session:
            yield from export.lines(session, scope, flt, labels, now)

    name = f"gridbot-cases-{local(now):%Y%m%d-%H%M}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.get("/cases/<number>")
def case_page(number: str) -> str:
    svc = services()
    with svc.domain.db.session() as session:
        case = visible_case(session, number, full=True)
    return render_template(
        "admin/case.html",
        case=case,
        now=utcnow(),
        levels=svc.domain.policy.levels,
        active=case.status in ACTIVE,
        overdue=is_late(case, utcnow()),
    )


@bp.post("/cases/<number>/act")
def case_action(number: str) -> BaseResponse:
    """One admin move (admin.moves); the workers hear of it after the commit."""
    action = request.form.get("action", "")
    text = request.form.get("text", "").strip()
    back = redirect(url_for(".case_page", number=number))
    if action not in moves.MOVES:
        abort(400, description="未知的操作")
    svc = services()
    labels = Labels(svc.wording, svc.domain.org)
    status = ""
    try:
        moves.check(action, text)
        with svc.domain.db.session() as session:
            # In scope, then locked and read afresh: a deadline check may be moving it.
            case = lock_case(session, visible_case(session, number).id)
            assert case is not None  # cases are never deleted
            status = case.status
            done = moves.make(
                session, svc.domain.policy, labels, case, action, viewer().actor, text,
                request.form.get("level", ""),
            )  # fmt: skip
    except moves.Refused as refused:
        flash(str(refused), "error")
        return back
    except IllegalMove:
        flash(f"工单当前状态为“{labels.status(status)}”，不能进行这个操作。", "error")
        return back
    enqueue(done.followups)
    flash(done.message, "ok")
    return back
