"""What a job needs besides its ids (database, org tree, policy, wording, Redis, WeChat client),
built once per worker process.

`run_worker` installs the context built from its Settings; a job run by any other worker (a
plain `rq worker`, a test's SimpleWorker) builds one lazily from the environment. Tests install
their own with `install()`. Nothing is built at import time."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import redis

from cases.context import Domain
from config.settings import Settings
from config.wording import Wording, load_wording
from workers import enqueue as queueing
from workers.options import WorkerOptions
from wxapi import GridbotWeChatClient, make_client

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    settings: Settings
    options: WorkerOptions
    domain: Domain
    wording: Wording
    redis: redis.Redis
    wechat: GridbotWeChatClient

    @classmethod
    def from_settings(
        cls, settings: Settings, options: WorkerOptions | None = None
    ) -> WorkerContext:
        options = options or WorkerOptions.from_env()
        conn = redis.Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=2)
        return cls(
            settings=settings,
            options=options,
            domain=Domain.from_settings(settings),
            wording=load_wording(settings.wording_path),
            redis=conn,
            wechat=make_client(settings, conn, timeout=options.wechat_timeout),
        )

    @property
    def prefix(self) -> str:
        return self.settings.queue_prefix

    @cached_property
    def staff_names(self) -> dict[str, str]:
        """openid -> name of every staff member in org.yaml."""
        return {member.openid: member.name for _, member in self.domain.org.all_staff()}

    def enqueue(
        self,
        job: str,
        args: tuple[int, ...],
        *,
        at: datetime | None = None,
        low: bool | None = None,
    ) -> str | None:
        """Enqueue follow-on work; a Redis failure is logged, not raised: the work is owed in
        the database, and the sweeper re-creates it."""
        try:
            return queueing.enqueue(self.redis, job, args, prefix=self.prefix, at=at, low=low)
        except redis.RedisError as exc:
            log.warning("could not enqueue %s%s (%s); the sweeper will", job, args, exc)
            return None

    def schedule_check(self, case_id: int, stage: int, due_at: datetime | None) -> None:
        if due_at is None:
            return
        try:
            queueing.schedule_check(self.redis, case_id, stage, due_at, prefix=self.prefix)
        except redis.RedisError as exc:
            log.warning(
                "could not schedule the check of case %s (%s); the sweeper will", case_id, exc
            )

    def close(self) -> None:
        self.redis.close()
        self.domain.db.dispose()


_current: WorkerContext | None = None


def install(context: WorkerContext | None) -> None:
    """Make `context` the one jobs in this process use (None: build lazily again)."""
    global _current
    _current = context


def current() -> WorkerContext:
    """The installed context, else one built from the environment (once per process)."""
    global _current
    if _current is None:
        _current = WorkerContext.from_settings(Settings.from_env())
    return _current


def _after_fork_in_child() -> None:
    # A forked child (rq's scheduler process) must not use the parent's pooled database
    # connections; it opens its own if it needs any. Redis pools notice the fork themselves.
    if _current is not None:
        _current.domain.db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)
