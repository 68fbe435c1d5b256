"""The journal storage: an append-only log of operations, in a file guarded by a file lock or in
any other :class:`~podbor.storages.journal.BaseJournalBackend` (Redis ships with podbor).

The public names live in :mod:`podbor.storages` and :mod:`podbor.storages.journal`.
"""

from podbor.storages._journal._old_names import BaseJournalLogStorage as BaseJournalLogStorage
from podbor.storages._journal._old_names import (
    DeprecatedJournalFileOpenLock as DeprecatedJournalFileOpenLock,
)
from podbor.storages._journal._old_names import (
    DeprecatedJournalFileSymlinkLock as DeprecatedJournalFileSymlinkLock,
)
from podbor.storages._journal._old_names import JournalFileStorage as JournalFileStorage
from podbor.storages._journal._old_names import JournalRedisStorage as JournalRedisStorage
from podbor.storages._journal._redis import JournalRedisBackend as JournalRedisBackend
from podbor.storages._journal.backend import BaseJournalFileLock as BaseJournalFileLock
from podbor.storages._journal.backend import JournalFileBackend as JournalFileBackend
from podbor.storages._journal.backend import JournalFileOpenLock as JournalFileOpenLock
from podbor.storages._journal.backend import JournalFileSymlinkLock as JournalFileSymlinkLock
from podbor.storages._journal.base import BaseJournalBackend as BaseJournalBackend
from podbor.storages._journal.base import BaseJournalSnapshot as BaseJournalSnapshot
from podbor.storages._journal.storage import JournalStorage as JournalStorage
