"""A journal kept in Redis, for workers on many machines that all reach one Redis server.

The log is one Redis list, ``<prefix>:podbor:journal``: ``RPUSH`` appends records atomically
and in one order for every client, and says where they landed; ``LRANGE`` reads from a
position. Each record is the JSON text of one of podbor's operations. The journal's snapshot
(:class:`~podbor.storages.journal.BaseJournalSnapshot`) is the string ``<prefix>:podbor:snapshot``,
replaced whole by ``SET``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from podbor._validation import check_instance
from podbor.exceptions import InvalidArgumentError, StorageInternalError
from podbor.storages._journal.base import BaseJournalBackend, BaseJournalSnapshot

__all__ = ["REDIS_SCHEMES", "JournalRedisBackend", "is_redis_url"]

REDIS_SCHEMES = ("redis://", "rediss://")
"""The URL schemes of a Redis server: the CLI and the dashboard open a Redis journal for them."""


def is_redis_url(url: str) -> bool:
    """Whether ``url`` names a Redis server (a journal kept there).

    Example:
        >>> is_redis_url("redis://localhost:6379/0"), is_redis_url("sqlite:///study.db")
        (True, False)
    """
    return url.startswith(REDIS_SCHEMES)


_OWNER = "JournalRedisBackend"
_CHUNK = 1000  # records per LRANGE: a long journal is read in bounded round trips


def _import_redis() -> ModuleType:
    try:
        return importlib.import_module("redis")
    except ImportError as err:
        raise ImportError(
            f"{_OWNER} needs the redis client, which is not installed: pip install podbor[redis]"
        ) from err


def _shown(url: str) -> str:
    """``url`` with its password masked, as podbor shows database URLs."""
    try:
        from sqlalchemy.engine import make_url

        return str(make_url(url).render_as_string(hide_password=True))
    except Exception:  # not a URL SQLAlchemy reads: the redis client says what is wrong
        return url


class JournalRedisBackend(BaseJournalBackend, BaseJournalSnapshot):
    """A journal in a Redis server (or cluster), shared by every worker that can reach it.

    Use it with :class:`~podbor.storages.JournalStorage` where workers run on several
    machines that share no file system and no database server, but reach one Redis. Redis
    orders concurrent appends, so no lock is needed; every worker reads the log from where it
    last stopped. Needs the ``redis`` client: ``pip install podbor[redis]``.

    Args:
        url: The server's URL, e.g. ``"redis://localhost:6379/0"``.
        use_cluster: Connect to a Redis Cluster (``redis.cluster.RedisCluster``); the journal
            is one key, so it lives on one node.
        prefix: Put before the journal's key, to keep several journals in one database.

    Raises:
        ImportError: Without the ``redis`` client, naming the ``pip install`` to run.
        podbor.exceptions.InvalidArgumentError: If ``url`` is not a Redis URL, or ``prefix``
            not a string.
        podbor.exceptions.StorageInternalError: On first use (``JournalStorage`` reads the
            journal when it is made), if the server cannot be reached or the key holds
            something other than a podbor journal (left untouched).

    Example:
        Four workers on four machines, one study::

            from podbor.storages import JournalStorage
            from podbor.storages.journal import JournalRedisBackend

            storage = JournalStorage(JournalRedisBackend("redis://redis-host:6379/0"))
            study = podbor.create_study(
                study_name="shared", storage=storage, load_if_exists=True
            )
            study.optimize(objective, n_trials=25)
    """

    def __init__(self, url: str, use_cluster: bool = False, prefix: str = "") -> None:
        check_instance(url, "url", str, owner=_OWNER, allowed="a Redis URL string")
        check_instance(use_cluster, "use_cluster", bool, owner=_OWNER, allowed="True or False")
        check_instance(prefix, "prefix", str, owner=_OWNER, allowed="a string")
        self._url, self._use_cluster, self._prefix = url, use_cluster, prefix
        self._shown = _shown(url)  # in messages and the repr: the password masked
        self._key = f"{prefix}:podbor:journal"
        self._snapshot_key = f"{prefix}:podbor:snapshot"
        self._redis = self._connect()  # connects on first use, as redis-py does
        self._checked = False

    def _connect(self) -> Any:
        """A client for a single server (None for a cluster: its client is made on first use,
        since it asks the cluster for its nodes as it is made)."""
        redis = _import_redis()
        try:
            if self._use_cluster:
                importlib.import_module("redis.connection").parse_url(self._url)
                return None
            return redis.Redis.from_url(self._url)
        except ValueError as err:  # a URL redis cannot read
            raise InvalidArgumentError(
                f"The 'url' parameter of {_OWNER} must be a Redis URL such as "
                f"'redis://localhost:6379/0'. Got {self._shown!r} instead ({err})."
            ) from err

    def _client(self) -> Any:
        """The client, once the journal's key is known to hold a journal (checked on first use:
        the server may come up after the backend is made)."""
        if not self._checked:
            try:
                if self._redis is None:
                    cluster = importlib.import_module("redis.cluster").RedisCluster
                    self._redis = cluster.from_url(self._url)
                kind = self._redis.type(self._key)
            except Exception as err:  # redis's errors, a cluster with no node to reach, …
                raise StorageInternalError(
                    f"{_OWNER} could not reach the Redis server at {self._shown!r}: {err}"
                ) from err
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            if kind not in ("none", "list"):
                raise StorageInternalError(
                    f"The key {self._key!r} of the Redis server at {self._shown!r} holds a {kind}, "
                    "not a podbor journal; it was left untouched (use another prefix)."
                )
            self._checked = True
        return self._redis

    @property
    def shown_url(self) -> str:
        """The server's URL with its password masked (what messages and pages show)."""
        return self._shown

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self._url, "use_cluster": self._use_cluster, "prefix": self._prefix}

    def __setstate__(self, state: dict[str, Any]) -> None:
        JournalRedisBackend.__init__(self, **state)  # a deprecated subclass warns only once

    def __repr__(self) -> str:
        return (
            f"JournalRedisBackend({self._shown!r}, use_cluster={self._use_cluster}, "
            f"prefix={self._prefix!r})"
        )

    def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
        """The records from number ``log_number_from`` on, read ``1000`` at a time.

        Example:
            ``list(backend.read_logs(0))`` is the whole journal, oldest record first.
        """
        start = log_number_from
        while True:
            raw = self._client().lrange(self._key, start, start + _CHUNK - 1)
            for text in raw:
                try:
                    yield json.loads(text)
                except ValueError:  # not JSON: the storage skips it (and says so)
                    yield {}
            if len(raw) < _CHUNK:
                return
            start += len(raw)

    def append_logs(self, logs: list[dict[str, Any]]) -> int:
        """Append the records in one ``RPUSH``; return the number of the first.

        Example:
            ``backend.append_logs([{"op": ...}])`` on an empty journal returns ``0``.
        """
        if not logs:
            return int(self._client().llen(self._key))
        length = self._client().rpush(self._key, *(json.dumps(log) for log in logs))
        return int(length) - len(logs)

    def save_snapshot(self, snapshot: bytes) -> None:
        """Keep the journal's snapshot (one ``SET``: readers get the old or the new one)."""
        self._client().set(self._snapshot_key, snapshot)

    def load_snapshot(self) -> bytes | None:
        """The journal's snapshot, or None (one ``GET``)."""
        data = self._client().get(self._snapshot_key)
        if data is None:
            return None
        return data.encode() if isinstance(data, str) else bytes(data)
