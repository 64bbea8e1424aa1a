"""The login lockout's counts: wrong passwords per (name, client network) and per name, in
Redis, for any name, real or made up, so that the answers never tell which names exist and
wrong passwords from one place do not lock the admin out everywhere (admin.accounts decides
with them; it falls back to the account's row when Redis is away)."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# Wrong passwords for one name from one client network before that pair waits LOCKOUT.
MAX_FAILURES = 5
# Wrong passwords for one name from all networks together before it waits LOCKOUT everywhere:
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


@dataclass(frozen=True)
class LoginThrottle:
    """Wrong passwords counted in Redis per (name, client network) and per name, for any name:
    a made-up name locks exactly like a real one, so the answers never tell which names exist.

    Every key expires by itself (a count LOCKOUT after its last failure, a lock after LOCKOUT),
    so guessing random names cannot fill Redis, and no migration is needed. Names are kept as
    digests: people type passwords into the name field. Methods raise redis.RedisError."""

    conn: Any  # redis.Redis
    prefix: str = "gridbot"

    def _keys(self, name: str, network: str) -> tuple[str, str]:
        """(the pair's key stem, the name's key stem)."""
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        whole = f"{self.prefix}:login:{digest}"
        return f"{whole}@{network}", whole

    def lock_left(self, name: str, network: str) -> timedelta | None:
        """How much longer this name is locked for this network (the pair's lock or the name's,
        whichever ends later); None when it is not locked."""
        with self.conn.pipeline(transaction=False) as pipe:
            for stem in self._keys(name, network):
                pipe.pttl(f"{stem}:lock")
            left = max(pipe.execute())
        return timedelta(milliseconds=left) if left > 0 else None

    def count_failure(self, name: str, network: str) -> tuple[int, str | None]:
        """Count a wrong password; (the pair's failures so far, what this one locked: 'address',
        'name' or None). INCR is atomic, so guesses sent at once all count."""
        pair, whole = self._keys(name, network)
        memory = int(LOCKOUT.total_seconds())
        with self.conn.pipeline() as pipe:
            pipe.incr(f"{pair}:fails").expire(f"{pair}:fails", memory)
            pipe.incr(f"{whole}:fails").expire(f"{whole}:fails", memory)
            pair_failures, _, name_failures, _ = pipe.execute()
        locked = None
        if name_failures >= ACCOUNT_MAX_FAILURES:
            self._lock(whole)
            locked = "name"
        if pair_failures >= MAX_FAILURES:
            self._lock(pair)
            locked = locked or "address"
        return pair_failures, locked

    def _lock(self, stem: str) -> None:
        """Lock for LOCKOUT and start the count afresh for when the lock ends."""
        with self.conn.pipeline() as pipe:
            pipe.set(f"{stem}:lock", b"1", px=int(LOCKOUT.total_seconds() * 1000))
            pipe.delete(f"{stem}:fails").execute()

    def forget_failures(self, name: str, network: str) -> None:
        """A right password clears its own network's count (typos of the admin), not the name's:
        an attacker's spread-out guesses must not restart whenever the admin logs in."""
        self.conn.delete(f"{self._keys(name, network)[0]}:fails")
