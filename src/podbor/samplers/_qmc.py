"""Quasi-Monte Carlo search: low-discrepancy points (Sobol', Halton) over the search space.

The sampler is a thin adapter. The maths is :func:`qmc_point` (the ``k``-th point of a seeded
sequence, from ``scipy.stats.qmc``) and the shared unit-cube encoding of ``_search_space``, which
handles log scales, steps, integers and categoricals.

Consistency across workers: trial number ``n`` takes point ``n - 1`` of one sequence (trial 0
never has a finished trial before it, so it is never a quasi-random trial). The search space and,
when no ``seed`` is given, a freshly drawn seed are stored in the study's system attributes the
first time they are needed, so that every worker sharing the storage draws from the same
sequence in the same space, and distinct trials get distinct points without any coordination.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy.stats import qmc

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import SearchSpaceEncoder
from podbor._study_view import StudyView
from podbor._validation import check_bool, check_choice
from podbor.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from podbor.samplers._base import BaseSampler
from podbor.samplers._common import FallbackSampler
from podbor.samplers._intersection import IntersectionSearchSpace

__all__ = ["QMCSampler", "qmc_point"]

QMCType = Literal["sobol", "halton"]

_OWNER = "QMCSampler"
_SEED_KEY = "qmc:seed"
_SPACE_KEY = "qmc:search_space"
_SOBOL_MAX_POINTS = 2**30  # scipy's Sobol' engine with its default 30 bits
_SEED_BOUND = 2**31


def _engine(qmc_type: QMCType, d: int, scramble: bool, seed: int) -> qmc.QMCEngine:
    from scipy.stats import qmc  # lazily: scipy.stats costs a second at import

    if qmc_type == "sobol":
        return qmc.Sobol(d, scramble=scramble, rng=seed)
    return qmc.Halton(d, scramble=scramble, rng=seed)


def _draw(engine: qmc.QMCEngine, qmc_type: QMCType, index: int) -> npt.NDArray[np.float64]:
    """Point ``index`` of a freshly built or reset engine, shape ``d``."""
    skip = index % _SOBOL_MAX_POINTS if qmc_type == "sobol" else index
    if skip > 0:  # scipy's Sobol' engine rejects fast_forward(0) before its first point
        engine.fast_forward(skip)
    return np.asarray(engine.random(1)[0], dtype=float)


def _speculative_search_space(study: StudyView, trial: FrozenTrial) -> dict[str, BaseDistribution]:
    """Before any trial finished: the distributions of the earliest other running trial.

    Nothing is stored: the search space is fixed only from finished trials. Until then, trials
    started while the first one runs (parallel workers, ``ask`` with ``fixed_distributions``)
    are quasi-random over what that trial has suggested so far, as in Optuna.
    """
    running = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if t.number != getattr(trial, "number", None) and t.distributions
    ]
    if not running:
        return {}
    first = min(running, key=lambda t: t.number)
    return {name: first.distributions[name] for name in sorted(first.distributions)}


def qmc_point(
    qmc_type: QMCType, d: int, index: int, *, scramble: bool, seed: int
) -> npt.NDArray[np.float64]:
    """Return point ``index`` (0-based) of a ``d``-dimensional low-discrepancy sequence.

    The sequence is the one ``scipy.stats.qmc.Sobol`` / ``Halton`` yields for
    ``(d, scramble=scramble, rng=seed)``: Owen-type scrambling for Sobol' (Owen, 1998; Matoušek,
    1998), permuted digits for Halton. Sobol' sequences repeat after ``2**30`` points.

    Returns:
        The point, shape ``d``, in ``[0, 1)``.

    Example:
        >>> qmc_point("sobol", 2, 1, scramble=False, seed=0).tolist()
        [0.5, 0.5]
    """
    return _draw(_engine(qmc_type, d, scramble, seed), qmc_type, index)


@experimental("0.1.0")
class QMCSampler(FallbackSampler):
    """Quasi-random search: trial after trial fills the search space evenly.

    Points of a scrambled Sobol' or Halton sequence (``scipy.stats.qmc``) are decoded through the
    shared unit-cube encoding, so log scales, steps, integers and categoricals are respected. The
    search space is the intersection search space of the first finished trial(s), fixed from then
    on (before any trial finished, the parameters the earliest running trial has suggested so
    far); parameters outside it (conditional ones, and every parameter of the very first trial)
    go to ``independent_sampler``.

    Several workers sharing a storage draw distinct points without coordinating: trial ``n``
    takes point ``n - 1`` of one sequence, whose seed (drawn once when ``seed`` is None) and search
    space are kept in the study's system attributes; ``reseed_rng`` reseeds the independent
    sampler, never that sequence.

    Args:
        qmc_type: ``"sobol"`` or ``"halton"``.
        scramble: Randomize the sequence (seeded). Off by default, as in Optuna 5: every
            worker and every seed then walks the same sequence, which starts at the corner
            ``(0, …, 0)``. :class:`~podbor.samplers.AutoSampler` scrambles its start-up.
        seed: Seed of the scrambling and of the default independent sampler, an int >= 0;
            ``None``: one is drawn and stored in the study so that every worker uses it.
        independent_sampler: Sampler for parameters outside the search space; default
            ``RandomSampler(seed=seed)``.
        warn_independent_sampling: Log a warning (once per parameter) when a parameter outside
            the search space goes to the independent sampler.
        warn_asynchronous_seeding: Warn once when no seed was given and a scrambled sequence's
            seed had to be drawn.

    Example:
        >>> import podbor
        >>> sampler = QMCSampler(qmc_type="sobol", scramble=True, seed=0)
        >>> study = podbor.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=8)
        >>> len(study.trials)
        8
    """

    def __init__(
        self,
        *,
        qmc_type: QMCType = "sobol",
        scramble: bool = False,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        warn_asynchronous_seeding: bool = True,
    ) -> None:
        check_choice(qmc_type, "qmc_type", ("sobol", "halton"), owner=_OWNER)
        self._scramble = check_bool(scramble, "scramble", owner=_OWNER)
        super().__init__(seed, independent_sampler, warn_independent_sampling, owner=_OWNER)
        self._warn_seeding = check_bool(
            warn_asynchronous_seeding, "warn_asynchronous_seeding", owner=_OWNER
        )
        self._qmc_type: QMCType = qmc_type
        self._engines: dict[tuple[int, int], qmc.QMCEngine] = {}
        self._space_cache: tuple[Any, dict[str, BaseDistribution]] | None = None
        self._warned_seed = False

    # -- the search space, fixed once per study ------------------------------------------------
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._search_space(study)
        if space is None:
            space = _speculative_search_space(study, trial)
        return {name: dist for name, dist in space.items() if not dist.single()}

    def _search_space(self, study: StudyView) -> dict[str, BaseDistribution] | None:
        """The stored search space; stored first from the finished trials if there is none."""
        stored = study.system_attrs.get(_SPACE_KEY)
        if stored is None:
            space = IntersectionSearchSpace().calculate(study)
            if not space:
                return None
            study.set_system_attr(
                _SPACE_KEY, {name: distribution_to_json(d) for name, d in space.items()}
            )
            stored = study.system_attrs.get(_SPACE_KEY)  # a concurrent worker may have won
        if not isinstance(stored, dict):
            return None
        with self._lock:
            if self._space_cache is None or self._space_cache[0] != stored:
                decoded = {name: json_to_distribution(stored[name]) for name in sorted(stored)}
                self._space_cache = (stored, decoded)
            return self._space_cache[1]

    # -- sampling ------------------------------------------------------------------------------
    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        index = trial.number - 1
        if not search_space or index < 0:
            return {}
        seed = self._resolve_seed(study)
        encoder = SearchSpaceEncoder(search_space)
        u = self._point(len(encoder.names), index, seed)
        return {
            name: search_space[name].to_external_repr(value)
            for name, value in encoder.decode(u).items()
        }

    def _point(self, d: int, index: int, seed: int) -> npt.NDArray[np.float64]:
        with self._lock:  # engines are cached per dimension and seed; fast-forward from the start
            engine = self._engines.get((d, seed))
            if engine is None:
                engine = self._engines[(d, seed)] = _engine(self._qmc_type, d, self._scramble, seed)
            engine.reset()
            return _draw(engine, self._qmc_type, index)

    def _resolve_seed(self, study: StudyView) -> int:
        if self._seed is not None:
            return self._seed
        if not self._scramble:
            return 0  # an unscrambled sequence does not depend on the seed
        stored = study.system_attrs.get(_SEED_KEY)
        if isinstance(stored, int):
            return stored
        with self._lock:
            drawn = int(self._rng.integers(_SEED_BOUND))
        study.set_system_attr(_SEED_KEY, drawn)
        stored = study.system_attrs.get(_SEED_KEY)  # a concurrent worker may have won
        seed = stored if isinstance(stored, int) else drawn
        with self._lock:
            warn, self._warned_seed = self._warn_seeding and not self._warned_seed, True
        if warn:
            warnings.warn(
                f"QMCSampler has no seed: it drew seed {seed} and stored it in the study, so that "
                "every worker draws from the same sequence. Workers that start their first "
                "quasi-random trial at the same moment may still race; pass the same seed=... to "
                "every worker to rule that out (or warn_asynchronous_seeding=False to hide this).",
                UserWarning,
                stacklevel=2,
            )
        return seed

    def _why_independent(self, study: StudyView, trial: FrozenTrial, param_name: str) -> str | None:
        if _SPACE_KEY not in study.system_attrs:
            return None  # the first trials define the search space: nothing to warn about
        return (
            "it lies outside the search space fixed by the first finished trial (a conditional "
            "parameter, or one whose range changed)"
        )

    def __repr__(self) -> str:
        return (
            f"QMCSampler(qmc_type={self._qmc_type!r}, scramble={self._scramble}, seed={self._seed})"
        )
