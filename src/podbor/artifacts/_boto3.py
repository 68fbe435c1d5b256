"""An artifact store in an Amazon S3 bucket (or any S3-compatible service), through boto3.

boto3 is imported only when the store has to make its own client (``pip install
podbor[boto3]``); a store given a client needs nothing else installed.
"""

from __future__ import annotations

import importlib
import io
import shutil
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from podbor._validation import check_bool
from podbor.artifacts.exceptions import ArtifactNotFound
from podbor.exceptions import invalid_argument

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["Boto3ArtifactStore"]

_OWNER = "Boto3ArtifactStore"
# S3's answers for a key that is not there; a missing bucket ("NoSuchBucket") is a
# configuration error, not a missing artifact, although it is a 404 too.
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _import_boto3() -> ModuleType:
    try:
        return importlib.import_module("boto3")
    except ImportError as err:
        raise ImportError(
            f"{_OWNER} needs boto3, which is not installed: pip install podbor[boto3]"
        ) from err


class Boto3ArtifactStore:
    """Keep artifacts as objects of an S3 bucket, each under its artifact id as the key.

    Args:
        bucket_name: The bucket (it must exist).
        client: A boto3 S3 client (``boto3.client("s3", endpoint_url=...)`` for MinIO or
            another S3-compatible service). By default one is made with ``boto3.client("s3")``,
            which reads the credentials and region the usual boto3 way (environment,
            ``~/.aws``); this needs boto3 (``pip install podbor[boto3]``).
        avoid_buf_copy: Hand the content to ``upload_fileobj`` as it is. By default it is
            first copied into memory, because boto3 may close the file object it uploads
            from; set this for large files whose caller does not need them open afterwards.

    Raises:
        ImportError: No ``client`` was given and boto3 is not installed.
        ValueError: ``bucket_name`` is empty (:class:`~podbor.exceptions.InvalidArgumentError`).
        TypeError: An argument of the wrong type
            (:class:`~podbor.exceptions.InvalidArgumentTypeError`).

    ``open_reader`` raises :class:`~podbor.artifacts.exceptions.ArtifactNotFound` for a key that
    does not exist; ``remove`` of a missing key succeeds quietly, as S3's delete does.

    Example:
        Any object with the three client methods the store calls works as ``client``; here an
        in-memory one stands in for S3:

        >>> import io
        >>> class MemoryS3:
        ...     def __init__(self):
        ...         self.objects = {}
        ...     def upload_fileobj(self, Fileobj, Bucket, Key):
        ...         self.objects[Bucket, Key] = Fileobj.read()
        ...     def get_object(self, Bucket, Key):
        ...         return {"Body": io.BytesIO(self.objects[Bucket, Key])}
        ...     def delete_object(self, Bucket, Key):
        ...         self.objects.pop((Bucket, Key), None)
        >>> store = Boto3ArtifactStore("my-bucket", client=MemoryS3())
        >>> store.write("run-1", io.BytesIO(b"weights"))
        >>> store.open_reader("run-1").read()
        b'weights'
    """

    def __init__(
        self, bucket_name: str, client: Any | None = None, *, avoid_buf_copy: bool = False
    ) -> None:
        if not isinstance(bucket_name, str):
            raise invalid_argument(
                "bucket_name", bucket_name, "a str", owner=_OWNER, wrong_type=True
            )
        if not bucket_name:
            raise invalid_argument("bucket_name", bucket_name, "a bucket's name", owner=_OWNER)
        self._avoid_buf_copy = check_bool(avoid_buf_copy, "avoid_buf_copy", owner=_OWNER)
        if client is None:
            client = _import_boto3().client("s3")
        self.bucket: str = bucket_name
        self.client: Any = client

    def __repr__(self) -> str:
        return f"Boto3ArtifactStore({self.bucket!r})"

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """The object's body, a stream to read (and close) like a file.

        Raises:
            podbor.artifacts.exceptions.ArtifactNotFound: The bucket has no such key.
        """
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=artifact_id)
        except Exception as err:
            if _is_missing_key(err):
                raise ArtifactNotFound(
                    f"There is no artifact {artifact_id!r} in the S3 bucket {self.bucket!r}."
                ) from err
            raise
        return cast("BinaryIO", answer["Body"])

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Upload what ``content_body`` yields from its current position as ``artifact_id``."""
        source: BinaryIO = content_body
        if not self._avoid_buf_copy:
            source = io.BytesIO()
            shutil.copyfileobj(content_body, source)
            source.seek(0)
        self.client.upload_fileobj(source, self.bucket, artifact_id)

    def remove(self, artifact_id: str) -> None:
        """Delete the object (nothing happens if it does not exist, as in S3)."""
        self.client.delete_object(Bucket=self.bucket, Key=artifact_id)


def _is_missing_key(err: Exception) -> bool:
    """Whether a client error (botocore's ``ClientError`` or alike) says "no such key"."""
    response = getattr(err, "response", None)
    if not isinstance(response, dict):
        return False
    error = response.get("Error") or {}
    code = error.get("Code") if isinstance(error, dict) else None
    if code == "NoSuchBucket":
        return False
    metadata = response.get("ResponseMetadata") or {}
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
    return code in _NOT_FOUND_CODES or status == 404
