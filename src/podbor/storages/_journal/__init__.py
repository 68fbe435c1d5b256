"""The journal storage: an append-only log of JSON lines in a file, guarded by a file lock."""

from podbor.storages._journal.backend import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from podbor.storages._journal.storage import JournalStorage

__all__ = [
    "BaseJournalFileLock",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "JournalStorage",
]
