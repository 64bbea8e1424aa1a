"""Dialogue state per resident, in Redis with a 30-minute TTL, shared by every web process.

A dialogue is a small JSON dict: {"step": "ask_address", ...}. When Redis is unreachable the
bot still answers, just without memory of the previous turn."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis

log = logging.getLogger(__name__)
TTL_SECONDS = 30 * 60


class Dialogue:
    def __init__(self, conn: redis.Redis, openid: str, prefix: str = "gridbot") -> None:
        self.conn = conn
        self.key = f"{prefix}:dialogue:{openid}"
        self._state: dict[str, Any] | None = None
        self._loaded = False

    @property
    def state(self) -> dict[str, Any] | None:
        if not self._loaded:
            self._loaded = True
            try:
                raw = self.conn.get(self.key)
            except redis.RedisError as exc:
                log.warning("dialogue state unavailable: %s", exc)
                raw = None
            self._state = json.loads(raw) if raw else None
        return self._state

    @property
    def step(self) -> str | None:
        state = self.state
        return str(state["step"]) if state and "step" in state else None

    def start(self, step: str, **data: Any) -> None:
        self._write({"step": step, **data})

    def update(self, **data: Any) -> None:
        self._write({**(self.state or {}), **data})

    def _write(self, state: dict[str, Any]) -> None:
        self._state, self._loaded = state, True
        try:
            self.conn.set(self.key, json.dumps(state, ensure_ascii=False), ex=TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("could not keep dialogue state: %s", exc)

    def clear(self) -> None:
        self._state, self._loaded = None, True
        try:
            self.conn.delete(self.key)
        except redis.RedisError as exc:
            log.warning("could not clear dialogue state: %s", exc)
