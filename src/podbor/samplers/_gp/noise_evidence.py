"""Evidence of a noisy objective in the trials themselves: close pairs that differ.

The default sampler's GP warps its targets and takes the best score as the incumbent. Under noise
both mislead it: the warping stretches the lucky scores, and expected improvement over the
luckiest score chases noise. The GP's learned noise term cannot say when that happens: a rugged
objective that the trials cannot resolve also looks noisy to it. Close pairs of trials can. Two
close points of a deterministic objective differ by about ``gradient x distance``; of a noisy
one by about ``sqrt(2) x noise``, however close they are. The trust region proposes points close
to the best ones, so such pairs exist (``benchmarks/close_pairs.py``: the ratio below is at most
0.02 without noise on five problems of six, 0.071 on the sixth; with noise of 5 % of the
objective's range 0.09-0.37 on four of five problems).

The closest pairs are exact repeats. Under noise a repeat is information, so the GP may propose a
tried point again; but when every point tried more than once gave the same values each time
(:func:`repeats_agree`), a further repeat teaches nothing. Without that rule the multi-objective
GP spent 66 of 300 trials of ZDT3 on one corner of the cube, whose hypervolume improvement the
learned noise term keeps above zero.
"""

from __future__ import annotations

import numpy as np

from podbor._arrays import BoolArray, FloatArray
from podbor.samplers._gp.optimize import same_point_keys

__all__ = [
    "CLOSE",
    "MIN_PAIRS",
    "MIN_TRIALS",
    "NOISY_RATIO",
    "SAME_VALUE",
    "close_pair_ratio",
    "noise_is_evident",
    "repeats_agree",
]

SAME_VALUE = 1e-6
"""Repeats agree when their values differ by at most this fraction of the values' range."""

CLOSE = 0.03
"""Two trials are close when their RMS distance over the numeric columns (unit cube) is below
this, and they take the same categorical choices."""
MIN_PAIRS = 3
"""Fewer close pairs than this are no evidence."""
MIN_TRIALS = 20
"""No verdict before this many complete trials (the start-up is spread on purpose)."""
NOISY_RATIO = 0.1
"""The median ``|y_i - y_j|`` of the close pairs over ``std(y)`` above which the objective is
taken to be noisy (0.08 also caught 1 % noise, where the default's usual model does as well)."""


def close_pair_ratio(
    x: FloatArray, y: FloatArray, is_categorical: BoolArray, close: float = CLOSE
) -> tuple[float, int]:
    """The median ``|y_i - y_j|`` over the close pairs divided by ``std(y)``, and the number of
    close pairs (``nan`` and 0 without any).

    Example:
        >>> x = np.array([[0.10], [0.11], [0.90]])
        >>> close_pair_ratio(x, np.array([1.0, 1.0, 3.0]), np.array([False]))
        (0.0, 1)
    """
    numeric = x[:, ~is_categorical]
    norms = (numeric**2).sum(axis=1)
    # squared distances from one matrix product (n x n, not n x n x d)
    squared = norms[:, None] + norms[None, :] - 2.0 * (numeric @ numeric.T)
    near = squared < close * close * max(1, numeric.shape[1])
    if is_categorical.any():
        choices = x[:, is_categorical]
        near &= np.all(np.abs(choices[:, None, :] - choices[None, :, :]) < 1e-12, axis=2)
    i, j = np.nonzero(np.tril(near, k=-1))
    spread = float(np.std(y))
    if not i.size or not spread > 0:
        return float("nan"), int(i.size)
    return float(np.median(np.abs(y[i] - y[j])) / spread), int(i.size)


def noise_is_evident(x: FloatArray, y: FloatArray, is_categorical: BoolArray) -> bool:
    """Whether the trials (``x``: ``n x d`` in the unit cube, ``y``: their values) show noise.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = np.repeat(rng.random((10, 2)), 3, axis=0)  # every point tried three times
        >>> smooth = x.sum(axis=1)
        >>> noise_is_evident(x, smooth, np.array([False, False]))
        False
        >>> noise_is_evident(x, smooth + rng.normal(0, 0.2, 30), np.array([False, False]))
        True
    """
    if len(y) < MIN_TRIALS:
        return False
    ratio, pairs = close_pair_ratio(x, y, is_categorical)
    return pairs >= MIN_PAIRS and ratio > NOISY_RATIO


def repeats_agree(x: FloatArray, targets: FloatArray) -> bool:
    """Whether some point of ``x`` (``n x d``) was tried more than once, and every point tried
    more than once gave the same ``targets`` (``n`` or ``n x m``) each time.

    Example:
        >>> x = np.array([[0.0, 0.0], [0.5, 0.5], [0.0, 0.0]])
        >>> repeats_agree(x, np.array([1.0, 2.0, 1.0]))
        True
        >>> repeats_agree(x, np.array([1.0, 2.0, 1.5]))  # the repeat differs: noise
        False
        >>> repeats_agree(x[:2], np.array([1.0, 2.0]))  # no repeat: no evidence either way
        False
    """
    if len(x) < 2:
        return False
    keys = same_point_keys(x)  # the optimizer's own test of "the same point"
    _, first, inverse, counts = np.unique(
        keys, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.ravel()
    repeated = counts[inverse] > 1
    if not repeated.any():
        return False
    values = np.asarray(targets, dtype=float).reshape(len(x), -1)
    again, original = values[repeated], values[first[inverse[repeated]]]
    # The same point as a key may differ below its rounding, and so may its values, by a hair.
    finite = np.where(np.isfinite(values), values, np.nan)
    with np.errstate(invalid="ignore"):
        spread = np.nan_to_num(np.nanmax(finite, axis=0) - np.nanmin(finite, axis=0))
        same = (np.abs(again - original) <= SAME_VALUE * spread) | (again == original)
    same |= np.isnan(again) & np.isnan(original)
    return bool(same.all())
