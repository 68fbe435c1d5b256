"""Where a training run will end, predicted from the start of its learning curve; numpy only.

A trial that reports one value per epoch draws a learning curve. Pruning by the value so far
(the median rule, successive halving) is wrong when curves cross: a large learning rate falls
fast to a worse plateau, a small one slowly to a better one. What tells them apart is the
*slope* as well as the value. Following Baker et al. ("Accelerating neural architecture search
using performance prediction", ICLR workshop 2018), the final value of the study's complete
trials is regressed on two features of their curve at the step ``t`` in question:

* ``v(t)``: the last report at or before step ``t``;
* ``v(t) - v(t // 2)``: how much the curve moved over the second half of its run so far.

An ordinary least-squares fit on ``(1, v(t), v(t) - v(t // 2))`` gives the prediction for a
running trial and its standard error (the residual spread, widened for a point far from the
data, and never below 1 % of the final values' range). The fit is redone per step: what a
curve at epoch 3 says about its end differs from what it says at epoch 20.

:class:`~podbor.pruners.LearningCurvePruner` stops a trial whose predicted chance of ending
better than the best complete trial is small, and records the prediction on the trial
(:data:`PREDICTION_KEY`). The GP samplers take a pruned trial with a recorded prediction as an
observation at its predicted value, so that the pruner and the sampler agree about it: the
sampler learns where stopped trials would have ended instead of never seeing them.

Example:
    >>> from podbor.trial import create_trial
    >>> def run(rate, plateau, n=9):  # a curve that falls at ``rate`` to ``plateau``
    ...     curve = {t: plateau + (1 - plateau) / (1 + rate * t) for t in range(1, n + 1)}
    ...     return create_trial(value=curve[n], intermediate_values=curve)
    >>> completes = [run(r, p) for r, p in [(4, .5), (1, .2), (2, .4), (.5, .1), (3, .3)]]
    >>> slow_start = run(.5, .1, n=4)  # 0.40 at epoch 4, behind two of the others then
    >>> round(predict_final(completes, slow_start, 4).value, 2)  # it ends at 0.26 by epoch 9
    0.27
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState

__all__ = [
    "MAX_FIT_TRIALS",
    "MIN_SPREAD",
    "PREDICTION_KEY",
    "CurvePrediction",
    "curve_features",
    "predict_final",
    "predicted_value",
]

PREDICTION_KEY = "learning_curve"
"""The system attribute of a pruned trial that holds :meth:`CurvePrediction.to_json`."""

MIN_SPREAD = 0.01
"""The prediction's standard error is at least this fraction of the final values' range."""

MAX_FIT_TRIALS = 1000
"""The regression uses at most this many complete trials, the latest: three coefficients need
no more, and a long study's pruning stays as cheap at 10⁴ trials as at 10³ (~2 ms a call)."""

_N_FEATURES = 3  # the intercept, v(t), v(t) - v(t // 2)


@dataclass(frozen=True)
class CurvePrediction:
    """The predicted final value of a curve seen up to ``step``, in the objective's units.

    Attributes:
        value: The predicted final value.
        sd: Its standard error (> 0).
        step: The last step the prediction saw.
        n_trials: How many complete trials the regression was fitted on.
    """

    value: float
    sd: float
    step: int
    n_trials: int

    def probability_better(self, best: float, *, minimize: bool) -> float:
        """The predicted probability that the final value is better than ``best``.

        Example:
            >>> CurvePrediction(1.0, 0.5, 3, 10).probability_better(1.0, minimize=True)
            0.5
        """
        z = (best - self.value) / self.sd if minimize else (self.value - best) / self.sd
        return 0.5 * math.erfc(-z / math.sqrt(2.0))

    def to_json(self) -> dict[str, Any]:
        """The prediction as :data:`PREDICTION_KEY` stores it."""
        return {"value": self.value, "sd": self.sd, "step": self.step, "n_trials": self.n_trials}


def _report_at_or_before(curve: Mapping[int, float], step: int) -> tuple[int, float] | None:
    """The last report at or before ``step`` (its step and value), NaN reports left out."""
    value = curve.get(step)
    if value is not None and not math.isnan(value):
        return step, value
    earlier = [s for s, v in curve.items() if s < step and not math.isnan(v)]
    if not earlier:
        return None
    last = max(earlier)
    return last, curve[last]


def curve_features(curve: Mapping[int, float], step: int) -> tuple[float, float] | None:
    """``(v(t), v(t) - v(t // 2))`` of a curve at step ``t``; None without two distinct reports.

    Example:
        >>> curve_features({1: 1.0, 2: 0.75, 3: 0.625, 4: 0.5}, 4)
        (0.5, -0.25)
        >>> curve_features({4: 0.5}, 4) is None
        True
    """
    now = _report_at_or_before(curve, step)
    half = _report_at_or_before(curve, step // 2)
    if now is None or half is None or half[0] >= now[0]:
        return None
    return now[1], now[1] - half[1]


def predict_final(
    completes: Sequence[FrozenTrial], trial: FrozenTrial, step: int
) -> CurvePrediction | None:
    """The final value of ``trial`` predicted from its curve up to ``step``.

    Args:
        completes: The study's complete trials in number order (the regression's data): each
            needs two reports at or before ``step`` and a finite final value, others are left
            out; of those, the latest :data:`MAX_FIT_TRIALS` are used.
        trial: The trial whose curve is judged.
        step: The step it is judged at.

    Returns:
        The prediction, or None when ``trial`` has no two reports by ``step`` or fewer than
        ``4`` complete trials can be used (three coefficients and one degree of freedom).
    """
    mine = curve_features(trial.intermediate_values, step)
    if mine is None or not all(map(math.isfinite, mine)):
        return None
    rows: list[tuple[float, float]] = []
    finals: list[float] = []
    for t in reversed(completes):  # the latest first, up to MAX_FIT_TRIALS
        if len(rows) == MAX_FIT_TRIALS:
            break
        if t.state != TrialState.COMPLETE or t.value is None or not math.isfinite(t.value):
            continue
        features = curve_features(t.intermediate_values, step)
        if features is not None and all(map(math.isfinite, features)):
            rows.append(features)
            finals.append(t.value)
    rows.reverse()  # back to number order (the same sums, in the same order, as without a cap)
    finals.reverse()
    n = len(rows)
    if n <= _N_FEATURES:
        return None
    x = np.column_stack([np.ones(n), np.asarray(rows, dtype=float)])
    y = np.asarray(finals, dtype=float)
    gram_inv = np.linalg.pinv(x.T @ x)
    coef = gram_inv @ (x.T @ y)
    residual = y - x @ coef
    spread2 = float(residual @ residual) / (n - _N_FEATURES)
    floor = MIN_SPREAD * float(np.ptp(y))
    query = np.array([1.0, *mine])
    leverage = max(float(query @ gram_inv @ query), 0.0)
    sd = math.sqrt(max(spread2, floor * floor) * (1.0 + leverage))
    if not sd > 0.0:  # every final value equal and fitted exactly: no spread to judge by
        return None
    return CurvePrediction(float(query @ coef), sd, int(step), n)


def predicted_value(trial: FrozenTrial) -> float | None:
    """The recorded predicted final value of a pruned trial (None when it has none).

    Example:
        >>> from podbor.trial import TrialState, create_trial
        >>> pruned = create_trial(state=TrialState.PRUNED, system_attrs={
        ...     PREDICTION_KEY: {"value": 0.3, "sd": 0.1, "step": 4, "n_trials": 9}})
        >>> predicted_value(pruned)
        0.3
    """
    if trial.state != TrialState.PRUNED:
        return None
    record = trial.system_attrs.get(PREDICTION_KEY)
    if not isinstance(record, dict):
        return None
    value = record.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
