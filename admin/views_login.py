"""The login page: hashed passwords, a fresh session on login (no fixation), the lockout of
admin.accounts, and a `next` that can only point back into the dashboard.

The client's address is the socket's peer (REMOTE_ADDR), never an X-Forwarded-For that any
client can write. Behind a reverse proxy that address is the proxy's until GRIDBOT_PROXY_HOPS
says how many proxies to trust (bot.app wraps the app in werkzeug's ProxyFix); till then every
login shares one address (see warn_of_proxy)."""

from __future__ import annotations

import logging
from functools import cache

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from admin import csrf
from admin.accounts import authenticate
from admin.audit import audit
from admin.auth import SESSION_KEY, session_viewer
from admin.context import services
from admin.lockout import LOCKOUT, MAX_FAILURES, LoginThrottle, client_network
from admin.web import dress
from cases.clock import local

bp = dress(Blueprint("admin_auth", __name__, url_prefix="/admin"))
log = logging.getLogger(__name__)


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
        return _page(next=request.args.get("next", ""))
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")[:256]
    target = safe_next(request.form.get("next"))
    svc = services()
    if "HTTP_X_FORWARDED_FOR" in request.environ and not svc.settings.proxy_hops:
        warn_of_proxy()
    throttle = LoginThrottle(svc.redis, svc.settings.queue_prefix)
    network = client_network(request.remote_addr)
    with svc.domain.db.session() as db_session:
        result = authenticate(
            db_session,
            name,
            password,
            network=network,
            throttle=throttle,
            secret=svc.settings.secret_key,
        )
        admin_id = result.admin.id if result.admin else None
    if admin_id is None:
        if result.locked_until is not None:
            until = local(result.locked_until).strftime("%H:%M")
            error = f"登录失败次数过多，已暂停登录，请于 {until} 后再试。"
            status = 403
        else:
            error, status = "用户名或密码错误。", 401
        return _page(error=error, name=name, next=target), status
    session.clear()
    session[SESSION_KEY] = admin_id
    session.permanent = True
    csrf.rotate()
    return redirect(target)


def _page(**context: str) -> str:
    """The login form, with the lockout's figures as admin.accounts has them."""
    minutes = int(LOCKOUT.total_seconds() // 60)
    return render_template(
        "admin/login.html", max_failures=MAX_FAILURES, lockout_minutes=minutes, **context
    )


@cache
def warn_of_proxy() -> None:
    """Once per process: a login came with X-Forwarded-For but the app does not trust it. Behind
    a reverse proxy all logins then count against the proxy's address, and wrong passwords
    from anyone lock a name for everyone (the lockout's per-address part is lost)."""
    log.warning(
        "a login came with X-Forwarded-For, which is not trusted: if gridbot is behind a "
        "reverse proxy, every login counts against the proxy's address (%s); set "
        "GRIDBOT_PROXY_HOPS to the number of proxies",
        request.remote_addr,
    )


@bp.post("/logout")
def logout() -> Response | BaseResponse:
    found = session_viewer()
    if found is not None:
        with services().domain.db.session() as db_session:
            audit(db_session, found.actor, "logout")
    session.clear()
    return redirect(url_for("admin_auth.login"))
