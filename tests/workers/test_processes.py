"""Faults with real worker processes (`python -m workers`): a worker killed mid-job, several
workers at once, and Redis stopped while a resident writes."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Worker

from bot.embedded_redis import EmbeddedRedis
from cases.db import Database
from cases.followups import Followup
from config.settings import Settings
from workers.context import WorkerContext
from workers.enqueue import enqueue_followups, job_id
from workers.options import WorkerOptions
from wxstub import StubWeChat

from .conftest import FAST
from .support import WorkerProcesses, enqueue, open_case, snapshot, wait_for, worker_processes

pytestmark = pytest.mark.slow

# A client timeout longer than the stand-in's delay, so that the worker is killed while the
# request is with "WeChat".
PATIENT = WorkerOptions(sweep_every=1, grace=1, backoff=(1, 1), wechat_timeout=4)


@pytest.fixture
def processes(
    worker_settings: Settings, db: Database, redis_conn: redis.Redis, tmp_path: Path
) -> Iterator[WorkerProcesses]:
    with worker_processes(worker_settings, PATIENT, tmp_path / "logs") as workers:
        yield workers


def ready(conn: redis.Redis, count: int = 1) -> bool:
    return len(Worker.all(connection=conn)) >= count


def test_a_worker_killed_mid_push_pushes_nobody_twice_and_the_case_goes_on(
    ctx: WorkerContext, stub: StubWeChat, processes: WorkerProcesses
) -> None:
    # The council's push hangs for two seconds inside "WeChat": the worker dies meanwhile.
    stub.fail_next("message/template/send", delay=2.0, openid="oCOUNCIL001")
    started = {name: processes.start(name) for name in ("first", "second")}
    wait_for(lambda: ready(ctx.redis, 2), timeout=20, what="two workers")
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))

    wait_for(
        lambda: ("message/template/send", "oCOUNCIL001") in stub.in_flight(),
        timeout=10,
        what="the escalation's push in flight",
    )
    # The worker running the deadline check that escalated the case, and is now sending.
    check_prefix = job_id(ctx.prefix, "check_due", 0)[:-1]
    (checker,) = [
        worker
        for worker in Worker.all(connection=ctx.redis)
        if (worker.get_current_job_id() or "").startswith(check_prefix)
    ]
    processes.kill(started[checker.name])  # the other one carries on
    killed_at = time.monotonic()
    wait_for(
        lambda: stub.messages("oCOMM001"),
        timeout=30,
        what="the case climbing on after the kill\n" + processes.logs(),
    )
    wait_for(lambda: time.monotonic() - killed_at > 2.5)  # the hung request has been answered
    snap = snapshot(ctx, case_id)
    ups = [m for m in snap.moves if m[0] == "escalate"]
    assert ups[:2] == [("escalate", "grid", "courtyard"), ("escalate", "courtyard", "community")]
    assert len(ups) == len(set(ups))
    for openid in ("oGRID001", "oCOUNCIL001", "oCOMM001"):
        assert len(stub.messages(openid)) == 1, openid
    (council,) = [p for p in snap.pushes if p.openid == "oCOUNCIL001"]
    assert council.status in ("sending", "unconfirmed")  # delivered, but never confirmed
    notices = Counter(c.text for c in stub.messages("oRESIDENT1"))
    assert notices and set(notices.values()) == {1}


def test_several_workers_run_each_check_once(
    ctx: WorkerContext, stub: StubWeChat, processes: WorkerProcesses
) -> None:
    for name in ("one", "two", "three"):
        processes.start(name)
    wait_for(lambda: ready(ctx.redis, 3), timeout=20, what="three workers")
    cases = [open_case(ctx, openid=f"oRESIDENT{i}") for i in range(12)]
    for case_id, stage in cases:
        enqueue(ctx, Followup.dispatch(case_id, stage))
    wait_for(
        lambda: all(snapshot(ctx, c).case.stage >= 2 for c, _ in cases),
        timeout=30,
        what="every case at the community level\n" + processes.logs(),
    )
    for case_id, _ in cases:
        snap = snapshot(ctx, case_id)
        ups = [m for m in snap.moves if m[0] == "escalate"]
        assert len(ups) == len(set(ups)) >= 2, ups  # each level's check acted once
        number = snap.case.number
        pushed = Counter(
            c.touser for c in stub.messages() if c.body["data"]["keyword1"]["value"] == number
        )
        sent = Counter(p.openid for p in snap.pushes if p.status in ("sent", "sending"))
        assert all(pushed[openid] <= sent[openid] for openid in pushed), (pushed, sent)
        assert pushed["oGRID001"] == 1 and pushed["oCOUNCIL001"] == 1


def test_a_case_written_while_redis_was_down_is_dispatched_once_it_is_back(
    worker_settings: Settings, db: Database, stub: StubWeChat, tmp_path: Path
) -> None:
    server = EmbeddedRedis(tmp_path / "redis", persist=False)
    settings = worker_settings.replace(redis_url=server.start())
    ctx = WorkerContext.from_settings(settings, FAST)
    try:
        with worker_processes(settings, FAST, tmp_path / "logs") as processes:
            processes.start("lonely")
            wait_for(lambda: ready(ctx.redis), timeout=20, what="the worker")
            server.stop()
            # The webhook's side: the case is committed, the enqueue fails fast and quietly.
            case_id, stage = open_case(ctx)
            webhook_redis = redis.Redis.from_url(
                server.url,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
                retry=Retry(NoBackoff(), 0),
            )
            assert enqueue_followups(webhook_redis, [Followup.dispatch(case_id, stage)]) is False
            server.start()
            back = time.monotonic()
            wait_for(
                lambda: snapshot(ctx, case_id).sent(),
                timeout=60,
                what="the dispatch after Redis came back\n" + processes.logs(),
            )
            assert time.monotonic() - back < 60
            assert len(stub.messages("oGRID001")) == 1
    finally:
        ctx.close()
        server.stop()
