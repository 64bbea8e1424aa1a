"""Answering WeChat's retries: the first try claims the message's key in Redis, and leaves
its reply there; a retry (possibly arriving while the first try still runs, possibly in
another process) finds the claim and waits briefly for that reply instead of acting again.

When Redis is unreachable the claim is "unknown" (the caller's to say) and the unique
dedup_key in the database becomes the guard (see bot.inbox)."""

from __future__ import annotations

import enum
import logging
import time

import redis
from redis.client import Pipeline

log = logging.getLogger(__name__)

PENDING = b"\x00pending"
CLAIM_TTL = 60  # seconds a claim without a reply stands (WeChat retries within ~15 s)
REPLY_TTL = 3600


class Claim(enum.Enum):
    OURS = "ours"  # first sight of this message: handle it
    TAKEN = "taken"  # another try has it: wait for its reply
    UNKNOWN = "unknown"  # Redis did not answer: fall back to the database


class ReplyCache:
    def __init__(self, conn: redis.Redis, prefix: str = "gridbot") -> None:
        self.conn = conn
        self.prefix = prefix

    def _key(self, dedup_key: str) -> str:
        return f"{self.prefix}:inbound:{dedup_key}"

    def claim_in(self, pipe: Pipeline, dedup_key: str) -> None:
        """Add the claim of the message to `pipe` (the caller reads what else it needs in the
        same round trip); `claimed` reads its result."""
        pipe.set(self._key(dedup_key), PENDING, nx=True, ex=CLAIM_TTL)

    @staticmethod
    def claimed(result: object) -> Claim:
        """The claim, from what the claim command of `claim_in` answered."""
        return Claim.OURS if result else Claim.TAKEN

    def reply(self, dedup_key: str) -> str | None:
        """The reply the first try gave, or None while it is still pending."""
        try:
            value = self.conn.get(self._key(dedup_key))
        except redis.RedisError:
            return None
        if value is None or value == PENDING:
            return None
        return bytes(value).decode("utf-8")

    def wait(self, dedup_key: str, timeout: float, interval: float = 0.05) -> str | None:
        deadline = time.monotonic() + timeout
        while True:
            found = self.reply(dedup_key)
            if found is not None or time.monotonic() >= deadline:
                return found
            time.sleep(interval)

    def store(self, pipe: Pipeline, dedup_key: str, reply: str) -> None:
        """Keep the reply for retries, as one of `pipe`'s commands (its errors are the
        caller's: the reply is in the database too)."""
        pipe.set(self._key(dedup_key), reply.encode("utf-8"), ex=REPLY_TTL)
