"""WeChat's webhook protocol: who is calling (signature and freshness), and what they sent
(plaintext, compatible or safe mode), turned into a wechatpy message or a clear rejection.

wechatpy does the cryptography and the message classes; this module adds what it leaves out:
a replay window on the timestamp, and parsing that never lets a malformed body escape as a 500.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.utils import WeChatSigner

REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")


class Rejected(Exception):
    """A request we refuse: `status` is the HTTP answer, `reason` goes to the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Inbound:
    message: BaseMessage
    fields: dict[str, Any]  # the decrypted XML's fields, stored as the raw record
    encrypted: bool


def signature_of(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *extra)
    return str(signer.signature)


def verify_request(
    args: Mapping[str, str], token: str, window: int, now: float | None = None
) -> None:
    """The URL signature (sha1 of token, timestamp, nonce) and a timestamp within `window`
    seconds of our clock: wechatpy checks neither freshness nor in constant time."""
    signature = args.get("signature", "")
    timestamp = args.get("timestamp", "")
    nonce = args.get("nonce", "")
    if not (signature and timestamp and nonce):
        raise Rejected(403, "missing signature, timestamp or nonce")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Rejected(403, f"malformed timestamp {timestamp[:20]!r}")
    expected = signature_of(token, timestamp, nonce)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Rejected(403, "bad signature")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > window:
        raise Rejected(403, f"stale timestamp {timestamp} (replay?)")


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """The <xml> element's fields. xmltodict refuses entity declarations (billion laughs,
    external entities) with ValueError; expat raises ExpatError on broken XML."""
    if not body:
        raise Rejected(400, "empty body")
    try:
        document = xmltodict.parse(body)
    except (ExpatError, ValueError) as exc:
        raise Rejected(400, f"unparsable XML: {exc}") from None
    fields = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(fields, dict):
        raise Rejected(400, "no <xml> element with fields")
    return fields


def read_message(body: bytes, args: Mapping[str, str], crypto: WeChatCrypto | None) -> Inbound:
    """Decrypt when the URL says so (safe and compatible modes), then check the fields."""
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    outer = parse_xml(body)
    if encrypted:
        if crypto is None:
            raise Rejected(400, "encrypted message but no WECHAT_AES_KEY configured")
        if not isinstance(outer.get("Encrypt"), str):
            raise Rejected(400, "encrypted mode without an <Encrypt> field")
        try:
            plaintext = crypto.decrypt_message(
                outer, args.get("msg_signature", ""), args["timestamp"], args["nonce"]
            )
        except InvalidSignatureException:
            raise Rejected(403, "bad msg_signature") from None
        except InvalidAppIdException:
            raise Rejected(403, "message encrypted for another app id") from None
        except Exception as exc:  # noqa: BLE001 - any decryption failure is bad input
            raise Rejected(400, f"cannot decrypt: {type(exc).__name__}") from None
        fields = parse_xml(plaintext)
        source: bytes | str = plaintext
    else:
        fields, source = outer, body
    for name in REQUIRED_FIELDS:
        if not isinstance(fields.get(name), str) or not fields[name].strip():
            raise Rejected(400, f"missing or malformed field {name}")
    if not fields["CreateTime"].isdigit():
        raise Rejected(400, "CreateTime is not a number")
    msg_id = fields.get("MsgId")
    if msg_id is not None and not (isinstance(msg_id, str) and msg_id.isdigit()):
        raise Rejected(400, "MsgId is not a number")
    try:
        message = parse_message(source)
    except Exception as exc:  # noqa: BLE001 - wechatpy's field parsing on odd input
        raise Rejected(400, f"unreadable message: {type(exc).__name__}") from None
    return Inbound(message, fields, encrypted)


def dedup_key(inbound: Inbound) -> str:
    """WeChat's own retry identity: MsgId for messages, FromUserName + CreateTime for events
    (with the event and its key, so that two different clicks in one second stay two)."""
    fields = inbound.fields
    if fields.get("MsgId"):
        return f"m:{fields['MsgId']}"
    key = fields.get("EventKey") if isinstance(fields.get("EventKey"), str) else ""
    return f"e:{fields['FromUserName']}:{fields['CreateTime']}:{fields.get('Event', '')}:{key}"
