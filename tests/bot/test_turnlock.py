"""The per-resident turn lock against a real Redis."""

from __future__ import annotations

import redis

from bot.turnlock import TurnLock


def test_a_lock_given_back_is_no_longer_held_and_can_be_taken_again(
    redis_conn: redis.Redis,
) -> None:
    """A retry that took its sender's turn by accident gives it back, and must wait for it
    like anyone else if it goes on to answer."""
    lock = TurnLock(redis_conn, "oT1")
    lock.taken(lock.take_in(redis_conn))
    assert lock.held
    lock.release()
    assert not lock.held and redis_conn.get(lock.key) is None
    other = TurnLock(redis_conn, "oT1")
    other.wait()
    assert other.held
    lock.release()  # not ours any more: left alone
    assert redis_conn.get(lock.key) == other.token.encode()
