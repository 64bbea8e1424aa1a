"""Our client of the WeChat official-account API: wechatpy's client with the access token
shared through Redis, refreshed by one process at a time, and pointed at WECHAT_API_BASE (so a
local stand-in, wxstub, can play WeChat in tests and the demo)."""

from wxapi.client import GridbotWeChatClient, Media, make_client
from wxapi.errors import (
    FALLBACK_TO_TEMPLATE,
    PERMANENT,
    TOKEN_ERRORS,
    SendError,
    classify,
)

__all__ = [
    "FALLBACK_TO_TEMPLATE",
    "PERMANENT",
    "TOKEN_ERRORS",
    "GridbotWeChatClient",
    "Media",
    "SendError",
    "classify",
    "make_client",
]
