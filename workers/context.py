"""What a job needs besides its ids (database, org tree, policy, wording, Redis, WeChat client),
built once per worker process.

`run_worker` installs the context built from its Settings; a job run by any other worker (a
plain `rq worker`, a test's SimpleWorker) builds one lazily from the environment. Tests install
their own with `install()`. Nothing is built at import time."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
    # The check moments this process has scheduled lately (a cache: scheduling is idempotent).
    _scheduled: dict[int, None] = field(default_factory=dict, repr=False)

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
            wechat=make_client(
                settings, conn, timeout=options.wechat_timeout, connections=options.send_concurrency
            ),
        )

    @property
    def prefix(self) -> str:
        return self.settings.queue_prefix

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

    def schedule_check(self, due_at: datetime | None) -> None:
        """Make sure a deadline check runs soon after `due_at` (one job serves every case due
        in the same quarter second; this process remembers the ones it scheduled)."""
        if due_at is None:
            return
        moment = queueing.check_moment(due_at)
        if moment in self._scheduled:
            return
        try:
            queueing.schedule_check(self.redis, moment, prefix=self.prefix)
        except redis.RedisError as exc:
            log.warning("could not schedule a deadline check (%s); the sweeper will", exc)
            return
        self._scheduled[moment] = None
        if len(self._scheduled) > 4096:  # forget the oldest half
            for old in list(self._scheduled)[:2048]:
                del self._scheduled[old]

    @cached_property
    def senders(self) -> ThreadPoolExecutor:
        """Threads that wait on WeChat's answers, so that a batch of pushes costs one round
        trip's time rather than one per push (the API takes tens of milliseconds to answer)."""
        return ThreadPoolExecutor(self.options.send_concurrency, thread_name_prefix="push")

    def close(self) -> None:
        if "senders" in self.__dict__:
            self.senders.shutdown(wait=True)
            del self.__dict__["senders"]
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
