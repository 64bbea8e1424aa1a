"""One turn at a time per resident, across web processes.

A turn reads the resident's dialogue state when it claims the message and writes it after its
commit. Two turns of the same resident at once (photos sent in a burst, a photo and then the
words) would both start from the same state, and the last write would drop what the other
kept. So a turn takes a lock on its sender in Redis, in the same round trip as the claim, and
gives it back in the round trip after the commit; a second message waits for it (a turn takes
milliseconds), then reads the state again.

The lock is a courtesy, not a guard of the database: if Redis is away there is none, and a
turn that waited too long goes ahead rather than leave the resident without an answer."""

from __future__ import annotations

import logging
import secrets
import time

import redis
from redis.client import Pipeline

log = logging.getLogger(__name__)

HOLD_MS = 10_000  # far longer than a turn; a process that died holding it frees it by then
WAIT_SECONDS = 3.0  # WeChat waits 5 s for an answer
POLL_SECONDS = 0.005
# Give the lock back only if it is still ours (it may have expired and gone to another turn).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


class TurnLock:
    def __init__(self, conn: redis.Redis, openid: str, prefix: str = "gridbot") -> None:
        self.conn = conn
        self.key = f"{prefix}:turn:{openid}"
        self.token = secrets.token_hex(8)
        self.held = False

    def take_in(self, client: redis.Redis | Pipeline) -> object:
        """Try to take the lock: with a pipeline, the attempt is added to it (hand its result
        to `taken`); with a connection, the answer."""
        return client.set(self.key, self.token, nx=True, px=HOLD_MS)

    def taken(self, result: object) -> None:
        self.held = bool(result)

    def wait(self) -> None:
        """Wait for the lock, at most WAIT_SECONDS (then go ahead without it)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            self.taken(self.take_in(self.conn))
            if self.held:
                return
            if time.monotonic() >= deadline:
                log.warning("%s still busy after %.0f s: going ahead", self.key, WAIT_SECONDS)
                return
            time.sleep(POLL_SECONDS)

    def release_in(self, pipe: Pipeline) -> None:
        """Add giving the lock back to `pipe`, if it was taken (harmless twice: only our own
        lock is given back)."""
        if self.held:
            pipe.eval(_RELEASE, 1, self.key, self.token)

    def release(self) -> None:
        """Give the lock back now (a turn that ends without its after-commit round trip)."""
        if not self.held:
            return
        try:
            with self.conn.pipeline(transaction=False) as pipe:
                self.release_in(pipe)
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("could not give back %s (%s); it expires by itself", self.key, exc)
        self.held = False
