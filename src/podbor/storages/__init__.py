"""Storages: where studies and trials live.

``InMemoryStorage`` is the default without a storage argument. Every storage implements
:class:`BaseStorage`, and every public function that takes a storage also takes ``None``.

Example:
    >>> import podbor
    >>> storage = podbor.storages.InMemoryStorage()
    >>> podbor.create_study(storage=storage, study_name="demo").study_name
    'demo'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podbor.exceptions import invalid_argument
from podbor.storages import journal  # the public module path of the journal backend and locks
from podbor.storages._base import BaseStorage
from podbor.storages._in_memory import InMemoryStorage
from podbor.storages._journal import (
    BaseJournalLogStorage,
    JournalFileBackend,
    JournalFileStorage,
    JournalRedisStorage,
    JournalStorage,
)
from podbor.storages._journal import (  # the old paths of the locks warn, as in Optuna
    DeprecatedJournalFileOpenLock as JournalFileOpenLock,
)
from podbor.storages._journal import (
    DeprecatedJournalFileSymlinkLock as JournalFileSymlinkLock,
)
from podbor.storages._journal._redis import is_redis_url

if TYPE_CHECKING:
    from podbor.storages._grpc import GrpcStorageProxy, run_grpc_proxy_server
    from podbor.storages._rdb import RDBStorage

__all__ = [
    "BaseJournalLogStorage",  # Optuna's deprecated names of the journal backends: they warn
    "BaseStorage",
    "GrpcStorageProxy",
    "InMemoryStorage",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileStorage",
    "JournalFileSymlinkLock",
    "JournalRedisStorage",
    "JournalStorage",
    "RDBStorage",
    "RetryFailedTrialCallback",  # these three are set by podbor/__init__.py: they live in
    "RetryHeartbeatStaleTrialCallback",  # podbor.study (storages never import upward)
    "fail_stale_trials",
    "get_storage",
    "journal",
    "run_grpc_proxy_server",
]


def __getattr__(name: str) -> Any:
    """Import SQLAlchemy only when a database storage is used, and the gRPC proxy only when it
    is (keeps ``import podbor`` light)."""
    if name == "RDBStorage":
        from podbor.storages._rdb import RDBStorage

        return RDBStorage
    if name in ("GrpcStorageProxy", "run_grpc_proxy_server"):
        from podbor.storages import _grpc

        return getattr(_grpc, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_storage(storage: BaseStorage | str | None) -> BaseStorage:
    """Turn the ``storage`` argument of the public API into a storage object.

    Args:
        storage: ``None`` for a new :class:`InMemoryStorage`, a storage object, or a database
            URL such as ``"sqlite:///study.db"`` (an :class:`RDBStorage`).

    Raises:
        ValueError: For any other value, with what is accepted.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        if is_redis_url(storage):  # as in Optuna: a Redis server holds a journal, not a database
            raise invalid_argument(
                "storage",
                storage,
                "a database URL; a Redis server is used through "
                "JournalStorage(JournalRedisBackend(url)) (from podbor.storages.journal)",
            )
        from podbor.storages._rdb import RDBStorage

        return RDBStorage(storage)
    raise invalid_argument("storage", storage, "None, a BaseStorage instance or a URL string")
