"""Our WeChat client against the stand-in: one shared token in Redis, refreshed by one process
at a time and once per refusal, every request to WECHAT_API_BASE, failures classified."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis
import requests
from wechatpy.exceptions import WeChatClientException

from config.settings import Settings
from wxapi import GridbotWeChatClient, classify, make_client
from wxstub import StubWeChat


@pytest.fixture
def stub() -> Iterator[StubWeChat]:
    """The stand-in alone: these tests need no database (so they run once, not per database)."""
    server = StubWeChat()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stub_settings(stub: StubWeChat, redis_url: str) -> Settings:
    return Settings(redis_url=redis_url, wechat_api_base=stub.base_url)


def client(settings: Settings, conn: redis.Redis, prefix: str = "gridbot") -> GridbotWeChatClient:
    return make_client(settings.replace(queue_prefix=prefix), conn, timeout=0.5)


def test_the_token_comes_from_the_api_base_and_is_shared(
    stub_settings: Settings, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    first, second = client(stub_settings, redis_conn), client(stub_settings, redis_conn)
    first.send_text_message("oA", "一")
    second.send_text_message("oA", "二")
    assert [c.path for c in stub.calls] == ["token", "message/custom/send", "message/custom/send"]
    assert stub.calls[0].params["appid"] == stub_settings.wechat_app_id
    assert stub.token_refreshes == 1


def test_many_processes_needing_a_token_at_once_fetch_it_once(
    stub_settings: Settings, stub: StubWeChat, redis_url: str, redis_conn: redis.Redis
) -> None:
    clients = [client(stub_settings, redis.Redis.from_url(redis_url)) for _ in range(8)]
    start = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def send(c: GridbotWeChatClient) -> None:
        start.wait()
        try:
            c.send_text_message("oA", "同时")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert stub.token_refreshes == 1
    assert len(stub.messages("oA")) == 8


def test_a_token_knocked_out_elsewhere_is_refreshed_once(
    stub_settings: Settings, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    ours = client(stub_settings, redis_conn)
    ours.send_text_message("oA", "一")
    # Someone else (another deployment, a tool) fetched a token: ours is now invalid.
    client(stub_settings, redis_conn, prefix="elsewhere").send_text_message("oA", "二")
    ours.send_text_message("oA", "三")
    paths = [(c.path, c.errcode) for c in stub.calls]
    assert paths[-3:] == [("message/custom/send", 40001), ("token", 0), ("message/custom/send", 0)]
    assert stub.token_refreshes == 3


def test_a_token_refused_again_after_the_refresh_is_an_error_not_a_loop(
    stub_settings: Settings, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    ours = client(stub_settings, redis_conn)
    stub.fail_next("message/custom/send", errcode=42001, times=5)
    with pytest.raises(WeChatClientException) as caught:
        ours.send_text_message("oA", "一")
    assert caught.value.errcode == 42001
    assert stub.token_refreshes == 2  # the first token, and one refresh


@pytest.mark.parametrize(
    ("media_id", "content_type", "extension"),
    [
        ("photo-1", "image/jpeg", ".jpg"),
        ("voice-1", "audio/amr", ".amr"),
        ("video-1", "video/mp4", ".mp4"),
    ],
)
def test_media_download(
    stub_settings: Settings,
    redis_conn: redis.Redis,
    media_id: str,
    content_type: str,
    extension: str,
) -> None:
    media = client(stub_settings, redis_conn).download_media(media_id)
    assert (media.content_type, media.extension) == (content_type, extension)
    assert len(media.content) > 50


def test_failures_are_classified(
    stub_settings: Settings, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    ours = client(stub_settings, redis_conn)
    outcomes = []
    for kind in (dict(errcode=43004), dict(errcode=-1), dict(http_status=503), dict(delay=0.8)):
        stub.fail_next("message/template/send", **kind)  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises((WeChatClientException, requests.RequestException)) as caught:
            ours.send_template_message("oA", "T", {"first": {"value": "x"}}, None)
        assert time.monotonic() - started < 0.75  # the timeout holds
        error = classify(caught.value)
        outcomes.append((error.errcode, error.permanent))
    assert outcomes == [(43004, True), (-1, False), (None, False), (None, False)]
    with pytest.raises(WeChatClientException) as caught:
        ours.download_media("expired-1")
    assert classify(caught.value).permanent


def test_as_many_connections_are_kept_as_requests_run_at_once(
    stub: StubWeChat, stub_settings: Settings
) -> None:
    conn = redis.Redis.from_url(stub_settings.redis_url)
    wechat = make_client(stub_settings, conn, timeout=2, connections=24)
    failures: list[Exception] = []

    def send(openid: str) -> None:
        try:
            wechat.send_text_message(openid, "hi")
        except Exception as error:  # noqa: BLE001 - collected and shown by the assertion below
            failures.append(error)

    calls = [threading.Thread(target=send, args=(f"o{i}",)) for i in range(24)]
    stub.latency = 0.2  # all 24 in flight together
    for call in calls:
        call.start()
    for call in calls:
        call.join()
    assert failures == []
    pool = wechat._http.get_adapter(stub.base_url).poolmanager.connection_from_url(stub.base_url)
    assert pool.num_connections <= 24 + 1  # (+ the token request's)
    assert pool.pool.qsize() >= 20  # kept for the next burst, not dropped
    assert len(stub.messages()) == 24
