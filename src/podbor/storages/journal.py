"""Journal backends and locks, as ``optuna.storages.journal`` names them: the file backend and
its locks, the Redis backend, and the base class of any other backend.

Example:
    >>> import os, tempfile
    >>> from podbor.storages import JournalStorage
    >>> from podbor.storages.journal import JournalFileBackend, JournalFileOpenLock
    >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
    >>> storage = JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
"""

from podbor.storages._journal import (
    BaseJournalBackend,
    BaseJournalFileLock,
    BaseJournalSnapshot,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
    JournalRedisBackend,
    JournalStorage,
)

__all__ = [
    "BaseJournalBackend",
    "BaseJournalFileLock",
    "BaseJournalSnapshot",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "JournalRedisBackend",
    "JournalStorage",
]
