"""The exception of ``podbor.artifacts``: an artifact id that a store does not hold.

Example:
    >>> from podbor.artifacts.exceptions import ArtifactNotFound
    >>> from podbor.exceptions import PodborError
    >>> issubclass(ArtifactNotFound, PodborError)
    True
"""

from __future__ import annotations

from podbor.exceptions import PodborError

__all__ = ["ArtifactNotFound"]


class ArtifactNotFound(PodborError):
    """An artifact store holds no artifact of the id it was asked for.

    Stores raise it from ``open_reader`` (and, where the backend can tell, from ``remove``), so
    that code which reads artifacts can tell "not there" from a failing backend: the
    :class:`~podbor.artifacts.Backoff` wrapper retries other errors but never this one.

    Example:
        >>> import tempfile
        >>> from podbor.artifacts import FileSystemArtifactStore
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     try:
        ...         FileSystemArtifactStore(folder).open_reader("no-such-id")
        ...     except ArtifactNotFound as err:
        ...         print("not found")
        not found
    """
