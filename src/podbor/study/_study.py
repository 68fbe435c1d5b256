"""The ``Study`` handle and the functions that create, load, copy and delete studies."""

from __future__ import annotations

import copy
import threading
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from podbor._frozen_study import StudySummary
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.exceptions import DuplicatedStudyError, InvalidArgumentError, invalid_argument
from podbor.logging import get_logger
from podbor.pruners import BasePruner, NopPruner
from podbor.samplers import AutoSampler, BaseSampler
from podbor.storages import BaseStorage, InMemoryStorage, get_storage
from podbor.study import _dataframe, _optimize, _tell
from podbor.study._multi_objective import pareto_front_trials
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState
from podbor.trial._trial import FIXED_PARAMS_KEY, Trial

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Study",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]

_logger = get_logger("podbor.study")
_METRIC_NAMES_KEY = "study:metric_names"


class Study:
    """A handle on one optimization: its objective directions, trials and strategy.

    Create one with :func:`create_study` or :func:`load_study`; the state lives in the storage,
    so several handles (threads, processes) may share one study.

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     return (x - 2) ** 2
        >>> study = podbor.create_study(direction="minimize", sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=20)
        >>> study.best_value < 5
        True
    """

    def __init__(
        self,
        study_name: str,
        storage: BaseStorage | str | None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self.study_name = study_name
        self._storage = get_storage(storage)
        self._study_id = self._storage.get_study_id_from_name(study_name)
        self.sampler: BaseSampler = sampler if sampler is not None else AutoSampler()
        self.pruner: BasePruner = pruner if pruner is not None else NopPruner()
        self._directions = self._storage.get_study_directions(self._study_id)
        self._stop_flag = False
        self._optimize_lock = threading.Lock()

    # -- directions and attributes ------------------------------------------------------
    @property
    def direction(self) -> StudyDirection:
        """The single direction; raises ``RuntimeError`` for a multi-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError("This study has several objectives; use Study.directions instead.")
        return self._directions[0]

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        return list(self._directions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attributes."""
        return self._storage.get_study_user_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The study's system attributes (samplers keep their JSON state there)."""
        return self._storage.get_study_system_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the study.

        Example:
            >>> import podbor
            >>> study = podbor.create_study()
            >>> study.set_user_attr("dataset", "diabetes")
            >>> study.user_attrs
            {'dataset': 'diabetes'}
        """
        self._storage.set_study_user_attr(self._study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value for podbor's and the samplers' own use."""
        self._storage.set_study_system_attr(self._study_id, key, value)

    def set_trial_system_attr(self, trial: FrozenTrial, key: str, value: Any) -> None:
        """Record a value on a running trial; meant for samplers (part of the ``StudyView``)."""
        self._storage.set_trial_system_attr(trial._trial_id, key, value)
        trial.system_attrs[key] = value

    @property
    def metric_names(self) -> list[str] | None:
        """Names of the objectives set with :meth:`set_metric_names`, or None."""
        names = self.system_attrs.get(_METRIC_NAMES_KEY)
        return list(names) if names is not None else None

    def set_metric_names(self, metric_names: Sequence[str]) -> None:
        """Name the objectives (used in logs and as ``values_<name>`` dataframe columns)."""
        if len(metric_names) != len(self._directions):
            raise invalid_argument(
                "metric_names",
                metric_names,
                f"a sequence of {len(self._directions)} name(s), one per objective",
                owner="Study.set_metric_names",
            )
        self.set_system_attr(_METRIC_NAMES_KEY, [str(n) for n in metric_names])

    # -- trials -------------------------------------------------------------------------
    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Return the study's trials in number order, optionally only those in ``states``.

        Args:
            deepcopy: Return independent copies; pass False for speed when only reading.
            states: E.g. ``(TrialState.COMPLETE,)``.
        """
        return self._storage.get_all_trials(self._study_id, deepcopy=deepcopy, states=states)

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, as copies."""
        return self.get_trials(deepcopy=True)

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE trial of a single-objective study.

        Raises:
            ValueError: If no trial has completed yet.
            RuntimeError: If the study has several objectives (see :attr:`best_trials`).
        """
        if len(self._directions) > 1:
            raise RuntimeError(
                "A multi-objective study has no single best trial; use Study.best_trials."
            )
        return self._storage.get_best_trial(self._study_id)._copy()

    @property
    def best_value(self) -> float:
        """The objective value of :attr:`best_trial`."""
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of :attr:`best_trial`."""
        return self.best_trial.params

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: COMPLETE trials that no other trial beats in every objective."""
        complete = self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return [t._copy() for t in pareto_front_trials(complete, self._directions)]

    # -- the loop -------------------------------------------------------------------------
    def optimize(
        self,
        func: _optimize.ObjectiveFuncType,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[_optimize.CallbackType] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run trials of ``func`` until ``n_trials`` are done, ``timeout`` passes, or :meth:`stop`.

        Args:
            func: The objective: takes a :class:`~podbor.trial.Trial`, returns a float (or one
                float per objective).
            n_trials: How many trials this call runs; None for no limit.
            timeout: Seconds after which no new trial starts; None for no limit.
            n_jobs: Threads evaluating trials at once; -1 for one per core.
            catch: Exceptions that fail the trial and let the study go on; any other exception
                fails the trial and propagates. Ctrl-C fails the running trial and propagates.
            callbacks: Functions ``callback(study, frozen_trial)`` called after each trial.
            gc_after_trial: Run ``gc.collect()`` after each trial.
            show_progress_bar: Draw a tqdm bar with the best value so far.

        A return value of None, NaN or a non-number fails the trial with a warning that says why.

        Example:
            >>> import podbor
            >>> study = podbor.create_study()
            >>> study.optimize(lambda t: t.suggest_int("n", 0, 9), n_trials=5, n_jobs=2)
            >>> len(study.trials)
            5
        """
        _optimize.optimize(
            self,
            func,
            n_trials,
            timeout,
            n_jobs,
            catch,
            callbacks,
            gc_after_trial,
            show_progress_bar,
        )

    def ask(self, fixed_distributions: Mapping[str, BaseDistribution] | None = None) -> Trial:
        """Start a trial (the oldest enqueued one first) and return it; finish it with :meth:`tell`.

        Args:
            fixed_distributions: Parameters to suggest at once, name → distribution.

        Example:
            >>> import podbor
            >>> study = podbor.create_study()
            >>> trial = study.ask()
            >>> frozen = study.tell(trial, trial.suggest_float("x", 0, 1))
        """
        trial_id = self._storage.claim_waiting_trial(self._study_id)
        if trial_id is None:
            trial_id = self._storage.create_new_trial(self._study_id)
        trial = Trial(self, trial_id)
        self.sampler.before_trial(self, trial._cached)
        for name, dist in (fixed_distributions or {}).items():
            trial._suggest(name, dist)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial started with :meth:`ask`.

        Args:
            trial: The trial or its number.
            values: The objective value(s); required for COMPLETE (the default state).
            state: COMPLETE, PRUNED or FAIL; a PRUNED trial keeps its last report as its value.
            skip_if_finished: Return quietly instead of raising when the trial already finished.

        Returns:
            The finished trial. Values that are None, NaN or not numbers make it FAIL with a
            warning.

        Raises:
            UpdateFinishedTrialError: If the trial already finished (a ``RuntimeError``).
            ValueError: If ``values`` and ``state`` do not fit together.
        """
        return _tell.tell(self, trial, values, state, skip_if_finished)

    def stop(self) -> None:
        """Let the running :meth:`optimize` start no new trial (running ones finish normally).

        Call it from an objective or a callback; outside of ``optimize`` it has no effect.
        """
        self._stop_flag = True

    def enqueue_trial(
        self,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial whose parameters are given; the next ``ask`` (or optimize) runs it first.

        Parameters not in ``params`` are sampled as usual.

        Args:
            params: Parameter name → value.
            user_attrs: Attributes to attach to the trial.
            skip_if_exists: Do nothing if a trial with the same parameters exists or waits.

        Example:
            >>> import podbor
            >>> study = podbor.create_study()
            >>> study.enqueue_trial({"x": 0.25})
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
            >>> study.trials[0].params
            {'x': 0.25}
        """
        if not isinstance(params, dict):
            raise invalid_argument(
                "params", params, "a dict of name → value", owner="Study.enqueue_trial"
            )
        if skip_if_exists and self._has_trial_with(params):
            _logger.info(f"Trial with params {params} already exists; enqueue_trial skipped it.")
            return
        from podbor.trial._frozen import create_trial

        template = create_trial(
            state=TrialState.WAITING,
            system_attrs={FIXED_PARAMS_KEY: dict(params)},
            user_attrs=dict(user_attrs or {}),
        )
        self._storage.create_new_trial(self._study_id, template_trial=template)

    def _has_trial_with(self, params: dict[str, Any]) -> bool:
        for t in self.get_trials(deepcopy=False):
            fixed = t.system_attrs.get(FIXED_PARAMS_KEY)
            if t.state == TrialState.WAITING and fixed == params:
                return True
            if t.state != TrialState.WAITING and all(
                k in t.params and t.params[k] == v for k, v in params.items()
            ):
                return True
        return False

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished trial made with :func:`~podbor.trial.create_trial` (e.g. past results).

        Raises:
            ValueError: If the trial is inconsistent or its values do not match the directions.
        """
        trial._validate()
        if trial.values is not None and len(trial.values) != len(self._directions):
            raise invalid_argument(
                "trial",
                trial.values,
                f"a trial with {len(self._directions)} value(s), one per objective",
                owner="Study.add_trial",
            )
        self._storage.create_new_trial(self._study_id, template_trial=trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Add several finished trials, in order (see :meth:`add_trial`)."""
        for trial in trials:
            self.add_trial(trial)

    def trials_dataframe(
        self,
        attrs: Sequence[str] = _dataframe.DEFAULT_ATTRS,
        multi_index: bool = False,
    ) -> pd.DataFrame:
        """Return one row per trial, with Optuna's column names.

        Columns (by default): ``number``, ``value`` (``values_0``, ``values_1``, … for several
        objectives), ``datetime_start``, ``datetime_complete``, ``duration``, ``params_<name>``,
        ``user_attrs_<key>``, ``system_attrs_<key>``, ``state``. Needs pandas.

        Args:
            attrs: Which attributes to include, in column order (also ``intermediate_values``,
                ``distributions``, ``trial_id``).
            multi_index: Use two-level column names, e.g. ``("params", "x")``.

        Example:
            >>> import podbor
            >>> study = podbor.create_study()
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            >>> list(study.trials_dataframe(attrs=("number", "params", "state")).columns)
            ['number', 'params_x', 'state']
        """
        return _dataframe.trials_dataframe(
            self.get_trials(deepcopy=False), self._directions, attrs, multi_index, self.metric_names
        )

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, directions={self._directions})"


# ---------------------------------------------------------------------------------------
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
        pruner: The early-stopping rule; :class:`~podbor.pruners.NopPruner` by default.
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
        existing = storage_obj.get_study_directions(storage_obj.get_study_id_from_name(study_name))
        if (direction is not None or directions is not None) and existing != parsed:
            raise InvalidArgumentError(
                f"The study {study_name!r} exists with directions {[d.name for d in existing]}, "
                f"but {[d.name for d in parsed]} were requested."
            ) from None
        _logger.info(
            f"Using an existing study with name '{study_name}' instead of creating a new one."
        )
        return Study(study_name, storage_obj, sampler, pruner)
    study_name = storage_obj.get_study_name_from_id(study_id)
    study = Study(study_name, storage_obj, sampler, pruner)
    _logger.info(f"A new study created {_storage_kind(storage_obj)} with name: {study_name}")
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
    return Study(study_name, storage_obj, sampler, pruner)


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
) -> None:
    """Copy a study, with its attributes and every trial, to another storage (or name).

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
    source = load_study(study_name=from_study_name, storage=from_storage)
    target_storage = get_storage(to_storage)
    name = to_study_name or from_study_name
    target_storage.create_new_study(source.directions, name)
    target = Study(name, target_storage)
    for key, value in source.system_attrs.items():
        target.set_system_attr(key, value)
    for key, value in source.user_attrs.items():
        target.set_user_attr(key, value)
    for trial in source.get_trials(deepcopy=False):
        target._storage.create_new_trial(target._study_id, template_trial=trial)


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
                frozen.study_name,
                frozen.directions,
                frozen.user_attrs,
                frozen.system_attrs,
                sid,
                n_trials=n_trials,
                best_trial=best,
                datetime_start=datetime_start,
            )
        )
    return summaries


def get_all_study_names(storage: BaseStorage | str) -> list[str]:
    """Return the names of every study in a storage."""
    return [s.study_name for s in get_storage(storage).get_all_studies()]
