"""The login page: hashed passwords, a fresh session on login (no fixation), the lockout of
admin.accounts, and a `next` that can only point back into the dashboard."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from admin import csrf
from admin.accounts import authenticate
from admin.audit import audit
from admin.auth import SESSION_KEY, session_viewer
from admin.context import services
from admin.web import dress
from cases.clock import local

bp = dress(Blueprint("admin_auth", __name__, url_prefix="/admin"))


def safe_next(target: str | None) -> str:
    """Only a path inside the dashboard: never another site (open redirect)."""
    if target and target.startswith("/admin") and "//" not in target and "\\" not in target:
        return target
    return url_for("admin_overview.overview")


@bp.before_request
def _check_csrf() -> None:
    csrf.protect()


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int] | str:
    """The login form; on success a fresh session, so that no earlier cookie carries over."""
    if request.method == "GET":
        if session_viewer() is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("admin/login.html", next=request.args.get("next", ""))
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    target = safe_next(request.form.get("next"))
    with services().domain.db.session() as db_session:
        result = authenticate(db_session, name, password)
        admin_id = result.admin.id if result.admin else None
    if admin_id is None:
        if result.locked_until is not None:
            until = local(result.locked_until).strftime("%H:%M")
            error = f"登录失败次数过多，账户已锁定，请于 {until} 后再试。"
            status = 403
        else:
            error, status = "用户名或密码错误。", 401
        page = render_template("admin/login.html", error=error, name=name, next=target)
        return page, status
    session.clear()
    session[SESSION_KEY] = admin_id
    session.permanent = True
    csrf.rotate()
    return redirect(target)


@bp.post("/logout")
def logout() -> Response | BaseResponse:
    found = session_viewer()
    if found is not None:
        with services().domain.db.session() as db_session:
            audit(db_session, found.actor, "logout")
    session.clear()
    return redirect(url_for("admin_auth.login"))
