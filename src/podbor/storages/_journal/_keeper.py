"""When a journal handle reads or writes its snapshot: the policy, apart from the replay.

A file journal keeps ``<journal>.snapshot`` beside it (:mod:`._snapshot` says what is in it):
a handle that replayed many lines on opening leaves one, and a handle that keeps reading a
growing journal appends a block of the trials changed every :data:`SNAPSHOT_LINES` lines. A
journal on a log backend (Redis, a user's own) has no snapshot: its handles only forget which
trials changed, a list that serves the snapshot alone. :class:`SnapshotKeeper` and
:class:`NoSnapshot` are the two policies; the storage calls the same three methods on either.
"""

from __future__ import annotations

from podbor.storages._journal._model import JournalModel
from podbor.storages._journal._snapshot import (
    SNAPSHOT_LINES,
    append_snapshot,
    load_snapshot,
    save_snapshot,
    snapshot_end,
)

__all__ = ["NoSnapshot", "SnapshotKeeper"]


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


class NoSnapshot:
    """A journal without a snapshot (a log backend): nothing to read or write."""

    since = 1

    def load(self, where: str) -> None:
        return None

    def opened(self, model: JournalModel, offset: int, line: int, *, loaded: bool) -> None:
        model.changed.clear()  # kept only for a snapshot

    def keep(self, model: JournalModel, offset: int, line: int) -> None:
        model.changed.clear()
