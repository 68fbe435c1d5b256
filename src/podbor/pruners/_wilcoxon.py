"""Prune by a paired test against the best trial, over the steps both reported (e.g. folds).

With cross-validation the steps are folds (or instances) evaluated in any order; comparing a
trial with the best one fold by fold removes the fold-to-fold variance that an unpaired rule
would suffer from. The Wilcoxon signed-rank test (Wilcoxon, 1945) asks whether the trial is
worse than the best one; a small p-value prunes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor._validation import check_int, check_real
from podbor.pruners._base import BasePruner
from podbor.pruners._common import single_direction

__all__ = ["WilcoxonPruner", "signed_rank_pvalue"]


@experimental("0.1.0")
class WilcoxonPruner(BasePruner):
    """Stop a trial that a one-sided Wilcoxon signed-rank test finds worse than the best trial.

    The test pairs the trial's reports with the best COMPLETE trial's reports at the steps both
    have (steps may come in any order). A trial is not pruned while the mean of its reports is
    at least as good as the best trial's value.

    A ``UserWarning`` says when the comparison is unsound: the trial reported a step that the
    best trial lacks (that step is left out), or a common step holds NaN or an infinity (the
    trial is then not pruned).

    Args:
        p_threshold: Prune when the p-value that the trial is *not* worse is below this, in
            ``[0, 1]``. Smaller is more conservative; 0 never prunes.
        n_startup_steps: Do not test before this many common steps.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(pruner=WilcoxonPruner(p_threshold=0.1))
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        owner = "WilcoxonPruner"
        self._p = check_real(p_threshold, "p_threshold", owner=owner, minimum=0.0, maximum=1.0)
        self._n_startup_steps = check_int(
            n_startup_steps, "n_startup_steps", owner=owner, minimum=0
        )

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        direction = single_direction(study.directions, type(self).__name__)
        best = _best_complete(study, direction)
        if best is None or best.number == trial.number:
            return False
        diffs = _paired_differences(trial, best)
        if diffs is None or diffs.size < max(self._n_startup_steps, 1) or np.all(diffs == 0):
            return False
        if _mean_is_not_worse(trial, best, direction):
            return False
        p_value = signed_rank_pvalue(diffs, greater=direction == StudyDirection.MINIMIZE)
        return not math.isnan(p_value) and p_value < self._p

    def __repr__(self) -> str:
        return f"WilcoxonPruner(p_threshold={self._p}, n_startup_steps={self._n_startup_steps})"


def _paired_differences(trial: FrozenTrial, best: FrozenTrial) -> np.ndarray | None:
    """The trial's reports minus the best trial's at their common steps; None if not finite."""
    own, theirs = trial.intermediate_values, best.intermediate_values
    missing = sorted(s for s in own if s not in theirs)
    if missing:
        warnings.warn(
            f"WilcoxonPruner compares trial {trial.number} with the best trial {best.number}, "
            f"which did not report the steps {missing}; those steps are left out of the test.",
            UserWarning,
            stacklevel=2,
        )
    common = [s for s in own if s in theirs]
    diffs = np.array([own[s] - theirs[s] for s in common], dtype=float)
    pairs = np.array([(own[s], theirs[s]) for s in common], dtype=float)
    if pairs.size and not np.all(np.isfinite(pairs)):
        warnings.warn(
            f"WilcoxonPruner does not prune trial {trial.number}: it or the best trial "
            f"{best.number} reported NaN or an infinity at a common step.",
            UserWarning,
            stacklevel=2,
        )
        return None
    return diffs


def _mean_is_not_worse(trial: FrozenTrial, best: FrozenTrial, direction: StudyDirection) -> bool:
    """Whether the mean of the trial's reports is at least as good as the best trial's value."""
    mean = float(np.mean(list(trial.intermediate_values.values())))
    best_value = best.values[0] if best.values else math.nan
    if direction == StudyDirection.MAXIMIZE:
        return mean >= best_value
    return mean <= best_value


def _best_complete(study: StudyView, direction: StudyDirection) -> FrozenTrial | None:
    complete = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.values is not None and not math.isnan(t.values[0])
    ]
    if not complete:
        return None
    pick = max if direction == StudyDirection.MAXIMIZE else min
    return pick(complete, key=lambda t: t.values[0] if t.values else math.nan)


_EXACT_MAX_N = 40


def signed_rank_pvalue(diffs: np.ndarray, *, greater: bool) -> float:
    """One-sided p-value of the Wilcoxon signed-rank test that the differences are centred at 0.

    ``greater=True`` tests against "the differences tend to be positive". Zeros are dropped;
    tied magnitudes get average ranks. Up to 40 non-zero differences the null distribution of
    the positive rank sum is exact (enumerated by dynamic programming over doubled, hence
    integer, ranks); beyond that, the normal approximation with the tie correction.

    Args:
        diffs: Paired differences, shape ``(n,)``, without NaN.
        greater: The direction of the alternative.

    Example:
        >>> round(signed_rank_pvalue(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), greater=True), 5)
        0.03125
    """
    from scipy import special, stats  # lazily: scipy.stats costs a second at import

    d = diffs[diffs != 0]
    n = d.size
    if n == 0:
        return 1.0
    ranks2 = np.rint(2 * stats.rankdata(np.abs(d))).astype(int)  # doubled average ranks
    w_pos = int(ranks2[d > 0].sum())
    total = int(ranks2.sum())
    statistic = w_pos if greater else total - w_pos  # the rank sum on the alternative's side
    if n <= _EXACT_MAX_N:
        counts = np.zeros(total + 1)
        counts[0] = 1.0
        for r in ranks2:
            counts[r:] = counts[r:] + counts[: total + 1 - r].copy()
        return float(counts[statistic:].sum() / counts.sum())
    mean = total / 2.0  # every rank is positive with probability 1/2
    _, tie_counts = np.unique(ranks2, return_counts=True)
    var = (n * (n + 1) * (2 * n + 1) / 24.0 - (tie_counts**3 - tie_counts).sum() / 48.0) * 4.0
    z = (statistic - mean - 1.0) / math.sqrt(var) if var > 0 else 0.0  # continuity: 1/2 rank
    return float(special.ndtr(-z))
