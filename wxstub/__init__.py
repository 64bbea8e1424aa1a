"""A local stand-in for WeChat's official-account API, for tests and the demo.

`StubWeChat().start()` serves token, message/custom/send, message/template/send and media/get
on 127.0.0.1 and returns the base URL to use as WECHAT_API_BASE; it records every call and
can be told to fail. `python -m wxstub --port N` runs it alone."""

from wxstub.server import Call, StubWeChat

__all__ = ["Call", "StubWeChat"]
