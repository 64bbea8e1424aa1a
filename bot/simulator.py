"""Playing WeChat's server: build, sign and (in safe mode) encrypt the XML it would send, and
read the reply. Used by the tests, the benchmark, and `python -m bot.simulator "text"` to try
the demo as a resident."""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.protocol import cdata_safe, signature_of
from config.settings import Settings

ACCOUNT = "gh_gridbot_demo"
_ids = itertools.count(random.randrange(10**15, 10**16))


@dataclass
class Simulator:
    token: str
    app_id: str
    aes_key: str | None = None
    mode: str = "plain"  # plain, compat, safe
    clock: Any = field(default=time.time)

    @classmethod
    def from_settings(cls, settings: Settings, mode: str = "plain") -> Simulator:
        return cls(settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key, mode)

    # -- messages -------------------------------------------------------------------------
    def message(
        self,
        openid: str,
        msg_type: str,
        *,
        msg_id: int | None = None,
        create_time: int | None = None,
        **fields: str,
    ) -> str:
        """The plaintext XML of one message; events get no MsgId."""
        parts = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": str(create_time or int(self.clock())),
            "MsgType": msg_type,
        }
        parts.update(fields)
        if msg_type != "event":
            parts["MsgId"] = str(msg_id if msg_id is not None else next(_ids))
        body = "".join(
            f"<{k}><![CDATA[{cdata_safe(str(v))}]]></{k}>"
            if not str(v).isdigit()
            else f"<{k}>{escape(str(v))}</{k}>"
            for k, v in parts.items()
        )
        return f"<xml>{body}</xml>"

    def text(self, openid: str, content: str, **kw: Any) -> str:
        return self.message(openid, "text", Content=content, **kw)

    def event(self, openid: str, event: str, key: str = "", **kw: Any) -> str:
        extra = {"EventKey": key} if key else {}
        return self.message(openid, "event", Event=event, **extra, **kw)

    # -- the HTTP request -----------------------------------------------------------------
    def signed(
        self, xml: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Query parameters and body as WeChat would POST them in this simulator's mode."""
        ts = str(timestamp if timestamp is not None else int(self.clock()))
        nonce = nonce or str(random.randrange(10**8, 10**9))
        params = {
            "signature": signature_of(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": _openid_of(xml),
        }
        if self.mode == "plain":
            return params, xml.encode()
        crypto = self._crypto()
        envelope = xmltodict.parse(crypto.encrypt_message(xml, nonce, ts))["xml"]
        params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        if self.mode == "safe":
            body = (
                f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
            )
        else:  # compatible mode: plaintext fields and the Encrypt field together
            body = xml.replace(
                "</xml>", f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
            )
        return params, body.encode()

    def verify_params(self, echostr: str = "hello") -> dict[str, str]:
        ts, nonce = str(int(self.clock())), "12345"
        return {
            "signature": signature_of(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }

    def read_reply(self, body: bytes | str, params: Mapping[str, str]) -> str:
        """The text of a reply; "" for "success" or an empty body."""
        text = body.decode() if isinstance(body, bytes) else body
        if text in ("", "success"):
            return ""
        fields = xmltodict.parse(text)["xml"]
        if "Encrypt" in fields:
            plain = self._crypto().decrypt_message(
                text, fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
            )
            fields = xmltodict.parse(plain)["xml"]
        return str(fields.get("Content") or "")

    def _crypto(self) -> WeChatCrypto:
        if not self.aes_key:
            raise ValueError("encrypted modes need an AES key")
        return WeChatCrypto(self.token, self.aes_key, self.app_id)


def _openid_of(xml: str) -> str:
    return str(xmltodict.parse(xml)["xml"]["FromUserName"])


def main() -> None:
    """Send one message to a running gridbot as a resident and print the reply."""
    import requests

    parser = argparse.ArgumentParser(prog="python -m bot.simulator")
    parser.add_argument("text", help="what the resident says")
    parser.add_argument("--openid", default="oDEMORESIDENT1")
    parser.add_argument("--mode", choices=["plain", "compat", "safe"], default="safe")
    args = parser.parse_args()
    settings = Settings.from_env()
    sim = Simulator.from_settings(settings, args.mode)
    params, body = sim.signed(sim.text(args.openid, args.text))
    response = requests.post(f"{settings.public_url}/wechat", params=params, data=body, timeout=10)
    print(sim.read_reply(response.content, params) or f"({response.status_code} {response.text})")


if __name__ == "__main__":
    main()
