"""``upload_artifact``: put a file into an artifact store and record it on a trial or a study."""

from __future__ import annotations

import contextlib
import functools
import mimetypes
import os
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, ParamSpec, TypeVar, cast

from podbor._deprecated import warn_deprecated
from podbor.artifacts._meta import ARTIFACTS_ATTR_PREFIX, ArtifactMeta, _Target
from podbor.exceptions import invalid_argument

if TYPE_CHECKING:
    from podbor.artifacts._protocol import ArtifactStore
    from podbor.storages import BaseStorage
    from podbor.study import Study
    from podbor.trial import FrozenTrial, Trial

__all__ = ["DEFAULT_MIME_TYPE", "ArtifactMeta", "upload_artifact"]

DEFAULT_MIME_TYPE = "application/octet-stream"
"""The MIME type of a file whose extension says nothing (as in Optuna)."""

_OWNER = "upload_artifact"
# The order Optuna 3.x took these three arguments in, positionally (deprecated since 4.0).
_OLD_POSITIONAL = ("study_or_trial", "file_path", "artifact_store")

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _old_positional_order(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Accept the first three arguments positionally, in Optuna 3.x's order, with a warning."""
    keyword_only: Callable[..., _R] = func

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> _R:
        if args:
            if len(args) > len(_OLD_POSITIONAL):
                raise TypeError(
                    f"{_OWNER}() takes at most {len(_OLD_POSITIONAL)} positional arguments "
                    f"({', '.join(_OLD_POSITIONAL)}), but {len(args)} were given."
                )
            names = _OLD_POSITIONAL[: len(args)]
            twice = [name for name in names if name in kwargs]
            if twice:
                raise TypeError(f"{_OWNER}() got multiple values for argument {twice[0]!r}.")
            warn_deprecated(
                f"Passing {', '.join(names)} to {_OWNER} positionally",
                since="0.1.0",
                removed_in="a future version (Optuna removes it in 6.0)",
                replacement="keyword arguments",
            )
            kwargs.update(zip(names, args, strict=True))
        return keyword_only(**kwargs)

    return cast("Callable[_P, _R]", wrapper)


@_old_positional_order
def upload_artifact(
    *,
    artifact_store: ArtifactStore,
    file_path: str | os.PathLike[str],
    study_or_trial: Trial | FrozenTrial | Study,
    storage: BaseStorage | None = None,
    mimetype: str | None = None,
    encoding: str | None = None,
) -> str:
    """Copy a file into an artifact store and record it on a trial or a study.

    The file's bytes go to ``artifact_store`` under a new id (a UUID); its description
    (:class:`~podbor.artifacts.ArtifactMeta`: the id, the file's base name, MIME type and
    encoding) goes to the trial's or the study's system attributes, where
    :func:`~podbor.artifacts.get_all_artifact_meta` lists it — in Optuna's layout, so Optuna and
    optuna-dashboard see the same artifacts. The store is written first: if recording the
    description fails (a finished trial cannot change), the bytes are removed again, and a
    failed upload leaves no description behind.

    Passing the first three arguments positionally, in Optuna 3.x's order
    (``study_or_trial, file_path, artifact_store``), still works with a ``FutureWarning``.

    Args:
        artifact_store: Where the bytes go (:class:`~podbor.artifacts.FileSystemArtifactStore`,
            :class:`~podbor.artifacts.Boto3ArtifactStore`, …; see
            :class:`~podbor.artifacts.ArtifactStore`).
        file_path: The file to upload.
        study_or_trial: What the artifact belongs to: the live :class:`~podbor.Trial` an
            objective receives, a :class:`~podbor.FrozenTrial` (with ``storage``), or a
            :class:`~podbor.Study`.
        storage: The storage that holds ``study_or_trial``; needed for a ``FrozenTrial`` only.
        mimetype: The MIME type to record; by default guessed from the file's extension
            (``"text/plain"`` for ``.txt``), else ``"application/octet-stream"``.
        encoding: The content encoding to record (``"gzip"``); by default guessed from the
            extension (``.gz``), else None.

    Returns:
        The artifact's id.

    Raises:
        FileNotFoundError: ``file_path`` names no file.
        IsADirectoryError: ``file_path`` names a folder.
        ValueError: ``storage`` is None for a ``FrozenTrial``, or ``mimetype``/``encoding`` is
            an empty string (:class:`~podbor.exceptions.InvalidArgumentError`).
        TypeError: an argument of the wrong type
            (:class:`~podbor.exceptions.InvalidArgumentTypeError`).
        podbor.exceptions.UpdateFinishedTrialError: The trial has finished.

    Example:
        >>> import pathlib, tempfile
        >>> import podbor
        >>> from podbor.artifacts import FileSystemArtifactStore, get_all_artifact_meta
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     store = FileSystemArtifactStore(folder)
        ...     notes = pathlib.Path(folder, "notes.txt")
        ...     _ = notes.write_text("lr=0.1 diverged")
        ...     study = podbor.create_study()
        ...     trial = study.ask()
        ...     artifact_id = upload_artifact(
        ...         artifact_store=store, file_path=notes, study_or_trial=trial
        ...     )
        ...     meta = get_all_artifact_meta(trial)[0]
        >>> meta.artifact_id == artifact_id, meta.filename, meta.mimetype
        (True, 'notes.txt', 'text/plain')
    """
    write = getattr(artifact_store, "write", None)
    if not callable(write):
        raise invalid_argument(
            "artifact_store",
            artifact_store,
            "an artifact store (an object with open_reader, write and remove methods)",
            owner=_OWNER,
            wrong_type=True,
        )
    if not isinstance(file_path, (str, os.PathLike)):
        raise invalid_argument(
            "file_path", file_path, "a str or a path-like object", owner=_OWNER, wrong_type=True
        )
    _check_optional_text(mimetype, "mimetype")
    _check_optional_text(encoding, "encoding")
    target = _Target(study_or_trial, storage, owner=_OWNER)

    filename = os.path.basename(os.fspath(file_path))
    guessed_mimetype, guessed_encoding = mimetypes.guess_type(filename)
    artifact_id = str(uuid.uuid4())
    meta = ArtifactMeta(
        artifact_id=artifact_id,
        filename=filename,
        mimetype=mimetype or guessed_mimetype or DEFAULT_MIME_TYPE,
        encoding=encoding or guessed_encoding,
    )
    with _open_source(file_path) as source:
        artifact_store.write(artifact_id, source)
    try:
        target.set_system_attr(ARTIFACTS_ATTR_PREFIX + artifact_id, meta.to_json())
    except BaseException:
        # The error that matters is the one re-raised; a failed clean-up leaves an orphan blob.
        with contextlib.suppress(Exception):
            artifact_store.remove(artifact_id)
        raise
    return artifact_id


def _check_optional_text(value: Any, name: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise invalid_argument(name, value, "a str or None", owner=_OWNER, wrong_type=True)
    if not value:
        raise invalid_argument(
            name, value, "a non-empty str, or None to guess it from the file name", owner=_OWNER
        )


def _open_source(file_path: str | os.PathLike[str]) -> BinaryIO:
    """Open the file to upload, with errors that name the argument."""
    try:
        return open(file_path, "rb")  # the caller closes it
    except FileNotFoundError as err:
        message = invalid_argument("file_path", file_path, "an existing file", owner=_OWNER)
        raise FileNotFoundError(str(message)) from err
    except IsADirectoryError as err:
        message = invalid_argument("file_path", file_path, "a file, not a folder", owner=_OWNER)
        raise IsADirectoryError(str(message)) from err
