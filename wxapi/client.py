"""wechatpy's WeChatClient made safe for many processes.

- The access token lives in Redis (wechatpy's RedisStorage), so web and worker processes share
  one token instead of each fetching its own.
- Only one process refreshes it at a time, under a Redis lock, and only if the token it saw
  refused is still the stored one: every refresh invalidates the previous token, so processes
  refreshing in turn would keep knocking each other's token out (the classic 40001 storm).
- A token error (40001, 40014, 42001) refreshes once and repeats the call once; wechatpy's own
  auto-retry would loop for as long as WeChat keeps refusing.
- Every request, the token request included, goes to WECHAT_API_BASE with a short timeout
  (wechatpy writes the token URL in and sets no timeout on it).
"""

from __future__ import annotations

import mimetypes
import os
import time
from dataclasses import dataclass
from typing import Any

import redis
import requests
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from config.settings import Settings
from wxapi.errors import TOKEN_ERRORS

# The stored token disappears this long before WeChat's expiry, so nobody uses a dying token.
TOKEN_MARGIN = 300
PROXY_SETTINGS = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"})
LOCAL_TOKEN_TTL = 30.0
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Media:
    """A downloaded temporary media file (a resident's photo, voice note or video)."""

    content: bytes
    content_type: str

    @property
    def extension(self) -> str:
        kind = self.content_type.split(";")[0].strip().lower()
        known = {"image/jpeg": ".jpg", "audio/amr": ".amr", "audio/speex": ".speex"}
        return known.get(kind) or mimetypes.guess_extension(kind) or ".bin"


class GridbotWeChatClient(WeChatClient):
    """The WeChat API as the workers (and the dashboard, for media) use it."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        api_base: str,
        redis_conn: redis.Redis,
        prefix: str = "gridbot",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        storage = RedisStorage(redis_conn, prefix=f"{prefix}:wechat")
        super().__init__(appid, secret, session=storage, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base if api_base.endswith("/") else f"{api_base}/"
        self.redis = redis_conn
        self.lock_name = f"{prefix}:wechat:{appid}:token-lock"
        self.refreshes = 0  # tokens this instance fetched (tests and logs)
        _read_environment_once(self._http)
        self._local_token: tuple[str | None, float] = (None, 0.0)

    # -- the shared token ---------------------------------------------------------------

    @property
    def access_token(self) -> str:  # type: ignore[override]
        """The shared token; this process rereads it from Redis at most every LOCAL_TOKEN_TTL
        seconds (a token another process replaced meanwhile is answered with 40001, which
        rereads it at once)."""
        token, until = self._local_token
        if token and time.monotonic() < until:
            return token
        stored = self.session.get(self.access_token_key)
        token = str(stored) if stored else self.refresh_access_token(stale=None)
        self._local_token = (token, time.monotonic() + LOCAL_TOKEN_TTL)
        return token

    def refresh_access_token(self, stale: str | None) -> str:
        """A token other than `stale`: the one another process stored meanwhile, else a new one
        fetched by this process while it holds the lock."""
        lock = self.redis.lock(self.lock_name, timeout=3 * self.timeout + 5, blocking_timeout=None)
        if not lock.acquire(blocking=True, blocking_timeout=2 * self.timeout + 2):
            raise WeChatClientException(None, "timed out waiting for another token refresh")
        try:
            current = self.session.get(self.access_token_key)
            if not current or current == stale:
                current = self.fetch_access_token()["access_token"]
            self._local_token = (str(current), time.monotonic() + LOCAL_TOKEN_TTL)
            return str(current)
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                pass  # it expired meanwhile; nothing to release

    def fetch_access_token(self) -> dict[str, Any]:
        """GET {api_base}token; stores the token in Redis (call refresh_access_token instead)."""
        response = self._http.get(
            f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise WeChatClientException(None, None, client=self, response=response)
        try:
            result = response.json()
        except ValueError:
            raise WeChatClientException(None, "token answer is not JSON", client=self) from None
        if result.get("errcode"):
            raise WeChatClientException(
                int(result["errcode"]), result.get("errmsg", ""), client=self, response=response
            )
        expires_in = int(result.get("expires_in", 7200))
        ttl = max(expires_in - TOKEN_MARGIN, 60) if expires_in > 2 * TOKEN_MARGIN else expires_in
        self.session.set(self.access_token_key, result["access_token"], ttl)
        self.expires_at = int(time.time()) + ttl
        self.refreshes += 1
        return dict(result)

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        """One call with the shared token; a refused token is refreshed once, then retried."""
        params = dict(kwargs.pop("params", None) or {})
        token = self.access_token
        params["access_token"] = token
        try:
            return super()._request(method, url_or_endpoint, params=params, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        params["access_token"] = self.refresh_access_token(stale=token)
        return super()._request(method, url_or_endpoint, params=params, **kwargs)

    # -- what gridbot sends and fetches ---------------------------------------------------

    def send_template_message(
        self, openid: str, template_id: str, data: dict[str, dict[str, str]], url: str | None
    ) -> dict[str, Any]:
        return dict(self.message.send_template(openid, template_id, data, url=url))

    def send_text_message(self, openid: str, text: str) -> dict[str, Any]:
        """A customer-service text message (allowed within 48 h of the user's last message)."""
        return dict(self.message.send_text(openid, text))

    def download_media(self, media_id: str) -> Media:
        """A temporary media file by MediaId (media/get). For videos WeChat answers with a
        download URL instead of the bytes; that URL is fetched too."""
        result = self.media.download(media_id)
        if isinstance(result, dict):
            video_url = result.get("video_url") or result.get("down_url")
            if not video_url:
                raise WeChatClientException(None, f"unexpected media answer: {result}")
            result = self._http.get(video_url, timeout=self.timeout)
            if result.status_code >= 400:
                raise WeChatClientException(None, None, client=self, response=result)
        content_type = result.headers.get("Content-Type", "application/octet-stream")
        return Media(result.content, content_type)


def _read_environment_once(http: requests.Session) -> None:
    """requests rereads proxy and CA settings from the environment on every request, which
    costs more than the rest of a local request. Without proxy settings (whose NO_PROXY rules
    only requests applies), read the CA bundle once and stop looking."""
    if any(name.upper() in PROXY_SETTINGS for name in os.environ):
        return
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        http.verify = bundle
    http.trust_env = False


def make_client(
    settings: Settings,
    redis_conn: redis.Redis,
    timeout: float = DEFAULT_TIMEOUT,
    connections: int = 10,
) -> GridbotWeChatClient:
    """The client for `settings`, sharing its token through `redis_conn`; it keeps up to
    `connections` open to the API (as many as requests run at once: requests' default pool
    keeps 10, and a request beyond that opens and drops a connection of its own)."""
    client = GridbotWeChatClient(
        settings.wechat_app_id,
        settings.wechat_app_secret,
        api_base=settings.wechat_api_base,
        redis_conn=redis_conn,
        prefix=settings.queue_prefix,
        timeout=timeout,
    )
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(connections, 10))
    client._http.mount("http://", adapter)
    client._http.mount("https://", adapter)
    return client
