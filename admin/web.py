"""What every dashboard page shares: login required, CSRF checked, security headers, Chinese
error pages, and the helpers templates use. Each page module makes its blueprint here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template, request
from werkzeug.exceptions import HTTPException

from admin import csrf
from admin.auth import require_login
from admin.context import services
from admin.present import Labels, jinja_helpers

# Scripts only from our own origin (no inline script anywhere); inline styles are allowed
# because ECharts positions its tooltips and canvases with style attributes it sets.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
MESSAGES = {
    400: "请求有误，请检查后重试。",
    401: "请先登录。",
    403: "您没有查看此内容的权限。",
    404: "没有找到这个页面或工单。",
    405: "不支持这种操作。",
    413: "提交的内容太大。",
}

# Static files and templates of the dashboard (its CSS, JS and ECharts), open to everyone.
bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    static_folder="static",
    static_url_path="/static",
    template_folder="templates",
)


def security_headers(response: Response) -> Response:
    """No framing, no sniffing, no caching of residents' data, scripts only from us."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "admin.static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def template_context() -> dict[str, Any]:
    svc = services()
    labels = Labels(svc.wording, svc.domain.org)
    viewer = g.get("viewer")
    return {
        **jinja_helpers(labels),
        "csrf_token": csrf.csrf_token,
        "viewer": viewer,
        "scope_label": viewer.scope.label(svc.domain.org) if viewer else "",
    }


def html_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    message = MESSAGES.get(code, "出错了，请稍后重试。")
    if code == 400 and error.description == "csrf":
        message = "页面已过期或来源不明，请刷新页面后重试。"
    elif code == 400 and error.description != type(error).description:
        message = f"请求有误：{error.description}"
    return render_template("admin/error.html", code=code, message=message), code


def dress(bp: Blueprint) -> Blueprint:
    """Headers, template helpers and error pages, for pages with or without a login."""
    bp.context_processor(template_context)
    bp.after_request(security_headers)
    bp.register_error_handler(HTTPException, html_error)
    return bp


def page_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /admin whose every request needs a logged-in admin and, when it
    changes something, this session's CSRF token."""
    bp = Blueprint(name, import_name, url_prefix="/admin")
    bp.before_request(require_login)
    bp.before_request(csrf.protect)
    return dress(bp)


dress(bp)
