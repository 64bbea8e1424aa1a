"""The WeChat API stand-in itself: what the tests and the demo rely on."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from wxstub import StubWeChat


@pytest.fixture
def stub() -> Iterator[StubWeChat]:
    server = StubWeChat(appid="wxAPP", secret="s3cret")
    server.start()
    yield server
    server.stop()


def token(stub: StubWeChat) -> str:
    params = {"grant_type": "client_credential", "appid": "wxAPP", "secret": "s3cret"}
    answer = requests.get(f"{stub.base_url}token", params=params, timeout=5).json()
    assert answer["expires_in"] == 7200
    return str(answer["access_token"])


def send(stub: StubWeChat, access_token: str, touser: str = "oA") -> dict[str, object]:
    body = {"touser": touser, "msgtype": "text", "text": {"content": "你好"}}
    url = f"{stub.base_url}message/custom/send"
    response = requests.post(url, params={"access_token": access_token}, json=body, timeout=5)
    return dict(response.json())


def test_a_new_token_invalidates_the_older_one(stub: StubWeChat) -> None:
    assert stub.base_url.endswith("/cgi-bin/")
    first = token(stub)
    assert send(stub, first)["errcode"] == 0
    second = token(stub)
    assert send(stub, first)["errcode"] == 40001
    assert send(stub, second)["errcode"] == 0
    assert stub.token_refreshes == 2
    wrong = requests.get(
        f"{stub.base_url}token", params={"appid": "wxAPP", "secret": "nope"}, timeout=5
    ).json()
    assert wrong["errcode"] == 40013


def test_failures_can_be_injected_for_one_person(stub: StubWeChat) -> None:
    access_token = token(stub)
    stub.fail_next("message/custom/send", errcode=43004, openid="oB", times=2)
    assert send(stub, access_token, "oA")["errcode"] == 0
    assert send(stub, access_token, "oB")["errcode"] == 43004
    assert send(stub, access_token, "oB")["errcode"] == 43004
    assert send(stub, access_token, "oB")["errcode"] == 0
    stub.fail_next("message/custom/send", http_status=503)
    body = {"touser": "oA", "msgtype": "text", "text": {"content": "x"}}
    url = f"{stub.base_url}message/custom/send"
    response = requests.post(url, params={"access_token": access_token}, json=body, timeout=5)
    assert response.status_code == 503
    assert [c.touser for c in stub.messages()] == ["oA", "oB"]
    assert stub.messages("oB")[0].text == "你好"


def test_the_calls_page_lists_what_was_sent(stub: StubWeChat) -> None:
    send(stub, token(stub))
    root = stub.base_url.removesuffix("cgi-bin/")
    calls = requests.get(f"{root}_stub/calls", timeout=5).json()
    assert [c["path"] for c in calls] == ["token", "message/custom/send"]
    assert calls[1]["body"]["text"]["content"] == "你好"
    assert requests.get(f"{root}elsewhere", timeout=5).status_code == 404


def test_a_latency_makes_every_answer_wait() -> None:
    stub = StubWeChat(latency=0.2)
    base = stub.start()
    try:
        started = time.monotonic()
        answer = requests.get(f"{base}token", params={"grant_type": "client_credential"}, timeout=5)
        assert answer.json()["access_token"]
        assert time.monotonic() - started >= 0.2
    finally:
        stub.stop()
