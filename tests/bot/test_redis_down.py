"""Redis down while residents write: they still get a case number, the case is stored with
its dispatch owed (for the sweeper), a retry is still recognised, and /healthz says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bot.embedded_redis import EmbeddedRedis
from bot.simulator import Simulator
from cases.db import Database
from cases.models import Case, InboundMessage
from config.settings import Settings
from tests.live import LiveServer, Phone, serving


@pytest.fixture
def lonely_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis", persist=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_without_redis(
    settings: Settings, db: Database, lonely_redis: EmbeddedRedis
) -> Iterator[LiveServer]:
    with serving(settings.replace(redis_url=lonely_redis.url)) as server:
        lonely_redis.stop()
        yield server


def test_report_is_stored_and_answered_without_redis(
    live_without_redis: LiveServer, db: Database
) -> None:
    phone = Phone(live_without_redis, Simulator.from_settings(live_without_redis.settings))
    xml = phone.sim.text(phone.openid, "铝厂小区3号楼楼道灯坏了", msg_id=777)
    reply = phone.send_xml(xml)
    assert "工单号" in reply
    assert phone.send_xml(xml) == reply  # the database recognises the retry
    with db.session() as session:
        case = session.scalars(select(Case)).one()
        assert case.dispatched_stage < case.stage  # owed: the sweeper will dispatch it
        inbound = session.scalars(select(InboundMessage)).one()
        assert inbound.reply == reply and inbound.case_id == case.id


def test_health_is_503_without_redis(live_without_redis: LiveServer) -> None:
    response = requests.get(f"{live_without_redis.url}/healthz", timeout=5)
    assert response.status_code == 503
    assert response.json()["redis"] == "down"
