"""Files attached to trials and studies: models, plots, logs (Optuna's ``optuna.artifacts``).

An objective saves a file, :func:`upload_artifact` copies it into an *artifact store* (a folder,
an S3 or a Google Cloud Storage bucket, or any object with the :class:`ArtifactStore` methods)
and records its description on the trial; later :func:`get_all_artifact_meta` lists a trial's
artifacts and :func:`download_artifact` fetches one. The descriptions live in the study's
storage in Optuna's layout, so Optuna and optuna-dashboard see the artifacts of a study copied
with ``podbor.copy_study(..., to_format="optuna")``; the store itself is yours to keep: podbor
does not record which store a study used.

Example:
    >>> import pathlib, tempfile
    >>> import podbor
    >>> from podbor.artifacts import FileSystemArtifactStore, upload_artifact
    >>> folder = tempfile.TemporaryDirectory()
    >>> store = FileSystemArtifactStore(folder.name)
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -1, 1)
    ...     path = pathlib.Path(folder.name, f"x-{trial.number}.txt")
    ...     _ = path.write_text(str(x))
    ...     upload_artifact(artifact_store=store, file_path=path, study_or_trial=trial)
    ...     return x * x
    >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
    >>> storage = podbor.storages.InMemoryStorage()
    >>> study = podbor.create_study(storage=storage)
    >>> study.optimize(objective, n_trials=3)
    >>> best = get_all_artifact_meta(study.best_trial, storage=storage)
    >>> best[0].filename == f"x-{study.best_trial.number}.txt"
    True
    >>> folder.cleanup()
"""

from __future__ import annotations

from podbor.artifacts._backoff import Backoff
from podbor.artifacts._boto3 import Boto3ArtifactStore
from podbor.artifacts._download import download_artifact
from podbor.artifacts._filesystem import FileSystemArtifactStore
from podbor.artifacts._gcs import GCSArtifactStore
from podbor.artifacts._meta import ArtifactMeta, get_all_artifact_meta
from podbor.artifacts._protocol import ArtifactStore
from podbor.artifacts._upload import upload_artifact

__all__ = [
    "ArtifactMeta",
    "ArtifactStore",
    "Backoff",
    "Boto3ArtifactStore",
    "FileSystemArtifactStore",
    "GCSArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]
