"""The webhook through real HTTP: verification, the three modes, every message type,
retries and storage."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.simulator import Simulator
from cases.db import Database
from cases.models import InboundMessage
from tests.live import LiveServer, Phone

WELCOME_WORD = "欢迎关注"


def count_inbound(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(InboundMessage.id))) or 0)


def test_get_echoes_echostr_when_signed(live: LiveServer) -> None:
    sim = Simulator.from_settings(live.settings)
    import requests

    good = requests.get(f"{live.url}/wechat", params=sim.verify_params("abc123"), timeout=5)
    assert (good.status_code, good.text) == (200, "abc123")
    params = sim.verify_params("abc123") | {"signature": "0" * 40}
    bad = requests.get(f"{live.url}/wechat", params=params, timeout=5)
    assert bad.status_code == 403


def test_subscribe_gets_welcome_in_every_mode(live: LiveServer, mode: str, db: Database) -> None:
    phone = Phone(live, Simulator.from_settings(live.settings, mode), openid=f"oMODE{mode}")
    reply = phone.event("subscribe")
    assert WELCOME_WORD in reply
    assert count_inbound(db) == 1


def test_encrypted_message_gets_encrypted_reply(live: LiveServer) -> None:
    sim = Simulator.from_settings(live.settings, "safe")
    params, body = sim.signed(sim.event("oENC", "subscribe"))
    response = live.post(params, body)
    assert b"<Encrypt>" in response.content and WELCOME_WORD.encode() not in response.content
    assert WELCOME_WORD in sim.read_reply(response.content, params)


def test_quiet_events_answer_success_and_are_stored(phone: Phone, db: Database) -> None:
    for event in ("VIEW", "LOCATION", "TEMPLATESENDJOBFINISH", "unsubscribe"):
        assert phone.event(event) == ""
    assert count_inbound(db) == 4


def test_unknown_message_type_gets_polite_reply(phone: Phone) -> None:
    reply = phone.send_xml(phone.sim.message(phone.openid, "miniprogrampage", Title="x"))
    assert "暂时无法处理" in reply


def test_retry_of_same_msgid_gets_same_reply_and_stores_once(phone: Phone, db: Database) -> None:
    xml = phone.sim.event(phone.openid, "subscribe", create_time=1_700_000_000)
    first = phone.send_xml(xml)
    second = phone.send_xml(xml)
    assert first == second and WELCOME_WORD in first
    assert count_inbound(db) == 1


def test_concurrent_retries_store_once(phone: Phone, db: Database) -> None:
    xml = phone.sim.event(phone.openid, "subscribe", create_time=1_700_000_001)
    replies: list[str] = []
    threads = [
        threading.Thread(target=lambda: replies.append(phone.send_xml(xml))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 3 and len(set(replies)) == 1
    assert count_inbound(db) == 1


def test_health_reports_services(live: LiveServer) -> None:
    import requests

    response = requests.get(f"{live.url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redis": "ok", "database": "ok"}
