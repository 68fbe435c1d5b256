"""The one search-space encoding: distributions ↔ points of the unit cube.

Every model-based sampler (and the random and quasi-random samplers) works in this encoding, so
that log scales, steps, integers and categoricals are handled in exactly one place.

Encoding of one parameter, from its internal value ``v`` to ``u`` in ``[0, 1]``:

* float: ``u = (t(v) - t(low)) / (t(high) - t(low))`` with ``t = log`` on a log scale, else
  identity;
* float with a step, and int: the bounds are widened by half a step (``low - step/2``,
  ``high + step/2``; for a log-scale int ``log(low - 1/2)`` and ``log(high + 1/2)``), so each
  grid point owns an equal share of ``[0, 1]``: with ``n`` grid points, ``u`` decodes to point
  ``floor(u * n)``, as for categoricals, so the share of point ``i`` is exactly
  ``[i/n, (i+1)/n)`` (a quasi-random sequence that hits every ``1/n`` boundary covers each value
  equally); a log-scale int decodes to the nearest integer (a tie goes up);
* categorical with ``n`` choices: index ``i`` ↦ ``(i + 1/2) / n``, decoded by ``floor(u * n)``.

Decoding always returns a value inside the distribution.

Example:
    >>> import numpy as np
    >>> from podbor.distributions import IntDistribution
    >>> d = IntDistribution(1, 3)
    >>> to_unit(d, np.array([1.0, 2.0, 3.0])).round(3).tolist()
    [0.167, 0.5, 0.833]
    >>> from_unit(d, np.array([0.0, 0.5, 1.0])).tolist()
    [1.0, 2.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["SearchSpaceEncoder", "from_unit", "sample_uniform", "to_unit", "transformed_bounds"]

FloatArray = npt.NDArray[np.float64]


def transformed_bounds(dist: BaseDistribution) -> tuple[float, float, bool]:
    """Return ``(lo, hi, log)``: the interval mapped onto ``[0, 1]`` and whether it is in log space."""
    if isinstance(dist, CategoricalDistribution):
        return -0.5, len(dist.choices) - 0.5, False
    if isinstance(dist, IntDistribution):
        half = 0.5 if dist.log else 0.5 * dist.step
        lo, hi = dist.low - half, dist.high + half
        if dist.log:
            return math.log(lo), math.log(hi), True
        return lo, hi, False
    if isinstance(dist, FloatDistribution):
        if dist.log:
            return math.log(dist.low), math.log(dist.high), True
        if dist.step is not None:
            return dist.low - 0.5 * dist.step, dist.high + 0.5 * dist.step, False
        return dist.low, dist.high, False
    raise TypeError(f"Unsupported distribution {dist!r}.")


def to_unit(dist: BaseDistribution, internal: FloatArray) -> FloatArray:
    """Map internal values (shape ``n``) to the unit interval (shape ``n``)."""
    lo, hi, log = transformed_bounds(dist)
    x = np.log(internal) if log else np.asarray(internal, dtype=float)
    if hi == lo:
        return np.full_like(x, 0.5)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def from_unit(dist: BaseDistribution, u: FloatArray) -> FloatArray:
    """Map points of the unit interval (shape ``n``) to valid internal values (shape ``n``)."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        return np.minimum(np.floor(u * n), n - 1).astype(float)
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.step is not None and not dist.log:  # n equal shares of [0, 1], as for categoricals
        n = _grid_size(dist)
        x = dist.low + np.minimum(np.floor(u * n), n - 1) * dist.step
        return np.clip(x, dist.low, dist.high)
    lo, hi, log = transformed_bounds(dist)
    x = lo + u * (hi - lo)
    if log:
        x = np.exp(x)
    if isinstance(dist, IntDistribution):  # a log-scale int: the nearest integer, a tie up
        x = dist.low + np.floor(x - dist.low + 0.5)
    return np.clip(x, dist.low, dist.high)


def _grid_size(dist: FloatDistribution | IntDistribution) -> int:
    """Number of grid points ``low, low + step, …, high`` of a distribution with a step."""
    assert dist.step is not None
    return round((dist.high - dist.low) / dist.step) + 1


def sample_uniform(dist: BaseDistribution, rng: np.random.Generator) -> Any:
    """Draw one external value uniformly in the encoding (log-uniform on a log scale, evenly
    over grid points and choices): what random search and every sampler's start-up use."""
    return dist.to_external_repr(_scalar_from_unit(dist, float(rng.random())))


def _scalar_from_unit(dist: BaseDistribution, u: float) -> float:
    """:func:`from_unit` of one point, in Python floats (numpy's per-call cost dominates for
    one value): the same operations in the same order, so the same result."""
    u = min(max(u, 0.0), 1.0)
    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        return float(min(math.floor(u * n), n - 1))
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.step is not None and not dist.log:
        n = _grid_size(dist)
        x = dist.low + float(min(math.floor(u * n), n - 1)) * dist.step
        return float(min(max(x, dist.low), dist.high))
    lo, hi, log = transformed_bounds(dist)
    x = lo + u * (hi - lo)
    if log:
        x = float(np.exp(x))
    if isinstance(dist, IntDistribution):
        x = dist.low + float(math.floor(x - dist.low + 0.5))
    return float(min(max(x, dist.low), dist.high))


class SearchSpaceEncoder:
    """Encode many trials' parameters of one search space as an ``(n_trials x n_params)`` array.

    Columns follow ``names`` (sorted parameter names). ``is_categorical[j]`` marks categorical
    columns and ``n_choices[j]`` their number of choices (0 for numeric columns).

    Example:
        >>> from podbor.distributions import CategoricalDistribution, FloatDistribution
        >>> enc = SearchSpaceEncoder({"c": CategoricalDistribution(["a", "b"]), "x": FloatDistribution(0, 2)})
        >>> enc.encode([{"c": 1.0, "x": 1.0}]).tolist()
        [[0.75, 0.5]]
        >>> enc.decode(np.array([0.75, 0.5]))
        {'c': 1.0, 'x': 1.0}
    """

    def __init__(self, distributions: Mapping[str, BaseDistribution]) -> None:
        self.names = sorted(distributions)
        self.distributions = [distributions[n] for n in self.names]
        self.is_categorical = np.array(
            [isinstance(d, CategoricalDistribution) for d in self.distributions], dtype=bool
        )
        self.n_choices = np.array(
            [
                len(d.choices) if isinstance(d, CategoricalDistribution) else 0
                for d in self.distributions
            ],
            dtype=int,
        )

    def encode(self, internal_params: list[Mapping[str, float]]) -> FloatArray:
        """Map a list of ``{name: internal value}`` to an ``(n x d)`` unit-cube array."""
        out = np.empty((len(internal_params), len(self.names)), dtype=float)
        for j, (name, dist) in enumerate(zip(self.names, self.distributions)):
            column = np.fromiter(
                (p[name] for p in internal_params), dtype=float, count=len(internal_params)
            )
            out[:, j] = to_unit(dist, column)
        return out

    def decode(self, u: FloatArray) -> dict[str, float]:
        """Map one unit-cube point (shape ``d``) to ``{name: internal value}``."""
        return {
            name: float(from_unit(dist, np.array([u[j]]))[0])
            for j, (name, dist) in enumerate(zip(self.names, self.distributions))
        }
