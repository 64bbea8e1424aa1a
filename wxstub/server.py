"""The stand-in's HTTP server: http.server's ThreadingHTTPServer in a background thread
(light, so that it leaves the CPU to the workers under load, and keep-alive as WeChat's).

It behaves like WeChat where gridbot depends on it: a token request issues a new token and
invalidates the older ones (after `token_overlap` seconds), every API call needs a valid token
(else 40001), and failures can be injected per path (an errcode, an HTTP status, a delay that
outlasts the client's timeout), optionally only for one openid."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from wxstub.media import media_body, media_kind

API_PREFIX = "/cgi-bin/"
MESSAGE_PATHS = ("message/custom/send", "message/template/send")


@dataclass
class Call:
    """One request the stand-in answered, as the tests and the demo page see it."""

    at: float
    method: str
    path: str  # relative to /cgi-bin/, e.g. "message/template/send"
    params: dict[str, str]
    body: Any
    status: int
    errcode: int
    touser: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.errcode == 0

    @property
    def text(self) -> str:
        """The readable content of a message: a text message's content, or a template's values."""
        if not isinstance(self.body, dict):
            return ""
        if "text" in self.body:
            return str(self.body["text"].get("content", ""))
        data = self.body.get("data") or {}
        return "\n".join(str(item.get("value", "")) for item in data.values())


@dataclass
class _Failure:
    path: str
    times: int
    errcode: int | None = None
    http_status: int | None = None
    delay: float = 0.0
    openid: str | None = None


@dataclass
class _Tokens:
    issued: list[tuple[str, float]] = field(default_factory=list)  # (token, superseded at)

    def issue(self, now: float) -> str:
        token = f"stubtoken-{secrets.token_hex(12)}"
        if self.issued:
            last, _ = self.issued[-1]
            self.issued[-1] = (last, now)
        self.issued.append((token, float("inf")))
        del self.issued[:-50]
        return token

    def valid(self, token: str | None, now: float, overlap: float) -> bool:
        return any(t == token and now < superseded + overlap for t, superseded in self.issued)


class StubWeChat:
    """A local WeChat API. `start()` returns the base URL (ending with "cgi-bin/")."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        appid: str | None = None,
        secret: str | None = None,
        token_overlap: float = 0.0,
        latency: float = 0.0,
    ) -> None:
        self.host = host
        # Seconds every API answer takes, as WeChat's servers do from afar (benchmarks).
        self.latency = latency
        self.port = port
        self.appid = appid
        self.secret = secret
        self.token_overlap = token_overlap
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._tokens = _Tokens()
        self._in_flight: list[tuple[str, str | None]] = []
        self.token_refreshes = 0
        self._msgid = 1000
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------

    def start(self) -> str:
        self._server = self._make_server()
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05), name="wxstub", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread (`python -m wxstub`)."""
        self._server = self._make_server()
        self._server.serve_forever()

    def _make_server(self) -> _Server:
        stub = self

        class Handler(_Handler):
            pass

        Handler.stub = stub
        server = _Server((self.host, self.port), Handler)
        self.port = server.server_address[1]
        return server

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    # -- what tests ask ---------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def messages(self, openid: str | None = None, *, ok: bool = True) -> list[Call]:
        """Message sends (template and customer-service), successful ones by default."""
        return [
            c
            for c in self.calls
            if c.path in MESSAGE_PATHS
            and (openid is None or c.touser == openid)
            and (not ok or c.ok)
        ]

    def in_flight(self) -> list[tuple[str, str | None]]:
        """(path, touser) of requests being held by an injected delay right now."""
        with self._lock:
            return list(self._in_flight)

    def fail_next(
        self,
        path: str,
        errcode: int | None = None,
        *,
        times: int = 1,
        http_status: int | None = None,
        delay: float = 0.0,
        openid: str | None = None,
    ) -> None:
        """Make the next `times` calls of `path` (for `openid` only, if given) fail: answer
        `errcode`, or HTTP `http_status`, after `delay` seconds (a delay alone is a timeout)."""
        with self._lock:
            self._failures.append(
                _Failure(path.strip("/"), times, errcode, http_status, delay, openid)
            )

    def clear(self) -> None:
        """Forget recorded calls and pending failures (tokens stay valid)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()

    # -- the HTTP side ----------------------------------------------------------------------

    def handle(self, method: str, target: str, raw: bytes) -> _Reply:
        """The answer to one request (called by the HTTP handler's threads)."""
        url = urlsplit(target)
        if url.path == "/_stub/calls":
            return _json([asdict(c) for c in self.calls])
        if url.path.startswith("/_stub/video/"):
            return _Reply(200, *reversed(media_body("video")))
        if not url.path.startswith(API_PREFIX):
            return _Reply(404, "text/plain", b"not found")
        path = url.path[len(API_PREFIX) :].strip("/")
        params = dict(parse_qsl(url.query))
        body = _body(raw)
        touser = body.get("touser") if isinstance(body, dict) else None
        failure = self._take_failure(path, touser)
        if self.latency:
            time.sleep(self.latency)
        if failure is not None and failure.delay:
            waiting = (path, touser)
            with self._lock:
                self._in_flight.append(waiting)
            time.sleep(failure.delay)
            with self._lock:
                self._in_flight.remove(waiting)
        if failure is not None and (failure.http_status or failure.errcode is not None):
            status = failure.http_status or 200
            errcode = failure.errcode if failure.errcode is not None else -1
            self._record(method, path, params, body, status, errcode, touser)
            if status != 200:
                return _Reply(status, "text/plain", b"upstream error")
            return _json({"errcode": errcode, "errmsg": f"injected error {errcode}"})
        errcode, reply = self._answer(path, params)
        self._record(method, path, params, body, reply.status, errcode, touser)
        return reply

    def _answer(self, path: str, params: dict[str, str]) -> tuple[int, _Reply]:
        now = time.time()
        if path == "token":
            if (self.appid and params.get("appid") != self.appid) or (
                self.secret and params.get("secret") != self.secret
            ):
                return 40013, _json({"errcode": 40013, "errmsg": "invalid appid"})
            with self._lock:
                token = self._tokens.issue(now)
                self.token_refreshes += 1
            return 0, _json({"access_token": token, "expires_in": 7200})
        token = params.get("access_token")
        if not token:
            return 41001, _json({"errcode": 41001, "errmsg": "access_token missing"})
        with self._lock:
            valid = self._tokens.valid(token, now, self.token_overlap)
        if not valid:
            return 40001, _json({"errcode": 40001, "errmsg": "invalid credential"})
        if path == "media/get":
            kind = media_kind(params.get("media_id", ""))
            if kind == "expired":
                return 40007, _json({"errcode": 40007, "errmsg": "invalid media_id"})
            if kind == "video":
                url = f"http://{self.host}:{self.port}/_stub/video/{params.get('media_id', '')}"
                return 0, _json({"video_url": url})
            content, content_type = media_body(kind)
            return 0, _Reply(200, content_type, content)
        if path == "message/template/send":
            with self._lock:
                self._msgid += 1
                msgid = self._msgid
            return 0, _json({"errcode": 0, "errmsg": "ok", "msgid": msgid})
        return 0, _json({"errcode": 0, "errmsg": "ok"})

    def _take_failure(self, path: str, touser: str | None) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.path == path and failure.openid in (None, touser):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def _record(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: Any,
        status: int,
        errcode: int,
        touser: str | None,
    ) -> None:
        call = Call(time.time(), method, path, params, body, status, errcode, touser)
        with self._lock:
            self._calls.append(call)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections (the
    # client then waits a second to retry), which no real API front end does.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout we injected) is not an error worth a traceback."""


@dataclass(frozen=True)
class _Reply:
    status: int
    content_type: str
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; no access log (the URLs carry the access token)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once, not 40 ms apart
    stub: StubWeChat

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve(b"")

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length) if length else b"")

    def _serve(self, raw: bytes) -> None:
        reply = self.stub.handle(self.command, self.path, raw)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        pass


def _body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _json(data: Any) -> _Reply:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return _Reply(200, "application/json; charset=utf-8", body)
