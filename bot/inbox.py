"""One accepted message, end to end: dedup, store, handle, commit, enqueue, reply.

Order matters for "nothing lost": the message row is committed before any handling, the
handler's changes and the reply are committed together, and jobs are enqueued only after that
commit (if Redis is down they are not lost: the workers' sweeper finds them from SQL)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.dedup import Claim, ReplyCache
from bot.protocol import Inbound, dedup_key
from bot.services import Services
from bot.turns import turn_of
from cases.clock import utcnow
from cases.models import InboundMessage
from handlers import respond
from handlers.turn import Reply

log = logging.getLogger(__name__)


class Inbox:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.db = services.domain.db
        self.cache = ReplyCache(services.redis, services.settings.queue_prefix)

    def answer(self, inbound: Inbound) -> str:
        """The reply text for `inbound` ("" means no reply); a retry gets the first reply."""
        key = dedup_key(inbound)
        claim = self.cache.claim(key)
        if claim is Claim.TAKEN:
            earlier = self._earlier_reply(key)
            if earlier is not None:
                return earlier
            log.warning("retry %s found a claim but no stored message: handling it", key)
        row_id = self._store(key, inbound)
        if row_id is None:
            return self._reply_from_database(key)
        reply = self._handle(row_id, inbound)
        self.cache.store(key, reply.text)
        self._enqueue(reply)
        return reply.text

    def _earlier_reply(self, key: str) -> str | None:
        reply = self.cache.wait(key, self.services.settings.retry_wait)
        if reply is not None:
            return reply
        with self.db.session() as session:
            row = session.scalar(select(InboundMessage).where(InboundMessage.dedup_key == key))
            if row is None:
                return None
            return row.reply if row.reply is not None else self.services.wording("webhook.busy")

    def _store(self, key: str, inbound: Inbound) -> int | None:
        """Commit the raw message; None when the database already has it (the last line of
        dedup when Redis could not tell us)."""
        fields = inbound.fields
        sent = int(fields["CreateTime"])
        row = InboundMessage(
            dedup_key=key,
            openid=fields["FromUserName"],
            msg_type=str(fields["MsgType"]).lower()[:32],
            event=(str(fields.get("Event") or "").lower() or None),
            content=_text_of(fields),
            media_id=fields.get("MediaId") if isinstance(fields.get("MediaId"), str) else None,
            raw=_jsonable(fields),
            sent_at=_from_epoch(sent),
            received_at=utcnow(),
        )
        try:
            with self.db.session() as session:
                session.add(row)
        except IntegrityError:
            return None
        return row.id

    def _reply_from_database(self, key: str) -> str:
        deadline = time.monotonic() + self.services.settings.retry_wait
        while True:
            with self.db.session() as session:
                reply = session.scalar(
                    select(InboundMessage.reply).where(InboundMessage.dedup_key == key)
                )
            if reply is not None or time.monotonic() >= deadline:
                return reply if reply is not None else self.services.wording("webhook.busy")
            time.sleep(0.1)

    def _handle(self, row_id: int, inbound: Inbound) -> Reply:
        turn = turn_of(inbound, row_id)
        try:
            with self.db.session() as session:
                reply = respond(self.services, session, turn)
                row = session.get(InboundMessage, row_id)
                if row is not None:
                    row.reply, row.case_id, row.intent = reply.text, reply.case_id, reply.intent
            return reply
        except Exception:
            log.exception("handling inbound %s failed; answering with an apology", row_id)
        sorry = Reply(self.services.wording("webhook.sorry"))
        with self.db.session() as session:
            row = session.get(InboundMessage, row_id)
            if row is not None:
                row.reply = sorry.text
        return sorry

    def _enqueue(self, reply: Reply) -> None:
        if not reply.followups:
            return
        try:
            from workers.enqueue import enqueue_followups

            enqueue_followups(self.services.redis, reply.followups)
        except Exception:  # noqa: BLE001 - the sweeper re-creates lost work from SQL
            log.exception("could not enqueue follow-up work; the sweeper will")


def _text_of(fields: dict[str, Any]) -> str | None:
    for name in ("Content", "Recognition", "EventKey", "Label", "Title"):
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | None) else str(v) for k, v in fields.items()}


def _from_epoch(seconds: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None
