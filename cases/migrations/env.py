"""Alembic environment: the database URL comes from the caller, the schema from cases.models."""

from __future__ import annotations

from alembic import context

from cases.db import make_engine
from cases.models import Base

config = context.config
url = config.attributes["database_url"]


def run() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
