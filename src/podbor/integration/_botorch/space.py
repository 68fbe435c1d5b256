"""The columns BoTorch sees: the shared unit-cube encoding, categoricals spread one-hot.

Every parameter goes through podbor's one search-space encoding (``podbor._search_space``): a
float, int, log-scaled or stepped parameter becomes one column in ``[0, 1]`` (log scale and the
half-step widening of grids included). A GP on the encoded index of a categorical would take
``"b"`` for a neighbour of ``"a"`` and ``"c"``, so a categorical with ``n`` choices becomes ``n``
columns, one-hot; a proposal's block is read back by its largest column. Every column lies in
``[0, 1]``, so the bounds handed to BoTorch are the unit cube. Decoding goes back through the
shared encoding, so a decoded value always lies inside its distribution.

Example:
    >>> from podbor.distributions import CategoricalDistribution, IntDistribution
    >>> space = OneHotSpace({"c": CategoricalDistribution(["a", "b", "c"]),
    ...                      "n": IntDistribution(0, 3)})
    >>> space.width
    4
    >>> space.encode_internal([{"c": 2.0, "n": 1.0}]).tolist()
    [[0.0, 0.0, 1.0, 0.375]]
    >>> space.decode(np.array([0.1, 0.7, 0.2, 0.9]))
    {'c': 'b', 'n': 3}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from podbor._arrays import FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor._search_space import SearchSpaceEncoder, from_unit
from podbor.distributions import BaseDistribution

__all__ = ["OneHotSpace"]


class OneHotSpace:
    """A search space as BoTorch's columns: one per numeric parameter, one per choice.

    Parameters are in sorted name order; ``starts[j]`` is the first column of parameter ``j``
    and ``widths[j]`` its number of columns (its number of choices for a categorical, else 1).

    Args:
        distributions: The search space, by parameter name.

    Example:
        >>> from podbor.distributions import FloatDistribution
        >>> OneHotSpace({"lr": FloatDistribution(1e-3, 1.0, log=True)}).bounds().tolist()
        [[0.0], [1.0]]
    """

    def __init__(self, distributions: Mapping[str, BaseDistribution]) -> None:
        self.encoder = SearchSpaceEncoder(distributions)
        self.names = self.encoder.names
        self.widths = np.where(self.encoder.is_categorical, self.encoder.n_choices, 1)
        self.starts = np.concatenate([[0], np.cumsum(self.widths)[:-1]]).astype(int)
        self.width = int(self.widths.sum())

    def bounds(self) -> FloatArray:
        """``(2, width)``: the lower (0) and upper (1) bound of every column."""
        return np.vstack([np.zeros(self.width), np.ones(self.width)])

    def encode_trials(self, trials: Sequence[FrozenTrial]) -> FloatArray:
        """``(n, width)`` columns of trials that hold every parameter of the space."""
        dists = self.encoder.distributions
        internal = [
            {name: dist.to_internal_repr(t.params[name]) for name, dist in zip(self.names, dists)}
            for t in trials
        ]
        return self.encode_internal(internal)

    def encode_internal(self, internal: Sequence[Mapping[str, float]]) -> FloatArray:
        """``(n, width)`` columns of ``{name: internal value}`` rows."""
        unit = self.encoder.encode(list(internal))
        n = unit.shape[0]
        out = np.zeros((n, self.width))
        numeric = ~self.encoder.is_categorical
        out[:, self.starts[numeric]] = unit[:, numeric]
        rows = np.arange(n)
        for j in np.flatnonzero(self.encoder.is_categorical):  # per parameter, not per trial
            index = from_unit(self.encoder.distributions[j], unit[:, j]).astype(int)
            out[rows, self.starts[j] + index] = 1.0
        return out

    def unit_point(self, columns: FloatArray) -> FloatArray:
        """The shared encoding's point (shape ``d``) of one row of columns (shape ``width``):
        a numeric column as it is, a categorical block as the centre of its largest choice."""
        columns = np.clip(np.asarray(columns, dtype=float), 0.0, 1.0)
        unit: FloatArray = columns[self.starts].copy()
        for j in np.flatnonzero(self.encoder.is_categorical):
            block = columns[self.starts[j] : self.starts[j] + self.widths[j]]
            unit[j] = (int(np.argmax(block)) + 0.5) / self.widths[j]
        return unit

    def decode(self, columns: FloatArray) -> dict[str, Any]:
        """External parameter values of one row of columns (shape ``width``)."""
        internal = self.encoder.decode(self.unit_point(columns))
        return {
            name: dist.to_external_repr(internal[name])
            for name, dist in zip(self.names, self.encoder.distributions)
        }
