"""One stage of the stepwise search: its trials, told apart from the other stages' in one study.

All stages write their trials into the one study the user sees, and each trial records the
stage it belongs to (the system attribute :data:`STEP_NAME_KEY`). A stage's sampler must learn
only from the trials of its own stage: a grid over ``feature_fraction`` counts the points
already taken in this stage, not in the first ``feature_fraction`` stage, and TPE over
``lambda_l1`` must not read trials that never suggested it. :class:`StageSampler` wraps the
stage's sampler and hands it a :class:`StageView` of the study that shows only those trials;
it also marks each new trial with the stage's name before anything is sampled. The marks are
what lets a tuner resume a study: a stage whose trials are already there is not run again.

Example:
    >>> import podbor
    >>> study = podbor.create_study()
    >>> sampler = StageSampler(podbor.samplers.RandomSampler(seed=0), "num_leaves")
    >>> stage = stage_study(study, sampler)
    >>> stage.optimize(lambda t: t.suggest_int("num_leaves", 2, 8), n_trials=2)
    >>> [t.system_attrs[STEP_NAME_KEY] for t in study.trials]
    ['num_leaves', 'num_leaves']
"""

from __future__ import annotations

import copy
from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from podbor._study_core import core_of
from podbor.samplers import BaseSampler
from podbor.study import Study
from podbor.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from podbor._study_direction import StudyDirection
    from podbor._study_view import StudyView
    from podbor.distributions import BaseDistribution

__all__ = ["STEP_NAME_KEY", "StageSampler", "StageView", "stage_study", "stage_trials"]

STEP_NAME_KEY = "lightgbm_tuner:step_name"
"""The trial system attribute naming the stage a trial belongs to (Optuna's key)."""


def stage_trials(
    study: StudyView, step_name: str, states: Container[TrialState] | None = None
) -> list[FrozenTrial]:
    """The trials of ``study`` that belong to stage ``step_name``."""
    return [
        t
        for t in study.get_trials(deepcopy=False, states=states)
        if t.system_attrs.get(STEP_NAME_KEY) == step_name
    ]


class StageView:
    """A study as one stage's sampler should see it: only that stage's trials.

    Everything else (directions, attributes, ``stop``) is the study's own.
    """

    def __init__(self, study: StudyView, step_name: str) -> None:
        self._study = study
        self._step_name = step_name

    @property
    def directions(self) -> list[StudyDirection]:
        return self._study.directions

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        trials = stage_trials(self._study, self._step_name, states)
        return [copy.deepcopy(t) for t in trials] if deepcopy else trials

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._study.system_attrs

    def set_system_attr(self, key: str, value: Any) -> None:
        self._study.set_system_attr(key, value)

    def set_trial_system_attr(self, trial: FrozenTrial, key: str, value: Any) -> None:
        self._study.set_trial_system_attr(trial, key, value)

    def stop(self) -> None:
        self._study.stop()


class StageSampler(BaseSampler):
    """Runs ``sampler`` on the trials of stage ``step_name`` only, and marks new trials with it.

    Args:
        sampler: The stage's own sampler (a grid, TPE).
        step_name: The stage's name, stored on each of its trials.
    """

    def __init__(self, sampler: BaseSampler, step_name: str) -> None:
        self._sampler = sampler
        self._step_name = step_name

    def _view(self, study: StudyView) -> StudyView:
        return StageView(study, self._step_name)

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._sampler.infer_relative_search_space(self._view(study), trial)

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._sampler.sample_relative(self._view(study), trial, search_space)

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._sampler.sample_independent(
            self._view(study), trial, param_name, param_distribution
        )

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        study.set_trial_system_attr(trial, STEP_NAME_KEY, self._step_name)
        self._sampler.before_trial(self._view(study), trial)

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._sampler.after_trial(self._view(study), trial, state, values)

    def reseed_rng(self) -> None:
        self._sampler.reseed_rng()

    def __repr__(self) -> str:
        return f"StageSampler({self._sampler!r}, {self._step_name!r})"


def stage_study(study: Study, sampler: StageSampler) -> Study:
    """A second handle on ``study`` (same storage, same pruner) that samples with ``sampler``.

    The user's study keeps its own sampler; trials made through the handle are the study's.
    """
    return Study(
        study.study_name, storage=core_of(study).storage, sampler=sampler, pruner=study.pruner
    )
