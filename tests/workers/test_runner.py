"""The worker's entry point and its knobs."""

from __future__ import annotations

import logging
import signal

import pytest

from cases.followups import Followup
from workers.context import WorkerContext, current
from workers.options import OptionsError, WorkerOptions
from workers.runner import run_worker
from wxstub import StubWeChat

from .support import enqueue, open_case, snapshot


def test_run_worker_in_burst_mode_works_and_leaves_the_process_as_it_found_it(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    filters = list(logging.getLogger("rq.worker").filters)
    run_worker(ctx.settings, burst=True, name="burst-test", context=ctx)
    assert snapshot(ctx, case_id).sent() == [(0, "grid", "oGRID001")]
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers
    assert logging.getLogger("rq.worker").filters == filters
    assert current() is ctx


def test_options_from_the_environment() -> None:
    options = WorkerOptions.from_env(
        {
            "GRIDBOT_SWEEP_EVERY": "30",
            "GRIDBOT_SWEEP_GRACE": "10",
            "GRIDBOT_PUSH_BACKOFF": "5,20",
            "GRIDBOT_WECHAT_TIMEOUT": "2.5",
        }
    )
    assert options == WorkerOptions(sweep_every=30, grace=10, backoff=(5, 20), wechat_timeout=2.5)
    assert WorkerOptions.from_env({}) == WorkerOptions()
    with pytest.raises(OptionsError, match="GRIDBOT_PUSH_BACKOFF"):
        WorkerOptions.from_env({"GRIDBOT_PUSH_BACKOFF": "soon"})
    with pytest.raises(OptionsError, match="GRIDBOT_SWEEP_EVERY"):
        WorkerOptions.from_env({"GRIDBOT_SWEEP_EVERY": "-1"})
