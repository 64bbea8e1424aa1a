"""One accepted message, end to end: dedup, store and handle in one commit, enqueue, reply.

Order matters for "nothing lost": the message row, the conversation's changes and the reply
commit together (a failing conversation is rolled back to a savepoint and answered with an
apology, the message still stored); jobs are enqueued only after that commit, and if Redis is
down they are not lost: the workers' sweeper finds the owed work from SQL."""

from __future__ import annotations

import logging
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
            reply = self.cache.wait(key, self.services.settings.retry_wait)
            if reply is not None:
                return reply
        answered = self._store_and_handle(key, inbound)
        if answered is None:  # the database knows this message: an earlier try answered it
            text = self._stored_reply(key)
            self.cache.store(key, text)
            return text
        self.cache.store(key, answered.text)
        self._enqueue(answered)
        return answered.text

    def _store_and_handle(self, key: str, inbound: Inbound) -> Reply | None:
        """One transaction: the raw message, the conversation's changes and the reply commit
        together, so a message that got an answer is always stored with it. None when the
        unique dedup_key shows the message is known (the last line of dedup without Redis;
        on PostgreSQL a concurrent try waits here for the first one's commit)."""
        fields = inbound.fields
        row = InboundMessage(
            dedup_key=key,
            openid=fields["FromUserName"],
            msg_type=str(fields["MsgType"]).lower()[:32],
            event=(str(fields.get("Event") or "").lower()[:64] or None),
            content=_text_of(fields),
            media_id=fields.get("MediaId") if isinstance(fields.get("MediaId"), str) else None,
            raw=_jsonable(fields),
            sent_at=_from_epoch(int(fields["CreateTime"])),
            received_at=utcnow(),
        )
        with self.db.sessions() as session:
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                return None
            reply = respond(self.services, session, turn_of(inbound, row.id))
            row.reply, row.case_id, row.intent = reply.text, reply.case_id, reply.intent
            session.commit()
        return reply

    def _stored_reply(self, key: str) -> str:
        with self.db.session() as session:
            reply = session.scalar(
                select(InboundMessage.reply).where(InboundMessage.dedup_key == key)
            )
        return reply if reply is not None else self.services.wording("webhook.busy")

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
