"""Enqueuing after a commit: deterministic ids, duplicates harmless, a dead Redis costs the
webhook half a second and no exception (the sweeper recovers the work)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from rq.registry import ScheduledJobRegistry

from bot.embedded_redis import free_port
from cases.followups import Followup
from workers.enqueue import (
    JOB_ID_RE,
    check_job_id,
    enqueue_followups,
    job_id,
    queue_names,
    schedule_check,
)


def test_job_ids_say_what_the_job_is_about() -> None:
    assert job_id("gridbot", "dispatch_case", 42, 1) == "gridbot-dispatch-42-1"
    assert job_id("gridbot", "notify_resident", 7) == "gridbot-notify-7"
    due = datetime(2026, 11, 21, 6, 30, 0, 250000)
    assert check_job_id("gridbot", 42, 1, due) == "gridbot-check-42-1-1795242600250"
    assert JOB_ID_RE.match(check_job_id("gridbot", 42, 1, due))
    with pytest.raises(ValueError, match="ids only"):
        job_id("gridbot", "notify_resident", "7; rm")


def test_enqueuing_twice_queues_once(redis_conn: redis.Redis) -> None:
    followups = [Followup.dispatch(1, 0), Followup.notify(5), Followup.fetch(9)]
    assert enqueue_followups(redis_conn, followups)
    assert enqueue_followups(redis_conn, followups)
    main, low = (Queue(name, connection=redis_conn) for name in queue_names())
    assert main.job_ids == ["gridbot-dispatch-1-0"]
    assert low.job_ids == ["gridbot-notify-5", "gridbot-fetch-9"]


def test_a_queue_names_the_prefix(redis_conn: redis.Redis) -> None:
    assert enqueue_followups(Queue("city7", connection=redis_conn), [Followup.dispatch(1, 0)])
    assert Queue("city7", connection=redis_conn).job_ids == ["city7-dispatch-1-0"]


def test_redis_down_returns_false_quickly_and_never_raises() -> None:
    # As the webhook's connection should be: short timeouts, no retries (redis-py 8 would
    # otherwise retry ten times with backoff, seconds in all).
    dead = redis.Redis(
        port=free_port(),
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 0),
    )
    started = time.monotonic()
    followups = [Followup.dispatch(1, 0), Followup.notify(5), Followup.fetch(9)]
    assert enqueue_followups(dead, followups) is False
    assert time.monotonic() - started < 1.0  # one attempt, not one per follow-up


def test_a_deadline_check_is_scheduled_never_before_the_deadline(redis_conn: redis.Redis) -> None:
    due = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5, microseconds=1)
    ident = schedule_check(redis_conn, 3, 0, due)
    main, _ = queue_names()
    registry = ScheduledJobRegistry(main, connection=redis_conn)
    at = registry.get_scheduled_time(ident)
    assert at >= due.replace(tzinfo=UTC) and at - due.replace(tzinfo=UTC) < timedelta(seconds=1)
    assert schedule_check(redis_conn, 3, 0, due) == ident  # again: harmless
    assert registry.get_job_ids() == [ident]
