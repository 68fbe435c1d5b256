"""What podbor records about an artifact, where, and how it lists them.

An artifact's bytes live in an artifact store; its description (:class:`ArtifactMeta`) lives in
the study's storage, as a system attribute of the trial or the study it belongs to. The key is
``"artifacts:<artifact id>"`` and the value the JSON text of the four fields — the layout
Optuna uses, so that a study copied between podbor and Optuna (``podbor.copy_study(...,
to_format="optuna")``) and optuna-dashboard list the same artifacts.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from podbor._study_core import core_of
from podbor.exceptions import invalid_argument
from podbor.storages import BaseStorage
from podbor.study import Study
from podbor.trial import FrozenTrial, Trial

__all__ = ["ARTIFACTS_ATTR_PREFIX", "ArtifactMeta", "get_all_artifact_meta"]

ARTIFACTS_ATTR_PREFIX = "artifacts:"
"""The start of every system-attribute key that describes an artifact (Optuna's layout)."""

_TARGETS = "a Trial, a FrozenTrial or a Study"


@dataclass
class ArtifactMeta:
    """The description of one uploaded artifact, as :func:`get_all_artifact_meta` lists it.

    Attributes:
        artifact_id: The id the artifact store keeps the bytes under; pass it to
            :func:`~podbor.artifacts.download_artifact`.
        filename: The base name of the file that was uploaded (no folders).
        mimetype: Its MIME type: the one given to ``upload_artifact``, else guessed from the
            file name's extension, else ``"application/octet-stream"``.
        encoding: Its content encoding (``"gzip"`` for ``x.csv.gz``), given or guessed from
            the extension; None for a plain file.

    Example:
        >>> meta = ArtifactMeta("0f5c", "model.pkl", "application/octet-stream", None)
        >>> meta.filename
        'model.pkl'
    """

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None

    def to_json(self) -> str:
        """The JSON text stored as the system attribute's value (Optuna's layout).

        Example:
            >>> ArtifactMeta("id1", "a.txt", "text/plain", None).to_json()
            '{"artifact_id": "id1", "filename": "a.txt", "mimetype": "text/plain", "encoding": null}'
        """
        return json.dumps(asdict(self))


class _Target:
    """The trial or study an artifact belongs to, resolved to a storage and an id."""

    def __init__(self, study_or_trial: Any, storage: Any, *, owner: str) -> None:
        if storage is not None and not isinstance(storage, BaseStorage):
            raise invalid_argument(
                "storage", storage, "a BaseStorage or None", owner=owner, wrong_type=True
            )
        self.live_trial: Trial | None = None
        self.trial_id: int | None = None
        self.study_id: int | None = None
        if isinstance(study_or_trial, Trial):
            own = study_or_trial.storage
            self.storage: BaseStorage = own if storage is None else storage
            self.trial_id = study_or_trial._trial_id
            if self.storage is own:  # write through the trial, so that its own view sees it
                self.live_trial = study_or_trial
        elif isinstance(study_or_trial, FrozenTrial):
            if storage is None:
                raise invalid_argument(
                    "storage",
                    storage,
                    "the storage that holds the trial when study_or_trial is a FrozenTrial "
                    "(a FrozenTrial is a snapshot and does not know its storage)",
                    owner=owner,
                )
            self.storage = storage
            self.trial_id = study_or_trial._trial_id
        elif isinstance(study_or_trial, Study):
            core = core_of(study_or_trial)
            self.storage = core.storage if storage is None else storage
            self.study_id = core.study_id
        else:
            raise invalid_argument(
                "study_or_trial", study_or_trial, _TARGETS, owner=owner, wrong_type=True
            )

    def system_attrs(self) -> dict[str, Any]:
        if self.trial_id is not None:
            return self.storage.get_trial_system_attrs(self.trial_id)
        assert self.study_id is not None
        return self.storage.get_study_system_attrs(self.study_id)

    def set_system_attr(self, key: str, value: str) -> None:
        if self.live_trial is not None:
            self.live_trial.set_system_attr(key, value)
        elif self.trial_id is not None:
            self.storage.set_trial_system_attr(self.trial_id, key, value)
        else:
            assert self.study_id is not None
            self.storage.set_study_system_attr(self.study_id, key, value)


def get_all_artifact_meta(
    study_or_trial: Trial | FrozenTrial | Study, *, storage: BaseStorage | None = None
) -> list[ArtifactMeta]:
    """List the artifacts uploaded to a trial or to a study.

    A study's list holds only what was uploaded to the study itself, not its trials' artifacts
    (list each trial for those). The order is the storage's order of attributes: upload order
    for the in-memory and journal storages, key order for a database. An attribute under the ``"artifacts:"`` prefix that is not a
    valid description (written by hand) is skipped with a warning.

    Args:
        study_or_trial: A live :class:`~podbor.Trial`, a :class:`~podbor.FrozenTrial`
            (``study.trials[i]``, ``study.best_trial``) or a :class:`~podbor.Study`.
        storage: The storage that holds the trial; needed for a ``FrozenTrial`` only (a live
            trial and a study know theirs).

    Returns:
        One :class:`ArtifactMeta` per artifact.

    Raises:
        ValueError: ``storage`` is None for a ``FrozenTrial``
            (:class:`~podbor.exceptions.InvalidArgumentError`).
        TypeError: ``study_or_trial`` is something else, or ``storage`` is not a storage
            (:class:`~podbor.exceptions.InvalidArgumentTypeError`).

    Example:
        >>> import podbor
        >>> storage = podbor.storages.InMemoryStorage()
        >>> study = podbor.create_study(storage=storage)
        >>> trial = study.ask()
        >>> get_all_artifact_meta(trial)
        []
        >>> get_all_artifact_meta(study.trials[0], storage=storage)
        []
    """
    target = _Target(study_or_trial, storage, owner="get_all_artifact_meta")
    found: list[ArtifactMeta] = []
    for key, value in target.system_attrs().items():
        if not key.startswith(ARTIFACTS_ATTR_PREFIX):
            continue
        meta = _parse(value)
        if meta is None:
            warnings.warn(
                f"Skipped the system attribute {key!r}: it does not describe an artifact "
                "(expected the JSON text of artifact_id, filename, mimetype and encoding).",
                stacklevel=2,
            )
            continue
        found.append(meta)
    return found


def _parse(value: Any) -> ArtifactMeta | None:
    """The description stored as ``value`` (JSON text, or a dict), or None if it is not one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    artifact_id, filename, mimetype, encoding = (
        value.get(name) for name in ("artifact_id", "filename", "mimetype", "encoding")
    )
    if not (isinstance(artifact_id, str) and isinstance(filename, str)):
        return None
    if not isinstance(mimetype, str) or not (encoding is None or isinstance(encoding, str)):
        return None
    return ArtifactMeta(artifact_id, filename, mimetype, encoding)
