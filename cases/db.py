"""Database engine and sessions: SQLite on one machine, PostgreSQL for a city, same code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached, sessionmaker

Model = TypeVar("Model")


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys, so that several
    processes (web workers and rq workers) can share the file."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def adopt(session: Session, model: type[Model], row: Row[Any]) -> Model:
    """The object of a whole row read or written with a plain (Core) statement, in `session`
    as if the ORM had loaded it: later changes to it are flushed as usual. The hot path of a
    message reads and writes this way, at a fraction of the ORM's cost. If the session holds
    an object of that identity already (a row read again after a rollback), that one. A row
    inserted and rolled back leaves its object behind, expired: should the next insert get
    the same id (SQLite reuses it), that object is returned and loads the new row when read."""
    mapper = inspect(model)
    held = session.identity_map.get(mapper.identity_key_from_row(row))
    if held is not None:
        return held  # type: ignore[no-any-return]
    # The values go into the instance's dict as the ORM's own loader puts them: no
    # constructor and no change events, which cost more than the statement did. (The
    # constructor would also have configured the mappers on first use.)
    if not mapper.configured:
        configure_mappers()
    adopted = mapper.class_manager.new_instance()
    adopted.__dict__.update(row._mapping)
    make_transient_to_detached(adopted)
    session.add(adopted)
    return adopted


class DialectStatement:
    """A statement written with the database's own INSERT (ON CONFLICT … is not standard
    SQL), built once for each database gridbot runs on; `on(connection)` picks one."""

    def __init__(self, build: Callable[[Any], Any]) -> None:
        self._built = {"sqlite": build(sqlite.insert), "postgresql": build(postgresql.insert)}

    def on(self, connection: Connection) -> Any:
        name = connection.dialect.name
        if name not in self._built:  # pragma: no cover - only the two supported databases
            raise RuntimeError(f"gridbot needs SQLite or PostgreSQL, not {name}")
        return self._built[name]


class Database:
    """The engine and a session factory; `session()` commits on success, rolls back on error."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - health check reports, never raises
            return False

    def dispose(self) -> None:
        self.engine.dispose()
