"""Cross-validation by ``partial_fit`` iterations, reporting after each pass so pruners can stop it.

:func:`~podbor.validation.cross_validate` reports once per fold; an incremental learner
(``SGDClassifier``, ``MLPClassifier``, ``MultinomialNB`` …) can be judged sooner: every fold
keeps its own model, each iteration calls ``partial_fit`` once on every fold's training rows,
and the mean test score over the folds is reported at step ``iteration``. A configuration that
learns slowly is pruned after a few passes instead of ``max_iter``.
:class:`podbor.integration.OptunaSearchCV` uses it with ``enable_pruning=True``.

scikit-learn is imported inside the function, as in :mod:`podbor.validation._cross_validate`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._records.base_trial import BaseTrial
from podbor.exceptions import TrialPruned, invalid_argument
from podbor.validation._cross_validate import (
    CVResult,
    Scorer,
    _failed,
    _Fold,
    _Folds,
    _sample_params,
    _score,
    _single_objective,
    _split_xy,
)
from podbor.validation._holdout import n_rows, take_rows

__all__ = ["cross_validate_partial_fit"]

_OWNER = "cross_validate_partial_fit"


@dataclass
class _FoldModel:
    """One fold's model and data; it accumulates its fit and score times over iterations."""

    model: Any
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    params: dict[str, Any]
    fold: _Fold


def cross_validate_partial_fit(
    trial: BaseTrial,
    estimator: Any,
    X: Any,
    y: Any,
    *,
    splits: list[tuple[np.ndarray, np.ndarray]],
    scorer: Scorer,
    max_iter: int,
    fit_params: Mapping[str, Any] | None = None,
    prune: bool = True,
    error_score: float | str = np.nan,
    return_train_score: bool = False,
) -> CVResult:
    """Train one clone of ``estimator`` per fold with ``partial_fit``, ``max_iter`` passes.

    After pass ``i`` the mean test score over the folds is reported at step ``i`` and, when the
    pruner says so, :class:`~podbor.TrialPruned` is raised (never after the last pass). A
    classifier gets ``classes=np.unique(y)`` unless ``fit_params`` gives ``classes``. The
    per-fold scores of the last pass are stored as the same user attributes as
    :func:`~podbor.validation.cross_validate` (``"cv_scores"``, ``"cv_fit_times"`` …), so
    ``cv_results_`` tables read both alike.

    Args:
        trial: The trial to report to (a :class:`~podbor.FixedTrial` never prunes).
        estimator: An estimator with ``partial_fit``; it is cloned per fold.
        X: Samples, shape ``(n_samples, n_features)``.
        y: Targets, shape ``(n_samples,)``, or None.
        splits: The ``(train_indices, test_indices)`` pairs.
        scorer: ``scorer(estimator, X, y) -> float``, greater is better.
        max_iter: Number of passes, >= 1.
        fit_params: Extra arguments of ``partial_fit``; per-sample arrays are cut per fold.
        prune: Ask the pruner after each pass.
        error_score: Score of a fold whose ``partial_fit`` fails (it is not trained further),
            or ``"raise"``.
        return_train_score: Also score each fold on its training rows.

    Returns:
        A :class:`~podbor.validation.CVResult` of the last pass.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import SGDClassifier
        >>> from sklearn.metrics import check_scoring
        >>> from sklearn.model_selection import StratifiedKFold
        >>> from podbor.trial import FixedTrial
        >>> X, y = load_iris(return_X_y=True)
        >>> splits = list(StratifiedKFold(3).split(X, y))
        >>> model = SGDClassifier(random_state=0)
        >>> res = cross_validate_partial_fit(FixedTrial({}), model, X, y, splits=splits,
        ...                                  scorer=check_scoring(model), max_iter=3)
        >>> res.scores.shape
        (3,)
    """
    if not callable(getattr(estimator, "partial_fit", None)):
        raise invalid_argument(
            "estimator", estimator, "an estimator with a partial_fit method", owner=_OWNER
        )
    params = dict(fit_params or {})
    _add_classes(estimator, y, params)
    cut = _sample_params(params, n_rows(X, "X", _OWNER))
    folds = [_prepare(estimator, X, y, train, test, cut) for train, test in splits]
    report = _single_objective(trial)
    done = _Folds([f.fold for f in folds])
    for step in range(max_iter):
        for fold in folds:
            _one_pass(fold, scorer, error_score, return_train_score)
        done = _Folds([f.fold for f in folds])
        if not report:
            continue
        scores = np.array([f.fold.score for f in folds], dtype=float)
        finite = scores[np.isfinite(scores)]
        trial.report(float(finite.mean()) if finite.size else math.nan, step=step)
        if prune and step < max_iter - 1 and trial.should_prune():
            done.store_on(trial, len(splits))
            raise TrialPruned(f"Pruned after partial_fit iteration {step + 1} of {max_iter}.")
    done.store_on(trial, len(splits))
    return done.result(False, return_train_score)


def _add_classes(estimator: Any, y: Any, params: dict[str, Any]) -> None:
    """A classifier's ``partial_fit`` must see every class on its first call."""
    from sklearn.base import is_classifier

    if is_classifier(estimator) and y is not None and "classes" not in params:
        params["classes"] = np.unique(np.asarray(y))


def _prepare(
    estimator: Any,
    X: Any,
    y: Any,
    train: np.ndarray,
    test: np.ndarray,
    cut: dict[str, tuple[Any, bool]],
) -> _FoldModel:
    from sklearn.base import clone

    X_train, y_train = _split_xy(estimator, X, y, train, train)
    X_test, y_test = _split_xy(estimator, X, y, test, train)
    params = {k: take_rows(v, train) if per_sample else v for k, (v, per_sample) in cut.items()}
    fold = _Fold(math.nan, 0.0, 0.0, None, None, None)
    return _FoldModel(clone(estimator), X_train, y_train, X_test, y_test, params, fold)


def _one_pass(
    fold: _FoldModel, scorer: Scorer, error_score: float | str, return_train_score: bool
) -> None:
    """One ``partial_fit`` call and its scoring; a failed fold keeps ``error_score``."""
    state = fold.fold
    if state.error is not None:
        return
    start = time.perf_counter()
    try:
        fold.model.partial_fit(fold.X_train, fold.y_train, **fold.params)
    except Exception as err:
        state.error = _failed(err, "partial_fit", error_score)
        state.fit_time += time.perf_counter() - start
        state.score = float(error_score)
        state.train_score = float(error_score) if return_train_score else None
        return
    state.fit_time += time.perf_counter() - start
    state.estimator = fold.model
    start = time.perf_counter()
    state.score, error = _score(scorer, fold.model, fold.X_test, fold.y_test, error_score)
    state.score_time += time.perf_counter() - start
    if return_train_score:
        state.train_score, train_error = _score(
            scorer, fold.model, fold.X_train, fold.y_train, error_score
        )
        error = error or train_error
    state.error = error
