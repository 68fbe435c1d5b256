"""The optimizer's coordinates of a numerical search space, and CMA-ES's default population.

Plain numpy over the shared unit-cube encoding of ``podbor._search_space``; nothing here knows a
study or the ``cmaes`` package.

Example:
    >>> from podbor.distributions import IntDistribution
    >>> coords = Coordinates({"n": IntDistribution(-1, 1)}, margin=True)
    >>> coords.steps.tolist(), coords.decode(np.array([1.0]))
    ([0.5], {'n': 1.0})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._search_space import from_unit, to_unit
from podbor.distributions import BaseDistribution, FloatDistribution, IntDistribution

__all__ = ["Coordinates", "default_popsize", "encoded_params"]

FloatArray = npt.NDArray[np.float64]


def _grid_size(dist: BaseDistribution) -> int:
    """Number of grid points of a linear int or stepped float, 0 for a continuous dimension."""
    if isinstance(dist, IntDistribution) and not dist.log:
        return (dist.high - dist.low) // dist.step + 1
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return round((dist.high - dist.low) / dist.step) + 1
    return 0


class Coordinates:
    """The optimizer's coordinates of a numerical search space: ``d`` dimensions in ``[0, 1]``.

    Without margin a dimension is the shared unit encoding itself. With ``margin`` a grid
    dimension with ``n`` points is stretched by ``v = (u - h) / (1 - 2h)``, ``h = 1 / (2n)``, so
    that grid point ``k`` sits at ``k / (n - 1)`` and ``steps[j] = 1 / (n - 1)`` (0 for the
    continuous dimensions), as ``cmaes.CMAwM`` expects.

    Args:
        space: The search space (numerical distributions, none single-valued).
        margin: Whether to lay grid dimensions out for ``CMAwM``.
    """

    def __init__(self, space: Mapping[str, BaseDistribution], *, margin: bool) -> None:
        self.names = sorted(space)
        self.distributions = [space[n] for n in self.names]
        sizes = np.array([_grid_size(d) if margin else 0 for d in self.distributions], dtype=float)
        self._half = np.where(sizes > 1, 0.5 / np.maximum(sizes, 1.0), 0.0)
        self.steps: FloatArray = np.where(sizes > 1, 1.0 / np.maximum(sizes - 1.0, 1.0), 0.0)
        self.bounds: FloatArray = np.tile([0.0, 1.0], (len(self.names), 1))

    @property
    def dim(self) -> int:
        return len(self.names)

    def encode(self, internal: Mapping[str, float]) -> FloatArray:
        """Map ``{name: internal value}`` to a point, shape ``d``."""
        u = np.array(
            [to_unit(d, np.array([internal[n]]))[0] for n, d in zip(self.names, self.distributions)]
        )
        return np.clip((u - self._half) / (1.0 - 2.0 * self._half), 0.0, 1.0)

    def decode(self, x: FloatArray) -> dict[str, float]:
        """Map a point (shape ``d``) to ``{name: internal value}``, each inside its distribution."""
        u = self._half + np.clip(np.asarray(x, dtype=float), 0.0, 1.0) * (1.0 - 2.0 * self._half)
        return {
            n: float(from_unit(d, np.array([u[j]]))[0])
            for j, (n, d) in enumerate(zip(self.names, self.distributions))
        }

    def signature(self) -> list[Any]:
        """What identifies the space in a trial's record (its parameter names)."""
        return list(self.names)


def default_popsize(dim: int) -> int:
    """``cmaes``'s default population size, ``4 + floor(3 ln d)`` (Hansen, 2016, Table 1)."""
    return 4 + math.floor(3 * math.log(dim))


def encoded_params(trial: FrozenTrial, coords: Coordinates) -> FloatArray:
    """A trial's parameters as a point of ``coords``."""
    internal = {
        n: float(d.to_internal_repr(trial.params[n]))
        for n, d in zip(coords.names, coords.distributions)
    }
    return coords.encode(internal)
