"""The overview page: how many cases, where they stand, who is late, and the 12345 figures."""

from __future__ import annotations

from flask import render_template
from werkzeug.wrappers import Response as BaseResponse

from admin.auth import viewer
from admin.context import services
from admin.lookup import period_arg
from admin.present import Labels
from admin.stats import PERIODS, Overview, overview
from admin.web import page_blueprint
from cases.clock import utcnow

bp = page_blueprint("admin_overview", __name__)


def current_overview(days: int) -> Overview:
    svc = services()
    with svc.domain.db.session() as session:
        return overview(
            session, viewer().scope, svc.domain.org, svc.domain.policy.levels, utcnow(), days
        )


def chart_data(view: Overview, labels: Labels) -> dict[str, object]:
    """The series the charts draw, with Chinese names (read by static/admin.js)."""
    return {
        "intent": [{"name": labels.intent(k), "value": v} for k, v in view.by_intent.items()],
        "courtyard": [
            {"name": labels.unit("courtyard", k) or "未知楼院", "value": v}
            for k, v in list(view.by_courtyard.items())[:15]
        ],
        "level": [{"name": labels.level(k), "value": v} for k, v in view.open_by_level.items()],
        "day": [{"name": day[5:], "value": n} for day, n in view.by_day],
    }


@bp.get("/", endpoint="overview")
def overview_page() -> str | BaseResponse:
    days = period_arg()
    view = current_overview(days)
    svc = services()
    labels = Labels(svc.wording, svc.domain.org)
    return render_template(
        "admin/overview.html",
        view=view,
        periods=PERIODS,
        charts=chart_data(view, labels),
        now=utcnow(),
    )
