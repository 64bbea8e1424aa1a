"""The webhook through real HTTP: verification, the three modes, every message type,
retries and storage."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from sqlalchemy import func, select

from bot.dedup import PENDING
from bot.simulator import Simulator
from cases import lifecycle
from cases.db import Database
from cases.lifecycle import NewCase
from cases.models import InboundMessage, Resident
from config.settings import Settings
from handlers.turn import Context
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


def test_events_of_one_second_stay_apart_and_fit_their_key(phone: Phone, db: Database) -> None:
    """A VIEW's key is the whole URL clicked (an OAuth link runs to hundreds of characters)
    and delivery receipts of one second differ only by their MsgID: each is its own row, with
    a dedup key that fits its column (PostgreSQL refuses a longer one)."""
    oauth = (
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1234567890abcdef"
        "&redirect_uri=https%3A%2F%2Fgrid.example.gov.cn%2Fh5%2Fcases%3Ffrom%3Dmenu%26x%3D"
        + "y" * 120
        + "&response_type=code&scope=snsapi_base&state=STATE#wechat_redirect"
    )
    second = 1_700_000_000
    sent = [
        phone.sim.event(phone.openid, "VIEW", oauth, create_time=second),
        phone.sim.event(phone.openid, "VIEW", oauth + "&other", create_time=second),
        phone.sim.event(phone.openid, "TEMPLATESENDJOBFINISH", create_time=second, MsgID="201"),
        phone.sim.event(phone.openid, "TEMPLATESENDJOBFINISH", create_time=second, MsgID="202"),
    ]
    for xml in sent:
        assert phone.send_xml(xml) == ""
    with db.session() as session:
        keys = session.scalars(select(InboundMessage.dedup_key)).all()
    assert len(set(keys)) == 4
    width = InboundMessage.__table__.c.dedup_key.type.length
    assert all(len(key) <= width for key in keys), keys


def test_a_reply_quoting_cdata_end_is_still_xml(phone: Phone) -> None:
    """A resident's words quoted back in a reply may hold "]]>", which ends a CDATA section."""
    opened = phone.say("铝厂小区3号楼楼道灯坏了]]>快修")
    assert "工单" in opened
    assert "灯坏了]]>快修" in phone.say("查询")  # read_reply parsed the XML, decrypted


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


def test_retry_whose_reply_missed_redis_is_answered_from_the_database(
    phone: Phone, db: Database, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first try committed but its reply never reached Redis (the claim still says
    pending): the retry waits, then takes the stored reply, without running the
    conversation a second time."""
    from handlers import registry

    xml = phone.sim.text(phone.openid, "铝厂小区3号楼楼道灯坏了", msg_id=4242)
    first = phone.send_xml(xml)
    assert "工单" in first
    (claim,) = redis_conn.keys(f"{phone.live.settings.queue_prefix}:inbound:*")
    redis_conn.set(claim, PENDING)
    registry.load()
    ran: list[str] = []
    monkeypatch.setitem(registry.ROUTES, ("builtin", "classify"), lambda *a: ran.append("again"))
    assert phone.send_xml(xml) == first
    assert ran == []
    assert count_inbound(db) == 1


def test_a_failing_turn_leaves_the_dialogue_as_it_was(
    phone: Phone, redis_conn: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialogue is written with the turn's commit: a turn rolled back changes neither."""
    from handlers import registry

    assert "哪个小区" in phone.say("楼道灯坏了")  # the dialogue asks where
    key = f"{phone.live.settings.queue_prefix}:dialogue:{phone.openid}"
    before = redis_conn.get(key)
    assert before is not None

    def broken(ctx: Context, turn: object) -> None:
        ctx.dialogue.clear()
        raise RuntimeError("bug")  # after changing the dialogue

    registry.load()
    monkeypatch.setitem(registry.ROUTES, ("step", "ask_address"), broken)
    assert "系统刚才出了点问题" in phone.say("铝厂小区3号楼")
    assert redis_conn.get(key) == before


def test_a_turn_waits_for_the_residents_turn_before_it(
    phone: Phone, redis_conn: redis.Redis
) -> None:
    """A lock on the sender's turn (here: of a process that died holding it) holds the next
    message back until it is free; a turn gives its lock back when it is done."""
    key = f"{phone.live.settings.queue_prefix}:turn:{phone.openid}"
    redis_conn.set(key, "someone-else", px=600)
    started = time.monotonic()
    assert WELCOME_WORD in phone.event("subscribe")
    assert time.monotonic() - started >= 0.5
    assert redis_conn.get(key) is None
    started = time.monotonic()
    assert phone.say("你好")
    assert time.monotonic() - started < 0.5  # the next one does not wait
    assert redis_conn.get(key) is None


def test_health_reports_services(live: LiveServer) -> None:
    import requests

    response = requests.get(f"{live.url}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redis": "ok", "database": "ok"}


MESSAGES = {
    "text": {"Content": "你好"},
    "voice": {"MediaId": "V1", "Format": "amr", "Recognition": ""},
    "image": {"MediaId": "I1", "PicUrl": "http://example.invalid/i.jpg"},
    "video": {"MediaId": "VD1", "ThumbMediaId": "T1"},
    "shortvideo": {"MediaId": "SV1", "ThumbMediaId": "T2"},
    "location": {"Location_X": "34.7", "Location_Y": "113.6", "Scale": "15", "Label": "x"},
    "link": {"Title": "社区通知", "Description": "d", "Url": "http://example.invalid/"},
}
EVENTS = {
    "subscribe": "",
    "unsubscribe": "",
    "CLICK": "REPORT",
    "VIEW": "http://example.invalid/",
    "SCAN": "123",
    "LOCATION": "",
}


def test_every_message_type_is_stored_and_answered(phone: Phone, db: Database) -> None:
    for msg_type, fields in MESSAGES.items():
        reply = phone.send_xml(phone.sim.message(phone.openid, msg_type, **fields))
        assert reply, f"{msg_type} got no reply"
    for event, key in EVENTS.items():
        phone.event(event, key)
    with db.session() as session:
        rows = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
        assert [r.msg_type for r in rows] == list(MESSAGES) + ["event"] * len(EVENTS)
        assert [r.event for r in rows[len(MESSAGES) :]] == [e.lower() for e in EVENTS]
        assert all(r.reply is not None for r in rows)
        assert rows[0].raw["Content"] == "你好"


def test_menu_click_answers_with_help(phone: Phone) -> None:
    assert "请直接描述问题" in phone.event("CLICK", "REPORT")
    assert "暂不可用" in phone.event("CLICK", "NO_SUCH_KEY")


def test_failing_conversation_still_stores_the_message(
    phone: Phone, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in a conversation: the resident gets an apology, the message is kept, and the
    conversation's half-made changes are rolled back."""
    from cases.models import Case
    from handlers import registry

    def broken(ctx: Context, turn: object) -> None:
        lifecycle.open_case(ctx.session, ctx.policy, ctx.resident, NewCase("repair", "半截", None))
        raise RuntimeError("bug")  # after a half-made case

    registry.load()
    monkeypatch.setitem(registry.ROUTES, ("intent", "repair"), broken)
    reply = phone.say("铝厂小区3号楼楼道灯坏了")
    assert "系统刚才出了点问题" in reply
    with db.session() as session:
        assert session.scalars(select(Case)).all() == []
        message = session.scalars(select(InboundMessage)).one()
        assert message.reply == reply
        # The resident still counts as having written (WeChat's 48-hour window is open).
        resident = session.scalars(select(Resident)).one()
        assert resident.last_message_at is not None


def test_the_webhook_opens_no_cookie_session(settings: Settings) -> None:
    """WeChat sends no cookies: no session is opened for it; the dashboard's pages have one."""
    from flask import request

    from bot.app import create_app

    app = create_app(settings, warm=False)
    try:
        with app.test_request_context("/wechat", method="POST"):
            assert app.session_interface.open_session(app, request) is None
        with app.test_request_context("/admin/login"):
            assert app.session_interface.open_session(app, request) is not None
    finally:
        app.extensions["gridbot"].close()


def test_a_reply_too_long_for_wechat_is_cut_not_refused(settings: Settings) -> None:
    """Lists stop short of WeChat's 2048 bytes themselves; anything else that grew past them
    is cut at a character, so the resident reads most of it rather than an error."""
    import xmltodict

    from bot import webhook
    from bot.app import create_app
    from bot.protocol import read_message

    app = create_app(settings, warm=False)
    sim = Simulator.from_settings(settings, "plain")
    try:
        with app.test_request_context("/wechat", method="POST"):
            params, body = sim.signed(sim.text("oLONG", "查询"))
            inbound = read_message(body, params, None)
            response = webhook._render(inbound, "很长的回复" * 300)
        content = xmltodict.parse(response.get_data())["xml"]["Content"]
        assert len(content.encode()) <= webhook.REPLY_BYTES and content.endswith("…")
        assert content.startswith("很长的回复很长的回复")
    finally:
        app.extensions["gridbot"].close()
