"""Journal backends and locks, as ``optuna.storages.journal`` names them.

Example:
    >>> import os, tempfile
    >>> from podbor.storages import JournalStorage
    >>> from podbor.storages.journal import JournalFileBackend, JournalFileOpenLock
    >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
    >>> storage = JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))
"""

from podbor.storages._journal import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
    JournalStorage,
)

__all__ = [
    "BaseJournalFileLock",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "JournalStorage",
]
