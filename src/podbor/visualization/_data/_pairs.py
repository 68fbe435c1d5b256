"""What the pair plots (contour, rank) share: each parameter as a column of positions, and its axis.

Backend-free (numpy only). A pair plot draws one panel per pair of parameters; every panel needs
the same three things per parameter: where each trial sits along the axis (a number, or the index
of its category; NaN where the trial lacks the parameter), the axis kind (linear, log,
categorical) and its range, padded by 5% of the span (in log10 units for a log axis) so the
outermost points are not drawn on the frame. This module computes them once per plot, in one
pass over the trials per parameter, so a 10,000-trial study costs a few dict look-ups per trial
and parameter and no per-panel Python loop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._arrays import FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor.visualization._data._common import AxisKind, is_log_scale, param_axis

__all__ = [
    "PADDING_RATIO",
    "PairAxis",
    "feasibility",
    "pair_columns",
    "pair_grid",
]

PADDING_RATIO = 0.05
"""How far an axis reaches past the outermost values, as a fraction of their span."""


@dataclass(frozen=True)
class PairAxis:
    """How one parameter is drawn in a pair plot.

    Attributes:
        name: The parameter.
        kind: ``"linear"``, ``"log"`` or ``"categorical"``.
        low: Lower end of the padded range, in data units (a value, not an exponent, on a
            log axis; a category index on a categorical one).
        high: Upper end of the padded range. ``low == high`` when the trials took one value
            only (nothing to pad).
        categories: The category labels (``str(choice)``) in axis order; empty unless
            categorical.
        n_distinct: How many distinct values the trials took.
    """

    name: str
    kind: AxisKind
    low: float
    high: float
    categories: tuple[str, ...]
    n_distinct: int

    @property
    def is_log(self) -> bool:
        """True for a log axis."""
        return self.kind == "log"

    @property
    def is_categorical(self) -> bool:
        """True for a category axis (positions are category indices)."""
        return self.kind == "categorical"

    def labels(self, positions: FloatArray) -> list[str]:
        """The category label at each position (an index) of a categorical axis."""
        return [self.categories[int(i)] for i in positions]


def _is_number_type(kind: type) -> bool:
    return issubclass(kind, (int, float)) and not issubclass(kind, bool)


def _padded(low: float, high: float, log: bool) -> tuple[float, float]:
    if high <= low:
        return low, high
    if log:
        lo, hi = math.log10(low), math.log10(high)
        pad = (hi - lo) * PADDING_RATIO
        return 10.0 ** (lo - pad), 10.0 ** (hi + pad)
    pad = (high - low) * PADDING_RATIO
    return low - pad, high + pad


def _column(trials: Sequence[FrozenTrial], name: str) -> tuple[FloatArray, PairAxis]:
    raw = [t.params.get(name, _MISSING) for t in trials]
    kinds = {type(v) for v in raw if v is not _MISSING}
    if all(_is_number_type(k) for k in kinds):
        column = np.array([math.nan if v is _MISSING else v for v in raw], dtype=float)
        present = column[~np.isnan(column)]
        distinct = np.unique(present)
        log = is_log_scale(trials, name)
        if distinct.size == 0:
            low = high = 0.0
        else:
            low, high = _padded(float(distinct[0]), float(distinct[-1]), log)
        kind: AxisKind = "log" if log else "linear"
        return column, PairAxis(name, kind, low, high, (), int(distinct.size))
    categories = param_axis(trials, name).categories
    index = {label: float(i) for i, label in enumerate(categories)}
    column = np.array([math.nan if v is _MISSING else index[str(v)] for v in raw], dtype=float)
    n_distinct = int(np.unique(column[~np.isnan(column)]).size)
    last = float(len(categories) - 1)
    low, high = _padded(0.0, last, log=False)
    return column, PairAxis(name, "categorical", low, high, categories, n_distinct)


class _Missing:
    """Marks a trial that lacks the parameter (``None`` is a valid categorical value)."""


_MISSING = _Missing()


def pair_columns(
    trials: Sequence[FrozenTrial], params: Sequence[str]
) -> tuple[dict[str, FloatArray], dict[str, PairAxis]]:
    """Each parameter's position per trial (NaN where missing), and its axis.

    Args:
        trials: The trials to plot, shape ``(n,)`` once turned into columns.
        params: The parameters to compute.

    Returns:
        ``(columns, axes)``: ``columns[p]`` has shape ``(n,)``: the value (numeric axes) or the
        category index (categorical axes) of ``p`` in each trial, NaN where the trial lacks it.

    Example:
        >>> from podbor.distributions import CategoricalDistribution, FloatDistribution
        >>> from podbor.trial import create_trial
        >>> dists = {"x": FloatDistribution(0, 10), "c": CategoricalDistribution(["a", "b"])}
        >>> trials = [
        ...     create_trial(value=1.0, params={"x": 1.0, "c": "b"}, distributions=dists),
        ...     create_trial(value=2.0, params={"x": 3.0}, distributions={"x": dists["x"]}),
        ... ]
        >>> columns, axes = pair_columns(trials, ["x", "c"])
        >>> columns["x"].tolist(), columns["c"].tolist()
        ([1.0, 3.0], [0.0, nan])
        >>> axes["x"].low, axes["x"].high, axes["c"].categories
        (0.9, 3.1, ('b',))
    """
    columns: dict[str, FloatArray] = {}
    axes: dict[str, PairAxis] = {}
    for name in params:
        columns[name], axes[name] = _column(trials, name)
    return columns, axes


def feasibility(trials: Sequence[FrozenTrial]) -> npt.NDArray[np.bool_]:
    """True where a trial satisfies its constraints (or records none), shape ``(n,)``."""
    return np.array(
        [not t.system_attrs or all(v <= 0.0 for v in t.constraints.values()) for t in trials],
        dtype=bool,
    )


def pair_grid(params: Sequence[str], *, diagonal: bool) -> list[list[tuple[str, str] | None]]:
    """The panels of a pair plot, row by row, as ``(x_param, y_param)``.

    Two parameters give one panel (the first on x); any other number ``k`` gives a ``k x k``
    grid whose panel in row ``i``, column ``j`` has ``params[j]`` on x and ``params[i]`` on y.
    With ``diagonal=False`` the diagonal panels (a parameter against itself) are None.

    Example:
        >>> pair_grid(["a", "b"], diagonal=False)
        [[('a', 'b')]]
        >>> pair_grid(["a", "b", "c"], diagonal=False)[0]
        [None, ('b', 'a'), ('c', 'a')]
    """
    if len(params) == 2:
        return [[(params[0], params[1])]]
    return [
        [(x, y) if (diagonal or i != j) else None for j, x in enumerate(params)]
        for i, y in enumerate(params)
    ]
