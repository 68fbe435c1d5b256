"""Database URL fixtures, loaded by tests/conftest.py: a SQLite file per test, and the PostgreSQL,
MySQL (MariaDB) and Redis servers that `make test` starts (scripts/postgres.sh, scripts/mysql.sh,
scripts/redis.sh).
Under CI=true a missing server fails the test instead of skipping it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[1]
_SERVERS = {
    # backend: (environment variable, state file written by the start script, name in messages)
    "postgresql": ("PODBOR_TEST_POSTGRES_URL", _ROOT / ".pg" / "url", "PostgreSQL"),
    "mysql": ("PODBOR_TEST_MYSQL_URL", _ROOT / ".mysql" / "url", "MySQL"),
    "redis": ("PODBOR_TEST_REDIS_URL", _ROOT / ".redis" / "url", "Redis"),
}


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"


def server_base_url(backend: str) -> str | None:
    """The URL of the test server for ``backend`` ('postgresql', 'mysql' or 'redis'), or None."""
    variable, state, _ = _SERVERS[backend]
    url = os.environ.get(variable, "")
    if url:
        return url
    return state.read_text().strip() if state.exists() else None


def postgres_base_url() -> str | None:
    return server_base_url("postgresql")


def _fresh_database(backend: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    variable, _, label = _SERVERS[backend]
    base = server_base_url(backend)
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{label} is required under CI=true but {variable} is unset")
        pytest.skip(f"no {label} server (run `make test`, which starts one)")
    import sqlalchemy

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = base.rsplit("/", 1)[0] + "/" + name
    force = " WITH (FORCE)" if backend == "postgresql" else ""
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL test server, dropped afterwards."""
    yield from _fresh_database("postgresql")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh, empty database on the MySQL (MariaDB) test server, dropped afterwards."""
    yield from _fresh_database("mysql")


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on SQLite, once on PostgreSQL and once on MySQL."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url", "mysql": "mysql_url"}
    return str(request.getfixturevalue(fixture[request.param]))


@pytest.fixture
def redis_url() -> str:
    """The Redis test server's URL (tests keep their keys apart with their own prefix)."""
    variable, _, label = _SERVERS["redis"]
    url = server_base_url("redis")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{label} is required under CI=true but {variable} is unset")
        pytest.skip(f"no {label} server (run `make test`, which starts one)")
    return url


@pytest.fixture
def redis_cluster_url(redis_url: str) -> str:
    """The one-node Redis Cluster that scripts/redis.sh starts beside the plain server."""
    url = os.environ.get("PODBOR_TEST_REDIS_CLUSTER_URL", "")
    state = _ROOT / ".redis" / "cluster_url"
    if not url and state.exists():
        url = state.read_text().strip()
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "the Redis Cluster is required under CI=true but scripts/redis.sh left none"
            )
        pytest.skip("no Redis Cluster (run `make test`, which starts one)")
    return url
