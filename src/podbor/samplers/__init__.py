"""Samplers: strategies that propose parameter values from the history of a study.

``AutoSampler`` is the default of :func:`podbor.create_study`: quasi-random start-up, then
Bayesian optimization with a Gaussian process (one per branch on a conditional space whose
branches one categorical parameter decides) or TPE, chosen per trial. ``GPSampler`` (it imports
SciPy's optimizers), the genetic samplers (``NSGAIISampler``, ``NSGAIIISampler``,
``BaseGASampler``, ``nsgaii``) and ``CmaEsSampler`` are imported on first use, so that
``import podbor`` stays light.

Example:
    >>> import podbor
    >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=42))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from podbor.samplers._auto import AutoSampler
from podbor.samplers._base import BaseSampler
from podbor.samplers._brute_force import BruteForceSampler
from podbor.samplers._grid import GridSampler
from podbor.samplers._partial_fixed import PartialFixedSampler
from podbor.samplers._qmc import QMCSampler
from podbor.samplers._random import RandomSampler
from podbor.samplers._tpe import TPESampler

if TYPE_CHECKING:
    from podbor.samplers import nsgaii
    from podbor.samplers._cmaes import CmaEsSampler
    from podbor.samplers._gp import GPSampler
    from podbor.samplers._nsgaii import BaseGASampler, NSGAIIISampler, NSGAIISampler

# Public names imported on first use: name -> the module that holds it.
_LAZY = {
    "GPSampler": "podbor.samplers._gp",
    "CmaEsSampler": "podbor.samplers._cmaes",
    "BaseGASampler": "podbor.samplers._nsgaii",
    "NSGAIISampler": "podbor.samplers._nsgaii",
    "NSGAIIISampler": "podbor.samplers._nsgaii",
}

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
    """Import the samplers of ``_LAZY`` (and ``nsgaii``) on first use."""
    if name == "nsgaii":
        return importlib.import_module("podbor.samplers.nsgaii")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
