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
    CHECK_STEP_MS,
    JOB_ID_RE,
    check_moment,
    enqueue_followups,
    job_id,
    queue_followups,
    queue_names,
    schedule_check,
)


def test_job_ids_say_what_the_job_is_about() -> None:
    assert job_id("gridbot", "dispatch_case", 42, 1) == "gridbot-dispatch-42-1"
    assert job_id("gridbot", "notify_resident", 7) == "gridbot-notify-7"
    assert job_id("gridbot", "check_due", 1795242600250) == "gridbot-due-1795242600250"
    assert JOB_ID_RE.match(job_id("gridbot", "check_due", 1795242600250))
    with pytest.raises(ValueError, match="ids only"):
        job_id("gridbot", "notify_resident", "7; rm")


def test_enqueuing_twice_queues_once(redis_conn: redis.Redis) -> None:
    followups = [Followup.dispatch(1, 0), Followup.notify(5), Followup.fetch(9)]
    assert enqueue_followups(redis_conn, followups)
    assert enqueue_followups(redis_conn, followups)
    main, low = (Queue(name, connection=redis_conn) for name in queue_names())
    assert main.job_ids == ["gridbot-dispatch-1-0"]
    assert low.job_ids == ["gridbot-notify-5", "gridbot-fetch-9"]


def test_followups_ride_in_the_callers_pipeline(redis_conn: redis.Redis) -> None:
    followups = [Followup.dispatch(1, 0), Followup.notify(5), Followup.fetch(9)]
    with redis_conn.pipeline(transaction=False) as pipe:
        pipe.set("gridbot:inbound:k", b"reply")
        queue_followups(pipe, redis_conn, followups, prefix="gridbot")
        assert Queue("gridbot", connection=redis_conn).job_ids == []  # nothing sent yet
        pipe.execute()
    main, low = (Queue(name, connection=redis_conn) for name in queue_names())
    assert main.job_ids == ["gridbot-dispatch-1-0"]
    assert low.job_ids == ["gridbot-notify-5", "gridbot-fetch-9"]
    job = main.fetch_job("gridbot-dispatch-1-0")
    assert job is not None and job.func_name == "workers.jobs.dispatch_case" and job.args == (1, 0)
    assert job.retries_left == 3 and redis_conn.get("gridbot:inbound:k") == b"reply"


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
    moment = check_moment(due)
    ident = schedule_check(redis_conn, moment)
    main, _ = queue_names()
    registry = ScheduledJobRegistry(main, connection=redis_conn)
    at = registry.get_scheduled_time(ident)
    assert at >= due.replace(tzinfo=UTC) and at - due.replace(tzinfo=UTC) < timedelta(seconds=1)
    assert schedule_check(redis_conn, moment) == ident  # again: harmless
    assert registry.get_job_ids() == [ident]


def test_deadlines_close_together_share_a_check_after_all_of_them() -> None:
    now = datetime(2026, 11, 21, 6, 30, 0)
    base = datetime(2026, 11, 21, 6, 30, 0, 250000)
    moments = {check_moment(base + timedelta(milliseconds=ms), now) for ms in range(0, 250, 7)}
    assert moments == {1795242600500}  # the step after the last of them
    assert check_moment(base - timedelta(milliseconds=1), now) == 1795242600250
    # A deadline already past is checked at the step after now, never at one gone by.
    later = now + timedelta(seconds=10, milliseconds=1)
    assert check_moment(base, later) == 1795242610250
    assert check_moment(later, later) % CHECK_STEP_MS == 0
