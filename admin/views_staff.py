"""GET /s/<token>: the case page a staff push links to, for staff without a dashboard account.

The signed token (cases.links) is the credential: it names one case and the staff member it
was sent to. The page is read-only and shows what that person needs to act from WeChat (the
resident's words, the place, the phone number, the deadline, the timeline, the commands to
send). Each view is written to the audit log. The token must not leak onwards: no Referer is
sent from this page, and nothing of it is cached."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from admin.audit import audit
from admin.context import services
from admin.filters import is_late
from admin.web import dress
from cases.clock import utcnow
from cases.lifecycle import ACTIVE
from cases.links import BadLink, read_staff_link
from cases.models import Case

bp = Blueprint("staff_link", __name__, template_folder="templates")


@bp.after_request
def no_referrer(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


dress(bp)


@bp.get("/s/<token>")
def staff_case(token: str) -> tuple[str, int] | str:
    svc = services()
    try:
        number, openid = read_staff_link(svc.settings.secret_key, token[:512])
    except BadLink as bad:
        return _refused("expired" if bad.expired else "invalid")
    member = svc.domain.org.member(openid)
    if member is None:  # left org.yaml since the push: the link dies with the post
        return _refused("invalid")
    with svc.domain.db.session() as session:
        case = session.scalar(
            select(Case).where(Case.number == number).options(selectinload(Case.events))
        )
        if case is None:
            return _refused("invalid")
        audit(session, f"wechat:{openid}", "staff_link_view", case.number)
    return render_template(
        "admin/staff_case.html",
        case=case,
        member=member,
        active=case.status in ACTIVE,
        overdue=is_late(case, utcnow()),
    )


def _refused(reason: str) -> tuple[str, int]:
    """Expired: 410 (ask for a fresh push or use 我的工单); anything else: 404, saying no more."""
    code = 410 if reason == "expired" else 404
    return render_template("admin/staff_link_refused.html", expired=code == 410), code
