"""``OptunaSearchCV``: optuna-integration's scikit-learn search estimator, on podbor's ``SearchCV``.

Code written for ``optuna.integration.OptunaSearchCV`` runs unchanged after replacing the import
with ``from podbor.integration import OptunaSearchCV``: the same arguments and defaults (``cv=None``
for 5 folds, ``enable_pruning=False``, ``max_iter=1000``, ``subsample``, ``study``, ``callbacks``,
``catch``) and the same attributes. The work is done by :class:`podbor.validation.SearchCV`
(suggesting, cross-validating, ``cv_results_``, refitting, delegating ``predict`` & co.); this
class adds optuna-integration's conventions on top: an existing study may be passed in, the
search may run on a subsample, and pruning works by ``partial_fit`` iterations (each pass over
every fold is one reported step), which needs an estimator with ``partial_fit``.

The module derives from scikit-learn's ``BaseEstimator`` (through ``SearchCV``), so it imports
scikit-learn when it is imported; ``podbor.integration`` imports it only on first use.

Example:
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from podbor.distributions import IntDistribution
    >>> X, y = load_iris(return_X_y=True)
    >>> search = OptunaSearchCV(KNeighborsClassifier(), {"n_neighbors": IntDistribution(1, 20)},
    ...                         n_trials=3, cv=3, random_state=0)
    >>> search.fit(X, y).n_trials_
    3
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

try:
    from sklearn.utils import check_random_state, get_tags
    from sklearn.utils.validation import check_is_fitted
except ImportError as _err:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "OptunaSearchCV needs scikit-learn, which is not installed: pip install podbor[sklearn]"
    ) from _err

from podbor import logging as podbor_logging
from podbor._study_core import core_of
from podbor._study_direction import StudyDirection
from podbor._validation import (
    check_bool,
    check_instance,
    check_int,
    check_optional_int,
    check_optional_real,
)
from podbor.distributions import BaseDistribution
from podbor.exceptions import invalid_argument
from podbor.pruners import MedianPruner
from podbor.samplers import TPESampler
from podbor.storages import BaseStorage
from podbor.study import Study, create_study
from podbor.trial import BaseTrial, FrozenTrial, TrialState
from podbor.validation._cross_validate import (
    Scorer,
    check_error_score,
    check_estimator_like,
    make_scorer,
    make_splits,
)
from podbor.validation._cv_results import build_cv_results
from podbor.validation._holdout import n_rows, take_rows
from podbor.validation._search_cv import (
    CVFailedError,
    SearchCV,
    _no_trial_completed,
    _Objective,
    _verbosity,
)
from podbor.validation._search_params import check_distributions, check_y

__all__ = ["OptunaSearchCV"]

_OWNER = "OptunaSearchCV"
_logger = podbor_logging.get_logger(__name__)

StudyCallback = Callable[[Study, FrozenTrial], None]

# podbor's per-fold records (written by cross_validate) -> optuna-integration's attribute stem
_OPTUNA_NAMES = (
    ("cv_scores", "test_score"),
    ("cv_train_scores", "train_score"),
    ("cv_fit_times", "fit_time"),
    ("cv_score_times", "score_time"),
)


class _OptunaNamedObjective(_Objective):
    """SearchCV's objective, also writing optuna-integration's user attributes on each trial.

    Code written for Optuna reads ``trial.user_attrs["mean_test_score"]`` or
    ``"split0_test_score"``; podbor's cross-validation records the folds as ``cv_scores`` & co.
    After each trial (finished or pruned, as Optuna does) the same numbers are also stored
    under Optuna's names: ``split<i>_test_score`` and ``mean_`` / ``std_test_score`` (and the
    train scores, when asked for), ``mean_`` / ``std_fit_time`` and ``mean_`` /
    ``std_score_time``.
    """

    def __call__(self, trial: BaseTrial) -> float:
        try:
            return super().__call__(trial)
        finally:
            _store_optuna_names(trial)


def _store_optuna_names(trial: BaseTrial) -> None:
    attrs = trial.user_attrs
    for ours, stem in _OPTUNA_NAMES:
        values = attrs.get(ours)
        if not values:
            continue
        array = np.asarray(values, dtype=float)
        if stem.endswith("score"):
            for i, value in enumerate(array):
                trial.set_user_attr(f"split{i}_{stem}", float(value))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # every fold NaN: mean of nothing
            trial.set_user_attr(f"mean_{stem}", float(np.nanmean(array)))
            trial.set_user_attr(f"std_{stem}", float(np.nanstd(array)))


class OptunaSearchCV(SearchCV):
    """Hyperparameter search with cross-validation, with optuna-integration's interface.

    Each trial suggests the estimator's parameters from ``param_distributions`` and scores them
    by cross-validation (scikit-learn's convention: greater is better, so the study maximizes).
    With ``enable_pruning=True`` every fold trains its own model by ``partial_fit``, one pass
    per step up to ``max_iter``, and the mean score over the folds is reported after each pass:
    the study's pruner (``MedianPruner()`` for the study made here) stops a configuration that
    learns badly after a few passes. With ``enable_pruning=False`` (the default) each trial
    cross-validates with ``fit`` and nothing is pruned.

    Args:
        estimator: The estimator to tune; needs ``score`` unless ``scoring`` is given.
        param_distributions: Parameter name → podbor distribution (``FloatDistribution``,
            ``IntDistribution``, ``CategoricalDistribution``).
        cv: None for 5 folds, a number of folds (stratified for a classifier with a binary or
            multiclass ``y``), a scikit-learn splitter, or an iterable of (train, test) pairs.
        enable_pruning: Prune by ``partial_fit`` iterations (the estimator must have it).
        error_score: Score of a fold whose fit fails, or ``"raise"``.
        max_iter: Passes of ``partial_fit`` per trial when pruning.
        n_jobs: Trials run at once in threads; None for 1, -1 for one per core.
        n_trials: Number of trials; None runs until ``timeout``.
        random_state: Seeds the subsample and the default ``TPESampler``.
        refit: Refit ``best_estimator_`` on all the data (not just the subsample).
        return_train_score: Also record training scores.
        scoring: A scorer name, a callable ``scorer(estimator, X, y)``, or None for
            ``estimator.score``.
        study (podbor.Study | None): A single-objective study that maximizes, to continue;
            None creates one with a ``TPESampler`` seeded from ``random_state``.
        subsample: The fraction (a float in (0, 1]) or number (an int >= 1) of samples the
            search uses, drawn without replacement.
        timeout: Seconds after which no new trial starts.
        verbose: 0 keeps podbor's log quiet during ``fit``; 1 or more logs the search's
            progress and each trial.
        callbacks: ``callback(study, frozen_trial)`` functions called after each trial.
        catch: Exception types that fail a trial without stopping the search (a NaN mean
            score always just fails its trial).

    Attributes:
        best_estimator_: The estimator refitted with ``best_params_`` (when ``refit``).
        best_index_: The number of the best trial (its position in ``trials_``).
        best_params_: Parameters of the best trial.
        best_score_: Its mean cross-validated score.
        best_trial_: The best :class:`~podbor.FrozenTrial`.
        classes_: Class labels of ``best_estimator_``.
        cv_results_: One entry per trial of ``trials_`` in every array (``params``,
            ``split<k>_test_score``, ``mean_test_score``, ``rank_test_score``, …).
        n_splits_: Number of folds.
        n_trials_: Number of trials of the study.
        refit_time_: Seconds spent refitting.
        sample_indices_: Indices of the samples the search used.
        scorer_: The scorer.
        study_: The study (``study`` if one was given).
        trials_: All trials of the study.
        user_attrs_: The study's user attributes.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import SGDClassifier
        >>> from podbor.distributions import FloatDistribution
        >>> X, y = load_iris(return_X_y=True)
        >>> search = OptunaSearchCV(
        ...     SGDClassifier(random_state=0), {"alpha": FloatDistribution(1e-5, 1e-1, log=True)},
        ...     cv=3, enable_pruning=True, max_iter=5, n_trials=3, random_state=0)
        >>> search.fit(X, y).best_score_ > 0.5
        True
    """

    _required_parameters: ClassVar[list[str]] = ["estimator", "param_distributions"]

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, BaseDistribution],
        *,
        cv: Any = None,
        enable_pruning: bool = False,
        error_score: float | str = np.nan,
        max_iter: int = 1000,
        n_jobs: int | None = None,
        n_trials: int | None = 10,
        random_state: int | np.random.RandomState | None = None,
        refit: bool = True,
        return_train_score: bool = False,
        scoring: str | Scorer | None = None,
        study: Study | None = None,
        subsample: float | int = 1.0,
        timeout: float | None = None,
        verbose: int = 0,
        callbacks: list[StudyCallback] | None = None,
        catch: Iterable[type[Exception]] | type[Exception] = (),
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.max_iter = max_iter
        self.n_jobs = n_jobs  # type: ignore[assignment]  # None means 1, as in optuna
        self.n_trials = n_trials
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks
        self.catch = catch

    # -- fit ----------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> OptunaSearchCV:
        """Search on the subsample, then refit the best parameters on all of ``X``.

        Args:
            X: Samples, shape ``(n_samples, n_features)``.
            y: Targets, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``, or None.
            groups: Group labels, shape ``(n_samples,)``, for group splitters.
            **fit_params: Passed to ``fit`` (``partial_fit`` when pruning); per-sample arrays
                are cut to the subsample and to each fold.

        Returns:
            self

        Raises:
            InvalidArgumentError: (a ``ValueError``) naming the argument out of range: an
                estimator without ``partial_fit`` with ``enable_pruning=True``, ``max_iter``
                < 1, a study that minimizes, a non-distribution in ``param_distributions``…
            ValueError: If ``refit`` and no trial completed.

        Example:
            >>> from sklearn.linear_model import Ridge
            >>> from podbor.distributions import FloatDistribution
            >>> search = OptunaSearchCV(Ridge(), {"alpha": FloatDistribution(0.1, 10.0)},
            ...                         n_trials=2, cv=2, subsample=4, random_state=0)
            >>> X = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]
            >>> search.fit(X, [0, 1, 2, 3, 4, 5]).sample_indices_.tolist()
            [1, 2, 3, 5]
        """
        self._check_params()
        check_y(self.estimator, y, owner=f"{_OWNER}.fit")
        for stale in ("best_estimator_", "refit_time_", "best_trial_", "best_index_"):
            self.__dict__.pop(stale, None)
        for stale in ("best_params_", "best_score_"):
            self.__dict__.pop(stale, None)
        rng = check_random_state(self.random_state)
        n = n_rows(X, "X", _OWNER)
        for name, values in (("y", y), ("groups", groups)):
            if values is not None and n_rows(values, name, _OWNER) != n:
                raise invalid_argument(
                    name,
                    values,
                    f"an array-like with one entry per sample of X ({n})",
                    owner=_OWNER,
                )
        indices = _subsample(n, self.subsample, rng)
        X_res, y_res, groups_res = (_rows(a, indices) for a in (X, y, groups))
        fit_params_res = _cut_fit_params(fit_params, n, indices)
        scorer = make_scorer(self.estimator, self.scoring, _OWNER)
        cv = 5 if self.cv is None else self.cv
        splits = make_splits(cv, self.estimator, X_res, y_res, groups_res, _OWNER)
        objective = _OptunaNamedObjective(
            self.estimator,
            dict(self.param_distributions),
            X_res,
            y_res,
            fit_params_res,
            splits,
            scorer,
            self.error_score,
            bool(self.enable_pruning),
            bool(self.return_train_score),
            max_iter=int(self.max_iter) if self.enable_pruning else None,
        )
        with _verbosity(self.verbose):
            study = self._study_to_use(rng)
            _logger.info(f"Searching the best hyperparameters using {len(indices)} samples...")
            study.optimize(
                objective,
                n_trials=self.n_trials,
                timeout=self.timeout,
                n_jobs=1 if self.n_jobs is None else int(self.n_jobs),
                catch=(*_catch_tuple(self.catch), CVFailedError),
                callbacks=self.callbacks,
            )
            _logger.info("Finished hyperparameter search!")
            self.sample_indices_ = indices
            self._store_results(study, core_of(study).storage, scorer, len(splits))
            if self.refit:
                _logger.info(f"Refitting the estimator using {n} samples...")
                self._refit(X, y, fit_params)
        return self

    def _check_params(self) -> None:
        """optuna-integration's checks, with podbor's error shape (each names its argument)."""
        check_estimator_like(self.estimator, "estimator", _OWNER)
        check_distributions(self.param_distributions, self.estimator, _OWNER)
        if self.enable_pruning and not callable(getattr(self.estimator, "partial_fit", None)):
            raise invalid_argument(
                "enable_pruning",
                True,
                f"False: pruning trains by partial_fit, which {type(self.estimator).__name__} "
                "does not have (the estimator must support partial_fit)",
                owner=_OWNER,
            )
        check_int(self.max_iter, "max_iter", owner=_OWNER, minimum=1)
        if self.n_trials is None and self.timeout is None:
            raise invalid_argument(
                "n_trials", None, "an int >= 1 (None needs a timeout)", owner=_OWNER
            )
        check_optional_int(self.n_trials, "n_trials", owner=_OWNER, minimum=1)
        check_optional_real(self.timeout, "timeout", owner=_OWNER, minimum=0.0)
        if self.n_jobs is not None and check_int(self.n_jobs, "n_jobs", owner=_OWNER) == 0:
            raise invalid_argument(
                "n_jobs", 0, "an int >= 1, -1 for one per core, or None", owner=_OWNER
            )
        check_int(self.verbose, "verbose", owner=_OWNER, minimum=0)
        for name in ("refit", "return_train_score", "enable_pruning"):
            value = getattr(self, name)
            check_bool(bool(value) if isinstance(value, np.bool_) else value, name, owner=_OWNER)
        check_error_score(self.error_score, _OWNER)
        _check_subsample(self.subsample)
        _check_study(self.study)
        _catch_tuple(self.catch)
        if self.callbacks is not None and not all(callable(c) for c in self.callbacks):
            raise invalid_argument(
                "callbacks",
                self.callbacks,
                "a list of callback(study, trial) or None",
                owner=_OWNER,
            )

    def _study_to_use(self, rng: np.random.RandomState) -> Study:
        if self.study is not None:
            return self.study
        seed = int(rng.randint(0, np.iinfo(np.int32).max))
        return create_study(
            direction="maximize", sampler=TPESampler(seed=seed), pruner=MedianPruner()
        )

    def _store_results(
        self, study: Study, storage: str | BaseStorage, scorer: Scorer, n_splits: int
    ) -> None:
        trials = study.get_trials(deepcopy=True)
        complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
        self.study_: Study | None = study
        self._study_storage = storage
        self.trials_ = trials
        self.n_splits_ = n_splits
        self.scorer_ = scorer
        self.cv_results_ = build_cv_results(
            trials, n_splits, return_train_score=bool(self.return_train_score)
        )
        if not complete:
            if self.refit:
                raise _no_trial_completed(trials)
            return
        best = max(complete, key=lambda t: t.value if t.value is not None else -math.inf)
        self.best_trial_ = best
        self.best_index_ = trials.index(best)
        self.best_params_ = dict(best.params)
        self.best_score_ = float(best.value) if best.value is not None else math.nan

    # -- optuna-integration's extra attributes ------------------------------------------
    def _check_is_fitted(self) -> None:
        """Raise ``NotFittedError`` unless ``fit`` ran (and refitted, with ``refit``)."""
        attributes = ["n_splits_", "sample_indices_", "scorer_", "study_"]
        if self.refit:
            attributes += ["best_estimator_", "refit_time_"]
        check_is_fitted(self, attributes)

    @property
    def n_trials_(self) -> int:
        """Number of trials of the study (finished by ``fit``)."""
        self._check_is_fitted()
        return len(self.trials_)

    @property
    def user_attrs_(self) -> dict[str, Any]:
        """The study's user attributes (live: see :meth:`set_user_attr`)."""
        self._check_is_fitted()
        return self._live_study().user_attrs

    def set_user_attr(self, key: str, value: Any) -> None:
        """Set a user attribute on ``study_``.

        Example:
            >>> from sklearn.linear_model import Ridge
            >>> from podbor.distributions import FloatDistribution
            >>> s = OptunaSearchCV(Ridge(), {"alpha": FloatDistribution(0.1, 1.0)},
            ...                    n_trials=1, cv=2)
            >>> s = s.fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 2, 3])
            >>> s.set_user_attr("dataset", "toy")
            >>> s.user_attrs_
            {'dataset': 'toy'}
        """
        self._check_is_fitted()
        self._live_study().set_user_attr(key, value)

    def trials_dataframe(self, *args: Any, **kwargs: Any) -> Any:
        """``study_.trials_dataframe(...)``: the trials as a pandas DataFrame."""
        self._check_is_fitted()
        return self._live_study().trials_dataframe(*args, **kwargs)

    @property
    def _estimator_type(self) -> str | None:
        return get_tags(self.estimator).estimator_type  # type: ignore[no-any-return]

    def _live_study(self) -> Study:
        study = self.study_
        if study is None:
            raise AttributeError(f"{_OWNER}.study_ could not be reloaded from its storage.")
        return study


# -- helpers -------------------------------------------------------------------------------
def _check_study(study: Any) -> None:
    check_instance(study, "study", Study, owner=_OWNER, allowed="a podbor Study", allow_none=True)
    if study is not None and list(study.directions) != [StudyDirection.MAXIMIZE]:
        shown = "/".join(d.name.lower() for d in study.directions)
        raise invalid_argument(
            "study",
            f"<study {study.study_name!r}, direction {shown}>",
            "a single-objective study whose direction is 'maximize' (scores are greater-is-better)",
            owner=_OWNER,
        )


def _check_subsample(subsample: Any) -> None:
    allowed = "a float in (0, 1] (a fraction) or an int >= 1 (a number of samples)"
    if isinstance(subsample, (bool, np.bool_)):
        raise invalid_argument("subsample", subsample, allowed, owner=_OWNER)
    if isinstance(subsample, Integral):
        if int(subsample) < 1:
            raise invalid_argument("subsample", subsample, allowed, owner=_OWNER)
        return
    if not isinstance(subsample, Real) or not 0.0 < float(subsample) <= 1.0:
        raise invalid_argument("subsample", subsample, allowed, owner=_OWNER)


def _subsample(n: int, subsample: float | int, rng: np.random.RandomState) -> np.ndarray:
    """Sorted indices of the samples to search on (all of them when ``subsample`` covers n)."""
    count = int(subsample) if isinstance(subsample, Integral) else int(float(subsample) * n)
    if count < 1:
        raise invalid_argument(
            "subsample",
            subsample,
            f"a fraction that keeps at least 1 of the {n} samples",
            owner=_OWNER,
        )
    indices = np.arange(n)
    if count < n:
        indices = np.sort(rng.choice(indices, count, replace=False))
    return indices


def _rows(data: Any, indices: np.ndarray) -> Any:
    return None if data is None else take_rows(data, indices)


def _cut_fit_params(fit_params: dict[str, Any], n: int, indices: np.ndarray) -> dict[str, Any]:
    """Per-sample fit arguments (one entry per row of X) cut to the subsample."""
    out: dict[str, Any] = {}
    for key, value in fit_params.items():
        per_sample = hasattr(value, "__len__") and not isinstance(value, (str, bytes, dict))
        try:
            same = per_sample and n_rows(value, key, _OWNER) == n
        except (TypeError, ValueError):
            same = False
        out[key] = take_rows(value, indices) if same else value
    return out


def _catch_tuple(catch: Any) -> tuple[type[Exception], ...]:
    """``catch`` as a tuple of exception classes (a single class is allowed too)."""
    items = (catch,) if isinstance(catch, type) else catch
    try:
        classes = tuple(items)
    except TypeError:
        classes = (None,)
    if not all(isinstance(c, type) and issubclass(c, Exception) for c in classes):
        raise invalid_argument(
            "catch", catch, "an exception class or an iterable of exception classes", owner=_OWNER
        )
    return classes
