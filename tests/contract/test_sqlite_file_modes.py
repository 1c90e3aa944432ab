"""The SQLite store and the data directory are readable by their owner only (issue 9, item 6): the
store holds password hashes and encrypted secrets."""

from __future__ import annotations

import stat
from pathlib import Path

import sqlalchemy as sa

from amlite.bootstrap import build
from amlite.store.engine import create_engine
from tests.integration.conftest import settings_for


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_dir_and_its_store_are_private(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'data' / 'amlite.db'}")
    container = build(settings)
    try:
        with container.engine.connect() as conn:  # WAL mode: the -wal and -shm files exist while open
            conn.execute(sa.text("SELECT 1"))
            db = tmp_path / "data" / "amlite.db"
            files = [db, db.with_name("amlite.db-wal"), db.with_name("amlite.db-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(tmp_path / "data") == 0o700
    finally:
        container.close()


def test_an_existing_store_is_made_private(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    plain = sa.create_engine(f"sqlite:///{db}")
    with plain.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    plain.dispose()
    db.chmod(0o644)
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            with conn.begin():
                conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            assert mode(db) == 0o600
            assert mode(db.with_name("old.db-wal")) == 0o600
    finally:
        engine.dispose()
