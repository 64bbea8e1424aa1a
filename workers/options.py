"""The workers' knobs, from environment variables (seconds unless said otherwise).

GRIDBOT_SWEEP_EVERY    how often a worker sweeps SQL for lost work (60)
GRIDBOT_SWEEP_GRACE    how late work must be before the sweeper re-creates it (30)
GRIDBOT_PUSH_BACKOFF   waits between delivery attempts of a failing push ("10,60,300")
GRIDBOT_WECHAT_TIMEOUT timeout of one WeChat API request (5)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class OptionsError(ValueError):
    """A GRIDBOT_* worker variable is malformed; the message names it."""


@dataclass(frozen=True)
class WorkerOptions:
    sweep_every: float = 60.0
    grace: float = 30.0
    backoff: tuple[int, ...] = (10, 60, 300)
    wechat_timeout: float = 5.0
    # How often the rq scheduler moves due jobs to the queue. rq's own loop sleeps 1 s and
    # keeps whole-second scores, which alone could make a check up to 2 s late.
    scheduler_poll: float = 0.2

    @property
    def stale_after(self) -> float:
        """How long a started job or a send may run before we believe its process died."""
        return self.grace + 3 * self.wechat_timeout

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerOptions:
        env = os.environ if env is None else env
        return cls(
            sweep_every=_number(env, "GRIDBOT_SWEEP_EVERY", cls.sweep_every),
            grace=_number(env, "GRIDBOT_SWEEP_GRACE", cls.grace),
            backoff=_backoff(env.get("GRIDBOT_PUSH_BACKOFF")),
            wechat_timeout=_number(env, "GRIDBOT_WECHAT_TIMEOUT", cls.wechat_timeout),
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise OptionsError(f"{name} must be a number of seconds, not {text!r}") from None
    if value <= 0:
        raise OptionsError(f"{name} must be more than 0, not {text!r}")
    return value


def _backoff(text: str | None) -> tuple[int, ...]:
    if not text:
        return WorkerOptions.backoff
    try:
        waits = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise OptionsError(
            "GRIDBOT_PUSH_BACKOFF must be seconds separated by commas, like 10,60,300, "
            f"not {text!r}"
        ) from None
    if not waits or any(w < 1 for w in waits):
        raise OptionsError("GRIDBOT_PUSH_BACKOFF needs at least one wait of 1 second or more")
    return waits
