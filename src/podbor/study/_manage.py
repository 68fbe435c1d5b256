"""Creating, loading, copying, listing and deleting the studies of a storage."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from podbor._frozen_study import StudySummary
from podbor._study_direction import StudyDirection
from podbor._validation import check_instance
from podbor.exceptions import DuplicatedStudyError, InvalidArgumentError, invalid_argument
from podbor.logging import get_logger, printable
from podbor.pruners import BasePruner
from podbor.samplers import BaseSampler
from podbor.storages import BaseStorage, InMemoryStorage, get_storage
from podbor.storages._optuna import FORMATS, read_studies, same_location, write_studies
from podbor.study._study import Study, open_study

__all__ = [
    "copy_studies",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]

_logger = get_logger("podbor.study")


def _parse_direction(value: Any, name: str) -> StudyDirection:
    if isinstance(value, StudyDirection) and value != StudyDirection.NOT_SET:
        return value
    if isinstance(value, str) and value.upper() in ("MINIMIZE", "MAXIMIZE"):
        return StudyDirection[value.upper()]
    raise invalid_argument(name, value, "'minimize' or 'maximize'", owner="create_study")


def _parse_directions(direction: Any, directions: Any) -> list[StudyDirection]:
    if direction is not None and directions is not None:
        raise invalid_argument(
            "direction",
            direction,
            "None when 'directions' is given (pass only one of them)",
            owner="create_study",
        )
    if directions is None:
        return [_parse_direction("minimize" if direction is None else direction, "direction")]
    if isinstance(directions, str) or not isinstance(directions, Sequence) or len(directions) == 0:
        raise invalid_argument(
            "directions",
            directions,
            "a non-empty list of 'minimize' / 'maximize'",
            owner="create_study",
        )
    return [_parse_direction(d, "directions") for d in directions]


def _storage_kind(storage: BaseStorage) -> str:
    if isinstance(storage, InMemoryStorage):
        return "in memory"
    return "in RDB" if type(storage).__name__ == "RDBStorage" else f"in {type(storage).__name__}"


def create_study(
    *,
    storage: BaseStorage | str | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str | StudyDirection] | None = None,
) -> Study:
    """Create a study (or load it with ``load_if_exists=True``).

    Args:
        storage: None for in-memory, or a storage object.
        sampler: The search strategy; :class:`~podbor.samplers.AutoSampler` by default.
        pruner: The early-stopping rule; :class:`~podbor.pruners.MedianPruner` by default.
        study_name: A unique name; generated (``no-name-<uuid>``) when None.
        direction: ``'minimize'`` (default) or ``'maximize'``.
        load_if_exists: Return the existing study of that name instead of raising.
        directions: One direction per objective, for multi-objective studies.

    Raises:
        DuplicatedStudyError: If the name exists and ``load_if_exists`` is False.
        ValueError: For an unknown direction, or both ``direction`` and ``directions``.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(direction="maximize")
        >>> study.direction
        StudyDirection.MAXIMIZE
    """
    parsed = _parse_directions(direction, directions)
    storage_obj = get_storage(storage)
    try:
        study_id = storage_obj.create_new_study(parsed, study_name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        assert study_name is not None
        study_id = storage_obj.get_study_id_from_name(study_name)
        existing = storage_obj.get_study_directions(study_id)
        if (direction is not None or directions is not None) and existing != parsed:
            raise InvalidArgumentError(
                f"The study {study_name!r} exists with directions {[d.name for d in existing]}, "
                f"but {[d.name for d in parsed]} were requested."
            ) from None
        _logger.info(
            f"Using an existing study with name '{study_name}' instead of creating a new one."
        )
        return open_study(storage_obj, study_id, study_name, sampler, pruner)
    study_name = storage_obj.get_study_name_from_id(study_id)  # generated when None was given
    study = open_study(storage_obj, study_id, study_name, sampler, pruner)
    _logger.info(
        f"A new study created {_storage_kind(storage_obj)} with name: {printable(study_name)}"
    )
    return study


def load_study(
    *,
    study_name: str | None,
    storage: BaseStorage | str,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Load an existing study; ``study_name=None`` works when the storage holds exactly one.

    Raises:
        StudyNotFoundError: If no such study exists (a ``KeyError`` listing existing names).
    """
    storage_obj = get_storage(storage)
    if study_name is None:
        names = get_all_study_names(storage_obj)
        if len(names) != 1:
            raise invalid_argument(
                "study_name",
                None,
                f"one of {names} (the storage holds {len(names)} studies)",
                owner="load_study",
            )
        study_name = names[0]
    study_id = storage_obj.get_study_id_from_name(study_name)
    return open_study(storage_obj, study_id, study_name, sampler, pruner)


def delete_study(*, study_name: str, storage: BaseStorage | str) -> None:
    """Delete a study and its trials from a storage."""
    storage_obj = get_storage(storage)
    storage_obj.delete_study(storage_obj.get_study_id_from_name(study_name))


def copy_study(
    *,
    from_study_name: str,
    from_storage: BaseStorage | str,
    to_storage: BaseStorage | str,
    to_study_name: str | None = None,
    to_format: str = "podbor",
) -> None:
    """Copy a study, with its attributes and every trial, to another storage (or name).

    Either side may be a storage object or a URL: a database URL (``sqlite:///study.db``,
    PostgreSQL, MySQL), a journal file (``journal:///absolute/path`` or
    ``journal:relative/path``) or a journal in Redis (``redis://host:6379/0``, podbor's format
    only). A source URL may hold podbor's format or Optuna's (a database
    or a journal written by Optuna 3.x to 5.0, detected and only ever read), so this migrates
    Optuna's studies; ``to_format="optuna"`` writes a URL in Optuna 5's format instead, for
    Optuna and optuna-dashboard to open. The source is read and checked whole before anything
    is written, and the study is written as a unit: a damaged source or a failed write leaves
    no half-written study.

    Args:
        from_study_name: The study to copy.
        from_storage: Where it is.
        to_storage: Where to copy it to.
        to_study_name: Its name there (the same name when None).
        to_format: ``"podbor"`` (default) or ``"optuna"`` (``to_storage`` must be a URL).

    Raises:
        StudyNotFoundError: If the source holds no such study.
        DuplicatedStudyError: If the destination already holds a study of that name.
        ValueError: For a damaged source (the message names the table or the line), or a
            destination that cannot take the format.

    Example:
        >>> import podbor
        >>> src = podbor.storages.InMemoryStorage()
        >>> podbor.create_study(storage=src, study_name="a").optimize(
        ...     lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> dst = podbor.storages.InMemoryStorage()
        >>> copy_study(from_study_name="a", from_storage=src, to_storage=dst)
        >>> len(podbor.load_study(study_name="a", storage=dst).trials)
        3
    """
    owner = "copy_study"
    check_instance(from_study_name, "from_study_name", str, owner=owner, allowed="a study name")
    check_instance(
        to_study_name, "to_study_name", str, owner=owner, allowed="a study name", allow_none=True
    )
    _copy(from_storage, to_storage, [from_study_name], to_format, rename=to_study_name)


def copy_studies(
    *,
    from_storage: BaseStorage | str,
    to_storage: BaseStorage | str,
    study_names: Sequence[str] | None = None,
    to_format: str = "podbor",
) -> list[str]:
    """Copy several studies (every one when ``study_names`` is None) to another storage.

    The plural of :func:`copy_study`, with the same sources, destinations and guarantees; the
    command ``podbor copy-study`` calls it. The source is read once.

    Returns:
        The names of the studies copied, in the order copied.

    Example:
        >>> import podbor
        >>> src = podbor.storages.InMemoryStorage()
        >>> for name in ("a", "b"):
        ...     _ = podbor.create_study(storage=src, study_name=name)
        >>> copy_studies(from_storage=src, to_storage=podbor.storages.InMemoryStorage())
        ['a', 'b']
    """
    if study_names is not None and (
        isinstance(study_names, str)
        or not isinstance(study_names, Sequence)
        or not all(isinstance(n, str) for n in study_names)
    ):
        raise invalid_argument(
            "study_names", study_names, "a list of study names or None", owner="copy_studies"
        )
    return _copy(from_storage, to_storage, study_names, to_format, rename=None)


def _copy(
    from_storage: BaseStorage | str,
    to_storage: BaseStorage | str,
    names: Sequence[str] | None,
    to_format: str,
    *,
    rename: str | None,
) -> list[str]:
    """Read and check the studies, then write them (see :mod:`podbor.storages._optuna`)."""
    if to_format not in FORMATS:
        raise invalid_argument("to_format", to_format, "'podbor' or 'optuna'", owner="copy_study")
    if to_format == "optuna" and same_location(from_storage, to_storage):
        raise invalid_argument(
            "to_storage",
            to_storage,
            "another place than from_storage when to_format='optuna' (a source is only read)",
            owner="copy_study",
        )
    snapshots = read_studies(from_storage, names)
    if rename is not None:
        snapshots = [s.renamed(rename) for s in snapshots]
    write_studies(to_storage, snapshots, to_format=to_format)
    for snapshot in snapshots:
        _logger.info(f"Copied the study {snapshot.name!r} with {len(snapshot.trials)} trials.")
    return [s.name for s in snapshots]


def get_all_study_summaries(
    storage: BaseStorage | str, include_best_trial: bool = True
) -> list[StudySummary]:
    """Summarize every study of a storage: name, directions, attributes, trial count, best trial."""
    storage_obj = get_storage(storage)
    summaries = []
    for frozen in storage_obj.get_all_studies():
        sid = frozen._study_id
        n_trials, datetime_start = storage_obj.get_study_trial_stats(sid)
        best = None
        if include_best_trial and len(frozen.directions) == 1 and n_trials > 0:
            try:
                best = copy.copy(storage_obj.get_best_trial_only(sid))
            except ValueError:
                best = None
        summaries.append(
            StudySummary(
                study_name=frozen.study_name,
                direction=None,
                best_trial=best,
                user_attrs=frozen.user_attrs,
                n_trials=n_trials,
                datetime_start=datetime_start,
                study_id=sid,
                directions=frozen.directions,
                system_attrs=frozen.system_attrs,
            )
        )
    return summaries


def get_all_study_names(storage: BaseStorage | str) -> list[str]:
    """Return the names of every study in a storage."""
    return [s.study_name for s in get_storage(storage).get_all_studies()]
