"""Dialogue state per resident, in Redis with a 30-minute TTL, shared by every web process.

A dialogue is a small JSON dict: {"step": "ask_address", ...}. The webhook reads it in the
round trip that claims the message (`read_in`, `preload`), and writes what the conversation
changed in the round trip after the commit (`write_in`): one turn's state and its rows are kept
together, and a turn that is rolled back (`discard`) leaves the dialogue as it found it.
When Redis is unreachable the bot still answers, just without memory of the previous turn."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from redis.client import Pipeline

log = logging.getLogger(__name__)
TTL_SECONDS = 30 * 60


class Dialogue:
    def __init__(self, conn: redis.Redis, openid: str, prefix: str = "gridbot") -> None:
        self.conn = conn
        self.key = f"{prefix}:dialogue:{openid}"
        self._state: dict[str, Any] | None = None
        self._found: dict[str, Any] | None = None  # the state as read, for `discard`
        self._loaded = False
        self._changed = False
        self._written: str | None = None  # the changed state as it will be written

    def read_in(self, pipe: Pipeline) -> None:
        """Add the read of the state to `pipe`; hand its result to `preload`."""
        pipe.get(self.key)

    def preload(self, raw: bytes | None) -> None:
        """The state as the caller read it (None: no dialogue, or Redis did not answer)."""
        self._state = self._found = json.loads(raw) if raw else None
        self._loaded = True

    def reload(self) -> None:
        """Read the state again when next asked (another turn has just written it)."""
        self._loaded = False

    @property
    def state(self) -> dict[str, Any] | None:
        if not self._loaded:
            try:
                raw = self.conn.get(self.key)
            except redis.RedisError as exc:
                log.warning("dialogue state unavailable: %s", exc)
                raw = None
            self.preload(raw)
        return self._state

    @property
    def step(self) -> str | None:
        state = self.state
        return str(state["step"]) if state and "step" in state else None

    def start(self, step: str, **data: Any) -> None:
        self._change({"step": step, **data})

    def update(self, **data: Any) -> None:
        self._change({**(self.state or {}), **data})

    def clear(self) -> None:
        self._change(None)

    def _change(self, state: dict[str, Any] | None) -> None:
        if not self._loaded:
            _ = self.state  # `discard` goes back to what was there
        # Serialised now, so that a value JSON cannot hold fails the turn that set it, not
        # the writes after its commit.
        self._written = json.dumps(state, ensure_ascii=False) if state is not None else None
        self._state, self._changed = state, True

    def discard(self) -> None:
        """Forget this turn's changes (its rows were rolled back)."""
        self._state, self._changed = self._found, False

    def write_in(self, pipe: Pipeline) -> None:
        """Add this turn's change, if any, to `pipe` (sent after the turn's commit)."""
        if not self._changed:
            return
        if self._written is None:
            pipe.delete(self.key)
        else:
            pipe.set(self.key, self._written, ex=TTL_SECONDS)
        self._found, self._changed = self._state, False
