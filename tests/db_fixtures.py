"""Database URL fixtures, loaded by tests/conftest.py: a SQLite file per test, and the PostgreSQL
server that `make test` starts (scripts/postgres.sh). Under CI=true a missing server fails."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


def postgres_base_url() -> str | None:
    url = os.environ.get("PODBOR_TEST_POSTGRES_URL", "")
    if url:
        return url
    state = Path(__file__).resolve().parents[1] / ".pg" / "url"
    return state.read_text().strip() if state.exists() else None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    base = postgres_base_url()
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "PostgreSQL is required under CI=true but PODBOR_TEST_POSTGRES_URL is unset"
            )
        pytest.skip("no PostgreSQL server (run `make test`, which starts one)")
    import sqlalchemy

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))
