"""``SearchCV``: a scikit-learn search estimator driven by a podbor study, pruning fold by fold.

This module needs scikit-learn at import time (the class derives from ``BaseEstimator``);
``podbor.validation`` imports it only when ``SearchCV`` is first used.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np

try:
    from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
    from sklearn.utils import get_tags
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.validation import check_is_fitted
except ImportError as _err:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "podbor.validation.SearchCV needs scikit-learn, which is not installed: "
        "pip install podbor[sklearn]"
    ) from _err

from podbor import logging as podbor_logging
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import PodborError, invalid_argument
from podbor.pruners import BasePruner, MedianPruner, NopPruner
from podbor.samplers import AutoSampler, BaseSampler
from podbor.storages import BaseStorage, InMemoryStorage
from podbor.study import Study, create_study, load_study
from podbor.trial import BaseTrial, FrozenTrial, TrialState
from podbor.validation._cross_validate import (
    Scorer,
    cross_validate,
    make_scorer,
    make_splits,
)
from podbor.validation._cv_results import build_cv_results
from podbor.validation._partial_fit import cross_validate_partial_fit
from podbor.validation._search_params import check_search_params, check_y

__all__ = ["SearchCV"]

_OWNER = "SearchCV"
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


class CVFailedError(PodborError, RuntimeError):
    """A trial's cross-validation gave a NaN mean score (a fold's fit or scoring failed)."""


def _if_delegates(method: str | None) -> Callable[[_F], _F]:
    """``available_if`` for a method that ``best_estimator_`` must offer (None: only ``refit``)."""
    return cast("Callable[[_F], _F]", available_if(lambda search: _delegates(search, method)))


def _delegates(search: SearchCV, method: str | None) -> bool:
    """Whether ``search`` offers ``method`` (None: just needs ``refit``); else AttributeError."""
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} was created with refit=False, so it has no best_estimator_ to "
            f"delegate {method or 'score'} to; use best_params_ to fit one."
        )
    if method is not None:
        best = search.__dict__.get("best_estimator_")
        getattr(best if best is not None else search.estimator, method)
    return True


class SearchCV(MetaEstimatorMixin, BaseEstimator):  # type: ignore[misc]
    """Hyperparameter search over podbor distributions, in the spirit of ``RandomizedSearchCV``.

    Each trial of a podbor study suggests the estimator's parameters from
    ``param_distributions`` and cross-validates them with
    :func:`~podbor.validation.cross_validate`, which reports every fold's score so that the
    pruner stops a hopeless configuration after one or two folds. The best COMPLETE trial
    gives ``best_params_`` and (with ``refit``) ``best_estimator_``, fitted on all the data.

    Scores are scikit-learn's (greater is better); the study maximizes them. Arguments are
    checked in :meth:`fit`, as scikit-learn does.

    Args:
        estimator: The estimator (or pipeline) to tune; it is cloned, never fitted itself.
        param_distributions: Parameter name (``"C"``, or ``"step__param"`` in a pipeline) →
            :class:`~podbor.distributions.FloatDistribution`, ``IntDistribution`` or
            ``CategoricalDistribution``.
        n_trials: Number of trials; None runs until ``timeout``.
        cv: Number of folds, a scikit-learn splitter, or an iterable of (train, test) pairs;
            the folds are drawn once, so every trial sees the same ones.
        scoring: A scorer name, a callable ``scorer(estimator, X, y)``, or None for
            ``estimator.score``.
        sampler: The study's sampler; ``AutoSampler(seed=random_state)`` (as in
            :func:`podbor.create_study`) by default. ``fit``
            works on a copy where the sampler can be deep-copied.
        pruner: The study's pruner; ``MedianPruner(n_startup_trials=5)`` by default (it
            compares each fold with the same fold of the completed trials).
        refit: Fit ``best_estimator_`` on all the data with ``best_params_``; the prediction
            methods need it.
        n_jobs: Trials run at once in threads; -1 for one per core.
        timeout: Seconds after which no new trial starts; None for no limit.
        storage: Where the study lives (a URL or storage object); None for memory.
        study_name: The study's name; an existing study of that name is continued.
        random_state: Seed of the default sampler (an int, a ``numpy.random.RandomState`` or
            None). Results are reproducible with an int and ``n_jobs=1``.
        error_score: Score of a fold whose fit fails (its trial then FAILs when the score is
            NaN), or ``"raise"``.
        return_train_score: Also record training scores in ``cv_results_``.
        verbose: 0 keeps podbor's per-trial log lines quiet during ``fit``; 1 or more shows them.
        enable_pruning: False runs every fold of every trial.

    Attributes:
        best_params_: Parameters of the best COMPLETE trial.
        best_score_: Its mean cross-validated score.
        best_index_: Its position in ``trials_`` and in the arrays of ``cv_results_``.
        best_trial_: Its :class:`~podbor.FrozenTrial`.
        best_estimator_: The estimator refitted with ``best_params_`` (when ``refit``).
        cv_results_: Dict of arrays, one entry per trial, with the keys of ``GridSearchCV``'s
            (``params``, ``split<k>_test_score``, ``mean_test_score``, ``rank_test_score``, …);
            pruned trials have NaN for the folds they did not run and for their mean.
        n_splits_: Number of folds.
        refit_time_: Seconds spent refitting (when ``refit``).
        scorer_: The scorer used.
        study_: The podbor study (reloaded from its storage after unpickling).
        trials_: The finished trials, in number order.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.svm import SVC
        >>> from podbor.distributions import FloatDistribution
        >>> X, y = load_iris(return_X_y=True)
        >>> search = SearchCV(SVC(), {"C": FloatDistribution(1e-2, 1e2, log=True)},
        ...                   n_trials=6, cv=3, random_state=0)
        >>> search.fit(X, y).best_score_ > 0.9
        True
        >>> search.predict(X[:2]).tolist()
        [0, 0]
    """

    def __init__(
        self,
        estimator: Any,
        param_distributions: Mapping[str, BaseDistribution],
        *,
        n_trials: int | None = 10,
        cv: Any = 5,
        scoring: str | Scorer | None = None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        refit: bool = True,
        n_jobs: int = 1,
        timeout: float | None = None,
        storage: str | BaseStorage | None = None,
        study_name: str | None = None,
        random_state: int | np.random.RandomState | None = None,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        verbose: int = 0,
        enable_pruning: bool = True,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.sampler = sampler
        self.pruner = pruner
        self.refit = refit
        self.n_jobs = n_jobs
        self.timeout = timeout
        self.storage = storage
        self.study_name = study_name
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.verbose = verbose
        self.enable_pruning = enable_pruning

    # -- fit ----------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any) -> SearchCV:
        """Run the search, then refit the best parameters on all of ``X`` (when ``refit``).

        Args:
            X: Samples, shape ``(n_samples, n_features)``.
            y: Targets, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``, or None.
            groups: Group labels, shape ``(n_samples,)``, for group splitters.
            **fit_params: Passed to the estimator's ``fit``; per-sample arrays are cut per fold.

        Returns:
            self

        Raises:
            InvalidArgumentError: (a ``ValueError``) for invalid constructor arguments, a
                ``cv`` larger than the data, or a missing ``y`` the estimator needs.
            ValueError: If no trial completed (every trial failed or was pruned).

        Example:
            >>> from sklearn.linear_model import Ridge
            >>> from podbor.distributions import FloatDistribution
            >>> search = SearchCV(Ridge(), {"alpha": FloatDistribution(0.1, 10.0)}, n_trials=3, cv=2)
            >>> X = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]
            >>> search.fit(X, [0, 1, 2, 3, 4, 5]).n_splits_
            2
        """
        check_search_params(self.get_params(deep=False))
        check_y(self.estimator, y)
        for stale in ("best_estimator_", "refit_time_"):  # from an earlier fit with refit=True
            self.__dict__.pop(stale, None)
        scorer = make_scorer(self.estimator, self.scoring, _OWNER)
        splits = make_splits(self.cv, self.estimator, X, y, groups, _OWNER)
        storage = self.storage if self.storage is not None else InMemoryStorage()
        study = create_study(
            storage=storage,
            sampler=self._make_sampler(),
            pruner=self._make_pruner(),
            study_name=self.study_name,
            direction="maximize",
            load_if_exists=True,
        )
        objective = _Objective(
            self.estimator,
            dict(self.param_distributions),
            X,
            y,
            fit_params,
            splits,
            scorer,
            self.error_score,
            self.enable_pruning,
            self.return_train_score,
        )
        with _verbosity(self.verbose):
            study.optimize(
                objective,
                n_trials=self.n_trials,
                timeout=self.timeout,
                n_jobs=self.n_jobs,
                catch=(CVFailedError,),
            )
        self._store_results(study, storage, scorer, len(splits))
        if self.refit:
            self._refit(X, y, fit_params)
        return self

    def _store_results(
        self, study: Study, storage: str | BaseStorage, scorer: Scorer, n_splits: int
    ) -> None:
        trials = study.get_trials(deepcopy=True, states=_FINISHED)
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if not complete:
            raise _no_trial_completed(trials)
        best = max(complete, key=lambda t: t.value if t.value is not None else -math.inf)
        self.study_: Study | None = study
        self._study_storage = storage
        self.trials_ = trials
        self.best_trial_ = best
        self.best_index_ = trials.index(best)
        self.best_params_ = dict(best.params)
        self.best_score_ = float(best.value) if best.value is not None else math.nan
        self.cv_results_ = build_cv_results(
            trials, n_splits, return_train_score=self.return_train_score
        )
        self.n_splits_ = n_splits
        self.scorer_ = scorer

    def _refit(self, X: Any, y: Any, fit_params: dict[str, Any]) -> None:
        model = clone(self.estimator).set_params(**self.best_params_)
        start = time.perf_counter()
        if y is None:
            model.fit(X, **fit_params)
        else:
            model.fit(X, y, **fit_params)
        self.refit_time_ = time.perf_counter() - start
        self.best_estimator_ = model

    def _make_sampler(self) -> BaseSampler:
        if self.sampler is not None:
            return _own_copy(self.sampler)
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            seed = int(seed.randint(np.iinfo(np.int32).max))
        return AutoSampler(seed=None if seed is None else int(seed))

    def _make_pruner(self) -> BasePruner:
        if not self.enable_pruning:
            return NopPruner()
        if self.pruner is not None:
            return _own_copy(self.pruner)
        return MedianPruner(n_startup_trials=5)

    # -- delegation to best_estimator_ --------------------------------------------------
    def _best(self) -> Any:
        check_is_fitted(self)
        return self.best_estimator_

    @_if_delegates("predict")
    def predict(self, X: Any, **kwargs: Any) -> Any:
        """Predict with ``best_estimator_``; needs ``refit=True``.

        Example:
            >>> from sklearn.linear_model import Ridge
            >>> from podbor.distributions import FloatDistribution
            >>> s = SearchCV(Ridge(), {"alpha": FloatDistribution(0.1, 1.0)}, n_trials=2, cv=2)
            >>> s.fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 2, 3]).predict([[4.0]]).shape
            (1,)
        """
        return self._best().predict(X, **kwargs)

    @_if_delegates("predict_proba")
    def predict_proba(self, X: Any, **kwargs: Any) -> Any:
        """Class probabilities of ``best_estimator_``, shape ``(n_samples, n_classes)``."""
        return self._best().predict_proba(X, **kwargs)

    @_if_delegates("predict_log_proba")
    def predict_log_proba(self, X: Any, **kwargs: Any) -> Any:
        """Log class probabilities of ``best_estimator_``."""
        return self._best().predict_log_proba(X, **kwargs)

    @_if_delegates("decision_function")
    def decision_function(self, X: Any, **kwargs: Any) -> Any:
        """Decision function of ``best_estimator_``."""
        return self._best().decision_function(X, **kwargs)

    @_if_delegates("score_samples")
    def score_samples(self, X: Any, **kwargs: Any) -> Any:
        """Per-sample scores of ``best_estimator_`` (e.g. a density's log-likelihood)."""
        return self._best().score_samples(X, **kwargs)

    @_if_delegates("transform")
    def transform(self, X: Any, **kwargs: Any) -> Any:
        """Transform with ``best_estimator_``."""
        return self._best().transform(X, **kwargs)

    @_if_delegates("inverse_transform")
    def inverse_transform(self, X: Any, **kwargs: Any) -> Any:
        """Inverse-transform with ``best_estimator_``."""
        return self._best().inverse_transform(X, **kwargs)

    @_if_delegates(None)
    def score(self, X: Any, y: Any = None) -> float:
        """Score ``best_estimator_`` on ``(X, y)`` with the search's scorer (greater is better)."""
        return float(self.scorer_(self._best(), X, y))

    @property
    def n_features_in_(self) -> int:
        """Number of features seen by ``best_estimator_`` during fit."""
        return int(self._best_attr("n_features_in_"))

    @property
    def feature_names_in_(self) -> Any:
        """Feature names seen by ``best_estimator_``, shape ``(n_features_in_,)``."""
        return self._best_attr("feature_names_in_")

    @property
    def classes_(self) -> Any:
        """Class labels of ``best_estimator_``, shape ``(n_classes,)``."""
        return self._best_attr("classes_")

    def _best_attr(self, name: str) -> Any:
        best = self.__dict__.get("best_estimator_")
        if best is None:
            raise AttributeError(
                f"{type(self).__name__}.{name} exists only after fit with refit=True."
            )
        return getattr(best, name)

    # -- scikit-learn tags, pickling ----------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        try:
            inner = get_tags(self.estimator)
        except (AttributeError, TypeError):
            return tags
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.transformer_tags = copy.deepcopy(inner.transformer_tags)
        tags.target_tags = copy.deepcopy(inner.target_tags)  # X and y pass through untouched
        tags.input_tags = copy.deepcopy(inner.input_tags)
        return tags

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        study = state.get("study_")
        if study is not None:  # a live handle (locks); reloaded on unpickling
            state = dict(state, study_=None, _study_ref=(study.study_name,))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        ref = state.pop("_study_ref", None)
        super().__setstate__(state)
        if ref is not None:
            self.study_ = _reload_study(ref[0], self.__dict__.get("_study_storage"))


# -- the objective -----------------------------------------------------------------------
@dataclass
class _Objective:
    """One trial: suggest the parameters, cross-validate, return the mean score."""

    estimator: Any
    distributions: dict[str, BaseDistribution]
    X: Any
    y: Any
    fit_params: dict[str, Any]
    splits: list[tuple[np.ndarray, np.ndarray]]
    scorer: Scorer
    error_score: float | str
    prune: bool
    return_train_score: bool
    max_iter: int | None = None
    """None: one report per fold; an int: that many ``partial_fit`` passes, one report each."""

    def __call__(self, trial: BaseTrial) -> float:
        params = {name: _suggest(trial, name, d) for name, d in self.distributions.items()}
        model = clone(self.estimator).set_params(**params)
        if self.max_iter is not None:
            result = cross_validate_partial_fit(
                trial,
                model,
                self.X,
                self.y,
                splits=self.splits,
                scorer=self.scorer,
                max_iter=self.max_iter,
                fit_params=self.fit_params,
                prune=self.prune,
                error_score=self.error_score,
                return_train_score=self.return_train_score,
            )
        else:
            result = cross_validate(
                trial,
                model,
                self.X,
                self.y,
                cv=self.splits,
                scoring=self.scorer,
                fit_params=self.fit_params,
                prune=self.prune,
                error_score=self.error_score,
                return_train_score=self.return_train_score,
            )
        if math.isnan(result.mean):
            raise CVFailedError(_nan_reason(result.errors, len(result.scores)))
        return result.mean


def _nan_reason(errors: tuple[str, ...], n_folds: int) -> str:
    if not errors:
        return "a fold scored NaN (is the metric defined on folds this small?)"
    distinct = list(dict.fromkeys(errors))
    return f"{len(errors)} of {n_folds} folds failed: " + "; ".join(distinct)


def _suggest(trial: BaseTrial, name: str, dist: BaseDistribution) -> Any:
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    raise invalid_argument(  # pragma: no cover - check_distributions refuses these earlier
        "param_distributions", dist, "podbor distributions", owner=_OWNER
    )


# -- helpers -------------------------------------------------------------------------------
def _own_copy(obj: _T) -> _T:
    """A deep copy, so that ``fit`` leaves its parameters unchanged; the object where it
    cannot be copied (it then carries on its random stream)."""
    try:
        return copy.deepcopy(obj)
    except (TypeError, copy.Error):
        return obj


def _no_trial_completed(trials: list[FrozenTrial]) -> ValueError:
    reasons = sorted({str(t.system_attrs.get("fail_reason", t.state.name)) for t in trials})
    return ValueError(
        f"No trial of SearchCV completed ({len(trials)} trial(s) failed or were pruned). "
        f"Reasons: {' | '.join(reasons)[:2000]}"
    )


def _reload_study(name: str, storage: Any) -> Study | None:
    try:
        return load_study(study_name=name, storage=storage)
    except Exception as err:  # an unreachable database must not break unpickling
        warnings.warn(
            f"SearchCV.study_ could not be reloaded from its storage ({err}); "
            "trials_ and cv_results_ are kept.",
            UserWarning,
            stacklevel=2,
        )
        return None


@contextlib.contextmanager
def _verbosity(verbose: int) -> Iterator[None]:
    """Quiet podbor's per-trial INFO lines during fit unless ``verbose`` asks for them."""
    previous = podbor_logging.get_verbosity()
    if verbose > 0:
        podbor_logging.set_verbosity(min(previous, podbor_logging.INFO))
    else:
        podbor_logging.set_verbosity(max(previous, podbor_logging.WARNING))
    try:
        yield
    finally:
        podbor_logging.set_verbosity(previous)
