"""The ``cv_results_`` table of :class:`~podbor.validation.SearchCV`, built from finished trials.

Pure numpy/scipy on :class:`~podbor.FrozenTrial` records: the fold scores and times are
read from the user attributes that :func:`~podbor.validation.cross_validate` stores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState

__all__ = ["build_cv_results"]


def build_cv_results(
    trials: Sequence[FrozenTrial], n_splits: int, *, return_train_score: bool = False
) -> dict[str, Any]:
    """Build scikit-learn's ``cv_results_`` dict: one entry per trial in every array.

    Keys: ``params``, ``param_<name>`` (masked arrays), ``split<k>_test_score`` (NaN for folds
    not run), ``mean_test_score`` / ``std_test_score`` (NaN unless the trial COMPLETEd, so that
    a pruned trial's lucky first fold never ranks it first), ``rank_test_score`` (COMPLETE
    trials by mean score, ties share the lower rank; the others rank last),
    ``mean_fit_time`` / ``std_fit_time`` / ``mean_score_time`` / ``std_score_time`` (over the
    folds run), the ``*_train_score`` keys when asked, and ``trial_number``, ``trial_state``.

    Args:
        trials: Finished trials, shape ``(n_candidates,)``.
        n_splits: Number of folds; fold ``k`` fills ``split<k>_test_score``.
        return_train_score: Add ``split<k>_train_score``, ``mean_train_score``, …

    Example:
        >>> from podbor.trial import create_trial
        >>> t = create_trial(value=0.9, params={}, distributions={},
        ...                  user_attrs={"cv_scores": [0.8, 1.0]})
        >>> res = build_cv_results([t], 2)
        >>> res["mean_test_score"].tolist(), res["rank_test_score"].tolist()
        ([0.9], [1])
    """
    results: dict[str, Any] = {}
    _add_params(results, trials)
    complete = np.array([t.state == TrialState.COMPLETE for t in trials], dtype=bool)
    _add_scores(results, trials, complete, "test", n_splits)
    if return_train_score:
        _add_scores(results, trials, complete, "train", n_splits)
    _add_times(results, trials, "fit")
    _add_times(results, trials, "score")
    results["rank_test_score"] = _ranks(results["mean_test_score"])
    results["trial_number"] = np.array([t.number for t in trials], dtype=int)
    results["trial_state"] = np.array([t.state.name for t in trials], dtype=object)
    return results


def _add_params(results: dict[str, Any], trials: Sequence[FrozenTrial]) -> None:
    names = sorted({name for t in trials for name in t.params})
    results["params"] = [dict(t.params) for t in trials]
    for name in names:
        values = [t.params.get(name) for t in trials]
        mask = [name not in t.params for t in trials]
        data = np.empty(len(trials), dtype=object)
        data[:] = values
        if not any(mask) and all(_is_number(v) for v in values):
            data = np.asarray(values)
        results[f"param_{name}"] = np.ma.MaskedArray(data, mask=mask)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fold_matrix(trials: Sequence[FrozenTrial], key: str, n_splits: int) -> np.ndarray:
    """Shape ``(n_trials, n_splits)``: the stored per-fold values, NaN for folds not run."""
    matrix = np.full((len(trials), n_splits), np.nan)
    for row, trial in enumerate(trials):
        stored = trial.user_attrs.get(key) or []
        values = [math.nan if v is None else float(v) for v in stored[:n_splits]]
        matrix[row, : len(values)] = values
    return matrix


def _add_scores(
    results: dict[str, Any],
    trials: Sequence[FrozenTrial],
    complete: np.ndarray,
    kind: str,
    n_splits: int,
) -> None:
    key = "cv_scores" if kind == "test" else "cv_train_scores"
    matrix = _fold_matrix(trials, key, n_splits)
    for k in range(n_splits):
        results[f"split{k}_{kind}_score"] = matrix[:, k]
    mean = np.full(len(trials), np.nan)
    std = np.full(len(trials), np.nan)
    if complete.any():
        mean[complete] = matrix[complete].mean(axis=1)
        std[complete] = matrix[complete].std(axis=1)
    results[f"mean_{kind}_score"] = mean
    results[f"std_{kind}_score"] = std


def _add_times(results: dict[str, Any], trials: Sequence[FrozenTrial], kind: str) -> None:
    mean = np.full(len(trials), np.nan)
    std = np.full(len(trials), np.nan)
    for row, trial in enumerate(trials):
        times = np.asarray(trial.user_attrs.get(f"cv_{kind}_times") or [], dtype=float)
        if times.size:
            mean[row], std[row] = times.mean(), times.std()
    results[f"mean_{kind}_time"] = mean
    results[f"std_{kind}_time"] = std


def _ranks(mean_scores: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest score; ties share the lower rank; NaN scores rank last."""
    from scipy import stats  # here, not at import: scipy.stats is slow to import

    ranks = np.empty(len(mean_scores), dtype=np.int32)
    finite = ~np.isnan(mean_scores)
    ranks[finite] = stats.rankdata(-mean_scores[finite], method="min").astype(np.int32)
    ranks[~finite] = int(finite.sum()) + 1
    return ranks
