"""The journal storage: an append-only log of JSON lines in a file, guarded by a file lock.

The public names live in :mod:`podbor.storages` and :mod:`podbor.storages.journal`.
"""

from podbor.storages._journal.backend import BaseJournalFileLock as BaseJournalFileLock
from podbor.storages._journal.backend import JournalFileBackend as JournalFileBackend
from podbor.storages._journal.backend import JournalFileOpenLock as JournalFileOpenLock
from podbor.storages._journal.backend import JournalFileSymlinkLock as JournalFileSymlinkLock
from podbor.storages._journal.storage import JournalStorage as JournalStorage
