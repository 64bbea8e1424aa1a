"""Fixtures of the worker tests: the WeChat API stand-in, a worker context on the test's
database and Redis with a policy of seconds, and short retry waits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
import redis

from cases.db import Database
from config.settings import Settings
from workers.context import WorkerContext, install
from workers.options import WorkerOptions
from wxstub import StubWeChat

# Every level has one second to take a case: a case climbs to the street in a few seconds.
SECONDS_POLICY = """\
levels: [grid, courtyard, community, street]
default: {start: grid, ack_within: 1s, resolve_within: 2s}
intents:
  emergency: {notify: [grid, courtyard, community], ack_within: 1s, resolve_within: 2s}
  dispute: {start: courtyard}
  elder_help: {ack_within: 20s, resolve_within: 20s}   # for tests that must not climb
"""
FAST = WorkerOptions(sweep_every=1, grace=1, backoff=(1, 1), wechat_timeout=0.5)
TEMPLATE_ID = "TPL-GRIDBOT-TEST"


class StubbedWeChat(NamedTuple):
    stub: StubWeChat
    settings: Settings  # the test's settings, with WECHAT_API_BASE pointing at the stub


@pytest.fixture
def wechat_stub(settings: Settings) -> Iterator[StubbedWeChat]:
    stub = StubWeChat()
    base = stub.start()
    try:
        yield StubbedWeChat(stub, settings.replace(wechat_api_base=base))
    finally:
        stub.stop()


@pytest.fixture
def stub(wechat_stub: StubbedWeChat) -> StubWeChat:
    return wechat_stub.stub


@pytest.fixture
def seconds_policy(tmp_path: Path) -> Path:
    path = tmp_path / "escalation.yaml"
    path.write_text(SECONDS_POLICY, encoding="utf-8")
    return path


@pytest.fixture
def worker_settings(wechat_stub: StubbedWeChat, seconds_policy: Path) -> Settings:
    return wechat_stub.settings.replace(
        escalation_path=seconds_policy, wechat_template_id=TEMPLATE_ID
    )


@contextmanager
def installed(settings: Settings, options: WorkerOptions) -> Iterator[WorkerContext]:
    """A context that jobs run in this process use while the block lasts."""
    context = WorkerContext.from_settings(settings, options)
    install(context)
    try:
        yield context
    finally:
        install(None)
        context.close()


@pytest.fixture
def ctx(
    worker_settings: Settings, db: Database, redis_conn: redis.Redis
) -> Iterator[WorkerContext]:
    """The context jobs run with in this process (burst SimpleWorkers, direct calls)."""
    with installed(worker_settings, FAST) as context:
        yield context
