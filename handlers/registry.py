"""The registry of conversations: a decorator tags a function with what it answers (an intent,
a command word, a menu key, a dialogue step, an event, a media kind, or, as "leave", a new
message that arrives while a step waits for its answer, and as "remind", the step's question
asked again after a message answered aside); the dispatcher looks it up.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from handlers.turn import Context, Reply, Turn

Handler = Callable[[Context, Turn], Reply]
ROUTES: dict[tuple[str, str], Handler] = {}
KINDS = (
    "intent",
    "command",
    "staff",
    "menu",
    "step",
    "leave",
    "remind",
    "event",
    "media",
    "builtin",
)
MODULES = (
    "reporting",
    "emergency",
    "opinion",
    "query",
    "staff",
    "binding",
    "attachments",
    "rating",
    "events",
    "fallback",
)


def handles(kind: str, *names: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for each of `names` of `kind`."""
    if kind not in KINDS:
        raise ValueError(f"unknown route kind {kind!r}")

    def register(func: Handler) -> Handler:
        for name in names:
            if (kind, name) in ROUTES and ROUTES[(kind, name)] is not func:
                raise ValueError(f"two handlers for {kind} {name!r}")
            ROUTES[(kind, name)] = func
        return func

    return register


def route(kind: str, name: str) -> Handler | None:
    return ROUTES.get((kind, name))


def names_of(kind: str) -> list[str]:
    return [name for (k, name) in ROUTES if k == kind]


def load() -> None:
    """Import every conversation module so that its decorators run (idempotent)."""
    for module in MODULES:
        importlib.import_module(f"handlers.{module}")
