"""An error threshold relative to the improvement criterion's own early values.

Some improvement criteria (:class:`~podbor.terminator.EMMREvaluator`) have no natural unit to
compare with: what counts as small depends on the objective. Ishibashi et al. (AISTATS 2023)
therefore stop when the criterion falls below a small share of its median over the first trials.
:class:`MedianErrorEvaluator` computes that threshold once enough trials are complete and returns
it as the "error", so that :class:`~podbor.terminator.Terminator` compares the criterion with it.
"""

from __future__ import annotations

import math
import statistics
import sys
import threading

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor._validation import check_instance, check_int, check_real
from podbor.terminator._gp_fit import complete_trials
from podbor.terminator.erroreval import BaseErrorEvaluator
from podbor.terminator.improvement.evaluator import BaseImprovementEvaluator

__all__ = ["MedianErrorEvaluator"]


@experimental("0.1.0")
class MedianErrorEvaluator(BaseErrorEvaluator):
    """``threshold_ratio`` times the median of the paired criterion over the first trials.

    The first ``warm_up_trials`` complete trials are skipped (often random samples, before the
    sampler's model takes over); the paired improvement evaluator is then computed after each of
    the next ``n_initial_trials`` complete trials (on the trials up to that one), and the median
    of those values times ``threshold_ratio`` is the threshold. It is computed once, when
    ``warm_up_trials + n_initial_trials`` trials are complete, and kept; before that the error is
    0, which does not stop a study whose criterion is >= 0.

    Args:
        paired_improvement_evaluator: The improvement evaluator the terminator uses with this one.
        warm_up_trials: Complete trials skipped at the start (an int >= 0).
        n_initial_trials: Complete trials whose criterion values give the median (an int >= 1).
        threshold_ratio: The share of the median that is the threshold (a finite float > 0).

    Raises:
        ValueError: An argument outside what is allowed (the message names it).

    Example:
        >>> from podbor.terminator import BestValueStagnationEvaluator
        >>> from podbor.trial import create_trial
        >>> evaluator = MedianErrorEvaluator(
        ...     BestValueStagnationEvaluator(10), warm_up_trials=0, n_initial_trials=3,
        ...     threshold_ratio=0.5)
        >>> trials = [create_trial(value=v) for v in (3.0, 2.0, 1.0)]
        >>> evaluator.evaluate(trials, StudyDirection.MINIMIZE)
        5.0
    """

    def __init__(
        self,
        paired_improvement_evaluator: BaseImprovementEvaluator,
        warm_up_trials: int = 10,
        n_initial_trials: int = 20,
        threshold_ratio: float = 0.01,
    ) -> None:
        owner = "MedianErrorEvaluator"
        self._paired = check_instance(
            paired_improvement_evaluator,
            "paired_improvement_evaluator",
            BaseImprovementEvaluator,
            owner=owner,
            allowed="a BaseImprovementEvaluator",
        )
        self._warm_up = check_int(warm_up_trials, "warm_up_trials", owner=owner, minimum=0)
        self._n_initial = check_int(n_initial_trials, "n_initial_trials", owner=owner, minimum=1)
        self._ratio = check_real(
            threshold_ratio,
            "threshold_ratio",
            owner=owner,
            minimum=0.0,
            include_minimum=False,
            finite=True,
        )
        self._threshold: tuple[tuple[tuple[int, float | None], ...], float] | None = None
        self._lock = threading.Lock()

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The threshold, or 0 while fewer than ``warm_up_trials + n_initial_trials`` are complete.

        Args:
            trials: The study's trials; the COMPLETE ones count, in their order.
            study_direction: Whether the objective is minimized or maximized.
        """
        completes = complete_trials(trials)
        needed = self._warm_up + self._n_initial
        if len(completes) < needed:
            return 0.0
        initial = completes[:needed]
        key = tuple((t.number, t.value) for t in initial)
        with self._lock:
            if self._threshold is not None and self._threshold[0] == key:
                return self._threshold[1]
        criteria = [
            self._paired.evaluate(initial[: self._warm_up + i], study_direction)
            for i in range(1, self._n_initial + 1)
        ]
        threshold = min(sys.float_info.max, float(statistics.median(criteria)) * self._ratio)
        if math.isnan(threshold):
            threshold = 0.0
        with self._lock:
            self._threshold = (key, threshold)
        return threshold
