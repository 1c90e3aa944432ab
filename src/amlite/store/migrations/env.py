"""Alembic environment: runs on the connection amlite hands over (see ``store.engine.upgrade``),
or on ``sqlalchemy.url`` when run from the alembic command line."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from amlite.store.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run_on(conn)


def _run_on(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
