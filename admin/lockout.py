"""The login lockout's counts: login attempts per (name, client network) and per name, in
Redis, for any name, real or made up, so that the answers never tell which names exist and
wrong passwords from one place do not lock the admin out everywhere (admin.accounts decides
with them; it falls back to the account's row when Redis is away)."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# Attempts (wrong passwords, and checks still running) for one name from one client network
# before that pair waits LOCKOUT.
MAX_FAILURES = 5
# Attempts for one name from all networks together before it waits LOCKOUT everywhere:
# the backstop against guessing spread over many addresses. Each network adds at most
# MAX_FAILURES per LOCKOUT, so it takes ten networks to lock an admin out this way.
ACCOUNT_MAX_FAILURES = 10 * MAX_FAILURES
LOCKOUT = timedelta(minutes=15)


def client_network(address: str | None) -> str:
    """What login failures are counted against: the IPv4 address, or the IPv6 /64 (one
    subscriber usually holds a whole /64, so single IPv6 addresses would give endless tries).
    Whatever does not parse counts as 'unknown', one count for all such clients."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return f"{ipaddress.IPv6Address(int(ip) >> 64 << 64)}/64"
    return str(ip)


# Run by Redis as one step, so that attempts sent at once are numbered one after another and
# none passes a lock that an earlier one set. KEYS: the pair's count and lock, the name's count
# and lock; ARGV: MAX_FAILURES, ACCOUNT_MAX_FAILURES, a count's memory (s).
# Returns {pair number, name number, wait (ms)}: the numbers are 0 for an attempt refused, and
# the wait is the lock's time left, or for an attempt past a limit the time until the count
# that is full expires. Past a limit sets no lock: the attempt that reached the limit may
# still prove right (an admin's double click after typos), and if it is wrong its fail() locks.
_BEGIN = """
local left = math.max(redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[4]))
if left > 0 then
  return {0, 0, left}
end
local pair = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local name = tonumber(redis.call('GET', KEYS[3]) or '0') + 1
local wait = 0
if name > tonumber(ARGV[2]) then
  wait = redis.call('PTTL', KEYS[3])
end
if pair > tonumber(ARGV[1]) then
  wait = math.max(wait, redis.call('PTTL', KEYS[1]))
end
if wait > 0 then
  return {0, 0, wait}
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return {pair, name, 0}
"""

# KEYS: the pair's count, the name's count. The name's count may have been cleared by a lock
# meanwhile: it never goes below 0.
_GIVE_BACK = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
"""


@dataclass(frozen=True)
class Attempt:
    """One login attempt as LoginThrottle.begin counted it: let through to the password check
    with its numbers, or refused (`locked` is then the lock's time left)."""

    pair: int  # its number among the attempts for (name, network); 0 when refused
    name: int  # its number among the attempts for the name from every network; 0 when refused
    locked: timedelta | None = None

    @property
    def refused(self) -> bool:
        return self.locked is not None


@dataclass(frozen=True)
class LoginThrottle:
    """Login attempts counted in Redis per (name, client network) and per name, for any name:
    a made-up name locks exactly like a real one, so the answers never tell which names exist.

    An attempt is counted before its password is checked (begin), and one past MAX_FAILURES
    for its pair or ACCOUNT_MAX_FAILURES for its name is refused unchecked: the hash check is
    slow, and guesses sent at once must not all pass a check of the count made before any of
    them was counted. A right password gives its attempt back (give_back), a wrong one keeps it
    and, at the limit, locks (fail).

    Every key expires by itself (a count LOCKOUT after its last attempt, a lock after LOCKOUT),
    so guessing random names cannot fill Redis, and no migration is needed. Names are kept as
    digests: people type passwords into the name field. Methods raise redis.RedisError."""

    conn: Any  # redis.Redis
    prefix: str = "gridbot"

    def _keys(self, name: str, network: str) -> tuple[str, str]:
        """(the pair's key stem, the name's key stem)."""
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        whole = f"{self.prefix}:login:{digest}"
        return f"{whole}@{network}", whole

    def begin(self, name: str, network: str) -> Attempt:
        """Count an attempt, or refuse it uncounted: while a lock holds, or when it is past a
        limit. One round trip, atomic in Redis."""
        pair, whole = self._keys(name, network)
        keys = [f"{pair}:fails", f"{pair}:lock", f"{whole}:fails", f"{whole}:lock"]
        limits = [MAX_FAILURES, ACCOUNT_MAX_FAILURES]
        script = self.conn.register_script(_BEGIN)
        args = [*limits, int(LOCKOUT.total_seconds())]
        pair_number, name_number, left = script(keys=keys, args=args)
        if left > 0:
            return Attempt(0, 0, timedelta(milliseconds=left))
        return Attempt(pair_number, name_number)

    def fail(self, name: str, network: str, attempt: Attempt) -> str | None:
        """A wrong password keeps its attempt; at a limit it locks. What it locked: 'name'
        (from every network), 'address' (from this network only) or None."""
        pair, whole = self._keys(name, network)
        reached = [
            (stem, what)
            for stem, what, number, limit in (
                (whole, "name", attempt.name, ACCOUNT_MAX_FAILURES),
                (pair, "address", attempt.pair, MAX_FAILURES),
            )
            if number >= limit
        ]
        if not reached:
            return None
        with self.conn.pipeline() as pipe:
            for stem, _ in reached:
                self._lock(pipe, stem)
            pipe.execute()
        return reached[0][1]

    @staticmethod
    def _lock(pipe: Any, stem: str) -> None:
        """Lock for LOCKOUT and start the count afresh for when the lock ends."""
        pipe.set(f"{stem}:lock", b"1", px=int(LOCKOUT.total_seconds() * 1000))
        pipe.delete(f"{stem}:fails")

    def give_back(self, name: str, network: str) -> None:
        """A right password: its network's count is cleared (the admin's typos do not add up
        across logins), and its own attempt is taken off the name's count (so the admin's
        logins do not use up the backstop) but no more: guesses spread over other networks
        must not restart whenever the admin logs in."""
        pair, whole = self._keys(name, network)
        self.conn.register_script(_GIVE_BACK)(keys=[f"{pair}:fails", f"{whole}:fails"])
