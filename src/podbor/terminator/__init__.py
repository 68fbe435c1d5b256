"""When to stop a study: the terminator, its evaluators and its callback (Optuna's names).

A study usually runs for a number of trials fixed in advance. The terminator stops it instead
when the room left for improvement (an improvement evaluator: a GP regret bound, the expected
minimum model regret, or the trials since the best value last changed) is smaller than the
statistical error of the objective (an error evaluator: the cross-validation error of the best
trial, a constant, or a share of the criterion's early median): past that point a "better" trial
is as likely to be better by chance as for real.

Example:
    >>> import podbor
    >>> from podbor.terminator import (BestValueStagnationEvaluator, Terminator,
    ...                                TerminatorCallback)
    >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
    >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=1))
    >>> terminator = Terminator(BestValueStagnationEvaluator(4), min_n_trials=5)
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=50,
    ...                callbacks=[TerminatorCallback(terminator)])
    >>> 5 <= len(study.trials) < 50
    True
"""

from __future__ import annotations

from podbor.terminator.callback import TerminatorCallback
from podbor.terminator.erroreval import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from podbor.terminator.improvement.emmr import EMMREvaluator
from podbor.terminator.improvement.evaluator import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
)
from podbor.terminator.median_erroreval import MedianErrorEvaluator
from podbor.terminator.terminator import BaseTerminator, Terminator

__all__ = [
    "BaseErrorEvaluator",
    "BaseImprovementEvaluator",
    "BaseTerminator",
    "BestValueStagnationEvaluator",
    "CrossValidationErrorEvaluator",
    "EMMREvaluator",
    "MedianErrorEvaluator",
    "RegretBoundEvaluator",
    "StaticErrorEvaluator",
    "Terminator",
    "TerminatorCallback",
    "report_cross_validation_scores",
]
