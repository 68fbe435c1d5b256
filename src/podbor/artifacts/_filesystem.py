"""An artifact store in a local (or mounted network) folder: one file per artifact."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from podbor.artifacts.exceptions import ArtifactNotFound
from podbor.exceptions import InvalidArgumentError, invalid_argument

__all__ = ["FileSystemArtifactStore"]

_OWNER = "FileSystemArtifactStore"


class FileSystemArtifactStore:
    """Keep artifacts as files in one folder, each named by its artifact id.

    The folder is created on the first write if it does not exist. A write goes to a temporary
    file in the folder that is then renamed over the artifact's name, so a reader never sees
    half a file, even with several processes writing. An artifact id must be a single file name:
    ids that are absolute or contain ``/``, ``\\``, ``.`` or ``..`` as a component are refused
    (``ValueError`` with "Invalid artifact_id"), so no id reaches outside ``base_path``. Put the
    folder on a shared file system to let workers on several machines upload to one store.

    Args:
        base_path: The folder that holds the artifacts (a str or a path-like object).

    Raises:
        TypeError: ``base_path`` is not a str or a path
            (:class:`~podbor.exceptions.InvalidArgumentTypeError`).
        ValueError: ``base_path`` is empty or names a file, not a folder
            (:class:`~podbor.exceptions.InvalidArgumentError`).

    Example:
        >>> import io, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     store = FileSystemArtifactStore(folder)
        ...     store.write("run-1", io.BytesIO(b"hello"))
        ...     with store.open_reader("run-1") as f:
        ...         print(f.read())
        ...     store.remove("run-1")
        b'hello'
    """

    def __init__(self, base_path: str | os.PathLike[str]) -> None:
        if not isinstance(base_path, (str, os.PathLike)):
            raise invalid_argument(
                "base_path", base_path, "a str or a path-like object", owner=_OWNER, wrong_type=True
            )
        if os.fspath(base_path) == "":
            raise invalid_argument("base_path", base_path, "a folder's path", owner=_OWNER)
        path = Path(base_path)
        if path.exists() and not path.is_dir():
            raise invalid_argument(
                "base_path", base_path, "a folder (or a path to create one at)", owner=_OWNER
            )
        self._base_path = path

    @property
    def base_path(self) -> Path:
        """The folder that holds the artifacts."""
        return self._base_path

    def __repr__(self) -> str:
        return f"FileSystemArtifactStore({str(self._base_path)!r})"

    def _path_of(self, artifact_id: str, method: str) -> Path:
        """The artifact's file, after refusing an id that would name anything else."""
        if not isinstance(artifact_id, str):
            raise invalid_argument(
                "artifact_id", artifact_id, "a str", owner=f"{_OWNER}.{method}", wrong_type=True
            )
        separators = {"/", os.sep} | ({os.altsep} if os.altsep else set()) | {"\\"}
        if (
            artifact_id in ("", ".", "..")
            or "\x00" in artifact_id
            or any(sep in artifact_id for sep in separators)
            or os.path.isabs(artifact_id)
        ):
            allowed = (
                f"a single file name inside base_path ({str(self._base_path)!r}): not empty, "
                "without '/', '\\\\' or NUL, and not '.' or '..'"
            )
            message = invalid_argument(
                "artifact_id", artifact_id, allowed, owner=f"{_OWNER}.{method}"
            )
            raise InvalidArgumentError(f"Invalid artifact_id: {message}")
        return self._base_path / artifact_id

    def open_reader(self, artifact_id: str) -> BinaryIO:
        """Open the artifact's file for reading (binary); close it when done.

        Raises:
            podbor.artifacts.exceptions.ArtifactNotFound: There is no such artifact.
            ValueError: ``artifact_id`` is not a single file name ("Invalid artifact_id").
        """
        path = self._path_of(artifact_id, "open_reader")
        try:
            return open(path, "rb")  # the caller closes it
        except FileNotFoundError as err:
            raise ArtifactNotFound(self._missing(artifact_id)) from err

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        """Store what ``content_body`` yields from its current position under ``artifact_id``.

        Raises:
            ValueError: ``artifact_id`` is not a single file name ("Invalid artifact_id").
        """
        path = self._path_of(artifact_id, "write")
        self._base_path.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._base_path, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(content_body, out)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise

    def remove(self, artifact_id: str) -> None:
        """Delete the artifact's file.

        Raises:
            podbor.artifacts.exceptions.ArtifactNotFound: There is no such artifact.
            ValueError: ``artifact_id`` is not a single file name ("Invalid artifact_id").
        """
        path = self._path_of(artifact_id, "remove")
        try:
            os.remove(path)
        except FileNotFoundError as err:
            raise ArtifactNotFound(self._missing(artifact_id)) from err

    def _missing(self, artifact_id: str) -> str:
        return f"There is no artifact {artifact_id!r} in {str(self._base_path)!r}."
