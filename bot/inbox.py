"""One accepted message, end to end: dedup, store, handle, commit, enqueue, reply.

Order matters for "nothing lost": the message row is committed before any handling, the
handler's changes and the reply are committed together, and jobs are enqueued only after that
commit (if Redis is down they are not lost: the workers' sweeper finds them from SQL)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
        row_id, created, reply = self._store(key, inbound)
        if reply is not None:
            return reply
        if not created and claim is not Claim.TAKEN:
            # Redis could not tell us; another try may be answering right now.
            reply = self._wait_in_database(row_id)
            if reply is not None:
                return reply
        # First sight, or a try that died after storing the message: answer it now. If two
        # tries get here, the conditional update in _handle lets exactly one of them win.
        reply_obj = self._handle(row_id, inbound)
        self.cache.store(key, reply_obj.text)
        self._enqueue(reply_obj)
        return reply_obj.text

    def _store(self, key: str, inbound: Inbound) -> tuple[int, bool, str | None]:
        """Commit the raw message: (row id, whether this call created it, its reply if any).
        The unique dedup_key is the last line of dedup when Redis could not tell us."""
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
        try:
            with self.db.session() as session:
                session.add(row)
            return row.id, True, None
        except IntegrityError:
            pass
        with self.db.session() as session:
            found = session.execute(
                select(InboundMessage.id, InboundMessage.reply).where(
                    InboundMessage.dedup_key == key
                )
            ).one()
        return int(found.id), False, found.reply

    def _wait_in_database(self, row_id: int) -> str | None:
        deadline = time.monotonic() + self.services.settings.retry_wait
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with self.db.session() as session:
                reply = session.scalar(
                    select(InboundMessage.reply).where(InboundMessage.id == row_id)
                )
            if reply is not None:
                return reply
        return None

    def _handle(self, row_id: int, inbound: Inbound) -> Reply:
        turn = turn_of(inbound, row_id)
        try:
            with self.db.session() as session:
                reply = respond(self.services, session, turn)
                if not _record_reply(session, row_id, reply):
                    raise _AlreadyAnswered
            return reply
        except _AlreadyAnswered:
            with self.db.session() as session:
                earlier = session.get(InboundMessage, row_id)
                return Reply(earlier.reply or "" if earlier else "")
        except Exception:
            log.exception("handling inbound %s failed; answering with an apology", row_id)
        sorry = Reply(self.services.wording("webhook.sorry"))
        with self.db.session() as session:
            _record_reply(session, row_id, sorry)
        return sorry

    def _enqueue(self, reply: Reply) -> None:
        if not reply.followups:
            return
        try:
            from workers.enqueue import enqueue_followups

            enqueue_followups(self.services.redis, reply.followups)
        except Exception:  # noqa: BLE001 - the sweeper re-creates lost work from SQL
            log.exception("could not enqueue follow-up work; the sweeper will")


class _AlreadyAnswered(Exception):
    """Another try of the same message committed its answer first; ours is rolled back."""


def _record_reply(session: Session, row_id: int, reply: Reply) -> bool:
    """Set the reply only if none is set yet: the commit that sets it is the one that counts."""
    result = session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == row_id, InboundMessage.reply.is_(None))
        .values(reply=reply.text, case_id=reply.case_id, intent=reply.intent)
    )
    return bool(result.rowcount)


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
