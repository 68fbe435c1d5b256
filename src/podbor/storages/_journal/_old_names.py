"""Optuna's deprecated names of the journal backends, kept as Optuna keeps them: each is its
new class under the old name, and an instance warns (``FutureWarning``) with the new name."""

from __future__ import annotations

import os

from podbor._deprecated import warn_deprecated
from podbor.storages._journal._redis import JournalRedisBackend
from podbor.storages._journal.backend import BaseJournalFileLock, JournalFileBackend
from podbor.storages._journal.base import BaseJournalBackend

__all__ = ["BaseJournalLogStorage", "JournalFileStorage", "JournalRedisStorage"]


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
