"""``TPESampler``: the adapter between a study's trials and the Parzen estimators.

The maths (kernels, bandwidths, densities, sampling) is in :mod:`podbor.samplers._tpe.parzen`;
the cache of encoded, ranked finished trials in :mod:`podbor.samplers._tpe._history`. This module
only decides which trials feed which estimator, draws candidates and decodes the winner.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._arrays import BoolArray, FloatArray, IntArray
from podbor._deprecated import warn_deprecated
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import from_unit, sample_uniform, to_unit
from podbor._study_view import StudyView
from podbor._validation import check_bool, check_int, check_positive_int
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import invalid_argument
from podbor.samplers._base import SeededSampler
from podbor.samplers._common import IndependentSamplingWarner
from podbor.samplers._constraints import (
    ConstraintsFunc,
    evaluate_constraints,
    warn_deprecated_constraints_func,
)
from podbor.samplers._intersection import GroupDecomposedSearchSpace, IntersectionSearchSpace
from podbor.samplers._tpe._history import FINISHED_STATES, History, encode_column
from podbor.samplers._tpe._options import default_weights, hyperopt_default_gamma, tuning_arguments
from podbor.samplers._tpe.parzen import ColumnKinds, ParzenEstimator, thin_kernels

__all__ = ["TPESampler"]

_OWNER = "TPESampler"


class TPESampler(SeededSampler):
    """Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011; Watanabe, 2023).

    After ``n_startup_trials`` random trials, the finished trials are split into the best
    ``gamma(n)`` (good) and the rest (bad). Each group gets a Parzen estimator (``l`` and ``g``)
    in the unit-cube encoding; ``n_ei_candidates`` points drawn from ``l`` are ranked by
    ``l(x) / g(x)`` (which orders them by expected improvement) and the best is proposed.
    Pruned trials count, ranked after the complete ones by how far they got and then by their
    last report; failed trials are ignored. With several objectives, trials are ranked by
    non-dominated sorting. On a search space that is all grid (ints, stepped floats,
    categoricals) and the same in every trial, a configuration already tried (finished or
    running) is not proposed again while untried ones are left: ``l`` soon concentrates on the
    best point, and repeats of a deterministic objective teach nothing.

    The defaults (multivariate, grouped) were chosen by ``benchmarks/sample_efficiency.py``
    (synthetic problems, 10 seeds x 60 trials, median normalized regret at the full budget,
    mean over the 9 problems; 0 = optimum, 1 = random search): multivariate and grouped 0.26,
    univariate 0.54 before this tuning, Optuna 5.0's multivariate TPESampler 0.34; grouped
    mode wins on ``conditional`` (0.10 against Optuna's 0.62).

    Args:
        seed: Seed of the sampler's ``numpy.random.Generator`` (an int >= 0); ``None`` for a
            random one.
        n_startup_trials: Finished (complete or pruned) trials drawn at random before the model
            is used.
        n_ei_candidates: Candidates drawn from ``l`` per proposal.
        multivariate: Model the parameters that every finished trial has jointly (product
            kernels, Falkner et al. 2018) instead of one at a time. Parameters outside that
            joint space are still sampled one at a time. ``False`` gives the univariate TPE of
            Bergstra et al. (2011). ``None``, as in Optuna 5: multivariate for a study with one
            objective, univariate for several (multivariate with ``group=True``).
        group: With ``multivariate``, split a conditional search space into the groups of
            parameters that always occur together and model each group jointly on the trials
            that have it (``if kind == "svm": C, gamma else: n_trees``). ``None`` (default):
            grouped whenever the TPE is multivariate. ``True`` with ``multivariate=False``
            raises.
        constant_liar: Count the other RUNNING trials as bad, so that parallel workers spread
            out instead of proposing the same point (on by default, as in Optuna 5; with one
            worker there are no other running trials, so it changes nothing).
        gamma: ``gamma(n)``: how many of ``n`` finished trials are good (clipped to
            ``[0, n]``). Default: :func:`default_gamma` with one objective,
            :func:`default_gamma_multiobjective` with several.
        weights: ``weights(n)``: ``n`` non-negative weights of a group's observations, oldest
            first. Default :func:`default_weights`.
        prior_weight: Weight of the prior kernel relative to one observation (default 1).
        consider_endpoints: Let the bounds act as neighbours in the univariate bandwidth rule
            (default False).
        consider_magic_clip: Keep bandwidths above ``1 / min(100, 1 + n)`` of the range (above
            1/100 in multivariate mode, whose bandwidth rule already widens with few points;
            default True).
        consider_prior: Add the prior kernel (wide, centred) to each estimator (default True;
            Optuna 5 ignores a False here, podbor still leaves the prior out).
        warn_independent_sampling: In multivariate mode, log once per parameter that it was
            sampled independently (default False).

            These seven arguments are deprecated, as in Optuna 5: passing one gives a
            ``FutureWarning`` (its value is still used); leave them out for the defaults.
        constraints_func: Deprecated, as in Optuna 5.0 (``FutureWarning``; use
            ``Trial.set_constraint``): ``constraints_func(trial)`` returns a sequence of floats,
            evaluated after each COMPLETE or PRUNED trial and stored as the trial's constraints;
            a value > 0 is violated. Whatever their source, recorded constraints shape the split:
            feasible trials are ranked first (as above), infeasible ones after them by their
            total violation, so ``l`` learns from the feasible region (Optuna's constrained TPE).
            A return value that is not a sequence of real numbers, or holds a NaN, raises
            :class:`~podbor.exceptions.InvalidArgumentError` (a ``ValueError``).
        max_kernels: At most this many kernels in the estimator of the bad trials (podbor's
            own, not in Optuna); ``None`` (default, as Optuna): one per bad trial. TPE's time
            per trial grows with the history (each candidate is scored against every bad
            trial): with a cap, a long study's bad trials are thinned to ``max_kernels`` by
            systematic sampling on their weights (old trials, which ``weights`` fades, are
            kept less often), each kept one carrying an equal share of the total weight, so
            the estimator stays the same mixture in expectation and the time per trial stays
            flat past ``max_kernels`` trials. Deterministic: it draws no random numbers.
            :class:`~podbor.samplers.AutoSampler` (the default sampler) uses 1,000.

    Example:
        >>> import podbor
        >>> sampler = TPESampler(seed=0, n_startup_trials=5)
        >>> study = podbor.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=30)
        >>> study.best_value < 0.1
        True
    """

    _STUDY_CACHES = ("_history", "_finished", "_intersection", "_groups")

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool | None = None,
        group: bool | None = None,
        constant_liar: bool = True,
        gamma: Callable[[int], int] | None = None,
        weights: Callable[[int], Any] | None = None,
        prior_weight: float | None = None,
        consider_endpoints: bool | None = None,
        consider_magic_clip: bool | None = None,
        consider_prior: bool | None = None,
        warn_independent_sampling: bool | None = None,
        constraints_func: ConstraintsFunc | None = None,
        max_kernels: int | None = None,
    ) -> None:
        warn_deprecated_constraints_func(constraints_func, _OWNER)
        super().__init__(seed, owner=_OWNER)
        self._n_startup_trials = check_int(
            n_startup_trials, "n_startup_trials", owner=_OWNER, minimum=0
        )
        self._n_ei_candidates = check_positive_int(n_ei_candidates, "n_ei_candidates", owner=_OWNER)
        self._multivariate = (
            None if multivariate is None else check_bool(multivariate, "multivariate", owner=_OWNER)
        )
        self._group = None if group is None else check_bool(group, "group", owner=_OWNER)
        self._warned_group = False  # the several-objectives note below, once per sampler
        if group and multivariate is False:
            raise invalid_argument(
                "group",
                True,
                "False unless multivariate=True (groups are modelled jointly)",
                owner=_OWNER,
            )
        self._constant_liar = check_bool(constant_liar, "constant_liar", owner=_OWNER)
        self._tuning = tuning_arguments(
            {
                "consider_prior": consider_prior,
                "prior_weight": prior_weight,
                "consider_magic_clip": consider_magic_clip,
                "consider_endpoints": consider_endpoints,
                "gamma": gamma,
                "weights": weights,
                "warn_independent_sampling": warn_independent_sampling,
            }
        )
        self._warner = IndependentSamplingWarner(
            _OWNER, enabled=self._tuning.warn_independent_sampling
        )
        if constraints_func is not None and not callable(constraints_func):
            raise invalid_argument(
                "constraints_func",
                constraints_func,
                "None or a callable taking a FrozenTrial",
                owner=_OWNER,
            )
        self._constraints_func = constraints_func
        self._max_kernels = (
            None
            if max_kernels is None
            else check_positive_int(max_kernels, "max_kernels", owner=_OWNER)
        )
        self._new_caches()

    @staticmethod
    def hyperopt_parameters() -> dict[str, Any]:
        """Return keyword arguments that mimic hyperopt's TPE defaults.

        Deprecated, as in Optuna (since 4.9, to go in 6.0): a ``FutureWarning``; pass the
        arguments it returns explicitly instead.

        Example:
            >>> import warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore", FutureWarning)
            ...     sampler = TPESampler(**TPESampler.hyperopt_parameters())
        """
        warn_deprecated(
            "TPESampler.hyperopt_parameters()",
            since="0.1.0",
            removed_in="2.0.0",
            replacement="the TPESampler arguments it returns, passed explicitly",
        )
        return {
            "consider_prior": True,
            "prior_weight": 1.0,
            "consider_magic_clip": True,
            "consider_endpoints": True,
            "n_startup_trials": 20,
            "n_ei_candidates": 24,
            "gamma": hyperopt_default_gamma,
            "weights": default_weights,
        }

    def _new_caches(self) -> None:
        """What the sampler learns from one study: rebuilt, never copied or pickled."""
        self._history = History()
        self._finished: list[FrozenTrial] = []
        # both start over by themselves when handed another study's trials
        self._intersection = IntersectionSearchSpace(include_pruned=True)
        self._groups = GroupDecomposedSearchSpace(include_pruned=True)

    def _refresh(self, study: StudyView) -> bool:
        """Take in new finished trials; True while still in the random start-up phase.

        The finished trials are read once here, and kept (``_finished``) for the search spaces
        computed under the same lock."""
        finished = study.get_trials(deepcopy=False, states=FINISHED_STATES)
        self._history.update(study, finished)  # a new study: the history starts over
        self._finished = finished
        return len(self._history) < self._n_startup_trials

    def _modes(self) -> tuple[bool, bool]:
        """Whether this study's TPE is multivariate, and grouped (after :meth:`_refresh`).

        ``multivariate=None`` means what it means in Optuna 5: the multivariate TPE for one
        objective, the univariate one for several, unless ``group=True`` asks for groups (which
        are modelled jointly). ``group=None`` follows the multivariate choice."""
        multivariate, group = self._multivariate, self._group
        if multivariate is None:
            several = len(self._history.directions) > 1
            multivariate = bool(group) or not several
            if group and several and not self._warned_group:
                self._warned_group = True
                warnings.warn(
                    "TPESampler(multivariate=None) uses the univariate TPE on a study with "
                    "several objectives, but group=True needs the multivariate one, so it is "
                    "multivariate here; pass multivariate=True to say so and silence this.",
                    UserWarning,
                    stacklevel=2,
                )
        return multivariate, multivariate if group is None else group

    def _trial_finished(self, study: StudyView, trial: FrozenTrial, state: TrialState) -> None:
        if self._constraints_func is not None:
            evaluate_constraints(self._constraints_func, study, trial, state, owner=_OWNER)

    # -- relative (joint) sampling ---------------------------------------------------------------
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """Return the parameters to propose together, once per trial (``{}`` while starting up).

        Multivariate: the intersection of the finished trials' spaces (with ``group``: the union
        of the groups). Univariate: the intersection too, for speed only: each of its parameters
        is still modelled on its own, but all of them in one vectorized pass.
        """
        with self._lock:
            if self._refresh(study):
                return {}
            if self._modes()[1]:
                space: dict[str, BaseDistribution] = {}
                for sub_space in self._groups.calculate_from(self._finished):
                    space.update(sub_space)
            else:
                space = self._intersection.calculate_from(self._finished)
        return {name: dist for name, dist in sorted(space.items()) if not dist.single()}

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            if self._refresh(study):
                return {}
            multivariate, grouped = self._modes()
            decomposed = self._groups.calculate_from(self._finished)
            groups = decomposed if grouped else [search_space]
            # Every finished trial has the same parameters, all of them proposed here together:
            # a proposal is then a whole configuration, and repeating a tried one is detectable.
            whole = len(decomposed) == 1 and {
                n for n, d in decomposed[0].items() if not d.single()
            } == set(search_space)
            params: dict[str, Any] = {}
            for group in groups:
                sub = {n: d for n, d in sorted(group.items()) if n in search_space}
                sub = {n: d for n, d in sub.items() if not d.single()}
                if sub:
                    params.update(self._sample_space(study, trial, sub, multivariate, whole=whole))
            return params

    # -- independent sampling --------------------------------------------------------------------
    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with self._lock:
            startup = self._refresh(study)
            if startup or param_distribution.single():
                return sample_uniform(param_distribution, self._rng)
            multivariate, grouped = self._modes()
            if multivariate and self._warner.pending(param_name):
                self._warner.warn(
                    param_name,
                    trial.number,
                    sampled_by="a univariate Parzen estimator",
                    reason=self._independent_reason(grouped),
                )
            space = {param_name: param_distribution}
            return self._sample_space(study, trial, space, multivariate=False)[param_name]

    @staticmethod
    def _independent_reason(grouped: bool) -> str:
        if grouped:
            return "no finished trial has it yet, or its distribution changed"
        return "it is not in every finished trial; group=True models conditional parameters jointly"

    # -- the model -------------------------------------------------------------------------------
    def _sample_space(
        self,
        study: StudyView,
        trial: FrozenTrial,
        space: dict[str, BaseDistribution],
        multivariate: bool,
        *,
        whole: bool = False,
    ) -> dict[str, Any]:
        """Fit ``l`` and ``g`` on the trials that have every parameter of ``space``; propose.

        Multivariate: candidates are joint draws from ``l``, ranked by the joint density ratio.
        Univariate: each column is drawn from its marginal and ranked by its own ratio (the
        univariate TPE of every parameter at once). ``whole``: ``space`` is every parameter the
        trials have, so a candidate equal to a tried trial would repeat it.
        """
        names, dists = list(space), list(space.values())
        observed = self._history.matrix(names, dists)
        complete_rows = self._history.has_all(names, dists)
        gamma = self._tuning.gamma_for(len(self._history.directions))
        below, above = self._history.split(complete_rows, gamma)
        liars = self._liars(study, trial, names, dists)
        bad_weights = self._weights_of(len(above) + len(liars))
        if self._max_kernels is not None and len(above) > self._max_kernels:
            above, kept = thin_kernels(above, bad_weights[: len(above)], self._max_kernels)
            bad_weights = np.concatenate([kept, bad_weights[len(bad_weights) - len(liars) :]])
        bad = np.vstack([observed[above], liars])
        kinds = _column_kinds(dists)
        options = dataclasses.replace(self._tuning.parzen, multivariate=multivariate)
        good_model = ParzenEstimator(observed[below], self._weights_of(len(below)), kinds, options)
        bad_model = ParzenEstimator(bad, bad_weights, kinds, options)
        candidates = good_model.sample(
            self._rng, self._n_ei_candidates, independent_columns=not multivariate
        )
        cells = _grid_cells(dists, candidates)
        if multivariate:
            score = good_model.log_pdf(candidates, cells) - bad_model.log_pdf(candidates, cells)
            score = np.nan_to_num(score, nan=-np.inf)
            if whole and bool(np.all(kinds.discrete | (kinds.n_choices > 0))):  # all grid
                tried = np.vstack([observed[complete_rows], liars])
                candidates, score = self._avoid_repeats(
                    dists, good_model, bad_model, candidates, score, tried
                )
            best = candidates[int(np.argmax(score))]
        else:
            scores = good_model.marginal_log_pdf(candidates, cells)
            scores -= bad_model.marginal_log_pdf(candidates, cells)
            picks = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=0)
            best = candidates[picks, np.arange(len(names))]
        return {name: _decode(dist, best[j]) for j, (name, dist) in enumerate(space.items())}

    def _avoid_repeats(
        self,
        dists: Sequence[BaseDistribution],
        good_model: ParzenEstimator,
        bad_model: ParzenEstimator,
        candidates: FloatArray,
        score: FloatArray,
        tried: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:
        """On a search space that is all grid (ints, stepped floats, categoricals), never
        propose a point already tried (finished or running) while an untried one can be found.

        On a small discrete space ``l`` soon concentrates on the best point so far, and every
        candidate would repeat it: a deterministic objective then learns nothing from the
        trial (the sampler would settle on a local optimum, and no pruner can stop a repeat
        of the best trial). Repeats lose their score; if every candidate is a repeat, more are
        drawn from ``l`` and then from the uniform prior, ranked by the same ratio ``l / g``.
        Only when the space seems exhausted is a repeat proposed.
        """
        keys = _grid_keys(dists, candidates)
        seen = _grid_keys(dists, tried)
        if keys is None or seen is None or not len(seen):
            return candidates, score
        fresh = ~_rows_in(keys, seen)
        if not fresh.any():
            n = 4 * self._n_ei_candidates
            kinds = good_model.kinds
            prior = self._rng.random((n, len(dists)))
            for j in np.flatnonzero(kinds.n_choices):
                prior[:, j] = self._rng.integers(int(kinds.n_choices[j]), size=n)
            more = np.vstack([good_model.sample(self._rng, n), prior])
            cells = _grid_cells(dists, more)
            more_score = good_model.log_pdf(more, cells) - bad_model.log_pdf(more, cells)
            more_score = np.nan_to_num(more_score, nan=-np.inf)
            more_fresh = ~_rows_in(_grid_keys(dists, more), seen)  # type: ignore[arg-type]
            if not more_fresh.any():
                return candidates, score  # the space is (nearly) exhausted: repeat the best
            return more[more_fresh], more_score[more_fresh]
        return candidates[fresh], score[fresh]

    def _liars(
        self,
        study: StudyView,
        trial: FrozenTrial,
        names: Sequence[str],
        dists: Sequence[BaseDistribution],
    ) -> FloatArray:
        """Shape ``r x d``: other RUNNING trials with every parameter (constant liar), else none."""
        if not self._constant_liar:
            return np.empty((0, len(names)))
        running = [
            t
            for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if t.number != trial.number
        ]
        if not running:
            return np.empty((0, len(names)))
        lies = np.stack([encode_column(running, n, d) for n, d in zip(names, dists)], axis=1)
        return lies[~np.isnan(lies).any(axis=1)]

    def _weights_of(self, n: int) -> FloatArray:
        if n == 0:
            return np.empty(0)
        weights = np.asarray(self._tuning.weights(n), dtype=float)
        if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise invalid_argument(
                "weights",
                self._tuning.weights,
                f"a function returning {n} finite weights >= 0 for n={n} (got {weights!r})",
                owner=_OWNER,
            )
        return weights

    def __repr__(self) -> str:
        return (
            f"TPESampler(seed={self._seed}, n_startup_trials={self._n_startup_trials}, "
            f"multivariate={self._multivariate}, group={self._group}, "
            f"constant_liar={self._constant_liar})"
        )


# -- encoding helpers ----------------------------------------------------------------------------
def _half_step(dist: BaseDistribution) -> float | None:
    """Half the grid spacing, in internal units, of a grid distribution; None when continuous."""
    if isinstance(dist, IntDistribution):
        return 0.5 if dist.log else 0.5 * dist.step
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return 0.5 * dist.step
    return None


def _column_kinds(dists: Sequence[BaseDistribution]) -> ColumnKinds:
    n_choices = [len(d.choices) if isinstance(d, CategoricalDistribution) else 0 for d in dists]
    discrete = [_half_step(d) is not None for d in dists]
    return ColumnKinds(np.array(n_choices, dtype=np.int64), np.array(discrete, dtype=bool))


def _grid_keys(dists: Sequence[BaseDistribution], points: FloatArray) -> IntArray | None:
    """Shape ``k x d``: each point's position on the grid (a choice's index, or the number of
    steps above ``low``); None when a column is continuous (repeats are then impossible)."""
    keys = np.empty(points.shape, dtype=np.int64)
    for j, dist in enumerate(dists):
        if isinstance(dist, CategoricalDistribution):
            keys[:, j] = np.rint(points[:, j])
            continue
        if _half_step(dist) is None:
            return None
        assert isinstance(dist, (FloatDistribution, IntDistribution))
        step = 1 if isinstance(dist, IntDistribution) and dist.log else dist.step
        assert step is not None
        keys[:, j] = np.rint((from_unit(dist, points[:, j]) - dist.low) / step)
    return keys


def _rows_in(rows: IntArray, table: IntArray) -> BoolArray:
    """Shape ``k``: whether each row of ``rows`` is a row of ``table`` (one vectorized pass)."""
    width = np.dtype((np.void, 8 * rows.shape[1]))

    def as_items(a: IntArray) -> npt.NDArray[np.void]:
        return np.ascontiguousarray(a, dtype=np.int64).view(width).ravel()

    return np.isin(as_items(rows), as_items(table))


def _grid_cells(
    dists: Sequence[BaseDistribution], points: FloatArray
) -> tuple[FloatArray, FloatArray] | None:
    """The grid cell ``[lower, upper]`` (each ``k x d``) that each point's value rounds to.

    A cell's bounds are the encodings of its grid value ``± step/2`` (``± 1/2`` on a log-scale
    int), exactly the interval :func:`podbor._search_space.from_unit` rounds to that value.
    """
    halves = [_half_step(d) for d in dists]
    if all(h is None for h in halves):
        return None
    lower, upper = points.copy(), points.copy()
    for j, (dist, half) in enumerate(zip(dists, halves)):
        if half is not None:
            internal = from_unit(dist, points[:, j])
            lower[:, j] = to_unit(dist, internal - half)
            upper[:, j] = to_unit(dist, internal + half)
    return lower, upper


def _decode(dist: BaseDistribution, value: float) -> Any:
    """The external value of one encoded coordinate (a unit value, or a choice's index)."""
    if isinstance(dist, CategoricalDistribution):
        index = min(max(int(value), 0), len(dist.choices) - 1)
        return dist.to_external_repr(float(index))
    return dist.to_external_repr(float(from_unit(dist, np.array([value]))[0]))
