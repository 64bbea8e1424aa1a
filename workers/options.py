"""The workers' knobs, from environment variables (seconds unless said otherwise).

GRIDBOT_SWEEP_EVERY    how often a worker sweeps SQL for lost work (60)
GRIDBOT_SWEEP_GRACE    how late work must be before the sweeper re-creates it (30)
GRIDBOT_PUSH_BACKOFF   waits between delivery attempts of a failing push ("10,60,300")
GRIDBOT_WECHAT_TIMEOUT timeout of one WeChat API request (5)
GRIDBOT_SEND_CONCURRENCY pushes a worker sends at once (32)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from config.settings import PROJECT_ROOT, Settings


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
    # Pushes in flight at once per worker (threads waiting on WeChat's answers: at 50 ms an
    # answer, 8 could not keep up with a burst of escalations, 32 could; see the README);
    # also how many a killed worker may leave "unconfirmed" (claimed, maybe sent).
    send_concurrency: int = 32

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
            send_concurrency=_count(env, "GRIDBOT_SEND_CONCURRENCY", cls.send_concurrency),
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


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise OptionsError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


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


def worker_env(settings: Settings, options: WorkerOptions) -> dict[str, str]:
    """The environment of a `python -m workers` process for these settings and options, the
    inverse of Settings.from_env and WorkerOptions.from_env for what a worker reads (tests
    and benchmarks start real worker processes with it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDBOT_", "WECHAT_"))}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        REDIS_URL=settings.redis_url,
        DATABASE_URL=settings.database_url,
        WECHAT_API_BASE=settings.wechat_api_base,
        GRIDBOT_ESCALATION=str(settings.escalation_path),
        GRIDBOT_ORG=str(settings.org_path),
        GRIDBOT_MEDIA_DIR=str(settings.media_dir),
        GRIDBOT_SWEEP_EVERY=str(options.sweep_every),
        GRIDBOT_SWEEP_GRACE=str(options.grace),
        GRIDBOT_PUSH_BACKOFF=",".join(str(b) for b in options.backoff),
        GRIDBOT_WECHAT_TIMEOUT=str(options.wechat_timeout),
        GRIDBOT_SEND_CONCURRENCY=str(options.send_concurrency),
    )
    if settings.wechat_template_id:
        env["GRIDBOT_TEMPLATE_ID"] = settings.wechat_template_id
    return env
