"""Samplers: strategies that propose parameter values from the history of a study.

Example:
    >>> import podbor
    >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=42))
"""

from podbor.samplers._base import BaseSampler
from podbor.samplers._grid import GridSampler
from podbor.samplers._partial_fixed import PartialFixedSampler
from podbor.samplers._random import RandomSampler

__all__ = ["BaseSampler", "GridSampler", "PartialFixedSampler", "RandomSampler"]
