"""An artifact store in a Google Cloud Storage bucket, through ``google-cloud-storage``.

The library is imported only when the store has to make its own client (``pip install
podbor[gcs]``); a store given a client needs nothing else installed.
"""

from __future__ import annotations

import importlib
import io
from typing import TYPE_CHECKING, Any, BinaryIO

from podbor._deprecated import experimental
from podbor.artifacts.exceptions import ArtifactNotFound
from podbor.exceptions import invalid_argument

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["GCSArtifactStore"]

_OWNER = "GCSArtifactStore"


def _import_gcs() -> ModuleType:
    try:
        return importlib.import_module("google.cloud.storage")
    except ImportError as err:
        raise ImportError(
            f"{_OWNER} needs google-cloud-storage, which is not installed: pip install podbor[gcs]"
        ) from err


@experimental("0.1.0")
class GCSArtifactStore:
    """Keep artifacts as blobs of a Google Cloud Storage bucket, named by their artifact ids.

    Experimental, as in Optuna: creating one emits an
    :class:`~podbor.exceptions.ExperimentalWarning`.

    Args:
        bucket_name: The bucket (it must exist).
        client: A ``google.cloud.storage.Client``. By default one is made with the default
            credentials (``gcloud auth application-default login``, or
            ``GOOGLE_APPLICATION_CREDENTIALS``); this needs google-cloud-storage
            (``pip install podbor[gcs]``).

    Raises:
        ImportError: No ``client`` was given and google-cloud-storage is not installed.
        ValueError: ``bucket_name`` is empty (:class:`~podbor.exceptions.InvalidArgumentError`).
        TypeError: ``bucket_name`` is not a str
            (:class:`~podbor.exceptions.InvalidArgumentTypeError`).

    ``open_reader`` downloads the whole blob into memory and returns it as ``io.BytesIO``;
    ``open_reader`` and ``remove`` raise :class:`~podbor.artifacts.exceptions.ArtifactNotFound`
    for a blob that does not exist.

    Example:
        Any object with the bucket and blob methods the store calls works as ``client``; here
        an in-memory one stands in for the service:

        >>> import io
        >>> class Blob:
        ...     def __init__(self, blobs, name):
        ...         self.blobs, self.name = blobs, name
        ...     def upload_from_string(self, data):
        ...         self.blobs[self.name] = data
        ...     def download_as_bytes(self):
        ...         return self.blobs[self.name]
        >>> class Bucket:
        ...     def __init__(self):
        ...         self.blobs = {}
        ...     def blob(self, name):
        ...         return Blob(self.blobs, name)
        ...     def get_blob(self, name):
        ...         return Blob(self.blobs, name) if name in self.blobs else None
        ...     def delete_blob(self, name):
        ...         del self.blobs[name]
        >>> class Client:
        ...     def bucket(self, name):
        ...         return Bucket()
        >>> store = GCSArtifactStore("my-bucket", client=Client())
        >>> store.write("run-1", io.BytesIO(b"weights"))
        >>> store.open_reader("run-1").read()
        b'weights'
    """

    def __init__(self, bucket_name: str, client: Any | None = None) -> None:
        if not isinstance(bucket_name, str):
            raise invalid_argument(
                "bucket_name", bucket_name, "a str", owner=_OWNER, wrong_type=True
            )
        if not bucket_name:
            raise invalid_argument("bucket_name", bucket_name, "a bucket's name", owner=_OWNER)
        if client is None:
            client = _import_gcs().Client()
        self.bucket_name: str = bucket_name
        self.client: Any = client
        self.bucket_obj: Any = client.bucket(bucket_name)

    def __repr__(self) -> str:
        return f"GCSArtifactStore({self.bucket_name!r})"

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The blob's bytes, downloaded into an ``io.BytesIO``.

        Raises:
            podbor.artifacts.exceptions.ArtifactNotFound: The bucket has no such blob.
        """
        blob = self.bucket_obj.get_blob(artifact_id)
        if blob is None:
            raise ArtifactNotFound(self._missing(artifact_id))
        return io.BytesIO(blob.download_as_bytes())

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Upload what ``content_body`` yields from its current position as ``artifact_id``."""
        self.bucket_obj.blob(artifact_id).upload_from_string(content_body.read())

    def remove(self, artifact_id: str) -> None:
        """Delete the blob.

        Raises:
            podbor.artifacts.exceptions.ArtifactNotFound: The bucket has no such blob.
        """
        try:
            self.bucket_obj.delete_blob(artifact_id)
        except Exception as err:
            if getattr(err, "code", None) == 404:  # google.api_core.exceptions.NotFound
                raise ArtifactNotFound(self._missing(artifact_id)) from err
            raise

    def _missing(self, artifact_id: str) -> str:
        return f"There is no artifact {artifact_id!r} in the GCS bucket {self.bucket_name!r}."
