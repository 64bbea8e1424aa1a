"""The long-lived objects of a web process, built once by `create_app` from Settings and kept
in `app.extensions["gridbot"]` (no module-level clients: a test builds its own)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import redis
from flask import Flask, current_app

from cases.context import Domain
from config.settings import Settings
from config.wording import Wording, load_wording
from nlp import Analyzer, Courtyard


@dataclass
class Services:
    settings: Settings
    domain: Domain
    wording: Wording
    redis: redis.Redis  # bytes in, bytes out; short timeouts so a dead Redis costs milliseconds

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            domain=Domain.from_settings(settings),
            wording=load_wording(settings.wording_path),
            redis=redis.Redis.from_url(
                settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            ),
        )

    @cached_property
    def analyzer(self) -> Analyzer:
        """The intent model with this tree's courtyard names (loaded once per process)."""
        return analyzer_for(
            tuple(Courtyard(u.code, u.name, u.aliases) for u in self.domain.org.courtyards)
        )

    def close(self) -> None:
        self.redis.close()
        self.domain.db.dispose()


@cache
def analyzer_for(courtyards: tuple[Courtyard, ...]) -> Analyzer:
    """Loading takes about a second; apps built for the same tree share one model."""
    return Analyzer.load(courtyards)


def services(app: Flask | None = None) -> Services:
    """The Services of `app` (default: the current app)."""
    return (app or current_app).extensions["gridbot"]  # type: ignore[no-any-return]
