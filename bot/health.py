"""GET /healthz: is this process able to do its job (Redis and the database reachable)."""

from __future__ import annotations

import redis
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from bot.services import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    svc = services()
    try:
        redis_ok = bool(svc.redis.ping())
    except redis.RedisError:
        redis_ok = False
    database_ok = svc.domain.db.ping()
    body = {
        "status": "ok" if redis_ok and database_ok else "degraded",
        "redis": "ok" if redis_ok else "down",
        "database": "ok" if database_ok else "down",
    }
    return jsonify(body), 200 if redis_ok and database_ok else 503
