"""Pruners: rules that stop unpromising trials from their intermediate reports.

Example:
    >>> import podbor
    >>> study = podbor.create_study(pruner=podbor.pruners.MedianPruner(n_warmup_steps=2))
"""

from podbor.pruners._base import BasePruner
from podbor.pruners._hyperband import HyperbandPruner
from podbor.pruners._learning_curve import LearningCurvePruner
from podbor.pruners._nop import NopPruner
from podbor.pruners._patient import PatientPruner
from podbor.pruners._percentile import MedianPruner, PercentilePruner
from podbor.pruners._successive_halving import SuccessiveHalvingPruner
from podbor.pruners._threshold import ThresholdPruner
from podbor.pruners._wilcoxon import WilcoxonPruner

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "LearningCurvePruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
]
