"""The Flask application factory: the webhook, health check and admin dashboard."""

from __future__ import annotations

import logging

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import webhook
from bot.services import Services
from config.settings import Settings

MAX_BODY = 64 * 1024  # WeChat's messages are a few KiB; anything bigger is not from WeChat

log = logging.getLogger(__name__)


class PageSessions(SecureCookieSessionInterface):
    """Cookie sessions for the dashboard's pages, none for the webhook: WeChat's server sends
    no cookies, and building the cookie signer was a visible part of every message's cost."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path == webhook.PATH:
            return None  # Flask puts a NullSession in its place and saves nothing
        return super().open_session(app, request)


def create_app(settings: Settings | None = None, *, warm: bool = True) -> Flask:
    """Build the app from `settings` (default: the environment). `warm` loads the intent
    model now, so that the first resident does not wait for it."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY,
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.proxy_hops:
        # The client's address and scheme as the proxies saw them, from the last `proxy_hops`
        # entries only (anything before those is whatever the client wrote).
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.session_interface = PageSessions()
    svc = Services.from_settings(settings)
    app.extensions["gridbot"] = svc
    if settings.demo:
        log.warning("gridbot runs on DEMO WeChat credentials: set WECHAT_TOKEN and friends")

    from bot import health

    app.register_blueprint(webhook.blueprint)
    app.register_blueprint(health.blueprint)
    try:
        import admin
    except ImportError:  # pragma: no cover - admin/ is optional until it lands
        admin = None  # type: ignore[assignment]
    if admin is not None and hasattr(admin, "init_app"):
        admin.init_app(app)

    @app.errorhandler(HTTPException)
    def plain_http_error(error: HTTPException) -> Response:
        """Short plain answers (413 for big bodies, 405 …), never an HTML trace."""
        if request.path == webhook.PATH:
            log.warning("wechat %s rejected (%s): %s", request.method, error.code, error.name)
        return Response(error.name.lower(), status=error.code or 500, mimetype="text/plain")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error")
        return Response("internal error", status=500, mimetype="text/plain")

    if warm:
        _ = svc.analyzer
    return app
