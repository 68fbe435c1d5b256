"""A :class:`~podbor.storages.journal.BaseJournalBackend` seen the way the journal storage reads
its own file: positions, parts of records, appends that say where they landed.

:class:`~podbor.storages.JournalStorage` reads a journal from a position in parts of records
and appends a record with the position it has read up to. For its file that position is a byte
offset and a line number; for a log backend it is the number of records read (a record's line
number is its log number + 1). A log backend has no lock: two writers may append at once, and
the log's order decides between them (the storage replays it to learn its own record's fate).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator, Iterator
from typing import Any

from podbor.exceptions import StorageInternalError
from podbor.logging import get_logger
from podbor.storages._journal._lines import ReadResult
from podbor.storages._journal.base import BaseJournalBackend

__all__ = ["PART_RECORDS", "LogJournal"]

PART_RECORDS = 64
"""Records per part of a read (a replay applies one part before it takes the next)."""

_logger = get_logger(__name__)


class LogJournal:
    """The file backend's reading and appending interface over a log backend."""

    locks = False
    """Whether writers hold a lock (the file backend's do): here the log's order decides."""
    first = (0, 1)
    """The position and line number of the first record (a file's come after its header)."""

    def __init__(self, backend: BaseJournalBackend) -> None:
        self.backend = backend
        self.where = f"the journal {backend!r}"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """No lock: concurrent appends are ordered by the log (see the module's docstring)."""
        yield

    def read_parts(
        self, offset: int, *, locked: bool = False, line: int = 1
    ) -> Generator[ReadResult, None, None]:
        """The records after the first ``offset``, in parts of :data:`PART_RECORDS`; a record
        that is not a JSON object with an ``"op"`` is skipped with a warning (its number is
        kept, so every reader numbers the records the same way)."""
        part = ReadResult([], offset, line)
        try:
            for record in self.backend.read_logs(offset):
                if isinstance(record, dict) and "op" in record:
                    part.records.append((part.end_line, record))
                else:
                    _logger.warning(
                        f"Skipped record {part.end_line} of {self.where}: not an operation "
                        f"podbor writes ({type(record).__name__}); the records around it are "
                        "read."
                    )
                part.end += 1
                part.end_line += 1
                if len(part.records) == PART_RECORDS:
                    yield part
                    part = ReadResult([], part.end, part.end_line)
        except StorageInternalError:
            raise
        except Exception as err:
            raise StorageInternalError(f"Could not read {self.where}: {err!r}") from err
        yield part  # the rest (perhaps nothing: the position stays where it was)

    def append(self, lines: list[bytes], *, at: int, line: int = 1) -> tuple[int, int]:
        """Append records encoded as journal lines; return where the first landed and the
        position after the last, or ``(-1, -1)`` when the backend does not say (the caller then
        reads the log back to find its record)."""
        logs: list[dict[str, Any]] = [json.loads(raw) for raw in lines]
        try:
            start = self.backend.append_logs(logs)
        except StorageInternalError:
            raise
        except Exception as err:
            raise StorageInternalError(f"Could not append to {self.where}: {err!r}") from err
        if isinstance(start, int) and not isinstance(start, bool) and start >= 0:
            return start, start + len(logs)
        return -1, -1
