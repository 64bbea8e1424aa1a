"""The admin dashboard (pages under /admin), its JSON API (/api) and the Open311 read API
(/open311/v2): what residents reported, where each case stands, who is late, and what
residents think, for the admins of a street or a community.

admin/ reads and moves cases only through cases/; the process's Services object comes from
`app.extensions["gridbot"]`, put there by the app factory."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

SESSION_LIFETIME = timedelta(hours=12)


def init_app(app: Flask) -> None:
    """Register the dashboard's blueprints on `app` and make its session cookie safe."""
    from admin import (
        api,
        media,
        open311,
        views_cases,
        views_login,
        views_opinions,
        views_org,
        views_overview,
        views_staff,
        web,
    )

    settings = app.extensions["gridbot"].settings
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    if not app.secret_key:
        app.secret_key = settings.secret_key
    for module in (web, views_login, views_overview, views_cases, media, views_opinions, views_org):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(open311.bp)
    app.register_blueprint(views_staff.bp)
