"""Which WeChat API failures are worth retrying, and which are not.

WeChat answers HTTP 200 with an `errcode`; the network and its proxies fail with timeouts and
5xx. Retrying mends the second kind and some of the first (-1 "system busy", rate limits), never
a user who does not follow the account or a closed customer-service window."""

from __future__ import annotations

from dataclasses import dataclass

import redis
import requests
from wechatpy.exceptions import WeChatClientException

# The access token was refused: the client refreshes it once and tries again.
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# Retrying cannot mend these: 40003 bad openid, 43004 not a follower, 45015 outside the 48 h
# customer-service window, 45047 too many customer-service messages, 40037 bad template id,
# 47001 malformed data, 43101 the user refused the message, 40007 bad or expired media id.
PERMANENT = frozenset({40003, 40007, 40037, 43004, 43101, 45015, 45047, 47001})
# A customer-service message refused for these is sent again as a template message.
FALLBACK_TO_TEMPLATE = frozenset({45015, 45047})


@dataclass(frozen=True)
class SendError:
    """What went wrong with one call, in the terms the workers decide on."""

    errcode: int | None
    detail: str
    permanent: bool

    @property
    def falls_back_to_template(self) -> bool:
        return self.errcode in FALLBACK_TO_TEMPLATE


def classify(exc: BaseException) -> SendError:
    """A SendError for an exception raised by a WeChat API call."""
    if isinstance(exc, WeChatClientException):
        response = getattr(exc, "response", None)
        if exc.errcode is None:
            status = getattr(response, "status_code", "?")
            return SendError(None, f"HTTP {status}", permanent=False)
        errcode = int(exc.errcode)
        return SendError(errcode, f"{errcode} {exc.errmsg}"[:500], errcode in PERMANENT)
    if isinstance(exc, requests.Timeout):
        return SendError(None, "timeout", permanent=False)
    if isinstance(exc, requests.RequestException):
        return SendError(None, f"network: {type(exc).__name__}", permanent=False)
    if isinstance(exc, redis.RedisError):
        return SendError(None, f"token store: {type(exc).__name__}", permanent=False)
    return SendError(None, f"{type(exc).__name__}: {exc}"[:500], permanent=False)
