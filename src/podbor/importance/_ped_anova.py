"""PED-ANOVA: how much each parameter's distribution among the best trials departs from the rest.

For one parameter, the best ``target_quantile`` of the trials and the best ``region_quantile``
(the whole study by default) each get a density on a grid of the parameter's values (a Parzen
estimator with Scott's bandwidth); the importance is the Pearson divergence between the two,
scaled by ``(target_quantile / region_quantile)**2`` (Watanabe et al., IJCAI 2023). Conditional
parameters: the trials are split by the distribution the parameter was drawn from (inactive is
one more group); each active group adds its divergence, weighted by the share of top and
region trials it holds (the conditional PED-ANOVA decomposition).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._arrays import BoolArray, FloatArray
from podbor._hypervolume import pareto_ranks
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.importance._base import (
    BaseImportanceEvaluator,
    Target,
    check_params_argument,
    completed_trials,
    finite_trials,
    sort_by_importance,
)

__all__ = ["PedAnovaImportanceEvaluator", "top_quantile_mask"]


_N_HV_SAMPLES = 4096  # Monte-Carlo points of the hypervolume tie-break among equal fronts


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA importance evaluator (the default of :func:`get_param_importances`).

    The importance of a parameter says how much it matters for reaching the top
    ``target_quantile`` of the trials: how far the values it takes among those trials are from
    the values it takes in the region (the top ``region_quantile``, or the whole search space
    when ``evaluate_on_local=False``). Conditional parameters are assessed too. No forest is
    fitted, so it is fast and needs no extra package.

    ``target`` values are taken as *lower is better*; to explain a maximized objective pass
    ``target=lambda t: -t.values[i]``. On a multi-objective study without ``target``, the top
    trials are those of the best non-domination ranks, ties within a rank broken by their
    contribution to the hypervolume (greedy hypervolume subset selection).

    Args:
        target_quantile: The share of best trials whose parameters are explained, in ``(0, 1)``.
        region_quantile: The share of best trials they are compared with, in
            ``(target_quantile, 1]``.
        evaluate_on_local: Compare with the region's trials (True) or with a uniform density
            over the search space (False; ``region_quantile`` has no effect then).

    Example:
        >>> import podbor
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     y = trial.suggest_float("y", -10, 10)
        ...     return x**2 + y**2 / 1000
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=100)
        >>> list(podbor.importance.get_param_importances(study, evaluator=PedAnovaImportanceEvaluator()))
        ['x', 'y']
    """

    def __init__(
        self,
        *,
        target_quantile: float = 0.1,
        region_quantile: float = 1.0,
        evaluate_on_local: bool = True,
    ) -> None:
        if not (
            isinstance(target_quantile, (int, float))
            and isinstance(region_quantile, (int, float))
            and 0.0 < target_quantile < region_quantile <= 1.0
        ):
            raise ValueError(
                "PedAnovaImportanceEvaluator needs 0 < target_quantile < region_quantile <= 1, "
                f"got target_quantile={target_quantile!r}, region_quantile={region_quantile!r}."
            )
        if region_quantile != 1.0 and not evaluate_on_local:
            warnings.warn(
                "region_quantile has no effect when evaluate_on_local is False.",
                UserWarning,
                stacklevel=2,
            )
        self._target_quantile = float(target_quantile)
        self._region_quantile = float(region_quantile)
        self._evaluate_on_local = bool(evaluate_on_local)
        self._n_steps = 50  # grid points of a continuous parameter's density
        self._prior_weight = 1.0  # weight of the flat prior kernel of each density
        self._min_n_trials_in_regime = 2

    def evaluate(
        self,
        study: Any,
        params: list[str] | None = None,
        *,
        target: Target | None = None,
    ) -> dict[str, float]:
        """Each parameter's PED-ANOVA importance; conditional parameters included.

        Args:
            study: An optimized study (one or several objectives).
            params: The parameters to assess; None: every parameter of a COMPLETE trial.
            target: The value to explain, lower being better; None: the objective (or, with
                several objectives, the Pareto ranking).

        Raises:
            TypeError: ``params`` is not a list of names.
            ValueError: a name in ``params`` that no COMPLETE trial has.
        """
        check_params_argument(params)
        complete = completed_trials(study)
        known = sorted({name for t in complete for name in t.distributions})
        if params is None:
            names = known
        else:
            missing = [p for p in params if p not in known]
            if missing:
                raise ValueError(
                    f"Parameters {missing} of params={list(params)!r} are in no COMPLETE trial "
                    f"of the study (its COMPLETE trials' parameters are {known})."
                )
            names = list(params)
        trials = finite_trials(complete, target)
        if len(trials) <= 1:
            warnings.warn(
                "Too few trials to compute importances; every importance is 0.",
                UserWarning,
                stacklevel=2,
            )
            return dict.fromkeys(names, 0.0)

        losses = _losses(study, trials, target)
        in_region = top_quantile_mask(losses, self._region_quantile)
        in_top = top_quantile_mask(losses, self._target_quantile) & in_region
        region = [t for t, keep in zip(trials, in_region) if keep]
        top = in_top[in_region]
        n_top, n_region = int(top.sum()), len(region)
        if n_top == n_region:
            warnings.warn(
                "target_quantile and region_quantile select the same trials; every importance "
                "is 0.",
                UserWarning,
                stacklevel=2,
            )
        columns = _columns(region, names)
        importances = {name: self._importance(name, columns[name], top) for name in names}
        scale = (n_top / n_region) ** 2
        return sort_by_importance({k: v * scale for k, v in importances.items()})

    def _importance(self, name: str, column: _Column, top: BoolArray) -> float:
        rows, regime, dists, values = column
        n_top, n_region = int(top.sum()), top.size
        sizes = np.bincount(regime, minlength=len(dists))
        n_inactive = n_region - rows.size
        minimum = self._min_n_trials_in_regime
        if (sizes < minimum).any() or 0 < n_inactive < minimum:
            warnings.warn(
                f"Some regimes of parameter {name!r} hold fewer than {minimum} trials and are "
                "left out; its importance may be inaccurate.",
                UserWarning,
                stacklevel=3,
            )
        total = 0.0
        for k, dist in enumerate(dists):
            if dist.single() or sizes[k] < minimum:
                continue
            mine = regime == k
            is_top = top[rows[mine]]
            n_mine_top = int(is_top.sum())
            if not n_mine_top:
                continue
            cells, n_cells = _grid_cells(dist, values[mine], self._n_steps)
            p_top = _grid_density(dist, cells[is_top], n_cells, self._prior_weight) + 1e-12
            if self._evaluate_on_local:
                p_base = _grid_density(dist, cells, n_cells, self._prior_weight) + 1e-12
            else:
                p_base = np.full(n_cells, 1.0 / n_cells)
            divergence = float(p_base @ (p_top / p_base - 1.0) ** 2)
            alpha, beta = n_mine_top / n_top, int(sizes[k]) / n_region
            total += alpha**2 / beta * divergence
        return total


_Column = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], list[BaseDistribution], FloatArray]


def _columns(trials: list[FrozenTrial], names: list[str]) -> dict[str, _Column]:
    """Per parameter: the rows that have it, each row's regime, the regimes' distributions and
    the internal values.

    Read one parameter at a time with list comprehensions; equal distributions form one regime,
    found by comparing the distinct distribution objects (not every trial's) with ``==``.
    """
    all_dists = [t.distributions for t in trials]
    all_params = [t.params for t in trials]
    out: dict[str, _Column] = {}
    for name in names:
        column = [d.get(name) for d in all_dists]
        rows = np.asarray([i for i, d in enumerate(column) if d is not None], dtype=np.int64)
        active = [column[i] for i in rows]
        ids, first, inverse = np.unique(
            np.asarray([id(d) for d in active], dtype=np.int64),
            return_index=True,
            return_inverse=True,
        )
        regimes: list[BaseDistribution] = []
        canonical = np.empty(ids.size, dtype=np.int64)
        for j, position in enumerate(first):
            dist = active[int(position)]
            assert dist is not None
            k = next((r for r, d in enumerate(regimes) if d == dist), len(regimes))
            if k == len(regimes):
                regimes.append(dist)
            canonical[j] = k
        regime = canonical[inverse.reshape(-1)]
        raw = [all_params[i][name] for i in rows]
        values = np.empty(rows.size)
        for k, dist in enumerate(regimes):
            mine = np.flatnonzero(regime == k)
            if isinstance(dist, CategoricalDistribution):
                values[mine] = _choice_indices(dist, [raw[i] for i in mine])
            else:
                values[mine] = [raw[i] for i in mine]
        out[name] = (rows, regime, regimes, values)
    return out


def _choice_indices(dist: CategoricalDistribution, choices: list[Any]) -> list[float]:
    try:
        index = {c: float(i) for i, c in enumerate(dist.choices)}
        return [index[c] for c in choices]
    except (TypeError, KeyError):  # unhashable or NaN choices: the distribution's own lookup
        return [dist.to_internal_repr(c) for c in choices]


def _losses(study: Any, trials: list[FrozenTrial], target: Target | None) -> FloatArray:
    """Shape ``n`` (one target, lower better) or ``n x k`` (several objectives, minimized)."""
    if target is not None:
        warnings.warn(
            "PedAnovaImportanceEvaluator explains low `target` values; if high values are "
            "better, pass the target negated, e.g. `target=lambda t: -t.values[0]`.",
            UserWarning,
            stacklevel=3,
        )
        return np.array([target(t) for t in trials], dtype=float)
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
    values = np.array([t.values for t in trials], dtype=float) * signs
    return np.asarray(values[:, 0] if values.shape[1] == 1 else values, dtype=float)


def top_quantile_mask(losses: FloatArray, quantile: float) -> BoolArray:
    """Which rows are among the best ``quantile`` (lower is better; ties at the cut kept).

    With one loss per row: every row no worse than the ``ceil(quantile * n)``-th best. With
    several: whole non-domination fronts, best first, then the rest of the last front chosen
    greedily by hypervolume contribution; a smaller quantile selects a subset of a larger one.

    Example:
        >>> top_quantile_mask(np.array([3.0, 1.0, 2.0, 1.0]), 0.25).tolist()
        [False, True, False, True]
    """
    n = len(losses)
    if quantile >= 1.0 or n == 0:
        return np.ones(n, dtype=bool)
    n_keep = max(math.ceil(quantile * n), 1)
    if losses.ndim == 1:
        cutoff = np.partition(losses, n_keep - 1)[n_keep - 1]
        return np.asarray(losses <= cutoff)
    ranks = pareto_ranks(losses)
    cumulative = np.cumsum(np.bincount(ranks))
    border = int(np.searchsorted(cumulative, n_keep))
    mask = ranks < border
    front = np.flatnonzero(ranks == border)
    need = n_keep - int(mask.sum())
    if need >= front.size:
        mask[front] = True
    elif need > 0:
        mask[front[_greedy_hypervolume_subset(losses, front, need)]] = True
    return mask


def _greedy_hypervolume_subset(
    losses: FloatArray, front: npt.NDArray[np.int64], k: int
) -> list[int]:
    """``k`` positions in ``front``, picked one by one for the largest added hypervolume.

    The hypervolume is estimated on fixed quasi-random points of the box spanned by all rows
    and a reference point beyond the worst, so the same inputs always give the same order.
    """
    low = losses.min(axis=0)
    worst = losses.max(axis=0)
    ref = worst + 0.1 * np.maximum(worst - low, 1e-12)
    points = low + (ref - low) * np.random.default_rng(0).random((_N_HV_SAMPLES, losses.shape[1]))
    dominated = (losses[front][None, :, :] <= points[:, None, :]).all(axis=2)  # samples x front
    covered = np.zeros(_N_HV_SAMPLES, dtype=bool)
    chosen: list[int] = []
    available = np.ones(front.size, dtype=bool)
    for _ in range(k):
        gain = (dominated & ~covered[:, None]).sum(axis=0).astype(float)
        gain[~available] = -1.0
        best = int(np.argmax(gain))
        chosen.append(best)
        available[best] = False
        covered |= dominated[:, best]
    return chosen


def _grid_cells(
    dist: BaseDistribution, values: FloatArray, n_steps: int
) -> tuple[npt.NDArray[np.int64], int]:
    """Each internal value's cell on the parameter's grid, and the number of cells.

    Categories are cells; integers and stepped floats are cells when there are at most
    ``n_steps`` of them; otherwise ``n_steps`` evenly spaced points (log-spaced on a log scale).
    """
    if isinstance(dist, CategoricalDistribution):
        return values.astype(np.int64), len(dist.choices)
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    low, high = float(dist.low), float(dist.high)
    step = dist.step
    if step is not None:
        n_values = round((high - low) / step) + 1
        if n_values <= n_steps:
            return np.clip(np.round((values - low) / step), 0, n_values - 1).astype(
                np.int64
            ), n_values
    if dist.log:
        low, high, values = math.log(low), math.log(high), np.log(values)
    position = (values - low) / (high - low) * (n_steps - 1)
    return np.clip(np.round(position), 0, n_steps - 1).astype(np.int64), n_steps


def _grid_density(
    dist: BaseDistribution, cells: npt.NDArray[np.int64], n_cells: int, prior_weight: float
) -> FloatArray:
    """A Parzen density over the cells: one kernel per observation plus a flat prior.

    Categorical: each observation on its category. Numeric: Gaussian kernels in cell units,
    of Scott's bandwidth (at least one cell), each normalized over the grid.
    """
    counts = np.bincount(cells, minlength=n_cells).astype(float)
    n = float(cells.size)
    prior = np.full(n_cells, 1.0 / n_cells)
    if isinstance(dist, CategoricalDistribution) or n == 0:
        kernel_mass = counts
    else:
        x = cells.astype(float)
        spread = float(np.std(x))
        q75, q25 = np.percentile(x, [75, 25])
        iqr_spread = (q75 - q25) / 1.34
        if iqr_spread > 0:
            spread = min(spread, iqr_spread)
        bandwidth = max(1.059 * spread * n ** (-0.2), 1.0)
        grid = np.arange(n_cells, dtype=float)
        kernels = np.exp(-0.5 * ((grid[None, :] - grid[:, None]) / bandwidth) ** 2)
        kernels /= kernels.sum(axis=1, keepdims=True)
        kernel_mass = counts @ kernels
    return np.asarray((kernel_mass + prior_weight * prior) / (n + prior_weight))
