"""An open database storage rides out a server restart: losing the server is retried for a
while (a write whose COMMIT was cut off then fails as the contract says, never silently twice);
a server that cannot be reached when the storage is opened is reported at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.exc import OperationalError

from podbor.exceptions import StorageInternalError
from podbor.storages._rdb._engine import with_retries


def _flaky(failures: int, message: str) -> Callable[[], str]:
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise OperationalError("SELECT 1", {}, Exception(message))
        return "ok"

    return fn


@pytest.mark.parametrize(
    "message",
    [
        "server closed the connection unexpectedly",
        "terminating connection due to administrator command",
        "connection failed: FATAL:  the database system is shutting down",
        "(2013, 'Lost connection to MySQL server during query')",
    ],
)
def test_a_lost_server_is_waited_for_once_the_storage_is_open(message: str) -> None:
    assert with_retries(_flaky(3, message), what="Reading", reconnect=5.0) == "ok"
    with pytest.raises(StorageInternalError, match="Reading failed"):
        with_retries(_flaky(1, message), what="Reading")


def test_the_wait_for_a_lost_server_ends() -> None:
    with pytest.raises(StorageInternalError, match=r"unreachable for 0\.2 s"):
        with_retries(_flaky(10**6, "connection refused"), what="Writing", reconnect=0.2)


def test_other_errors_are_not_retried() -> None:
    with pytest.raises(StorageInternalError, match="syntax error"):
        with_retries(_flaky(1, "syntax error at or near"), what="Reading", reconnect=5.0)
