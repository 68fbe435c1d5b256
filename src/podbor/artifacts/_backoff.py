"""``Backoff``: retry a flaky artifact store (a network bucket) with growing pauses."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from podbor._validation import check_int, check_real
from podbor.artifacts.exceptions import ArtifactNotFound
from podbor.exceptions import invalid_argument
from podbor.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from podbor.artifacts._protocol import ArtifactStore

__all__ = ["Backoff"]

_OWNER = "Backoff"
_logger = get_logger(__name__)
_T = TypeVar("_T")


class Backoff:
    """Wrap an artifact store so that each call is retried after a failure, waiting longer
    each time.

    A call that raises is tried again up to ``max_retries`` times in all; before the retry
    after failure ``n`` (counted from 0) it sleeps ``min(min_delay * multiplier ** n,
    max_delay)`` seconds — with the defaults 0.1, 0.2, 0.4, … up to 30 s. Each failure that is
    retried is logged (``podbor.artifacts`` logger, with the traceback); the last one is
    raised. :class:`~podbor.artifacts.exceptions.ArtifactNotFound` is an answer, not a failure,
    and is raised at once. A write is retried from the position the content was at when the
    call began, so the content must be seekable to be retried (a file or ``io.BytesIO`` is);
    an unseekable stream gets one try.

    Args:
        backend: The store to wrap.
        max_retries: How many tries in all, an int >= 1.
        multiplier: The growth of the pause from one retry to the next, > 0.
        min_delay: The first pause in seconds, > 0.
        max_delay: The longest pause in seconds, >= ``min_delay``.

    Raises:
        ValueError: An argument out of its range (:class:`~podbor.exceptions.InvalidArgumentError`).

    Example:
        >>> import io, tempfile
        >>> from podbor.artifacts import FileSystemArtifactStore
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     store = Backoff(FileSystemArtifactStore(folder), max_retries=3)
        ...     store.write("a", io.BytesIO(b"data"))
        ...     with store.open_reader("a") as f:
        ...         print(f.read())
        b'data'
    """

    def __init__(
        self,
        backend: ArtifactStore,
        *,
        max_retries: int = 10,
        multiplier: float = 2,
        min_delay: float = 0.1,
        max_delay: float = 30,
    ) -> None:
        if not all(callable(getattr(backend, m, None)) for m in ("open_reader", "write", "remove")):
            raise invalid_argument(
                "backend",
                backend,
                "an artifact store (an object with open_reader, write and remove methods)",
                owner=_OWNER,
                wrong_type=True,
            )
        self._backend = backend
        self._max_retries = check_int(max_retries, "max_retries", owner=_OWNER, minimum=1)
        self._multiplier = check_real(
            multiplier, "multiplier", owner=_OWNER, minimum=0, include_minimum=False, finite=True
        )
        self._min_delay = check_real(
            min_delay, "min_delay", owner=_OWNER, minimum=0, include_minimum=False, finite=True
        )
        self._max_delay = check_real(
            max_delay, "max_delay", owner=_OWNER, minimum=self._min_delay, finite=True
        )

    @property
    def backend(self) -> ArtifactStore:
        """The wrapped store."""
        return self._backend

    def __repr__(self) -> str:
        return (
            f"Backoff({self._backend!r}, max_retries={self._max_retries}, "
            f"multiplier={self._multiplier}, min_delay={self._min_delay}, "
            f"max_delay={self._max_delay})"
        )

    def _get_sleep_secs(self, n_retry: int) -> float:
        """The pause, in seconds, before the retry that follows failure ``n_retry`` (from 0)."""
        try:
            delay = self._min_delay * self._multiplier**n_retry
        except OverflowError:
            return self._max_delay
        return min(delay, self._max_delay)

    def _call(
        self,
        what: str,
        artifact_id: str,
        call: Callable[[], _T],
        rewind: Callable[[], None] | None = None,
        retry: bool = True,
    ) -> _T:
        for attempt in range(self._max_retries):
            try:
                return call()
            except ArtifactNotFound:
                raise
            except Exception as err:
                if not retry or attempt == self._max_retries - 1:
                    raise
                _logger.warning(
                    "Failed to %s artifact %r (try %d of %d); retrying.",
                    what,
                    artifact_id,
                    attempt + 1,
                    self._max_retries,
                    exc_info=err,
                )
            time.sleep(self._get_sleep_secs(attempt))
            if rewind is not None:
                rewind()
        raise AssertionError("unreachable: the last try returns or raises")

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The wrapped store's ``open_reader``, retried."""
        return self._call("open", artifact_id, lambda: self._backend.open_reader(artifact_id))

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """The wrapped store's ``write``, retried from the content's starting position."""
        start: int | None = None
        try:
            if content_body.seekable():
                start = content_body.tell()
        except (AttributeError, OSError, ValueError):
            start = None

        def rewind() -> None:
            assert start is not None
            content_body.seek(start)

        self._call(
            "write",
            artifact_id,
            lambda: self._backend.write(artifact_id, content_body),
            rewind=rewind if start is not None else None,
            retry=start is not None,
        )

    def remove(self, artifact_id: str) -> None:
        """The wrapped store's ``remove``, retried."""
        self._call("remove", artifact_id, lambda: self._backend.remove(artifact_id))
