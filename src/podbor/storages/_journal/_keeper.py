"""When a journal handle reads or writes its snapshot: the policy, apart from the replay.

A file journal keeps ``<journal>.snapshot`` beside it (:mod:`._snapshot` says what is in it):
a handle that replayed many lines on opening leaves one, and a handle that keeps reading a
growing journal appends a block of the trials changed every :data:`SNAPSHOT_LINES` lines. A
log backend that keeps a snapshot too (:class:`~.base.BaseJournalSnapshot`: Redis's) gets the
whole state saved after a handle replayed or read :data:`SNAPSHOT_LINES` records, one blob
replaced whole (there is no appending to it). Any other log backend has no snapshot: its
handles only forget which trials changed, a list that serves the snapshot alone.
:class:`SnapshotKeeper`, :class:`LogSnapshotKeeper` and :class:`NoSnapshot` are the three
policies; the storage calls the same three methods on each.
"""

from __future__ import annotations

import contextlib

from podbor.logging import get_logger
from podbor.storages._journal._model import JournalModel
from podbor.storages._journal._snapshot import (
    SNAPSHOT_LINES,
    append_snapshot,
    decode_snapshot,
    encode_snapshot,
    load_snapshot,
    record_hash,
    save_snapshot,
    snapshot_end,
    snapshot_head,
)
from podbor.storages._journal.base import BaseJournalBackend, BaseJournalSnapshot

__all__ = ["LogSnapshotKeeper", "NoSnapshot", "SnapshotKeeper"]

_logger = get_logger(__name__)


class SnapshotKeeper:
    """The snapshot of the journal file ``path`` (see the module's docstring)."""

    def __init__(self, path: str) -> None:
        self.path = path
        # the line up to which the snapshot on disk is known to hold this handle's state: the
        # model lists the trials changed since (``JournalModel.changed``)
        self.since = 1

    def load(self, where: str) -> tuple[JournalModel, int, int] | None:
        """The state the snapshot holds (model, offset, line), or None when none matches."""
        return load_snapshot(self.path, where)

    def opened(self, model: JournalModel, offset: int, line: int, *, loaded: bool) -> None:
        """After the first replay, which started at line ``since``: leave a snapshot when many
        lines had to be replayed. A block goes only after a snapshot this handle read (one it
        could not use, another journal's or a damaged one, is replaced whole)."""
        if line - self.since >= SNAPSHOT_LINES:
            self.refresh(model, offset, line, whole=not loaded)

    def keep(self, model: JournalModel, offset: int, line: int) -> None:
        """After a read: a handle that keeps reading a growing journal (a worker of a long
        study) appends a block every ``SNAPSHOT_LINES`` lines, unless another process did so
        lately, so that the next handle to open never replays many lines."""
        if line - self.since < SNAPSHOT_LINES:
            return
        on_disk = snapshot_end(self.path)
        if on_disk is not None and self.since <= on_disk and line - on_disk < SNAPSHOT_LINES:
            # another process's block is recent: the next one starts from it
            self.since = on_disk
            model.changed_since(on_disk)
            return
        self.refresh(model, offset, line)

    def refresh(self, model: JournalModel, offset: int, line: int, *, whole: bool = False) -> None:
        """Bring the snapshot up to this handle's state: a block of the trials changed since
        ``since`` appended, or (``whole``, or where a block cannot go) the whole snapshot
        written (see :func:`append_snapshot`)."""
        if whole:
            save_snapshot(self.path, model, offset, line)
        elif append_snapshot(self.path, model, offset, line, self.since) is None:
            return  # another handle is appending: this one tries again on a later read
        # whether written or not: a block appended later holds the trials changed from here on,
        # and is appended only where the snapshot on disk reaches this line
        self.since = line
        model.changed.clear()


class LogSnapshotKeeper:
    """The snapshot of a log backend that keeps one (see the module's docstring): ``log``
    and ``blob`` are the same backend, seen as a log and as a snapshot store."""

    def __init__(self, log: BaseJournalBackend, blob: BaseJournalSnapshot) -> None:
        self.log, self.blob = log, blob
        self.since = 1  # the line of the state saved last by this handle (or loaded)

    def load(self, where: str) -> tuple[JournalModel, int, int] | None:
        """The state the backend's snapshot holds (model, position, line), or None when there
        is none or it does not match the log (the record before its position is checked)."""
        try:
            data = self.blob.load_snapshot()
            if not data:
                return None
            data = bytes(data)  # a user's backend may return a bytearray or memoryview
        except Exception as err:  # out of reach, or not bytes: replay the log instead
            _logger.debug(f"Could not load the snapshot of {where}: {err!r}")
            return None
        return decode_snapshot(data, self._tail, where)

    def _tail(self, position: int) -> str:
        """The hash of the record before ``position``; ValueError when the log is shorter."""
        for record in self.log.read_logs(position - 1):
            return record_hash(record)
        raise ValueError(f"the journal holds fewer than the {position} records covered")

    def opened(self, model: JournalModel, offset: int, line: int, *, loaded: bool) -> None:
        """After the first replay: save the state when many records had to be replayed."""
        self.keep(model, offset, line)

    def keep(self, model: JournalModel, offset: int, line: int) -> None:
        """After a read: save the state when this handle is ``SNAPSHOT_LINES`` records past
        the snapshot it knows, unless the backend holds one of this log that another handle
        saved lately (so the workers of a long study together save about once every
        ``SNAPSHOT_LINES`` records of the journal, not each of them). A failed save is tried
        again only that many records later."""
        model.changed.clear()  # the file's blocks use it; a log snapshot is saved whole
        if line - self.since < SNAPSHOT_LINES or offset < 1:
            return
        self.since = line
        try:
            head = snapshot_head(self.blob.load_snapshot())
            if head is not None and offset - head[0] < SNAPSHOT_LINES:
                with contextlib.suppress(ValueError):
                    if self._tail(head[0]) == head[1]:  # of this log, not a stale one
                        self.since = head[0] + 1  # the next save counts from it
                        return
            self.blob.save_snapshot(encode_snapshot(model, offset, self._tail(offset)))
        except Exception as err:  # a cache: the journal itself is unaffected
            _logger.debug(f"No snapshot saved for {model.where}: {err!r}")


class NoSnapshot:
    """A journal without a snapshot (a log backend): nothing to read or write."""

    since = 1

    def load(self, where: str) -> None:
        return None

    def opened(self, model: JournalModel, offset: int, line: int, *, loaded: bool) -> None:
        model.changed.clear()  # kept only for a snapshot

    def keep(self, model: JournalModel, offset: int, line: int) -> None:
        model.changed.clear()
