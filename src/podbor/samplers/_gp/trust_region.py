"""A trust region for the acquisition search: a box around the incumbent that grows on success
and shrinks on failure.

Global BO in six or more dimensions with a few dozen trials spends many of them where the GP is
most uncertain: the faces and corners of the cube, which on most objectives are the worst places
(the walls of Styblinski-Tang, the rim of Ackley). TuRBO (Eriksson, Pearce, Gardner, Turner &
Poloczek, "Scalable Global Optimization via Local Bayesian Optimization", NeurIPS 2019)
maximizes the acquisition inside a box centred on the best point so far. TuRBO also fits its GP to
the region's data only and, once the region has converged, starts afresh with a new design and
forgets the old data; here the GP stays global (every complete trial informs it) and a converged
region only starts again wide around the same incumbent. The rule:

* the box's side is ``L`` (in the unit cube), stretched per column in proportion to the GP's
  lengthscale, ``L · ℓ_j / (Π ℓ)^{1/p}`` (a column the GP finds irrelevant gets a wide side);
* ``success_tolerance`` improvements in a row double ``L`` (up to ``max_length``),
  ``max(4, d)`` trials in a row without one halve it; when ``L`` falls below ``min_length`` the
  search has converged locally, and the region starts again at ``initial_length``.

An improvement is a value better than the best so far by more than ``1e-3`` of the observed range
(shift- and scale-free, unlike TuRBO's ``1e-3 · |best|``). The centre is the observed point with
the best *posterior mean*, not the best observation: with a noisy objective the best observation is
often just the luckiest draw.

The rule is a state machine over the objective values in the order they were observed; the
state advances only over the values it has not seen, so each proposal costs O(new values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from podbor._arrays import BoolArray, FloatArray
from podbor.samplers._gp.model import GaussianProcess
from podbor.samplers._gp.optimize import AcquisitionFunction, SearchDims, maximize_acquisition

__all__ = [
    "FRONT_MARGIN",
    "TrustRegion",
    "front_box",
    "maximize_in_region",
    "region_bounds",
    "trust_region_box",
]

FRONT_MARGIN = 0.25
"""How far (unit-cube units) :func:`front_box` reaches beyond the Pareto set's points."""


@dataclass
class TrustRegion:
    """The side length ``L`` of the region and the counters that move it.

    Feed it the maximized objective values of the complete trials as they grow
    (:meth:`advance`); read :attr:`length`.

    Example:
        >>> region = TrustRegion()
        >>> region.advance(np.array([0.0, 1.0]))  # the first call only sets the best so far
        0.8
        >>> region.advance(np.array([0.0, 1.0, 2.0, 3.0, 4.0]))  # three improvements in a row
        1.6
    """

    initial_length: float = 0.8
    max_length: float = 1.6
    min_length: float = 2.0**-7
    success_tolerance: int = 3
    min_improvement: float = 1e-3
    # the state: the side now, how many values were read, their best and worst, the run lengths
    length: float = field(init=False)
    n_seen: int = field(default=0, init=False)
    best: float = field(default=-math.inf, init=False)
    low: float = field(default=math.inf, init=False)
    successes: int = field(default=0, init=False)
    failures: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.length = self.initial_length

    def advance(self, y: FloatArray, n_dims: int = 1) -> float:
        """Consume ``y[n_seen:]`` (maximized values; ``y`` only ever grows) and return ``L``.

        Args:
            y: Shape ``n``: every value observed so far, in the order observed (±inf allowed).
            n_dims: ``d``, the number of columns: ``max(4, d)`` failures halve the region.
        """
        y = np.asarray(y, dtype=float)
        if self.n_seen == 0:
            self._note(y)
            self.n_seen = y.size
            return self.length
        failure_tolerance = max(4, n_dims)
        for value in y[self.n_seen :]:
            spread = self.best - self.low if math.isfinite(self.best - self.low) else 0.0
            if value > self.best + self.min_improvement * spread:
                self.successes, self.failures = self.successes + 1, 0
            else:
                self.successes, self.failures = 0, self.failures + 1
            self._note(np.array([value]))
            if self.successes >= self.success_tolerance:
                self.length = min(2.0 * self.length, self.max_length)
                self.successes = 0
            elif self.failures >= failure_tolerance:
                self.length /= 2.0
                self.failures = 0
            if self.length < self.min_length:  # converged here: start again, wide
                self.length = self.initial_length
                self.successes = self.failures = 0
        self.n_seen = y.size
        return self.length

    def _note(self, values: FloatArray) -> None:
        finite = values[np.isfinite(values)]
        if finite.size:
            self.best = max(self.best, float(finite.max()))
            self.low = min(self.low, float(finite.min()))


def region_bounds(
    center: FloatArray,
    length: float,
    lengthscales: FloatArray,
    numeric: BoolArray,
    searched: BoolArray,
) -> tuple[FloatArray, FloatArray]:
    """The box of side ``length`` around ``center``, stretched by the lengthscales.

    Args:
        center: Shape ``d``, the encoded incumbent.
        length: ``L``, the side before stretching (unit-cube units).
        lengthscales: Shape ``p``: the GP's lengthscales of the numeric columns, in column order.
        numeric: Shape ``d``, which columns are numeric (have a lengthscale).
        searched: Shape ``d``, which columns the box applies to (those searched continuously);
            the others keep ``[0, 1]``.

    Returns:
        ``(low, high)``, each of shape ``d``, inside ``[0, 1]``.

    Example:
        >>> low, high = region_bounds(np.array([0.5, 0.9]), 0.4, np.array([0.1, 0.4]),
        ...                           np.array([True, True]), np.array([True, True]))
        >>> low.round(2).tolist(), high.round(2).tolist()
        ([0.4, 0.5], [0.6, 1.0])
    """
    d = center.size
    weights = np.ones(d)
    if numeric.any():
        scales = np.asarray(lengthscales, dtype=float)
        scales = scales / np.exp(np.mean(np.log(scales)))  # geometric mean 1
        weights[numeric] = scales
    half = np.where(searched & numeric, 0.5 * length * weights, 1.0)
    low = np.clip(center - half, 0.0, 1.0)
    high = np.clip(center + half, 0.0, 1.0)
    return low, high


def trust_region_box(
    region: TrustRegion,
    gp: GaussianProcess,
    y: FloatArray,
    dims: SearchDims,
    *,
    feasible: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """The box of one proposal: ``region`` advanced over the new values of ``y``, around the
    training point with the best posterior mean of ``gp``.

    With constraints (``feasible``), an infeasible value is no improvement and the centre is the
    feasible training point with the best posterior mean: a cheap design that breaks the limits
    is not the incumbent.

    Args:
        region: The rule of this search space (it keeps its state between proposals).
        gp: The GP fitted on the complete trials, before any fantasies: its training points are
            the rows of ``y``.
        y: Shape ``n``: the maximized objective values, in the order observed.
        dims: How each column is searched (the box applies to the continuous ones).
        feasible: Shape ``n``: which rows satisfy the constraints (None: all; at least one).
    """
    x = gp.x_train[: len(y)]
    if feasible is not None:
        y = np.where(feasible, y, -np.inf)
    length = region.advance(y, n_dims=x.shape[1])
    mean, _ = gp.predict(x)
    if feasible is not None:
        mean = np.where(feasible, mean, -np.inf)
    center = x[int(np.argmax(mean))]
    numeric = ~gp.is_categorical
    return region_bounds(center, length, gp.params.lengthscales, numeric, dims.continuous)


def front_box(
    points: FloatArray, searched: BoolArray, margin: float = FRONT_MARGIN
) -> tuple[FloatArray, FloatArray]:
    """The search box of several objectives: the bounding box of the Pareto set's points,
    widened by ``margin`` on every side (in the columns searched continuously; the others keep
    ``[0, 1]``).

    Several objectives have no single incumbent to centre a trust region on, and hypervolume
    improvement rewards the extremes: a GP in several dimensions, unsure at the far corners of
    the cube, expects a point there to beat the front's extreme in one objective while keeping
    an average value in the others, and the slab beyond the extreme is as wide as the whole
    front. Searching where the Pareto set lies (which moves as it grows: a new point near the
    edge widens the box) keeps the proposals on the front. The margin is a quarter of the cube:
    a tenth kept ZDT3's and DTLZ7's search on the pieces of their disconnected fronts found
    first (``benchmarks/README.md``, "Several objectives", session 28).

    Args:
        points: Shape ``k x d``, the encoded non-dominated (feasible) points, ``k >= 1``.
        searched: Shape ``d``, which columns the box applies to.
        margin: The widening on each side.

    Example:
        >>> low, high = front_box(np.array([[0.1, 0.0], [0.9, 0.05]]), np.array([True, True]))
        >>> low.round(2).tolist(), high.round(2).tolist()
        ([0.0, 0.0], [1.0, 0.3])
    """
    low = np.where(searched, np.clip(points.min(axis=0) - margin, 0.0, 1.0), 0.0)
    high = np.where(searched, np.clip(points.max(axis=0) + margin, 0.0, 1.0), 1.0)
    return low, high


def maximize_in_region(
    acq: AcquisitionFunction,
    dims: SearchDims,
    rng: np.random.Generator,
    local_starts: FloatArray,
    *,
    exclude: FloatArray | None,
    bounds: tuple[FloatArray, FloatArray] | None,
) -> FloatArray | None:
    """The acquisition's best point inside ``bounds`` (a trust region), or over the whole
    space when there is no region or every point in it is excluded."""
    if bounds is not None:
        point = maximize_acquisition(
            acq, dims, rng, local_starts=local_starts, exclude=exclude, bounds=bounds
        )
        if point is not None:
            return point
    return maximize_acquisition(acq, dims, rng, local_starts=local_starts, exclude=exclude)
