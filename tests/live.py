"""Test support: the app on a real HTTP server, and a WeChat user's phone that talks to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from werkzeug.serving import make_server

from bot.app import create_app
from bot.simulator import Simulator
from config.settings import Settings


@dataclass
class LiveServer:
    url: str
    settings: Settings

    def post(self, params: dict[str, str], body: bytes, **kw: object) -> requests.Response:
        return requests.post(f"{self.url}/wechat", params=params, data=body, timeout=10, **kw)


@contextmanager
def serving(settings: Settings) -> Iterator[LiveServer]:
    """The app built from `settings`, on a real werkzeug server in a thread."""
    app = create_app(settings, warm=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", settings)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["gridbot"].close()


@dataclass
class Phone:
    """One WeChat user talking to the live server in one protocol mode."""

    live: LiveServer
    sim: Simulator
    openid: str = "oRESIDENT0001"

    def send_xml(self, xml: str) -> str:
        params, body = self.sim.signed(xml)
        response = self.live.post(params, body)
        assert response.status_code == 200, response.text
        return self.sim.read_reply(response.content, params)

    def say(self, text: str, **kw: object) -> str:
        return self.send_xml(self.sim.text(self.openid, text, **kw))

    def event(self, event: str, key: str = "") -> str:
        return self.send_xml(self.sim.event(self.openid, event, key))


# Debian's Chromium, headless, as the browser tests and docs/screenshots.py drive it.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
