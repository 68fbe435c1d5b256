"""NSGA-II: the genetic multi-objective sampler, its crossovers and mutations.

``_ga.py`` keeps generations in the trials, ``_selection.py`` holds the array maths of the
elite, ``_child.py`` breeds one child, ``_crossovers.py`` and ``_mutations.py`` the operators,
``_constraints.py`` the constraints, ``_sampler.py`` the adapter. NSGA-III reuses all of it but
the elite: ``_reference.py`` (reference points, niching) and ``_nsgaiii.py`` (its adapter).
"""

from __future__ import annotations

from podbor.samplers._nsgaii._crossovers import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from podbor.samplers._nsgaii._ga import BaseGASampler
from podbor.samplers._nsgaii._mutations import BaseMutation, PolynomialMutation
from podbor.samplers._nsgaii._nsgaiii import NSGAIIISampler
from podbor.samplers._nsgaii._sampler import NSGAIISampler

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseGASampler",
    "BaseMutation",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
