"""Putting work on the queues, cheaply and harmlessly twice.

Every job gets an id made from what it is about (`gridbot-dispatch-42-1`), and is enqueued with
rq's `unique=True`: while a job with that id is queued, scheduled or running, a second enqueue
is refused (DuplicateJobError), which we count as success; so it is for a minute after the job
finished (result_ttl: rq deletes a job without one at a cost of several round trips). A job
that runs again finds the database moved on and does nothing. Functions are named by their
dotted path, so the webhook that enqueues does not import the jobs' dependencies.

Deadline checks are not one job per case: a case's check is the job of the quarter second
after its deadline (`gridbot-due-<epoch ms>`), shared by every case due by then, and it
escalates whatever is overdue in batches (workers.escalation.check_due). Ten thousand cases
due within a minute make a few hundred jobs, not ten thousand.

Two queues: the main one (dispatch, deadline checks, staff pushes) is always served first;
"-low" (resident notices, media downloads) waits while escalations are due.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.registry import ScheduledJobRegistry

from cases.followups import Followup

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "gridbot"
JOB_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# A job that raises (the database was away, a bug) is tried again after these waits; after
# that the sweeper, which reads the database, re-creates whatever is still owed.
ON_ERROR = Retry(max=3, interval=[5, 30, 120])
FAILURE_TTL = 7 * 24 * 3600
RESULT_TTL = 60
# Deadline checks run on this grid of moments (ms): a case is checked at most this long
# after its deadline, plus the scheduler's poll.
CHECK_STEP_MS = 250


@dataclass(frozen=True)
class JobSpec:
    func: str  # dotted path of the job function
    short: str  # the job id's middle part
    low: bool  # on the "-low" queue
    timeout: int  # seconds


JOBS: dict[str, JobSpec] = {
    "dispatch_case": JobSpec("workers.jobs.dispatch_case", "dispatch", False, 120),
    "check_due": JobSpec("workers.jobs.check_due", "due", False, 300),
    "deliver_push": JobSpec("workers.jobs.deliver_push", "deliver", False, 60),
    "notify_resident": JobSpec("workers.jobs.notify_resident", "notify", True, 60),
    "send_notices": JobSpec("workers.jobs.send_notices", "notices", True, 300),
    "fetch_attachment": JobSpec("workers.jobs.fetch_attachment", "fetch", True, 300),
}


def queue_names(prefix: str = DEFAULT_PREFIX) -> tuple[str, str]:
    """(main, low): the queues a worker listens on, the first one served first."""
    return prefix, f"{prefix}-low"


def job_id(prefix: str, job: str, *parts: object) -> str:
    """The deterministic id of `job` about `parts` (ids, stage, deadline in ms)."""
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        raise ValueError(f"a job carries ids only, not {parts!r}")
    ident = "-".join([prefix, JOBS[job].short, *(str(p) for p in parts)])
    if not JOB_ID_RE.match(ident):
        raise ValueError(f"job id {ident!r} may hold only letters, digits, '_' and '-'")
    return ident


def check_moment(due_at: datetime, now: datetime | None = None) -> int:
    """The moment (epoch ms) of the check that covers a deadline `due_at`: the first step of
    the grid strictly after both the deadline and now. Strictly after now, so that the job is
    still in the future when it is scheduled (never one that is running or has run)."""
    latest = max(_epoch_ms(due_at), _epoch_ms(now or datetime.now(UTC)))
    return (latest // CHECK_STEP_MS + 1) * CHECK_STEP_MS


def enqueue(
    conn: redis.Redis,
    job: str,
    args: tuple[int, ...],
    *,
    prefix: str = DEFAULT_PREFIX,
    ident: str | None = None,
    at: datetime | None = None,
    low: bool | None = None,
) -> str:
    """Enqueue `job(*args)` under its deterministic id, or `ident`; returns the id. With `at`
    (naive UTC, or aware), not before that moment. Raises Redis errors."""
    spec = JOBS[job]
    ident = ident or job_id(prefix, job, *args)
    main, low_name = queue_names(prefix)
    queue = Queue(low_name if (spec.low if low is None else low) else main, connection=conn)
    options = {
        "job_id": ident,
        "job_timeout": spec.timeout,
        "result_ttl": RESULT_TTL,
        "failure_ttl": FAILURE_TTL,
        "retry": ON_ERROR,
        "unique": True,
    }
    try:
        if at is not None and _aware(at) > datetime.now(UTC):
            queue.enqueue_at(_whole_second_after(at), spec.func, *args, **options)
            # rq scores scheduled jobs in whole seconds; our scheduler compares exact times,
            # so give the job its exact moment (never earlier than the whole second was).
            registry = ScheduledJobRegistry(queue=queue)
            conn.zadd(registry.key, {ident: _aware(at).timestamp()}, xx=True)
        else:
            queue.enqueue(spec.func, *args, **options)
    except DuplicateJobError:
        pass  # queued, scheduled or running already: that one will do
    return ident


def schedule_check(conn: redis.Redis, moment: int, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The deadline check at `moment` (from `check_moment`); scheduling it again is harmless."""
    at = datetime.fromtimestamp(moment / 1000, UTC)
    return enqueue(conn, "check_due", (moment,), prefix=prefix, at=at)


def enqueue_followups(
    redis_conn_or_queue: redis.Redis | Queue,
    followups: Iterable[Followup],
    *,
    prefix: str | None = None,
) -> bool:
    """Enqueue the work that follows a commit; False (logged, never raised) if Redis failed,
    in which case the workers' sweeper finds the work from the database within a minute.

    Pass a Redis connection (and `prefix`, the settings' queue_prefix, if it is not
    "gridbot"), or a Queue whose name is the prefix."""
    if isinstance(redis_conn_or_queue, Queue):
        conn, prefix = redis_conn_or_queue.connection, prefix or redis_conn_or_queue.name
    else:
        conn, prefix = redis_conn_or_queue, prefix or DEFAULT_PREFIX
    ok = True
    for followup in followups:
        try:
            enqueue(conn, followup.job, tuple(followup.args), prefix=prefix)
        except (redis.RedisError, OSError) as exc:
            # Redis is away: the next calls would each wait for their timeout too.
            log.warning(
                "Redis refused %s%s (%s); the sweeper will", followup.job, followup.args, exc
            )
            return False
        except Exception:  # noqa: BLE001 - the caller has committed; never fail it
            log.exception("could not enqueue %s%s; the sweeper will", followup.job, followup.args)
            ok = False
    return ok


def queue_followups(
    pipe: Pipeline, conn: redis.Redis, followups: Iterable[Followup], *, prefix: str
) -> None:
    """Add the enqueueing of `followups` to `pipe` (its caller's other writes go in the same
    round trip; the webhook sends its reply cache entry with them). Not rq's `unique`
    enqueue, which costs a round trip of its own: a follow-up of a fresh commit cannot be
    queued yet, and if the same id were queued twice the job, idempotent, would find its
    work done. `conn` is the pipeline's connection (rq reads the server version from it
    once). Errors surface at pipe.execute()."""
    by_queue: dict[str, list[Any]] = {}
    for followup in followups:
        spec = JOBS[followup.job]
        args = tuple(followup.args)
        data = Queue.prepare_data(
            spec.func,
            args,
            job_id=job_id(prefix, followup.job, *args),
            timeout=spec.timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            retry=ON_ERROR,
        )
        main, low = queue_names(prefix)
        by_queue.setdefault(low if spec.low else main, []).append(data)
    for name, datas in by_queue.items():
        Queue(name, connection=conn).enqueue_many(datas, pipeline=pipe)


def _aware(moment: datetime) -> datetime:
    """Stored datetimes are naive UTC; rq reads naive ones as local time, so say UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _whole_second_after(moment: datetime) -> datetime:
    """rq's own scheduler compares whole seconds and would release a job up to a second before
    its moment; a job is never early if scheduled at the next whole second (a deadline check
    that ran early would find the deadline not yet passed)."""
    return datetime.fromtimestamp(math.ceil(_aware(moment).timestamp()), UTC)


def _epoch_ms(moment: datetime) -> int:
    return int(round(_aware(moment).timestamp() * 1000))
