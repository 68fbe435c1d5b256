"""Tests of what every built-in sampler shares (``samplers/_base.py``, ``samplers/_common.py``):
one seed rule, one shape of the independent-sampling warning, hooks that reach the samplers a
sampler is built from, copies without study caches, and the cache of seen finished trials."""

from __future__ import annotations

import copy
import logging
import pickle
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import podbor
from podbor._study_view import StudyView
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import (
    AutoSampler,
    BaseSampler,
    GPSampler,
    GridSampler,
    PartialFixedSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from podbor.samplers._common import SeenTrials
from podbor.trial import BaseTrial, FrozenTrial, TrialState

SEEDED: dict[str, Callable[[Any], BaseSampler]] = {
    "RandomSampler": lambda seed: RandomSampler(seed=seed),
    "GridSampler": lambda seed: GridSampler({"x": [0, 1]}, seed=seed),
    "QMCSampler": lambda seed: QMCSampler(seed=seed),
    "TPESampler": lambda seed: TPESampler(seed=seed),
    "GPSampler": lambda seed: GPSampler(seed=seed),
    "AutoSampler": lambda seed: AutoSampler(seed=seed),
}


# -- the seed rule ------------------------------------------------------------------------------
@pytest.mark.parametrize("owner", SEEDED)
@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", [1]], ids=repr)
def test_every_sampler_refuses_the_same_seeds(owner: str, seed: Any) -> None:
    expected = f"The 'seed' parameter of {owner} must be an int >= 0 or None. Got {seed!r} instead."
    with pytest.raises(InvalidArgumentError, match=re.escape(expected)):
        SEEDED[owner](seed)


@pytest.mark.parametrize("owner", SEEDED)
@pytest.mark.parametrize("seed", [None, 0, np.int64(7)], ids=repr)
def test_every_sampler_accepts_the_same_seeds(owner: str, seed: Any) -> None:
    shown = "None" if seed is None else str(int(seed))
    assert f"seed={shown}" in repr(SEEDED[owner](seed))


def test_a_numpy_seed_gives_the_draws_of_the_same_int() -> None:
    def draws(seed: Any) -> list[Any]:
        study = podbor.create_study(sampler=RandomSampler(seed=seed))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        return [t.params for t in study.trials]

    assert draws(np.int64(5)) == draws(5)


# -- one shape of the independent-sampling warning -----------------------------------------------
def _conditional(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    return x + (trial.suggest_float("y", 0.0, 1.0) if trial.number % 2 else 0.0)


_SHAPE = re.compile(
    r"(?P<owner>\w+) samples the parameter 'y' of trial \d+ independently, with (?P<by>.+): "
    r"(?P<reason>.+)\. This is logged once per parameter; "
    r"pass warn_independent_sampling=False to silence it\."
)


@pytest.mark.parametrize(
    ("make", "by"),
    [
        pytest.param(
            lambda: TPESampler(
                seed=0, n_startup_trials=2, group=False, warn_independent_sampling=True
            ),
            "a univariate Parzen estimator",
            id="TPESampler",
        ),
        pytest.param(
            lambda: GPSampler(seed=0, n_startup_trials=2),
            "RandomSampler(seed=0)",
            id="GPSampler",
        ),
        pytest.param(lambda: QMCSampler(seed=0), "RandomSampler(seed=0)", id="QMCSampler"),
    ],
)
def test_independent_sampling_is_logged_once_in_one_shape(
    podbor_log: pytest.LogCaptureFixture, make: Callable[[], BaseSampler], by: str
) -> None:
    sampler = make()
    study = podbor.create_study(sampler=sampler)
    study.optimize(_conditional, n_trials=8)
    messages = [
        r.getMessage()
        for r in podbor_log.records
        if r.levelno == logging.WARNING and "independently" in r.getMessage()
    ]
    assert len(messages) == 1
    match = _SHAPE.fullmatch(messages[0])
    assert match is not None, messages[0]
    assert match["owner"] == type(sampler).__name__ and match["by"] == by


@pytest.mark.parametrize(
    "make",
    [
        lambda: TPESampler(
            seed=0, n_startup_trials=2, group=False, warn_independent_sampling=False
        ),
        lambda: GPSampler(seed=0, n_startup_trials=2, warn_independent_sampling=False),
        lambda: QMCSampler(seed=0, warn_independent_sampling=False),
    ],
    ids=["TPESampler", "GPSampler", "QMCSampler"],
)
def test_the_warning_is_silenced_the_same_way(
    podbor_log: pytest.LogCaptureFixture, make: Callable[[], BaseSampler]
) -> None:
    study = podbor.create_study(sampler=make())
    study.optimize(_conditional, n_trials=8)
    assert not [r for r in podbor_log.records if "independently" in r.getMessage()]


# -- hooks reach the samplers a sampler is built from -------------------------------------------
class _Spy(RandomSampler):
    def __init__(self) -> None:
        super().__init__(seed=0)
        self.calls: list[str] = []

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        self.calls.append(f"before {trial.number}")

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.calls.append(f"after {trial.number} {state.name}")

    def reseed_rng(self) -> None:
        self.calls.append("reseed")


@pytest.mark.parametrize(
    "wrap",
    [
        lambda spy: QMCSampler(seed=0, independent_sampler=spy),
        lambda spy: GPSampler(seed=0, independent_sampler=spy),
        lambda spy: PartialFixedSampler({"x": 0.5}, spy),
    ],
    ids=["QMCSampler", "GPSampler", "PartialFixedSampler"],
)
def test_hooks_reach_the_inner_sampler(wrap: Callable[[_Spy], BaseSampler]) -> None:
    spy = _Spy()
    sampler = wrap(spy)
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    sampler.reseed_rng()
    assert spy.calls == ["before 0", "after 0 COMPLETE", "before 1", "after 1 COMPLETE", "reseed"]


def test_reseeding_draws_a_fresh_generator() -> None:
    sampler = RandomSampler(seed=0)
    state = sampler._rng.bit_generator.state
    sampler.reseed_rng()
    assert sampler._rng.bit_generator.state != state


# -- copies keep the settings and forget the study ----------------------------------------------
FRESH: dict[str, Callable[[Any], bool]] = {
    "TPESampler": lambda s: len(s._history) == 0,
    "GPSampler": lambda s: (
        s._training is None and s._fit_state is None and not s._pending and not s._unmodelled
    ),
    "AutoSampler": lambda s: s._history.n_finished == 0 and not s._decisions,
}


@pytest.mark.parametrize("owner", FRESH)
def test_copies_and_pickles_leave_the_study_caches_out(owner: str) -> None:
    sampler = SEEDED[owner](3)
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    assert not FRESH[owner](sampler)
    for clone in (copy.deepcopy(sampler), pickle.loads(pickle.dumps(sampler))):
        assert repr(clone) == repr(sampler)
        assert set(type(sampler)._STUDY_CACHES) <= set(vars(clone))
        assert FRESH[owner](clone)


# -- the cache of seen finished trials ----------------------------------------------------------
def _finished(n: int) -> list[FrozenTrial]:
    study = podbor.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def test_seen_trials_takes_each_trial_once_in_order() -> None:
    trials = _finished(5)
    seen = SeenTrials()
    assert [t.number for t in seen.take_new(trials[:2])] == [0, 1]
    assert [t.number for t in seen.take_new(trials)] == [2, 3, 4]
    assert seen.take_new(trials) == [] and len(seen) == 5


def test_seen_trials_tells_another_study() -> None:
    trials = _finished(3)
    seen = SeenTrials()
    assert seen.same_study(trials)  # nothing taken yet: any study
    seen.take_new(trials)
    assert seen.same_study(trials)
    assert not seen.same_study(trials[:2])  # fewer finished trials: not this study
    assert not seen.same_study(_finished(3))  # the same numbers, other trials


def test_seen_trials_finds_late_finishers_anywhere_in_the_list() -> None:
    """New trials are looked for from the end of the list (O(new) for a long history); one that
    finished late, with a low number, is found wherever it sits, and in any order of the list."""
    trials = _finished(8)
    seen = SeenTrials()
    first = [trials[i] for i in (0, 1, 3, 4, 6)]  # 2 and 5 still running, 7 not started
    assert [t.number for t in seen.take_new(first)] == [0, 1, 3, 4, 6]
    assert [t.number for t in seen.take_new(trials[:7])] == [2, 5]
    assert [t.number for t in seen.take_new(trials[::-1])] == [7]  # any order
    assert seen.take_new(trials) == [] and len(seen) == 8
