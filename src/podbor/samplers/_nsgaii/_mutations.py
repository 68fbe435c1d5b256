"""Mutations: how a genetic sampler perturbs one numerical parameter of a child.

A mutation works on one value of the transformed space (see ``_crossovers``) with its bounds,
``search_space_bounds`` of shape ``(2,)``. Without a mutation the sampler redraws the chosen
parameter at random instead.

Example:
    >>> import numpy as np
    >>> value = PolynomialMutation().mutation(5.0, np.random.RandomState(0), None, np.array([0.0, 10.0]))
    >>> 0.0 <= value <= 10.0
    True
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from podbor._validation import check_real

__all__ = ["BaseMutation", "PolynomialMutation"]


class BaseMutation(abc.ABC):
    """Base class of mutations: one parameter value in, one perturbed value out.

    Example:
        >>> class Keep(BaseMutation):
        ...     def mutation(self, param, rng, study, search_space_bounds):
        ...         return param
        >>> str(Keep())
        'Keep'
    """

    def __str__(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def mutation(
        self,
        param: float,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> float:
        """Return the mutated value of ``param`` (transformed space, inside the ``(2,)`` bounds)."""


class PolynomialMutation(BaseMutation):
    """Polynomial mutation (Deb & Goyal, 1996), in the bounded form of Deb's NSGA-II code.

    A perturbation drawn from a polynomial distribution of index ``eta`` that never leaves the
    bounds.

    Args:
        eta: Distribution index (>= 0): larger values keep the value closer to the original.

    Example:
        >>> PolynomialMutation(eta=1.0).mutation(5.0, np.random.RandomState(0), None,
        ...                                      np.array([5.0, 5.0]))
        5.0
    """

    def __init__(self, eta: float = 20.0) -> None:
        self._eta = check_real(eta, "eta", owner="PolynomialMutation", minimum=0.0, finite=True)

    def mutation(
        self,
        param: float,
        rng: np.random.RandomState,
        study: Any,
        search_space_bounds: np.ndarray,
    ) -> float:
        low, high = float(search_space_bounds[0]), float(search_space_bounds[1])
        width = high - low
        if width <= 0.0:
            return float(param)
        power = self._eta + 1.0
        u = float(rng.rand())
        if u < 0.5:
            below = (param - low) / width
            delta = (2.0 * u + (1.0 - 2.0 * u) * (1.0 - below) ** power) ** (1.0 / power) - 1.0
        else:
            above = (high - param) / width
            delta = 1.0 - (2.0 * (1.0 - u) + 2.0 * (u - 0.5) * (1.0 - above) ** power) ** (
                1.0 / power
            )
        return float(min(max(param + delta * width, low), high))
