"""What an artifact store is: three methods over opaque ids and bytes.

``upload_artifact`` and ``download_artifact`` use nothing else, so any object with these three
methods works as a store: the bundled file-system, S3 and Google Cloud Storage stores, the
:class:`~podbor.artifacts.Backoff` wrapper, or your own.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol

__all__ = ["ArtifactStore"]


class ArtifactStore(Protocol):
    """The interface of an artifact store (a :class:`typing.Protocol`; no base class needed).

    The store keeps bytes under an id that ``upload_artifact`` makes up (a UUID); what the
    bytes are (the file name, the MIME type) is kept in the study's storage, not in the store.
    User code rarely calls these methods itself; ``upload_artifact`` and
    ``download_artifact`` do.

    Example:
        >>> import io
        >>> from podbor.artifacts.exceptions import ArtifactNotFound
        >>> class DictStore:
        ...     def __init__(self):
        ...         self.blobs = {}
        ...     def open_reader(self, artifact_id):
        ...         if artifact_id not in self.blobs:
        ...             raise ArtifactNotFound(artifact_id)
        ...         return io.BytesIO(self.blobs[artifact_id])
        ...     def write(self, artifact_id, content_body):
        ...         self.blobs[artifact_id] = content_body.read()
        ...     def remove(self, artifact_id):
        ...         del self.blobs[artifact_id]
        >>> store: ArtifactStore = DictStore()
        >>> store.write("a", io.BytesIO(b"bytes"))
        >>> store.open_reader("a").read()
        b'bytes'
    """

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """Open the artifact's bytes for reading, as ``open(path, "rb")`` would.

        Raises:
            podbor.artifacts.exceptions.ArtifactNotFound: If the store holds no such artifact.
        """
        ...

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store everything ``content_body`` yields (read from its current position) under
        ``artifact_id``, replacing what was there."""
        ...

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact; a store that can tell raises
        :class:`~podbor.artifacts.exceptions.ArtifactNotFound` for an unknown id."""
        ...
