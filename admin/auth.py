"""Who is asking: an admin logged in with a session cookie (pages, and the API from the
browser) or an API client with `Authorization: Bearer <token>`; each carries a Scope."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from admin.accounts import admin_for_token
from admin.context import services
from admin.scope import Scope
from cases.models import AdminUser

SESSION_KEY = "admin_id"


@dataclass(frozen=True)
class Viewer:
    """The admin behind a request, as much as the views need."""

    id: int
    name: str
    scope: Scope
    via_token: bool = False

    @property
    def actor(self) -> str:
        """How this admin appears on a case's timeline and in the audit log."""
        return f"admin:{self.name}"

    @classmethod
    def of(cls, admin: AdminUser, via_token: bool = False) -> Viewer:
        return cls(admin.id, admin.name, Scope(admin.scope_level, admin.scope_code), via_token)


def viewer() -> Viewer:
    """The admin of the current request (set by `require_login` or `require_api_auth`)."""
    return g.viewer  # type: ignore[no-any-return]


def session_viewer() -> Viewer | None:
    admin_id = session.get(SESSION_KEY)
    if not isinstance(admin_id, int):
        return None
    with services().domain.db.session() as db_session:
        admin = db_session.get(AdminUser, admin_id)
        return Viewer.of(admin) if admin is not None else None


def require_login() -> BaseResponse | None:
    """before_request of the pages: a visitor without a session goes to the login page."""
    found = session_viewer()
    if found is None:
        return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
    g.viewer = found
    return None


def require_api_auth(query_token: str | None = None) -> None:
    """before_request of the API: a bearer token (or `query_token`, for Open311 clients that
    can only send `api_key`), else the browser's admin session; 401 otherwise. A wrong token
    is never rescued by a cookie."""
    header = request.headers.get("Authorization", "")
    token = query_token
    if header:
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer":
            abort(401)
    if token is not None:
        with services().domain.db.session() as db_session:
            admin = admin_for_token(db_session, token.strip())
            if admin is None:
                abort(401)
            g.viewer = Viewer.of(admin, via_token=True)
        return
    found = session_viewer()
    if found is None:
        abort(401)
    g.viewer = found
