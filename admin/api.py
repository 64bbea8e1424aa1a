"""The JSON API: the case list with the page's filters, one case with its timeline, and the
overview's figures; a bearer token or the admin session, with the same scope rules.

Errors are JSON too: 400 for a bad filter, 401 without a valid token, 403 outside the scope,
404 for an unknown case."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from admin.auth import require_api_auth, viewer
from admin.context import services
from admin.filters import list_cases
from admin.lookup import case_filter, period_arg, visible_case
from admin.media import send_attachment
from admin.present import Labels
from admin.serialize import case_full, case_summary
from admin.stats import overview
from admin.web import security_headers
from cases.clock import utcnow

bp = Blueprint("admin_api", __name__, url_prefix="/api")


@bp.before_request
def _authorise() -> None:
    require_api_auth()


bp.after_request(security_headers)


def json_error(error: HTTPException) -> tuple[BaseResponse, int]:
    code = error.code or 500
    body = {"error": error.name, "detail": error.description if code in (400, 403) else None}
    response = jsonify(body)
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gridbot"'
    return response, code


bp.register_error_handler(HTTPException, json_error)


def labels() -> Labels:
    svc = services()
    return Labels(svc.wording, svc.domain.org)


@bp.get("/cases")
def case_list() -> dict[str, Any]:
    flt = case_filter(request.args)
    now = utcnow()
    with services().domain.db.session() as session:
        page = list_cases(session, viewer().scope, flt, now)
    names = labels()
    return {
        "items": [case_summary(c, names, now) for c in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


@bp.get("/cases/<number>")
def case_detail(number: str) -> dict[str, Any]:
    with services().domain.db.session() as session:
        case = visible_case(session, number, full=True)
    return case_full(case, labels(), utcnow())


@bp.get("/attachments/<int:attachment_id>")
def attachment_file(attachment_id: int) -> BaseResponse:
    """A case's photo or voice note, for the `url` of its attachment in /api/cases/<number>."""
    return send_attachment(attachment_id)


@bp.get("/stats")
def stats() -> dict[str, Any]:
    svc = services()
    days = period_arg()
    with svc.domain.db.session() as session:
        view = overview(
            session, viewer().scope, svc.domain.org, svc.domain.policy.levels, utcnow(), days
        )
    data = view.to_dict()
    data["scope"] = viewer().scope.text()
    return data
