"""Throwaway PostgreSQL databases on the server the development and CI machines run.

``AMLITE_TEST_PG`` overrides the server URL (default ``postgresql://postgres@127.0.0.1:5432``).
A server that does not answer fails the test run with a message that says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

SERVER = os.environ.get("AMLITE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is required by the test suite and did not answer at {SERVER}: {exc}. "
            "Start it (or set AMLITE_TEST_PG) and run the tests again.",
            pytrace=False,
        )


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create an empty database, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"amlite_test_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
