"""Bad input through real HTTP: a clear status, a log line, and nothing changed."""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from bot.simulator import Simulator
from cases.db import Database
from config.settings import Settings
from tests.bot.test_webhook import count_inbound
from tests.live import LiveServer, Phone, serving

# A well-formed message's head (text, MsgId 77) for bodies that go wrong further in.
HEAD = (
    b"<xml><ToUserName>gh_gridbot_demo</ToUserName><FromUserName>oBAD</FromUserName>"
    b"<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><MsgId>77</MsgId>"
)


@pytest.fixture
def sim(live: LiveServer) -> Simulator:
    return Simulator.from_settings(live.settings, "plain")


def test_wrong_signature_is_403(
    live: LiveServer, sim: Simulator, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    params, body = sim.signed(sim.event("oBAD", "subscribe"))
    params["signature"] = "f" * 40
    with caplog.at_level(logging.WARNING):
        assert live.post(params, body).status_code == 403
    assert "bad signature" in caplog.text
    assert count_inbound(db) == 0


def test_stale_timestamp_is_403(live: LiveServer, sim: Simulator, db: Database) -> None:
    params, body = sim.signed(sim.event("oBAD", "subscribe"), timestamp=int(time.time()) - 301)
    assert live.post(params, body).status_code == 403
    params, body = sim.signed(sim.event("oBAD", "subscribe"), timestamp=int(time.time()) + 400)
    assert live.post(params, body).status_code == 403
    assert count_inbound(db) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<xml><MsgType>text",
        b"not xml at all",
        b"<xml/>",
        b"<xml><ToUserName>a</ToUserName></xml>",
        b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
        b"<CreateTime>x</CreateTime><MsgType>text</MsgType></xml>",
        b'<?xml version="1.0" encoding="no-such-codec"?>' + HEAD + b"<Content>hi</Content></xml>",
        HEAD + b"<Content>" + b"<a>" * 5000 + b"x" + b"</a>" * 5000 + b"</Content></xml>",
        HEAD.replace(b"1700000000", "\u00b2".encode()) + b"</xml>",
        HEAD.replace(b"1700000000", b"9" * 5000) + b"</xml>",
        HEAD.replace(b"<MsgId>77", b"<MsgId>" + b"7" * 200) + b"</xml>",
        HEAD.replace(b"oBAD", b"o" * 65) + b"</xml>",
        HEAD + b"<MediaId>" + b"m" * 257 + b"</MediaId></xml>",
    ],
    ids=[
        "empty",
        "broken",
        "text",
        "empty-xml",
        "missing-fields",
        "bad-time",
        "unknown-encoding",
        "deep-nesting",
        "superscript-time",
        "huge-time",
        "huge-msgid",
        "long-openid",
        "long-media-id",
    ],  # fmt: skip
)
def test_broken_bodies_are_400(live: LiveServer, sim: Simulator, db: Database, body: bytes) -> None:
    params, _ = sim.signed(sim.event("oBAD", "subscribe"))
    assert live.post(params, body).status_code == 400
    assert count_inbound(db) == 0


def test_entity_tricks_are_400_fast(live: LiveServer, sim: Simulator, db: Database) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">' for i in range(8)
        )
        + "]><xml><Content>&a7;</Content></xml>"
    )
    external = (
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>'
    )
    for body in (laughs, external):
        params, _ = sim.signed(sim.event("oBAD", "subscribe"))
        started = time.monotonic()
        response = live.post(params, body.encode())
        assert response.status_code == 400 and "root:" not in response.text
        assert time.monotonic() - started < 1.0
    assert count_inbound(db) == 0


def test_huge_body_is_413(live: LiveServer, sim: Simulator, db: Database) -> None:
    params, _ = sim.signed(sim.event("oBAD", "subscribe"))
    body = sim.text("oBAD", "很" * 30_000).encode()
    assert len(body) > 64 * 1024
    assert live.post(params, body).status_code == 413
    assert count_inbound(db) == 0


def test_safe_mode_with_bad_msg_signature_is_403(live: LiveServer, db: Database) -> None:
    sim = Simulator.from_settings(live.settings, "safe")
    params, body = sim.signed(sim.event("oBAD", "subscribe"))
    params["msg_signature"] = "0" * 40
    assert live.post(params, body).status_code == 403
    assert count_inbound(db) == 0


def test_safe_mode_with_an_unknown_encoding_is_400(live: LiveServer, db: Database) -> None:
    """The outer envelope is parsed before msg_signature can be checked."""
    sim = Simulator.from_settings(live.settings, "safe")
    params, _ = sim.signed(sim.event("oBAD", "subscribe"))
    body = b'<?xml version="1.0" encoding="no-such-codec"?><xml><Encrypt>x</Encrypt></xml>'
    assert live.post(params, body).status_code == 400
    assert count_inbound(db) == 0


def test_safe_mode_with_garbage_ciphertext_is_400(live: LiveServer, db: Database) -> None:
    sim = Simulator.from_settings(live.settings, "safe")
    params, _ = sim.signed(sim.event("oBAD", "subscribe"))
    from bot.protocol import signature_of

    encrypt = "bm90IHJlYWxseSBlbmNyeXB0ZWQ="
    params["msg_signature"] = signature_of(
        live.settings.wechat_token, params["timestamp"], params["nonce"], encrypt
    )
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    assert live.post(params, body).status_code == 400
    assert count_inbound(db) == 0


@examples(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.binary(max_size=2048),
    query=st.dictionaries(
        st.sampled_from(["signature", "timestamp", "nonce", "encrypt_type", "msg_signature", "x"]),
        st.text(max_size=50),
        max_size=6,
    ),
)
def test_generated_garbage_never_500(live: LiveServer, body: bytes, query: dict[str, str]) -> None:
    response = live.post(query, body)
    assert response.status_code in (400, 403, 413)
    assert "Traceback" not in response.text


@examples(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(max_size=1024))
def test_generated_bodies_with_valid_signature_never_500(live: LiveServer, body: str) -> None:
    sim = Simulator.from_settings(live.settings, "plain")
    params, _ = sim.signed("<xml><FromUserName>x</FromUserName></xml>")
    response = live.post(params, body.encode())
    assert response.status_code in (200, 400, 413)
    assert "Traceback" not in response.text


def test_plaintext_is_403_when_only_encrypted_messages_are_accepted(
    settings: Settings, db: Database, redis_conn: object
) -> None:
    """WECHAT_ENCRYPTED_ONLY: a plaintext body (which the URL's signature does not cover) is
    refused; safe mode, whose msg_signature covers the body, is answered."""
    with serving(settings.replace(wechat_encrypted_only=True)) as live:
        plain = Simulator.from_settings(live.settings, "plain")
        params, body = plain.signed(plain.text("oFORGED", "接单"))
        assert live.post(params, body).status_code == 403
        assert count_inbound(db) == 0
        assert "欢迎" in Phone(live, Simulator.from_settings(live.settings, "safe")).event(
            "subscribe"
        )
