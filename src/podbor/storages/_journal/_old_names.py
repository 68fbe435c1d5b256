"""Optuna's deprecated names of the journal backends and of the file locks' old import path,
kept as Optuna keeps them: each is its new class under the old name (or at the old path), and an
instance warns (``FutureWarning``) with the name to use instead."""

from __future__ import annotations

import os

from podbor._deprecated import warn_deprecated
from podbor.storages._journal._redis import JournalRedisBackend
from podbor.storages._journal.backend import (
    DEFAULT_GRACE_PERIOD,
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from podbor.storages._journal.base import BaseJournalBackend

__all__ = [
    "BaseJournalLogStorage",
    "DeprecatedJournalFileOpenLock",
    "DeprecatedJournalFileSymlinkLock",
    "JournalFileStorage",
    "JournalRedisStorage",
]


def _warn(old: str, new: str) -> None:
    warn_deprecated(
        old,
        since="0.1.0",
        removed_in="1.0.0",
        replacement=f"podbor.storages.journal.{new}",
        stacklevel=3,
    )


class BaseJournalLogStorage(BaseJournalBackend):
    """Deprecated name of :class:`~podbor.storages.journal.BaseJournalBackend`."""

    def __init__(self) -> None:
        _warn("BaseJournalLogStorage", "BaseJournalBackend")


class JournalFileStorage(JournalFileBackend):
    """Deprecated name of :class:`~podbor.storages.journal.JournalFileBackend`."""

    def __init__(
        self, file_path: str | os.PathLike[str], lock_obj: BaseJournalFileLock | None = None
    ) -> None:
        _warn("JournalFileStorage", "JournalFileBackend")
        super().__init__(file_path, lock_obj)


class JournalRedisStorage(JournalRedisBackend):
    """Deprecated name of :class:`~podbor.storages.journal.JournalRedisBackend`."""

    def __init__(self, url: str, use_cluster: bool = False, prefix: str = "") -> None:
        _warn("JournalRedisStorage", "JournalRedisBackend")
        super().__init__(url, use_cluster, prefix)


class DeprecatedJournalFileOpenLock(JournalFileOpenLock):
    """:class:`~podbor.storages.journal.JournalFileOpenLock` at its deprecated import path,
    ``podbor.storages.JournalFileOpenLock`` (Optuna's ``optuna.storages.JournalFileOpenLock``)."""

    def __init__(
        self, filepath: str | os.PathLike[str], grace_period: float | None = DEFAULT_GRACE_PERIOD
    ) -> None:
        _warn("The import path podbor.storages.JournalFileOpenLock", "JournalFileOpenLock")
        super().__init__(filepath, grace_period)


class DeprecatedJournalFileSymlinkLock(JournalFileSymlinkLock):
    """:class:`~podbor.storages.journal.JournalFileSymlinkLock` at its deprecated import path,
    ``podbor.storages.JournalFileSymlinkLock`` (Optuna's
    ``optuna.storages.JournalFileSymlinkLock``)."""

    def __init__(
        self, filepath: str | os.PathLike[str], grace_period: float | None = DEFAULT_GRACE_PERIOD
    ) -> None:
        _warn("The import path podbor.storages.JournalFileSymlinkLock", "JournalFileSymlinkLock")
        super().__init__(filepath, grace_period)
