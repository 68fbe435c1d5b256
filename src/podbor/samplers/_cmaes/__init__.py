"""``CmaEsSampler``: CMA-ES on the ``cmaes`` package (``pip install 'podbor[cmaes]'``).

``coordinates.py`` holds the maths (the unit-cube coordinates the optimizer works in),
``sampler.py`` the adapter between trials and ``cmaes``'s ask/tell optimizers. ``cmaes`` is
imported on first use; ``podbor.samplers._cmaes.cmaes`` names it (Optuna's tests patch it there).

Example:
    >>> from podbor.samplers._cmaes import CmaEsSampler
    >>> CmaEsSampler(seed=0)
    CmaEsSampler(seed=0)
"""

from __future__ import annotations

from typing import Any

from podbor.samplers._cmaes.coordinates import Coordinates
from podbor.samplers._cmaes.sampler import CmaEsSampler, _cmaes_module

__all__ = ["CmaEsSampler", "Coordinates"]


def __getattr__(name: str) -> Any:
    """``podbor.samplers._cmaes.cmaes``: the ``cmaes`` module, imported on first use."""
    if name == "cmaes":
        return _cmaes_module()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
