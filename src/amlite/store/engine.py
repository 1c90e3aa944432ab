"""Engines for SQLite and PostgreSQL, and the Alembic upgrade applied at start.

SQLite gets WAL, foreign keys and a busy timeout on every connection, and writers begin with
``BEGIN IMMEDIATE`` so a read-then-write unit of work never dies halfway on a lock upgrade.

PostgreSQL connections are checked when they leave the pool (a server restarted since would
otherwise fail the next request), and the check is the transaction's own ``BEGIN``
(:func:`_begin_on_checkout`): SQLAlchemy's ``pool_pre_ping`` sends a statement outside any
transaction, which PostgreSQL counts as one more commit per unit of work (a read then cost a
commit, an idle worker's poll too) and which costs a round trip of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: The PostgreSQL advisory lock that serializes server starts on one database (any fixed number
#: no other application on the database uses; this one spells "amlite" in ASCII).
STARTUP_LOCK = 0x616D6C697465


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    if url.startswith("sqlite"):
        _private_sqlite_files(url)
        engine = sa.create_engine(url, connect_args={"timeout": 30}, pool_size=8, max_overflow=16)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = sa.create_engine(url, pool_size=8, max_overflow=16)
    event.listen(engine, "checkout", _begin_on_checkout)
    return engine


def _begin_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Begin the unit of work's transaction as the connection leaves the pool, which also proves
    the connection alive: a dead one raises ``DisconnectionError``, and the pool replaces it and
    tries again (SQLAlchemy's pessimistic disconnect handling). psycopg reads the transaction
    state from libpq, so it sends no second ``BEGIN``; a unit of work that only reads ends with
    ``ROLLBACK``, and PostgreSQL counts no commit for it. A connection returns to the pool rolled
    back (SQLAlchemy's reset), so it is idle here unless something left a transaction open."""
    from psycopg import pq  # here, not at the top: a server on SQLite never loads psycopg

    pgconn = dbapi_connection.pgconn
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return
    result = pgconn.exec_(b"BEGIN")
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise sa.exc.DisconnectionError(
            f"the PostgreSQL connection failed its check: {pgconn.error_message.decode(errors='replace').strip()}")


def _private_sqlite_files(url: str) -> None:
    """Create the database file readable by its owner only (0600), and tighten one that exists, before
    SQLite opens it: it holds password hashes and encrypted secrets. SQLite gives the ``-wal`` and
    ``-shm`` files it creates the database file's mode; ones left from before are tightened here."""
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Straight to the driver: through ``exec_driver_sql`` (an execution context, events and a
        # result) the BEGIN cost a third of opening a unit of work, and every request opens one.
        begin = connection.get_execution_options().get("sqlite_begin", "BEGIN")
        connection.connection.driver_connection.execute(begin).close()  # type: ignore[union-attr]


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: sa.Engine) -> None:
    """Apply every migration not yet applied; safe to call on every start."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def startup_lock(engine: sa.Engine) -> Iterator[None]:
    """Hold the database's start-up lock: on PostgreSQL, several servers may share one database
    and start at the same moment, and migrating, creating the tenant on a first start and making
    the key files must happen once, not once per process (two Alembic runs collide; two first
    starts would make two tenants). Later starts wait for the first, then find everything done.
    SQLite serves one server per file and needs no lock."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
            connection.commit()
