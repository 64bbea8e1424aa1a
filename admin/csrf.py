"""CSRF protection: one random token per session, required on every state-changing request.

A form carries it in the hidden field `csrf_token` (templates call `csrf_token()`), a script
in the `X-CSRF-Token` header. Small enough to own; Flask-WTF would add forms we do not need."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token() -> str:
    """This session's token, made on first use."""
    token = session.get(FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[FIELD] = token
    return token


def rotate() -> None:
    """A new token (at login and logout), so that a token seen before login is worthless."""
    session[FIELD] = secrets.token_urlsafe(32)


def protect() -> None:
    """before_request hook: refuse a state-changing request without this session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(FIELD)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, sent):
        abort(400, description="csrf")
