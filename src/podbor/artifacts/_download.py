"""``download_artifact``: copy an artifact out of a store into a new file."""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import TYPE_CHECKING

from podbor.exceptions import invalid_argument

if TYPE_CHECKING:
    from podbor.artifacts._protocol import ArtifactStore

__all__ = ["download_artifact"]

_OWNER = "download_artifact"


def download_artifact(
    *, artifact_store: ArtifactStore, artifact_id: str, file_path: str | os.PathLike[str]
) -> None:
    """Write the bytes of an artifact to a new file.

    The file is created exclusively: an existing file is never overwritten, and if the store
    fails half-way the partial file is removed, so ``file_path`` either holds the whole
    artifact or does not exist.

    Args:
        artifact_store: The store the artifact was uploaded to.
        artifact_id: Its id (``upload_artifact``'s return value, or
            ``ArtifactMeta.artifact_id`` from :func:`~podbor.artifacts.get_all_artifact_meta`).
        file_path: The file to create; its folder must exist.

    Raises:
        FileExistsError: ``file_path`` exists already.
        podbor.artifacts.exceptions.ArtifactNotFound: The store holds no such artifact (no file
            is created).
        TypeError: an argument of the wrong type
            (:class:`~podbor.exceptions.InvalidArgumentTypeError`).

    Example:
        >>> import io, pathlib, tempfile
        >>> from podbor.artifacts import FileSystemArtifactStore
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     store = FileSystemArtifactStore(folder)
        ...     store.write("some-id", io.BytesIO(b"weights"))
        ...     target = pathlib.Path(folder, "model.bin")
        ...     download_artifact(artifact_store=store, artifact_id="some-id", file_path=target)
        ...     target.read_bytes()
        b'weights'
    """
    if not callable(getattr(artifact_store, "open_reader", None)):
        raise invalid_argument(
            "artifact_store",
            artifact_store,
            "an artifact store (an object with open_reader, write and remove methods)",
            owner=_OWNER,
            wrong_type=True,
        )
    if not isinstance(artifact_id, str):
        raise invalid_argument("artifact_id", artifact_id, "a str", owner=_OWNER, wrong_type=True)
    if not isinstance(file_path, (str, os.PathLike)):
        raise invalid_argument(
            "file_path", file_path, "a str or a path-like object", owner=_OWNER, wrong_type=True
        )
    if os.path.lexists(file_path):
        raise FileExistsError(
            str(
                invalid_argument(
                    "file_path", file_path, "a file that does not exist yet", owner=_OWNER
                )
            )
        )
    reader = artifact_store.open_reader(artifact_id)
    with contextlib.closing(reader):
        try:
            with open(file_path, "xb") as writer:
                shutil.copyfileobj(reader, writer)
        except FileExistsError as err:  # created by someone else since the check above
            raise FileExistsError(
                str(
                    invalid_argument(
                        "file_path", file_path, "a file that does not exist yet", owner=_OWNER
                    )
                )
            ) from err
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(file_path)
            raise
