"""Tree-structured Parzen Estimator: the sampler (``sampler.py``) and its maths (``parzen.py``)."""

from __future__ import annotations

from podbor.samplers._tpe._options import (
    default_gamma,
    default_gamma_multiobjective,
    default_weights,
    hyperopt_default_gamma,
)
from podbor.samplers._tpe.sampler import TPESampler

__all__ = [
    "TPESampler",
    "default_gamma",
    "default_gamma_multiobjective",
    "default_weights",
    "hyperopt_default_gamma",
]
