"""The operators of :class:`~podbor.samplers.NSGAIISampler`: crossovers and mutations.

Example:
    >>> import podbor
    >>> from podbor.samplers.nsgaii import SBXCrossover
    >>> sampler = podbor.samplers.NSGAIISampler(population_size=10, crossover=SBXCrossover())
"""

from __future__ import annotations

from podbor.samplers._nsgaii import (
    BaseCrossover,
    BaseMutation,
    BLXAlphaCrossover,
    PolynomialMutation,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseMutation",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
