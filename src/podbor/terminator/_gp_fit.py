"""The trials of a study as GP training data, for the improvement evaluators.

Both GP-based evaluators (:class:`~podbor.terminator.RegretBoundEvaluator` and
:class:`~podbor.terminator.EMMREvaluator`) model the objective over the parameters that every
complete trial shares with one distribution (the intersection search space), encoded into the unit
cube by the one encoding podbor has (:class:`podbor._search_space.SearchSpaceEncoder`), with values
turned so that larger is better. The GP itself is the sampler's (:mod:`podbor.samplers._gp`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from podbor._arrays import BoolArray, FloatArray
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._search_space import SearchSpaceEncoder
from podbor._study_direction import StudyDirection
from podbor.samplers._gp.kernels import KernelParams
from podbor.samplers._gp.model import (
    DETERMINISTIC_NOISE,
    GaussianProcess,
    IllConditionedError,
    default_params,
    fit_kernel_params,
)
from podbor.samplers._gp.training import encode_trials, relative_space
from podbor.samplers._intersection import intersection_search_space

__all__ = ["EncodedTrials", "complete_trials", "condition", "encode", "fit_params"]


@dataclass(frozen=True)
class EncodedTrials:
    """Complete trials as arrays.

    Attributes:
        encoder: The encoding of the shared parameters' columns.
        x: Shape ``n x d``, the encoded parameters, in the trials' order.
        y: Shape ``n``, the objective values, negated for a minimized objective (larger is better).
    """

    encoder: SearchSpaceEncoder
    x: FloatArray
    y: FloatArray

    @property
    def is_categorical(self) -> BoolArray:
        """Shape ``d``: which columns are categorical."""
        return self.encoder.is_categorical


def complete_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The COMPLETE trials of ``trials``, in their order.

    Example:
        >>> from podbor.trial import create_trial
        >>> len(complete_trials([create_trial(value=1.0), create_trial(state=TrialState.FAIL)]))
        1
    """
    return [t for t in trials if t.state == TrialState.COMPLETE]


def encode(trials: Sequence[FrozenTrial], direction: StudyDirection) -> EncodedTrials | None:
    """Encode complete trials over their shared parameters; None when they share none.

    Parameters with a single possible value are left out: a model learns nothing from them.

    Example:
        >>> from podbor.distributions import FloatDistribution
        >>> from podbor.trial import create_trial
        >>> dist = {"x": FloatDistribution(0, 4)}
        >>> trials = [create_trial(params={"x": 1.0}, distributions=dist, value=3.0)]
        >>> data = encode(trials, StudyDirection.MINIMIZE)
        >>> data.x.tolist(), data.y.tolist()
        ([[0.25]], [-3.0])
    """
    space = relative_space(intersection_search_space(trials))
    if not space:
        return None
    encoder = SearchSpaceEncoder(space)
    sign = 1.0 if direction == StudyDirection.MAXIMIZE else -1.0
    values = np.array([float(t.value) for t in trials if t.value is not None], dtype=float)
    return EncodedTrials(encoder, encode_trials(encoder, trials), sign * values)


def fit_params(
    x: FloatArray, z: FloatArray, is_categorical: BoolArray, *, deterministic: bool
) -> KernelParams:
    """The GP's hyper-parameters fitted to standardized targets ``z`` (maximum a posteriori).

    Always from the prior medians, never warm-started, so that an evaluator's value depends on
    the trials alone, not on what it was asked before.
    """
    noise = DETERMINISTIC_NOISE if deterministic else None
    return fit_kernel_params(x, z, is_categorical, fixed_noise=noise)


def condition(
    x: FloatArray, z: FloatArray, is_categorical: BoolArray, params: KernelParams
) -> GaussianProcess:
    """The GP conditioned on ``(x, z)``; the prior-median hyper-parameters if ill-conditioned."""
    try:
        return GaussianProcess.condition(x, z, is_categorical, params)
    except IllConditionedError:
        fallback = default_params(is_categorical, noise_var=max(params.noise_var, 1e-4))
        return GaussianProcess.condition(x, z, is_categorical, fallback)
