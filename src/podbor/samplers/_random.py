"""Random search: every parameter drawn independently and uniformly in the shared encoding."""

from __future__ import annotations

from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._search_space import sample_uniform
from podbor._study_view import StudyView
from podbor.distributions import BaseDistribution
from podbor.samplers._base import SeededSampler

__all__ = ["RandomSampler"]


class RandomSampler(SeededSampler):
    """Draw each parameter uniformly: on a log scale where ``log=True``, evenly over grid points
    for steps and integers, evenly over the choices of a categorical.

    Random search is the baseline every other sampler is judged against, and a strong one when
    few trials are affordable (Bergstra & Bengio, JMLR 13, 2012).

    Args:
        seed: Seed of the sampler's own ``numpy.random.Generator`` (an int >= 0); ``None`` for
            a random one.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(sampler=RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
        >>> len(study.trials)
        5
    """

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed, owner="RandomSampler")

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with self._lock:
            return sample_uniform(param_distribution, self._rng)

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self._seed})"
