"""The journal backend contract: an ordered log of JSON records that many processes share.

:class:`~podbor.storages.JournalStorage` keeps a study as a log of operations. Its own file
backend (:class:`~podbor.storages.journal.JournalFileBackend`) does it with a locked,
checked file; any other medium joins by subclassing :class:`BaseJournalBackend`, as in
Optuna: two methods, one to read the log from a position and one to append records.
:class:`~podbor.storages.journal.JournalRedisBackend` is one. A backend that can also keep one
blob beside the log subclasses :class:`BaseJournalSnapshot` too, and new handles then load the
replayed state from there instead of replaying a long log from its first record.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Any

__all__ = ["BaseJournalBackend", "BaseJournalSnapshot"]


class BaseJournalBackend(abc.ABC):
    """An append-only log of JSON records shared by every process that opens it.

    A backend must be *process safe*: every record appended by any process is read by every
    process, in one order that never changes, and records are never lost or torn. It does
    not need a lock: :class:`~podbor.storages.JournalStorage` decides the outcome of
    concurrent writes by replaying the log in that order, the same way in every process.

    Subclass it to keep a journal somewhere podbor does not ship a backend for. The records
    are podbor's own operations (plain JSON objects); a backend stores and returns them as
    they are.

    Example:
        A log in one process's memory (threads may share it; processes cannot)::

            import threading

            class ListBackend(BaseJournalBackend):
                def __init__(self):
                    self._logs, self._lock = [], threading.Lock()

                def read_logs(self, log_number_from):
                    with self._lock:
                        return list(self._logs[log_number_from:])

                def append_logs(self, logs):
                    with self._lock:
                        self._logs.extend(logs)
                        return len(self._logs) - len(logs)

            storage = podbor.storages.JournalStorage(ListBackend())
    """

    @abc.abstractmethod
    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        """The records from number ``log_number_from`` on (the first record is number 0), in
        the log's order.

        Args:
            log_number_from: How many records the caller has read already.

        Returns:
            The records after those, each the JSON object that was appended.
        """

    @abc.abstractmethod
    def append_logs(self, logs: list[dict[str, Any]]) -> int | None:
        """Append ``logs`` (JSON objects) to the log, together and in order.

        Returns:
            None, or (optional, podbor's addition to Optuna's contract) the number of the
            first appended record where the backend knows it: the writer then skips reading
            the log back when nobody else appended meanwhile.
        """


class BaseJournalSnapshot(abc.ABC):
    """The optional second half of a journal backend: one blob, the journal's replayed state.

    :class:`~podbor.storages.JournalStorage` saves its state there (podbor's snapshot format:
    strict JSON lines, never pickled) about every 20,000 records of the journal (the handles
    share the saving), and a new handle starts from it when it still matches the log (the
    record it ends after is checked), replaying only the records after it. A snapshot that is
    missing, damaged or of another log is ignored: it is a cache, never the truth. This is
    Optuna's interface; Optuna's snapshots are pickled ``JournalStorageReplayResult`` objects,
    which podbor neither writes nor reads.

    Example:
        A backend keeps the blob wherever it keeps the log::

            class DictBackend(ListBackend, BaseJournalSnapshot):
                def save_snapshot(self, snapshot):
                    self._snapshot = snapshot

                def load_snapshot(self):
                    return getattr(self, "_snapshot", None)
    """

    @abc.abstractmethod
    def save_snapshot(self, snapshot: bytes) -> None:
        """Keep ``snapshot``, replacing the one kept before (whole: a reader gets one or the
        other, never a mix)."""

    @abc.abstractmethod
    def load_snapshot(self) -> bytes | None:
        """The snapshot kept last, or None when there is none."""
