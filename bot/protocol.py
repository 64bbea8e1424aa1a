"""WeChat's webhook protocol: who is calling (signature and freshness), and what they sent
(plaintext, compatible or safe mode), turned into a wechatpy message or a clear rejection.

wechatpy does the cryptography and the message classes; this module adds what it leaves out:
a replay window on the timestamp, and parsing that never lets a malformed body escape as a 500.
"""

from __future__ import annotations

import hashlib
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

from cases.models import InboundMessage, column_width

REQUIRED_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# Fields stored in columns of a fixed width: WeChat's own are far shorter (an openid has 28
# characters), and longer ones would fail the INSERT on PostgreSQL after the conversation ran.
_MESSAGES = InboundMessage.__table__.c
FIELD_WIDTHS = {
    "FromUserName": column_width(_MESSAGES.openid),
    "MediaId": column_width(_MESSAGES.media_id),
}


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


def cdata_safe(text: str) -> str:
    """`text` ready to sit inside <![CDATA[ … ]]>, as wechatpy puts a reply's content: a "]]>"
    in it (a resident's words quoted back) would end the section early and break the XML."""
    return text.replace("]]>", "]]]]><![CDATA[>")


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
    external entities) with ValueError; expat raises ExpatError on broken XML and LookupError
    on an encoding it does not know."""
    if not body:
        raise Rejected(400, "empty body")
    try:
        document = xmltodict.parse(body)
    except (ExpatError, ValueError, LookupError) as exc:
        raise Rejected(400, f"unparsable XML: {exc}") from None
    fields = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(fields, dict):
        raise Rejected(400, "no <xml> element with fields")
    if _depth(fields) > MAX_DEPTH:
        raise Rejected(400, f"fields nested deeper than {MAX_DEPTH}")
    return fields


# WeChat's deepest fields (a menu's photo list: SendPicsInfo > PicList > item > PicMd5Sum) are
# four levels down; thousands of levels would overflow the recursion of whatever reads them.
MAX_DEPTH = 8


def _depth(value: object) -> int:
    """How deep dicts and lists nest in `value`, counted without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return deepest


def read_message(
    body: bytes,
    args: Mapping[str, str],
    crypto: WeChatCrypto | None,
    *,
    encrypted_only: bool = False,
) -> Inbound:
    """Decrypt when the URL says so (safe and compatible modes), then check the fields.
    `encrypted_only`: refuse plaintext, whose body no signature covers."""
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    if encrypted_only and not encrypted:
        raise Rejected(403, "plaintext message, but WECHAT_ENCRYPTED_ONLY is set")
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
    for name, longest in FIELD_WIDTHS.items():
        value = fields.get(name)
        if isinstance(value, str) and len(value) > longest:
            raise Rejected(400, f"{name} longer than {longest} characters")
    if not _is_number(fields["CreateTime"], 12):
        raise Rejected(400, "CreateTime is not a number")
    msg_id = fields.get("MsgId")
    if msg_id is not None and not _is_number(msg_id, 32):
        raise Rejected(400, "MsgId is not a number")
    try:
        message = parse_message(source)
    except Exception as exc:  # noqa: BLE001 - wechatpy's field parsing on odd input
        raise Rejected(400, f"unreadable message: {type(exc).__name__}") from None
    return Inbound(message, fields, encrypted)


def _is_number(value: object, digits: int) -> bool:
    """ASCII digits only, at most `digits` of them ('²'.isdigit() is true, int('²') fails)."""
    return (
        isinstance(value, str) and 0 < len(value) <= digits and value.isascii() and value.isdigit()
    )


def dedup_key(inbound: Inbound) -> str:
    """WeChat's own retry identity: MsgId for messages, FromUserName + CreateTime for events,
    with what tells two events of one second apart: the event, its key (a VIEW's key is a
    whole URL, so a digest of it) and a delivery receipt's MsgID. At most 128 characters, the
    column's width, with openids of WeChat's 28."""
    fields = inbound.fields
    if fields.get("MsgId"):
        return f"m:{fields['MsgId']}"
    key = fields.get("EventKey") if isinstance(fields.get("EventKey"), str) else ""
    digest = hashlib.sha1(key.encode()).hexdigest()[:16] if key else ""
    event = str(fields.get("Event") or "")[:24]
    receipt = fields.get("MsgID") if _is_number(fields.get("MsgID"), 20) else ""
    return f"e:{fields['FromUserName'][:40]}:{fields['CreateTime']}:{event}:{digest}:{receipt}"
