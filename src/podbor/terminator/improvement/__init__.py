"""Improvement evaluators: how much better the study could still get (Optuna's module path).

The names are re-exported by :mod:`podbor.terminator`; see there.
"""

from __future__ import annotations

from podbor.terminator.improvement.emmr import EMMREvaluator
from podbor.terminator.improvement.evaluator import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
)

__all__ = [
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "EMMREvaluator",
    "RegretBoundEvaluator",
]
