"""The ``Study`` handle: the public face of one study (its state lives in the storage)."""

from __future__ import annotations

import copy
import functools
import math
import warnings
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from podbor._deprecated import warn_experimental
from podbor._records.base_trial import is_feasible
from podbor._records.frozen_trial import FrozenTrial, create_trial
from podbor._records.trial_state import TrialState
from podbor._study_core import FIXED_PARAMS_KEY, METRIC_NAMES_KEY, StudyCore
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution, _convert_old_distribution_to_new_distribution
from podbor.exceptions import invalid_argument
from podbor.logging import get_logger
from podbor.pruners import BasePruner, MedianPruner
from podbor.samplers import AutoSampler, BaseSampler
from podbor.storages import BaseStorage, get_storage
from podbor.study import _dataframe, _optimize, _tell
from podbor.study._multi_objective import pareto_front_trials
from podbor.trial._trial import Trial, new_trial

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CallbackType", "Study", "open_study"]

_logger = get_logger("podbor.study")

CallbackType = Callable[["Study", FrozenTrial], None]


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
        storage_obj = get_storage(storage)
        study_id = storage_obj.get_study_id_from_name(study_name)
        self._attach(_new_core(storage_obj, study_id, study_name, sampler, pruner))

    def _attach(self, core: StudyCore) -> None:
        self.study_name = core.study_name
        self._core = core

    @classmethod
    def _from_core(cls, core: StudyCore) -> Study:
        """A handle on a study whose id is known already (no lookup by name)."""
        study = cls.__new__(cls)
        study._attach(core)
        return study

    # -- strategy ---------------------------------------------------------------------------
    @property
    def sampler(self) -> BaseSampler:
        """The search strategy; assign a new one to change it for the next trials."""
        return self._core.sampler

    @sampler.setter
    def sampler(self, sampler: BaseSampler) -> None:
        self._core.sampler = sampler

    @property
    def pruner(self) -> BasePruner:
        """The early-stopping rule; assign a new one to change it for the next reports."""
        return self._core.pruner

    @pruner.setter
    def pruner(self, pruner: BasePruner) -> None:
        self._core.pruner = pruner

    # Optuna's names for the storage and the study's id in it: code written for Optuna reads
    # them; podbor's own modules go through the study's core instead.
    @property
    def _storage(self) -> BaseStorage:
        return self._core.storage

    @property
    def _study_id(self) -> int:
        return self._core.study_id

    def _is_multi_objective(self) -> bool:  # Optuna's helper, called by code written for it
        return len(self._core.directions) > 1

    # -- directions and attributes ------------------------------------------------------
    @property
    def direction(self) -> StudyDirection:
        """The single direction; raises ``RuntimeError`` for a multi-objective study."""
        if len(self._core.directions) > 1:
            raise RuntimeError("This study has several objectives; use Study.directions instead.")
        return self._core.directions[0]

    @property
    def directions(self) -> list[StudyDirection]:
        """One direction per objective."""
        return list(self._core.directions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attributes."""
        return self._core.storage.get_study_user_attrs(self._core.study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """The study's system attributes (samplers keep their JSON state there)."""
        return self._core.storage.get_study_system_attrs(self._core.study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the study.

        Example:
            >>> import podbor
            >>> study = podbor.create_study()
            >>> study.set_user_attr("dataset", "diabetes")
            >>> study.user_attrs
            {'dataset': 'diabetes'}
        """
        self._core.storage.set_study_user_attr(self._core.study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value for podbor's and the samplers' own use."""
        self._core.storage.set_study_system_attr(self._core.study_id, key, value)

    def set_trial_system_attr(self, trial: FrozenTrial, key: str, value: Any) -> None:
        """Record a value on a running trial; meant for samplers (part of the ``StudyView``)."""
        self._core.set_trial_system_attr(trial._trial_id, key, value)
        trial.system_attrs[key] = value

    @property
    def metric_names(self) -> list[str] | None:
        """Names of the objectives set with :meth:`set_metric_names`, or None."""
        return self._core.metric_names()

    def set_metric_names(self, metric_names: Sequence[str]) -> None:
        """Name the objectives (used in logs and as ``values_<name>`` dataframe columns).

        Experimental, as in Optuna: it emits an :class:`~podbor.exceptions.ExperimentalWarning`.
        """
        warn_experimental("Study.set_metric_names")
        if len(metric_names) != len(self._core.directions):
            raise invalid_argument(
                "metric_names",
                metric_names,
                f"a sequence of {len(self._core.directions)} name(s), one per objective",
                owner="Study.set_metric_names",
            )
        self.set_system_attr(METRIC_NAMES_KEY, [str(n) for n in metric_names])

    # -- trials -------------------------------------------------------------------------
    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Return the study's trials in number order, optionally only those in ``states``.

        Args:
            deepcopy: Return independent copies; pass False for speed when only reading.
            states: E.g. ``(TrialState.COMPLETE,)``.
        """
        return self._core.get_trials(deepcopy=deepcopy, states=states)

    @property
    def trials(self) -> list[FrozenTrial]:
        """All trials, as copies."""
        return self.get_trials(deepcopy=True)

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE trial of a single-objective study.

        With constraints (:meth:`Trial.set_constraint <podbor.Trial.set_constraint>`,
        or a sampler's ``constraints_func``), only feasible trials count: those whose constraint
        values are all <= 0.

        Raises:
            ValueError: If no trial has completed yet, or none of them is feasible.
            RuntimeError: If the study has several objectives (see :attr:`best_trials`).
        """
        if len(self._core.directions) > 1:
            raise RuntimeError(
                "A multi-objective study has no single best trial; use Study.best_trials."
            )
        best = self._core.best_trial()
        if best is None:
            raise ValueError(
                "The study has no best trial yet: no trial is COMPLETE and feasible "
                "(all constraint values <= 0)."
            )
        return copy.deepcopy(best)

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
        """The Pareto front: COMPLETE trials that no other trial beats in every objective.

        With constraints, only feasible trials (all constraint values <= 0) count; the list is
        empty when none is.
        """
        complete = [
            t
            for t in self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if is_feasible(t)
        ]
        return [copy.deepcopy(t) for t in pareto_front_trials(complete, self._core.directions)]

    # -- the loop -------------------------------------------------------------------------
    def optimize(
        self,
        func: _optimize.ObjectiveFuncType,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[CallbackType] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run trials of ``func`` until ``n_trials`` are done, ``timeout`` passes, or :meth:`stop`.

        Args:
            func: The objective: takes a :class:`~podbor.Trial`, returns a float (or one
                float per objective).
            n_trials: How many trials this call runs; None for no limit.
            timeout: Seconds after which no new trial starts; None for no limit.
            n_jobs: Threads evaluating trials at once; -1 for one per core.
            catch: Exception classes (``TypeError`` otherwise) that fail the trial and let the
                study go on; any other exception fails the trial and propagates. Ctrl-C fails
                the running trial and propagates.
            callbacks: Functions ``callback(study, frozen_trial)`` called after each trial.
            gc_after_trial: Run ``gc.collect()`` after each trial.
            show_progress_bar: Draw a tqdm bar with the best trial so far. As in Optuna it is
                not drawn (a ``UserWarning`` says why) when neither ``n_trials`` nor
                ``timeout`` is given, or when it would count seconds with ``n_jobs != 1``.

        Several threads may each call ``optimize`` on one study at once; a call from inside an
        objective or a callback raises ``RuntimeError``. With ``n_jobs != 1`` the sampler is
        reseeded (``reseed_rng``) before each trial, as in Optuna.

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
            [functools.partial(callback, self) for callback in callbacks or ()],
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
        if self._core.heartbeat_interval is not None and not self._core.in_optimize():
            warnings.warn(
                "This storage keeps heartbeats, which only Study.optimize sends: a trial started "
                "with Study.ask gets none, and is failed as stale after the grace period unless "
                "it is told in time.",
                UserWarning,
                stacklevel=2,
            )
        return new_trial(self, _current_distributions(fixed_distributions or {}))

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
            values: The objective value(s), for a COMPLETE trial.
            state: None (the default: COMPLETE when ``values`` can be used, FAIL with a warning
                otherwise), or COMPLETE, PRUNED or FAIL. A PRUNED trial keeps its last report
                as its value.
            skip_if_finished: Return quietly instead of raising when the trial already finished.

        Returns:
            The finished trial.

        Raises:
            TypeError: If ``trial`` is neither a trial nor an int.
            ValueError: If ``trial`` is no RUNNING trial of this study, if ``state`` is not a
                finished state, if PRUNED or FAIL come with values, or if ``state=COMPLETE``
                comes with values that cannot be used (None, NaN, not numbers, a wrong count).
            UpdateFinishedTrialError: If the trial already finished; it is a ``RuntimeError``
                and, as in Optuna, a ``ValueError``.
        """
        return _tell.tell(self, trial, values, state, skip_if_finished)

    def stop(self) -> None:
        """Let the running :meth:`optimize` start no new trial (running ones finish normally).

        Call it from an objective or a callback.

        Raises:
            RuntimeError: If called outside of :meth:`optimize` (as in Optuna).
        """
        if not self._core.in_optimize():
            raise RuntimeError(
                "Study.stop() can only be called from an objective or a callback of Study.optimize."
            )
        self._core.request_stop()

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
            message = invalid_argument(
                "params", params, "a dict of name → value", owner="Study.enqueue_trial"
            )
            raise TypeError(str(message))
        if skip_if_exists and self._has_trial_with(params):
            _logger.info(f"Trial with params {params} already exists; enqueue_trial skipped it.")
            return
        template = create_trial(
            state=TrialState.WAITING,
            system_attrs={FIXED_PARAMS_KEY: dict(params)},
            user_attrs=dict(user_attrs or {}),
        )
        self._core.add_trial(template)

    def _has_trial_with(self, params: dict[str, Any]) -> bool:
        """True when a trial was enqueued with, or ran with, exactly these parameters.

        Only a trial with the same parameter names counts (so ``{"x": 1}`` is not skipped
        because of a trial with ``{"x": 1, "y": 2}``); NaN equals NaN here.
        """
        for t in self.get_trials(deepcopy=False):
            fixed = t.system_attrs.get(FIXED_PARAMS_KEY)
            given = fixed if isinstance(fixed, dict) else t.params
            if given.keys() == params.keys() and all(
                _same_value(given[k], v) for k, v in params.items()
            ):
                return True
        return False

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished trial made with :func:`~podbor.create_trial` (e.g. past results).

        Raises:
            ValueError: If the trial is inconsistent or its values do not match the directions.
        """
        trial._validate()
        if trial.values is not None and len(trial.values) != len(self._core.directions):
            raise invalid_argument(
                "trial",
                trial.values,
                f"a trial with {len(self._core.directions)} value(s), one per objective",
                owner="Study.add_trial",
            )
        self._core.add_trial(trial)

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
            self.get_trials(deepcopy=False),
            self._core.directions,
            attrs,
            multi_index,
            self.metric_names,
        )

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, directions={self._core.directions})"


# ---------------------------------------------------------------------------------------
def _same_value(a: Any, b: Any) -> bool:
    """Equality for enqueued parameters, where NaN equals NaN (and only NaN)."""
    a_nan = isinstance(a, float) and math.isnan(a)
    b_nan = isinstance(b, float) and math.isnan(b)
    return a_nan == b_nan and (a_nan or bool(a == b))


def _current_distributions(
    distributions: Mapping[str, BaseDistribution],
) -> dict[str, BaseDistribution]:
    """``ask``'s fixed distributions, Optuna's deprecated classes converted (the conversion
    warns once per distribution, at the user's line)."""
    return {
        name: _convert_old_distribution_to_new_distribution(distribution)
        for name, distribution in distributions.items()
    }


def open_study(
    storage: BaseStorage,
    study_id: int,
    study_name: str,
    sampler: BaseSampler | None,
    pruner: BasePruner | None,
) -> Study:
    """A handle on a stored study whose id and name are known already (no lookup by name).

    The study-management functions (``create_study``, ``load_study``) use it; the defaults
    are those of :class:`Study`: :class:`~podbor.samplers.AutoSampler` and
    :class:`~podbor.pruners.MedianPruner`.
    """
    return Study._from_core(_new_core(storage, study_id, study_name, sampler, pruner))


def _new_core(
    storage: BaseStorage,
    study_id: int,
    study_name: str,
    sampler: BaseSampler | None,
    pruner: BasePruner | None,
) -> StudyCore:
    return StudyCore(
        storage,
        study_id,
        study_name,
        sampler if sampler is not None else AutoSampler(),
        pruner if pruner is not None else MedianPruner(),
    )
