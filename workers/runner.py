"""`run_worker`: an rq worker on our two queues, with rq's scheduler and our sweeper.

Choices, and why:
- SimpleWorker (no fork per job): our jobs are short database-and-HTTP steps, and forking a
  process for each costs more than the job; the context (engine, org tree, WeChat client) is
  built once per process. rq's job timeout still applies (SIGALRM).
- The scheduler (one per queue across all workers, under rq's lock) polls every 0.2 s instead
  of rq's 1 s and compares exact times, not whole seconds (a deadline check starts within a
  fraction of a second of its deadline, never before); it exits when its worker dies instead of
  living on as an orphan, and its lock lasts seconds, not rq's minute, so another worker's
  scheduler takes over quickly.
- rq's per-job bookkeeping is trimmed where it is pure repetition: heartbeats at most every
  2 s in one round trip, no state write that changes nothing, no per-job INFO log lines.
- Every second between jobs (and while idle) the worker restarts its scheduler if it died (a
  Redis restart kills it; rq itself would wait for its 10-minute maintenance) and, every
  GRIDBOT_SWEEP_EVERY seconds, sweeps under a Redis lock so that one worker sweeps per period.
  After losing Redis it sweeps as soon as Redis is back.
- If the work loop ends for any reason but a stop request (rq quits on some Redis errors), a
  new worker starts after a short wait.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from typing import Any

import redis
from rq import Queue, SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler

from config.settings import Settings
from workers import sweeper
from workers.context import WorkerContext, install
from workers.enqueue import queue_names
from workers.options import WorkerOptions

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = 1.0
HEARTBEAT_EVERY = 2.0
RESTART_WAIT = 2.0


class GridbotScheduler(RQScheduler):
    """rq's scheduler loop, polling faster, leaving with its worker, and holding its lock for
    seconds: rq's lock outlives a killed scheduler by a minute, a minute without deadlines."""

    poll = 0.2
    lock_ttl_ms = 3000

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        locks = set(super().acquire_locks(auto_start=auto_start))
        self._shorten_locks()
        return locks

    def heartbeat(self) -> None:
        super().heartbeat()
        self._shorten_locks()

    def enqueue_scheduled_jobs(self) -> None:
        """rq's, comparing exact times: rq compares whole seconds, so a job would wait up to a
        second past its moment (workers.enqueue scores jobs with their exact moment)."""
        self._status = self.Status.WORKING
        if not self._scheduled_job_registries and self._acquired_locks:
            self.prepare_registries()
        for registry in self._scheduled_job_registries:
            job_ids = registry.get_jobs_to_schedule(time.time())  # type: ignore[arg-type]
            if not job_ids:
                continue
            queue = Queue(registry.name, connection=self.connection, serializer=self.serializer)
            jobs = Job.fetch_many(job_ids, connection=self.connection, serializer=self.serializer)
            with self.connection.pipeline() as pipeline:
                for job_id, job in zip(job_ids, jobs, strict=True):
                    registry.remove(job_id, pipeline=pipeline)
                    if job is None:
                        continue
                    front = job.should_enqueue_at_front()
                    if job.has_rate_limit:  # not ours, but keep rq's behaviour
                        queue._enqueue_rate_limited_job(job, pipeline=pipeline, at_front=front)
                    else:
                        queue._enqueue_job(job, pipeline=pipeline, at_front=front)
                pipeline.execute()
        self._status = self.Status.STARTED

    def _shorten_locks(self) -> None:
        if not self._acquired_locks:
            return
        with self.connection.pipeline() as pipe:
            for name in self._acquired_locks:
                pipe.pexpire(self.get_locking_key(name), self.lock_ttl_ms)
            pipe.execute()

    def work(self) -> None:
        self._install_signal_handlers()
        self.register_birth()
        parent = os.getppid()
        while True:
            if self._stop_requested or os.getppid() != parent:
                self.stop()
                break
            if self.should_reacquire_locks:
                self.acquire_locks()
            self.heartbeat()
            self.enqueue_scheduled_jobs()
            time.sleep(self.poll)


class GridbotWorker(SimpleWorker):
    """A SimpleWorker that keeps its scheduler alive and runs the sweeper."""

    # rq waits up to a minute between reconnection attempts; a few seconds is enough.
    max_connection_wait_time = 5.0

    def __init__(self, *args: Any, context: WorkerContext, **kwargs: Any) -> None:
        self.context = context  # before rq's __init__, which reads dequeue_timeout
        self._last_beat = 0.0
        self._state_written = False
        super().__init__(*args, **kwargs)
        self._burst = False
        self._next_housekeeping = 0.0
        self._next_sweep = 0.0

    def work(self, *args: Any, **kwargs: Any) -> bool:
        self._burst = bool(kwargs.get("burst", args[0] if args else False))
        return bool(super().work(*args, **kwargs))

    @property
    def dequeue_timeout(self) -> int:
        """Wake up at least every few seconds for housekeeping, even with nothing to do."""
        return max(1, min(int(self.context.options.sweep_every), 5))

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """rq's own, with our scheduler class."""
        scheduler = GridbotScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        scheduler.poll = self.context.options.scheduler_poll
        self.scheduler = scheduler
        scheduler.acquire_locks()
        if not scheduler.acquired_locks:
            return
        if not burst:
            scheduler.start()
            return
        try:
            scheduler.register_birth()
            scheduler.enqueue_scheduled_jobs()
        finally:
            scheduler.release_locks()
            scheduler.register_death()

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return bool(super().should_run_maintenance_tasks) or (
            time.monotonic() >= self._next_housekeeping
        )

    def run_maintenance_tasks(self) -> None:
        if super().should_run_maintenance_tasks:
            super().run_maintenance_tasks()
        self._next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY
        self._revive_scheduler()
        if time.monotonic() >= self._next_sweep:
            self._sweep()

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """rq beats several times per job, three round trips each; the keys it refreshes live
        for minutes, so one beat every HEARTBEAT_EVERY seconds, in one round trip, is enough."""
        if pipeline is not None:
            super().heartbeat(timeout, pipeline=pipeline)
            return
        if timeout is None and time.monotonic() - self._last_beat < HEARTBEAT_EVERY:
            return
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                super().heartbeat(timeout, pipeline=pipe)
                pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError):
            self._last_beat = 0.0
            self._next_sweep = 0.0  # Redis may have lost jobs: sweep once it is back
            raise
        self._last_beat = time.monotonic()

    def set_state(self, state: str, pipeline: Any = None) -> None:
        """rq writes the state before and after every job, and again when it waits; the
        write that changes nothing is skipped."""
        if pipeline is None and state == self._state and self._state_written:
            return
        super().set_state(state, pipeline=pipeline)
        self._state_written = True

    def _revive_scheduler(self) -> None:
        scheduler = self.scheduler
        if scheduler is None or self._burst:
            return
        process = scheduler._process
        if process is None or not process.is_alive():
            scheduler.acquire_locks(auto_start=True)

    def _sweep(self) -> None:
        options = self.context.options
        self._next_sweep = time.monotonic() + options.sweep_every
        lock = f"{self.context.prefix}:sweep-lock"
        try:
            if not self.connection.set(lock, self.name, nx=True, px=int(options.sweep_every * 900)):
                return  # another worker swept in this period
            sweeper.sweep(self.context)
        except (redis.ConnectionError, redis.TimeoutError):
            self._next_sweep = 0.0
            raise
        except StopRequested:
            raise
        except Exception:  # noqa: BLE001 - a failed sweep must not stop the worker
            log.exception("sweep failed; trying again next period")

    @property
    def stopping(self) -> bool:
        """Whether a stop was asked for (a signal, or rq's stop command)."""
        return self._stop_requested or self._shutdown_requested_date is not None


class _QuietJobs(logging.Filter):
    """rq logs two INFO lines per job (dequeued, done): thousands a minute under load, and
    their cost shows in the throughput. Failures and the worker's own life are still logged."""

    PER_JOB = ("Worker %s: %s: %s", "Worker %s: job %s result", "Successfully completed")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        return not str(record.msg).startswith(self.PER_JOB)


def make_worker(
    context: WorkerContext,
    name: str | None = None,
    worker_class: type[GridbotWorker] = GridbotWorker,
) -> GridbotWorker:
    """A worker on the context's queues (tests run it in burst mode)."""
    conn = redis.Redis.from_url(context.settings.redis_url, socket_connect_timeout=2)
    return worker_class(
        list(queue_names(context.prefix)), connection=conn, name=name, context=context
    )


def run_worker(
    settings: Settings,
    *,
    burst: bool = False,
    name: str | None = None,
    options: WorkerOptions | None = None,
    context: WorkerContext | None = None,
) -> None:
    """Work until stopped (SIGTERM/SIGINT), or, with `burst`, until the queues are empty."""
    context = context or WorkerContext.from_settings(settings, options)
    install(context)
    quiet = _QuietJobs()
    logging.getLogger("rq.worker").addFilter(quiet)
    base_name = name or f"gridbot-{socket.gethostname()}-{os.getpid()}"
    handlers = _signal_handlers()
    restarts = 0
    try:
        while True:
            worker = None
            try:
                worker = make_worker(
                    context, base_name if not restarts else f"{base_name}.{restarts}"
                )
                worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                log.warning("worker lost Redis (%s)", exc)
            finally:
                if worker is not None:
                    worker.connection.close()
            if burst or (worker is not None and worker.stopping):
                return
            restarts += 1
            log.warning("worker stopped unexpectedly; starting again in %.0f s", RESTART_WAIT)
            time.sleep(RESTART_WAIT)
            if worker is not None and worker.stopping:
                return
    finally:
        logging.getLogger("rq.worker").removeFilter(quiet)
        _restore(handlers)


def _signal_handlers() -> dict[int, Any]:
    return {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore(handlers: dict[int, Any]) -> None:
    """rq installs its own handlers; give the caller (a test, the CLI) its own back."""
    for sig, handler in handlers.items():
        try:
            signal.signal(sig, handler)
        except (ValueError, TypeError):  # not the main thread, or not restorable
            pass
