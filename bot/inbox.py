"""One accepted message, end to end: dedup, store and handle in one commit, enqueue, reply.

Order matters for "nothing lost": the message row, the conversation's changes and the reply
commit together (a failing conversation is rolled back and answered with an apology, the
message still stored); jobs are enqueued only after that commit, and if Redis is
down they are not lost: the workers' sweeper finds the owed work from SQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from bot.dedup import Claim, ReplyCache
from bot.protocol import Inbound, dedup_key
from bot.services import Services
from bot.turnlock import TurnLock
from bot.turns import turn_of
from cases.clock import utcnow
from cases.models import InboundMessage
from handlers import respond
from handlers.dialogue import Dialogue
from handlers.turn import Reply

log = logging.getLogger(__name__)


# A plain INSERT (no unit of work for the one row every message writes), built once.
_INSERT_MESSAGE = insert(InboundMessage.__table__)
_REPLY_OF = select(InboundMessage.reply).where(InboundMessage.dedup_key == bindparam("key"))


class Inbox:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.db = services.domain.db
        self.cache = ReplyCache(services.redis, services.settings.queue_prefix)

    def answer(self, inbound: Inbound) -> str:
        """The reply text for `inbound` ("" means no reply); a retry gets the first reply."""
        key = dedup_key(inbound)
        settings = self.services.settings
        sender = str(inbound.fields["FromUserName"])
        dialogue = Dialogue(self.services.redis, sender, settings.queue_prefix)
        turn = TurnLock(self.services.redis, sender, settings.queue_prefix)
        claim = self._claim(key, dialogue, turn)
        if claim is Claim.TAKEN:
            turn.release()  # not this try's turn to take
            # The first try's reply: from Redis as soon as it is there, else (that try
            # committed but could not reach Redis, or died) from the database.
            reply = self.cache.wait(key, settings.retry_wait)
            if reply is None:
                reply = self._stored_reply(key)
            if reply is not None:
                return reply
        if claim is not Claim.UNKNOWN and not turn.held:
            # Another message of this resident is being answered: after it, with its state.
            turn.wait()
            dialogue.reload()
        try:
            answered = self._store_and_handle(key, inbound, dialogue)
        except BaseException:
            turn.release()
            raise
        self._remember_and_enqueue(key, answered, dialogue, turn)
        return answered.text

    def _claim(self, key: str, dialogue: Dialogue, turn: TurnLock) -> Claim:
        """Claim the message, take its sender's turn and read their dialogue state, in one
        round trip."""
        try:
            with self.services.redis.pipeline(transaction=False) as pipe:
                self.cache.claim_in(pipe, key)
                turn.take_in(pipe)
                dialogue.read_in(pipe)
                won, took, state = pipe.execute()
        except redis.RedisError as exc:
            log.warning("redis unavailable for dedup (%s); using the database", exc)
            dialogue.preload(None)
            return Claim.UNKNOWN
        turn.taken(took)
        dialogue.preload(state)
        return self.cache.claimed(won)

    def _stored_reply(self, key: str) -> str | None:
        with self.db.sessions() as session:
            return session.scalar(_REPLY_OF, {"key": key})

    def _store_and_handle(self, key: str, inbound: Inbound, dialogue: Dialogue) -> Reply:
        """One transaction: the conversation's changes, the raw message and its reply commit
        together, so a message that got an answer is always stored with it. When the unique
        dedup_key shows the message is known (the last line of dedup without Redis; on
        PostgreSQL a concurrent try waits at the commit for the first one's), the earlier
        try's reply, and nothing of this one's. The message row is written last, just before
        the commit: on SQLite a turn that opens no case then holds the write lock for that
        one INSERT alone, not while the conversation thinks."""
        fields = inbound.fields
        with self.db.sessions() as session:
            reply = respond(self.services, session, turn_of(inbound), dialogue)
            session.flush()  # the conversation's rows first: the message row refers to its case
            row = {
                "dedup_key": key,
                "openid": fields["FromUserName"],
                "msg_type": str(fields["MsgType"]).lower()[:32],
                "event": str(fields.get("Event") or "").lower()[:64] or None,
                "content": _text_of(fields),
                "media_id": _str_or_none(fields.get("MediaId")),
                "raw": _jsonable(fields),
                "sent_at": _from_epoch(int(fields["CreateTime"])),
                "received_at": utcnow(),
                "reply": reply.text,
                "case_id": reply.case_id,
                "intent": reply.intent,
            }
            try:
                session.connection().execute(_INSERT_MESSAGE, row)
                session.commit()
            except IntegrityError:
                session.rollback()
                dialogue.discard()
                earlier = session.execute(_REPLY_OF, {"key": key}).first()
                if earlier is None:
                    raise
                text = earlier.reply
                return Reply(text if text is not None else self.services.wording("webhook.busy"))
        return reply

    def _remember_and_enqueue(
        self, key: str, reply: Reply, dialogue: Dialogue, turn: TurnLock
    ) -> None:
        """The reply cache entry, the dialogue's new state, the sender's turn given back and
        the follow-up jobs, in one round trip to Redis. If Redis fails, a retry finds the
        reply in the database, the sweeper re-creates the work, the dialogue starts afresh
        and the turn lock expires."""
        conn = self.services.redis
        try:
            with conn.pipeline(transaction=False) as pipe:
                self.cache.store(pipe, key, reply.text)
                dialogue.write_in(pipe)
                turn.release_in(pipe)
                if reply.followups:
                    from workers.enqueue import queue_followups

                    queue_followups(
                        pipe, conn, reply.followups, prefix=self.services.settings.queue_prefix
                    )
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not cache the reply or enqueue its work (%s); the sweeper will", exc)
        except Exception:  # noqa: BLE001 - the message is committed; never fail its reply
            log.exception("could not enqueue follow-up work; the sweeper will")
            turn.release()


def _text_of(fields: dict[str, Any]) -> str | None:
    for name in ("Content", "Recognition", "EventKey", "Label", "Title"):
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | None) else str(v) for k, v in fields.items()}


def _from_epoch(seconds: int) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None
