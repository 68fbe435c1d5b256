"""The journal file: an append-only log of JSON lines, and the locks that serialize its writers.

File format. The first line is a fixed header, ``{"op":"header","format":"podbor-journal",
"version":1}``; every other line is one JSON object (one operation), strict JSON (no NaN or
Infinity tokens), ASCII, ended by ``\\n``. Lines are only ever appended, each under the file
lock, by unbuffered writes followed by ``os.fsync`` before the lock is released.

Crashes. A writer killed mid-line leaves a *torn tail*: bytes after the last ``\\n``, or a last
line that is not valid JSON. Readers never consume it (a line counts only once it is complete
and valid), and the next writer, holding the lock and so sure that no one is still writing it,
truncates the tail before appending, with a warning that names the line. Nothing before the
tail is lost. An invalid line with valid lines after it (outside damage) is skipped with a
warning that names the file and the line number; so is a line that is JSON but not an operation
podbor writes (a field of the wrong type or out of range, nested too deeply: see
:mod:`~podbor.storages._journal._check`), by every reader alike.

Locks. :class:`JournalFileSymlinkLock` (``os.symlink`` is atomic, also on NFS) and
:class:`JournalFileOpenLock` (``open`` with ``O_CREAT | O_EXCL``) create ``<file>.lock`` holding
a unique token. A waiter that sees the same token for longer than ``grace_period`` seconds,
measured on its own monotonic clock (so clocks of different machines need not agree), takes the
holder for dead and breaks the lock. Only a podbor lock (a token ``host:pid:hex``, or an empty
file left by a :class:`JournalFileOpenLock` whose holder died before writing its token) is ever
broken: any other file or directory at the lock path is left untouched, and writing fails with
an error that names it.
"""

from __future__ import annotations

import abc
import contextlib
import json
import os
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import Any

from podbor._validation import check_instance
from podbor.exceptions import InvalidArgumentError, StorageInternalError, invalid_argument
from podbor.logging import get_logger
from podbor.storages._heartbeat import check_seconds
from podbor.storages._journal._lines import (
    PART_BYTES,
    LineParser,
    ReadResult,
    lines_text,
    parse_line,
)

__all__ = [
    "DEFAULT_GRACE_PERIOD",
    "BaseJournalFileLock",
    "JournalFileBackend",
    "JournalFileOpenLock",
    "JournalFileSymlinkLock",
    "ReadResult",
    "encode_record",
]

_logger = get_logger(__name__)

DEFAULT_GRACE_PERIOD = 30.0
"""Seconds a lock may stay unchanged before waiters break it. A write holds the lock for
milliseconds (one append and an fsync), so 30 s is far beyond any live holder, even on a slow
network filesystem, yet a killed holder blocks the others for only half a minute."""

FORMAT_VERSION = 1
HEADER = b'{"op":"header","format":"podbor-journal","version":1}\n'
_MIN_DELAY, _MAX_DELAY = 0.0005, 0.02  # seconds between tries to take a busy lock


class BaseJournalFileLock(abc.ABC):
    """A lock file next to the journal, shared by every process that opens the journal.

    Args:
        filepath: The journal file; the lock is ``filepath + ".lock"``.
        grace_period: Seconds after which a lock that did not change counts as abandoned and is
            broken; ``None`` never breaks a lock.

    Raises:
        ValueError: If ``filepath`` is not a path or ``grace_period`` is not positive.

    Example:
        >>> import os, tempfile
        >>> lock: BaseJournalFileLock = JournalFileOpenLock(
        ...     os.path.join(tempfile.mkdtemp(), "study.log"), grace_period=10
        ... )
        >>> lock.acquire()
        True
        >>> lock.release()
    """

    def __init__(
        self, filepath: str | os.PathLike[str], grace_period: float | None = DEFAULT_GRACE_PERIOD
    ) -> None:
        owner = type(self).__name__
        path = _check_path(filepath, "filepath", owner=owner, allowed="a path (str or os.PathLike)")
        self._lock_path = path + ".lock"
        self._grace_period = check_seconds(grace_period, "grace_period", owner=owner)
        self._thread_lock = threading.Lock()
        self._token: str | None = None
        self._rng = random.Random()  # jitter only, never results

    @property
    def lock_path(self) -> str:
        """The path of the lock file."""
        return self._lock_path

    @property
    def grace_period(self) -> float | None:
        """Seconds after which an unchanged lock is broken (``None``: never)."""
        return self._grace_period

    @abc.abstractmethod
    def _create(self, path: str, token: str) -> bool:
        """Atomically create a lock at ``path`` holding ``token``; False if one exists."""

    @abc.abstractmethod
    def _read(self, path: str) -> str | None:
        """The token of the lock at ``path``, or None if there is none."""

    def acquire(self) -> bool:
        """Wait until the lock is ours (breaking it if abandoned), then return True."""
        self._thread_lock.acquire()
        try:
            token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
            seen: str | None = None
            since = delay = 0.0
            while not self._create(self._lock_path, token):
                current = self._read(self._lock_path)
                now = time.monotonic()
                if current is None:
                    continue  # released just now: try again at once
                if not _is_token(current):
                    raise self._foreign(current)
                if current != seen:
                    seen, since, delay = current, now, _MIN_DELAY
                elif self._grace_period is not None and now - since > self._grace_period:
                    self._break(current)
                    seen = None
                    continue
                time.sleep(delay * (0.5 + self._rng.random()))
                delay = min(2 * delay, _MAX_DELAY)
            self._token = token
            return True
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        """Give the lock back (a lock broken by others meanwhile is left to its new holder)."""
        try:
            if self._read(self._lock_path) == self._token:
                os.unlink(self._lock_path)
            else:
                _logger.warning(
                    f"The lock {self._lock_path} was broken by another process while this one "
                    "held it; raise grace_period if writes can take that long."
                )
        finally:
            self._token = None
            self._thread_lock.release()

    def _break(self, stale: str) -> None:
        """Remove an abandoned lock: move it aside, and put it back if it was not the stale
        one (a waiter that broke it first may already have handed it to a new holder)."""
        aside = f"{self._lock_path}.{uuid.uuid4().hex}.stale"
        try:
            os.rename(self._lock_path, aside)
        except FileNotFoundError:
            return
        moved = self._read(aside)
        if moved is not None and not _is_token(moved):  # swapped for a foreign file meanwhile
            with contextlib.suppress(OSError):
                os.rename(aside, self._lock_path)
            raise self._foreign(moved)
        if moved == stale:
            _logger.warning(
                f"Broke the lock {self._lock_path} held by {stale!r}, unchanged for more than "
                f"{self._grace_period} s (its holder probably died)."
            )
        elif moved:
            self._create(self._lock_path, moved)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)

    def _foreign(self, content: str) -> StorageInternalError:
        """The error for a file at the lock path that is not a lock of podbor's."""
        what = "not a podbor lock" if content else "not a podbor lock (not a symlink or empty)"
        return StorageInternalError(
            f"The journal's lock path {self._lock_path!r} holds a file that is {what}; it is "
            "left untouched. Move it away (or give the journal another name) to use the journal."
        )

    def __enter__(self) -> BaseJournalFileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __getstate__(self) -> dict[str, Any]:
        return {"lock_path": self._lock_path, "grace_period": self._grace_period}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._lock_path = state["lock_path"]
        self._grace_period = state["grace_period"]
        self._thread_lock = threading.Lock()
        self._token = None
        self._rng = random.Random()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._lock_path[:-5]!r}, grace_period={self._grace_period})"


class JournalFileSymlinkLock(BaseJournalFileLock):
    """A lock made by ``os.symlink``, which is atomic on local filesystems and on NFS.

    Example:
        >>> import os, tempfile
        >>> lock = JournalFileSymlinkLock(os.path.join(tempfile.mkdtemp(), "study.log"))
        >>> with lock:
        ...     os.path.islink(lock.lock_path)
        True
    """

    def _create(self, path: str, token: str) -> bool:
        try:
            os.symlink(token, path)
        except FileExistsError:
            return False
        return True

    def _read(self, path: str) -> str | None:
        try:
            return os.readlink(path)
        except FileNotFoundError:
            return None
        except OSError:  # not a symlink: someone else's file (never broken, see _is_token)
            return ""


class JournalFileOpenLock(BaseJournalFileLock):
    """A lock made by ``open(O_CREAT | O_EXCL)``, for filesystems without symlinks.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
        >>> with JournalFileOpenLock(path) as lock:
        ...     os.path.isfile(lock.lock_path) and not os.path.islink(lock.lock_path)
        True
    """

    def _create(self, path: str, token: str) -> bool:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, token.encode())
        finally:
            os.close(fd)
        return True

    def _read(self, path: str) -> str | None:
        try:
            with open(path, "rb") as f:
                text = f.read(_MAX_TOKEN + 1).decode(errors="replace")
        except FileNotFoundError:
            return None
        except OSError:  # e.g. a directory: someone else's (never broken, see _is_token)
            return "\0"
        # created but not yet written: a lock whose holder may have died between the two steps
        return text or _EMPTY_TOKEN


class JournalFileBackend:
    """A journal file that any number of processes (on one machine or sharing a network
    filesystem) read and append to.

    Args:
        file_path: The journal file; created if missing (its directory must exist).
        lock_obj: The lock that serializes writers; a :class:`JournalFileSymlinkLock` on the
            same path by default. Use a :class:`JournalFileOpenLock` where symlinks are not
            available.

    Raises:
        ValueError: If ``file_path`` is a directory, lies in a missing directory, cannot be
            written, or is a file that is not a podbor journal (it is left untouched).

    Example:
        >>> import os, tempfile
        >>> from podbor.storages import JournalStorage
        >>> backend = JournalFileBackend(os.path.join(tempfile.mkdtemp(), "study.log"))
        >>> storage = JournalStorage(backend)
    """

    def __init__(
        self, file_path: str | os.PathLike[str], lock_obj: BaseJournalFileLock | None = None
    ) -> None:
        self._path = _checked_file(file_path)
        check_instance(
            lock_obj,
            "lock_obj",
            BaseJournalFileLock,
            owner="JournalFileBackend",
            allowed="a JournalFileSymlinkLock or JournalFileOpenLock",
            allow_none=True,
        )
        self._lock = lock_obj if lock_obj is not None else JournalFileSymlinkLock(self._path)
        _create_if_missing(self._path)
        _check_header(self._path)

    @property
    def file_path(self) -> str:
        """The path of the journal file."""
        return self._path

    @property
    def lock_obj(self) -> BaseJournalFileLock:
        """The lock that serializes writers."""
        return self._lock

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file lock for the duration of the block."""
        self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()

    def read(self, offset: int, *, locked: bool = False, line: int = 1) -> ReadResult:
        """Read the complete, valid lines after ``offset`` (the header is checked, not returned);
        ``line`` is the number of the line that starts at ``offset``.

        Reading stops at a torn tail. A damaged line followed by more lines is skipped with a
        warning, but only under the lock (another writer could still be completing it): without
        the lock, such a read takes the lock and reads on from that line.
        """
        result = ReadResult([], offset, line)
        with contextlib.closing(self.read_parts(offset, locked=locked, line=line)) as parts:
            for part in parts:
                result.records.extend(part.records)
                result.end, result.end_line = part.end, part.end_line
        return result

    def read_parts(
        self, offset: int, *, locked: bool = False, line: int = 1
    ) -> Generator[ReadResult, None, None]:
        """:meth:`read`, in parts of about :data:`PART_BYTES` each (whole lines): a replay
        applies one part before the next is parsed, so memory holds one part's records, not the
        file's. Each part's ``end`` and ``end_line`` say where the lines read so far end."""
        with open(self._path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < offset:
                raise StorageInternalError(
                    f"The journal {self._path} shrank below what was already read from it "
                    f"({size} < {offset} bytes): was it replaced or truncated by hand?"
                )
            f.seek(offset)
            parser = self._parser(skip_damaged=locked)
            start, number, carry, left = offset, line, b"", size - offset
            while left > 0:
                # a line longer than a part: each read as long as what is held of it, so
                # reading it costs time linear in its length
                block = f.read(min(max(PART_BYTES, len(carry)), left))
                if not block:
                    return  # the file shrank meanwhile (by hand): what was read stands
                left -= len(block)
                data = carry + block
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
                if not data:
                    continue  # one line longer than a part: read on
                part, blocked = parser.parse(data, start, number, more=left > 0)
                yield part
                if blocked:
                    break
                start, number = start + len(data), number + data.count(b"\n")
            else:
                return
        with self.locked():  # a damaged line with more after it: read on under the lock
            yield from self.read_parts(part.end, locked=True, line=part.end_line)

    def _parser(self, *, skip_damaged: bool) -> LineParser:
        return LineParser(
            lambda raw, record: _check_header_record(self._path, raw, record),
            _logger.warning,
            self._path,
            skip_damaged=skip_damaged,
        )

    def append(self, lines: list[bytes], *, at: int, line: int = 1) -> tuple[int, int] | None:
        """Append lines made by :func:`encode_record`; the caller holds the lock and has read
        everything up to ``at``, where the line numbered ``line`` starts.

        A torn tail after ``at`` is cut off first; an empty file gets the header first. The
        write is followed by ``os.fsync``.

        Returns:
            The offset where the first line landed and the offset after the last one; or None,
            writing nothing, when complete lines follow ``at`` (someone appended without the
            lock, e.g. after a lock was broken too early): read them and try again.

        Raises:
            StorageInternalError: If the file shrank below ``at`` (changed by hand).
            OSError: If writing fails (e.g. the disk is full); nothing before ``at`` is lost.
        """
        data = b"".join(lines)
        if at == 0:
            data = HEADER + data
        fd = os.open(self._path, os.O_RDWR | os.O_APPEND)
        try:
            if not self._cut_torn_tail(fd, at, line):
                return None
            _write_all(fd, data)
            os.fsync(fd)
            end = os.lseek(fd, 0, os.SEEK_CUR)
        finally:
            os.close(fd)
        return end - len(data) + (len(HEADER) if at == 0 else 0), end

    def _cut_torn_tail(self, fd: int, at: int, line: int) -> bool:
        """Truncate the file to ``at`` if all after it is torn; False if valid lines follow."""
        size = os.fstat(fd).st_size
        if size < at:
            raise StorageInternalError(
                f"The journal {self._path} shrank below what was already read from it "
                f"({size} < {at} bytes): was it replaced or truncated by hand?"
            )
        if size == at:
            return True
        torn = os.pread(fd, size - at, at)
        tail, _ = self._parser(skip_damaged=True).parse(torn, at, line, more=False)
        if tail.records:
            return False
        last = line + torn.count(b"\n") - (1 if torn.endswith(b"\n") else 0)
        _logger.warning(
            f"Cut off a torn last record ({lines_text(line, last)}, {size - at} bytes) of the journal "
            f"{self._path}, left by a writer that died mid-write; the records before it are kept."
        )
        os.ftruncate(fd, at)
        return True

    def __repr__(self) -> str:
        return f"JournalFileBackend({self._path!r}, lock_obj={self._lock!r})"


_TOKEN = re.compile(r"[^\s:]*:\d+:[0-9a-f]{32}")
_MAX_TOKEN = 512
_EMPTY_TOKEN = ":0:" + "0" * 32
"""What a :class:`JournalFileOpenLock` reads from an empty lock file: a file created with
``O_EXCL`` whose holder died before writing its token into it (or an empty foreign file, which
breaking it loses nothing of)."""


def _is_token(text: str) -> bool:
    """Whether ``text`` is what a podbor lock holds (``host:pid:hex``); only such locks are
    ever broken, so a file of someone else's at the lock path is never deleted or changed."""
    return _TOKEN.fullmatch(text) is not None


def _check_path(value: Any, name: str, *, owner: str, allowed: str) -> str:
    """Return a path argument (str or os.PathLike, not empty) as an absolute path."""
    check_instance(value, name, (str, os.PathLike), owner=owner, allowed=allowed)
    path: str = os.fspath(value)
    if not path:
        raise invalid_argument(name, value, allowed, owner=owner)
    return os.path.abspath(path)


def _checked_file(file_path: Any) -> str:
    owner = "JournalFileBackend"
    allowed = "a path (str or os.PathLike) to a journal file"
    path = _check_path(file_path, "file_path", owner=owner, allowed=allowed)
    if os.path.isdir(path):
        raise invalid_argument(
            "file_path", file_path, "a path to a file, not to a directory", owner=owner
        )
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise invalid_argument(
            "file_path",
            file_path,
            f"a path in an existing directory ({parent!r} does not exist)",
            owner=owner,
        )
    return path


def _create_if_missing(path: str) -> None:
    existed = os.path.exists(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as err:
        raise InvalidArgumentError(
            f"The 'file_path' parameter of JournalFileBackend must be a file podbor can write. "
            f"Got {path!r}, which cannot be opened for writing: {err.strerror}."
        ) from err
    os.close(fd)
    if not existed:  # make the new directory entry durable too (best effort)
        with contextlib.suppress(OSError):
            dir_fd = os.open(os.path.dirname(path), os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _check_header(path: str) -> None:
    with open(path, "rb") as f:
        head = f.read(len(HEADER) + 256)
    if b"\n" not in head:
        if not HEADER.startswith(head):
            _refuse(path, head)
        return  # empty, or a header torn by a crash: the next writer rewrites it
    first = head.split(b"\n", 1)[0]
    _check_header_record(path, first, parse_line(first))


def _check_header_record(path: str, raw: bytes, record: dict[str, Any] | None) -> None:
    if record is None or record.get("op") != "header" or record.get("format") != "podbor-journal":
        _refuse(path, raw)
        return
    version = record.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidArgumentError(
            f"The journal {path!r} was written by a newer podbor (format version {version!r}, "
            f"this podbor reads {FORMAT_VERSION}); it is left untouched. Upgrade podbor to use it."
        )


def _refuse(path: str, raw: bytes) -> None:
    raise InvalidArgumentError(
        f"The 'file_path' parameter of JournalFileBackend must be a podbor journal or a new "
        f"file. Got {path!r}, which starts with {raw[:60]!r} instead of a journal header; it is "
        "left untouched."
    )


def encode_record(record: dict[str, Any]) -> bytes:
    """One journal line: strict JSON (no NaN or Infinity tokens), ASCII, ended by a newline.

    Raises:
        ValueError: If the record holds a non-finite float or is not JSON-serializable.
    """
    return json.dumps(record, allow_nan=False, separators=(",", ":")).encode() + b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
