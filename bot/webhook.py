"""GET and POST /wechat: the only door WeChat knocks on.

Every rejection is logged with its reason and answered with a short status, never a
traceback; a retry of a message gets the first reply (bot.inbox)."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, request
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot.inbox import Inbox
from bot.protocol import Inbound, Rejected, cdata_safe, read_message, verify_request
from bot.services import services
from handlers.turn import REPLY_BYTES

log = logging.getLogger(__name__)
blueprint = Blueprint("wechat", __name__)
PATH = "/wechat"


def _crypto() -> WeChatCrypto | None:
    """One WeChatCrypto per app (the key is decoded once)."""
    app = current_app
    if "gridbot.crypto" not in app.extensions:
        settings = services().settings
        app.extensions["gridbot.crypto"] = (
            WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
            if settings.wechat_aes_key
            else None
        )
    return app.extensions["gridbot.crypto"]  # type: ignore[no-any-return]


def _reject(error: Rejected) -> Response:
    log.warning(
        "wechat %s rejected (%s): %s from %s",
        request.method,
        error.status,
        error.reason,
        request.remote_addr,
    )
    text = {400: "bad request", 403: "forbidden", 413: "too large"}.get(error.status, "error")
    return Response(text, status=error.status, mimetype="text/plain")


@blueprint.get(PATH)
def verify() -> Response:
    """WeChat's URL check when the operator saves the server address: echo echostr."""
    settings = services().settings
    try:
        verify_request(request.args, settings.wechat_token, settings.signature_window)
    except Rejected as error:
        return _reject(error)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@blueprint.post(PATH)
def receive() -> Response:
    svc = services()
    settings = svc.settings
    try:
        verify_request(request.args, settings.wechat_token, settings.signature_window)
        inbound = read_message(
            request.get_data(cache=False),
            request.args,
            _crypto(),
            encrypted_only=settings.wechat_encrypted_only,
        )
    except Rejected as error:
        return _reject(error)
    text = Inbox(svc).answer(inbound)
    return _render(inbound, text)


def _render(inbound: Inbound, text: str) -> Response:
    """The reply as WeChat wants it: "success" for none, XML, encrypted when the message was."""
    if not text:
        return Response("success", mimetype="text/plain")
    encoded = text.encode()
    if len(encoded) > REPLY_BYTES:
        # Lists stop short of this (handlers.query.listing); anything else that grew past it
        # is cut rather than shown as "该公众号暂时无法提供服务".
        log.error("reply of %d bytes cut to %d: %.40r", len(encoded), REPLY_BYTES, text)
        text = encoded[: REPLY_BYTES - 3].decode("utf-8", "ignore") + "…"
    xml = TextReply(message=inbound.message, content=cdata_safe(text)).render()
    if inbound.encrypted:
        crypto = _crypto()
        assert crypto is not None  # read_message refused encrypted input without a key
        xml = crypto.encrypt_message(xml, request.args["nonce"], str(int(time.time())))
    return Response(xml, mimetype="application/xml")
