"""Samplers: strategies that propose parameter values from the history of a study.

``AutoSampler`` is the default of :func:`podbor.create_study`: quasi-random start-up, then
Bayesian optimization with a Gaussian process (one per branch on a conditional space whose
branches one categorical parameter decides) or TPE, chosen per trial. ``GPSampler`` (Bayesian
optimization with a Gaussian process) imports SciPy's optimizers on first use, so that
``import podbor`` stays light.

Example:
    >>> import podbor
    >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=42))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podbor.samplers import nsgaii
from podbor.samplers._auto import AutoSampler
from podbor.samplers._base import BaseSampler
from podbor.samplers._brute_force import BruteForceSampler
from podbor.samplers._cmaes import CmaEsSampler
from podbor.samplers._grid import GridSampler
from podbor.samplers._nsgaii import BaseGASampler, NSGAIIISampler, NSGAIISampler
from podbor.samplers._partial_fixed import PartialFixedSampler
from podbor.samplers._qmc import QMCSampler
from podbor.samplers._random import RandomSampler
from podbor.samplers._tpe import TPESampler

if TYPE_CHECKING:
    from podbor.samplers._gp import GPSampler

__all__ = [
    "AutoSampler",
    "BaseGASampler",
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "nsgaii",
]


def __getattr__(name: str) -> Any:
    """Import ``GPSampler`` (and SciPy's optimizers with it) on first use."""
    if name == "GPSampler":
        from podbor.samplers._gp import GPSampler

        return GPSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
