"""Open311 GeoReport v2, read side: services.json, requests.json and requests/<id>.json, so
that civic tools that speak Open311 can read our cases (http://wiki.open311.org/GeoReport_v2).

Same accounts and scopes as the API (a bearer token, `api_key=<token>`, or the admin
session). Residents' phone numbers and openids are never part of a request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, NotFound
from werkzeug.wrappers import Response as BaseResponse

from admin.auth import require_api_auth, viewer
from admin.context import services
from admin.media import send_attachment
from admin.present import Labels, iso
from admin.web import security_headers
from cases.clock import CHINA, utcnow
from cases.lifecycle import ACTIVE
from cases.models import Case
from cases.policy import CASE_INTENTS

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
bp.after_request(security_headers)
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
DESCRIPTIONS = {
    "repair": "公共设施、楼道、水电等报修",
    "dispute": "邻里矛盾纠纷调解",
    "elder_help": "独居、高龄老人的助老服务",
    "emergency": "紧急求助（一键呼叫）",
    "other": "其他事项",
}


@bp.before_request
def _authorise() -> None:
    require_api_auth(request.args.get("api_key"))


def open311_error(error: HTTPException) -> tuple[BaseResponse, int]:
    """GeoReport's error shape: a list of {code, description}."""
    code = error.code or 500
    response = jsonify([{"code": code, "description": error.description or error.name}])
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gridbot"'
    return response, code


bp.register_error_handler(HTTPException, open311_error)


@bp.get("/services.json")
def service_list() -> BaseResponse:
    names = Labels(services().wording, services().domain.org)
    return jsonify(
        [
            {
                "service_code": code,
                "service_name": names.intent(code),
                "description": DESCRIPTIONS.get(code, ""),
                "metadata": False,
                "type": "realtime",
                "keywords": "",
                "group": "网格治理",
            }
            for code in CASE_INTENTS
        ]
    )


@bp.get("/media/<int:attachment_id>")
def media(attachment_id: int) -> BaseResponse:
    """The photo of a request's `media_url`, with the caller's credentials (api_key too)."""
    return send_attachment(attachment_id)


def _moment(name: str) -> datetime | None:
    """A w3c datetime; one without an offset is China time. Naive UTC for the database."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}: a w3c datetime like 2025-11-21T00:00:00+08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment.astimezone(UTC).replace(tzinfo=None)


def request_dict(case: Case, labels: Labels) -> dict[str, Any]:
    image = next((a for a in case.attachments if a.kind == "image" and a.path), None)
    return {
        "service_request_id": case.number,
        "status": "open" if case.status in ACTIVE else "closed",
        "status_notes": labels.status(case.status),
        "service_name": labels.intent(case.intent),
        "service_code": case.intent,
        "description": case.text,
        "agency_responsible": labels.holder(case),
        "service_notice": "",
        "requested_datetime": iso(case.created_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.due_at),
        "address": labels.place(case),
        "address_id": case.courtyard or "",
        "zipcode": "",
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": (
            url_for("open311.media", attachment_id=image.id, _external=True) if image else ""
        ),
    }


def _requests(where: list[Any], limit: int) -> list[dict[str, Any]]:
    svc = services()
    with svc.domain.db.session() as session:
        cases = session.scalars(
            select(Case)
            .where(viewer().scope.cases(), *where)
            .options(selectinload(Case.attachments))
            .order_by(Case.created_at.desc(), Case.id.desc())
            .limit(limit)
        ).all()
    labels = Labels(svc.wording, svc.domain.org)
    return [request_dict(c, labels) for c in cases]


@bp.get("/requests.json")
def request_list() -> BaseResponse:
    """The filters of GeoReport v2; without dates, the last 90 days, at most 1000."""
    ids = [i.strip() for i in request.args.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        return jsonify(_requests([Case.number.in_(ids[:MAX_REQUESTS])], MAX_REQUESTS))
    where: list[Any] = []
    codes = [c for c in request.args.get("service_code", "").split(",") if c]
    if codes:
        where.append(Case.intent.in_(codes))
    start, end = _moment("start_date"), _moment("end_date")
    if start is None and end is None:
        start = utcnow() - timedelta(days=DEFAULT_DAYS)
    if start is not None:
        where.append(Case.created_at >= start)
    if end is not None:
        where.append(Case.created_at <= end)
    statuses = {s.strip() for s in request.args.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise BadRequest("status: open, closed or both")
    if statuses == {"open"}:
        where.append(Case.status.in_(ACTIVE))
    elif statuses == {"closed"}:
        where.append(Case.status.not_in(ACTIVE))
    return jsonify(_requests(where, MAX_REQUESTS))


@bp.get("/requests/<number>.json")
def request_one(number: str) -> BaseResponse:
    """One request, as a list of one (as GeoReport wants); 403 outside the scope."""
    svc = services()
    with svc.domain.db.session() as session:
        case = session.scalar(select(Case).where(Case.number == number[:16]))
        if case is None:
            raise NotFound("no such service request")
        if not viewer().scope.allows(case):
            raise Forbidden("this request is outside your scope")
    found = _requests([Case.id == case.id], 1)
    return jsonify(found)
