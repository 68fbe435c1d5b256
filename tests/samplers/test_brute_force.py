"""Tests of ``BruteForceSampler``: every combination of a finite space once, then the study stops."""

from __future__ import annotations

import copy
import itertools
import json
import math
import pickle
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.samplers import BaseSampler, BruteForceSampler
from podbor.testing import RestrictedStudyView
from podbor.trial import Trial, TrialState, create_trial

# The conditional space: a=0 → b (5 values), a=1 → c (3 values), a=2 → nothing: 9 combinations.
CONDITIONAL: list[dict[str, Any]] = [
    {"a": 0, "b": -1.0},
    {"a": 0, "b": -0.5},
    {"a": 0, "b": 0.0},
    {"a": 0, "b": 0.5},
    {"a": 0, "b": 1.0},
    {"a": 1, "c": "x"},
    {"a": 1, "c": "y"},
    {"a": 1, "c": None},
    {"a": 2},
]


def _conditional(trial: Trial, *, outcome: str = "complete") -> float:
    a = trial.suggest_int("a", 0, 2)
    if a == 0:
        value = a + trial.suggest_float("b", -1.0, 1.0, step=0.5)
    elif a == 1:
        value = float(trial.suggest_categorical("c", ["x", "y", None]) == "x")
    else:
        value = 2.0 * a
    if outcome == "prune":
        raise podbor.TrialPruned()
    return math.nan if outcome == "nan" else value


def _key(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(params.items()))


def _assert_each_once(study: podbor.Study, expected: list[dict[str, Any]]) -> None:
    seen = [_key(t.params) for t in study.trials]
    assert sorted(seen, key=repr) == sorted(map(_key, expected), key=repr)


# -- enumeration --------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Trial .* failed:UserWarning")
@pytest.mark.parametrize("seed", [None, 0, 1, 2**40], ids=["unseeded", "0", "1", "large"])
@pytest.mark.parametrize("outcome", ["complete", "prune", "nan"])
def test_conditional_space_each_combination_once_then_stop(seed: int | None, outcome: str) -> None:
    """PRUNED and FAILed combinations count as tried: none is retried, and the study stops."""
    study = podbor.create_study(sampler=BruteForceSampler(seed=seed))
    study.optimize(lambda t: _conditional(t, outcome=outcome), n_trials=100)
    _assert_each_once(study, CONDITIONAL)


def test_seed_fixes_the_order_and_seeds_differ() -> None:
    def order(seed: int) -> list[tuple[tuple[str, Any], ...]]:
        study = podbor.create_study(sampler=BruteForceSampler(seed=seed))
        study.optimize(_conditional)
        return [_key(t.params) for t in study.trials]

    assert order(3) == order(3)
    assert len({tuple(order(seed)) for seed in range(6)}) > 1


def test_a_stepped_float_visits_its_grid_including_high() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 0.3, step=0.1))
    assert sorted(t.params["x"] for t in study.trials) == [0.0, 0.1, 0.2, 0.3]


def test_a_huge_grid_is_never_built() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("x", 0, 10**15), n_trials=20)
    values = [t.params["x"] for t in study.trials]
    assert len(set(values)) == 20 and all(0 <= v <= 10**15 for v in values)


def test_nan_and_infinite_choices_are_values_like_any_other() -> None:
    choices = [math.inf, -math.inf, math.nan, None]
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(
        lambda t: sum(0 * (t.suggest_categorical(f"c{i}", choices) is None) for i in range(2))
    )
    assert len(study.trials) == len(choices) ** 2


def test_multi_objective() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"], sampler=BruteForceSampler())
    study.optimize(lambda t: (t.suggest_int("x", 0, 3), t.suggest_int("y", 0, 1)))
    assert len(study.trials) == 8


# -- what counts as tried -----------------------------------------------------------------------
def test_added_and_enqueued_trials_count() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    study.add_trial(
        create_trial(
            params={"a": 0, "b": -1.0},
            distributions={
                "a": IntDistribution(0, 2),
                "b": FloatDistribution(-1.0, 1.0, step=0.5),
            },
            value=0.0,
        )
    )
    study.enqueue_trial({"a": 1, "c": "y"})
    study.optimize(_conditional)
    _assert_each_once(study, CONDITIONAL)


def test_an_enqueued_trial_in_an_exhausted_subtree_still_gets_a_value() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    for params in ({"x": 0, "y": 0}, {"x": 0, "y": 1}, {"x": 0}):
        study.enqueue_trial(params)
    study.optimize(lambda t: t.suggest_int("x", 0, 1) + t.suggest_int("y", 0, 1))
    assert {_key(t.params) for t in study.trials} == {
        _key({"x": x, "y": y}) for x, y in itertools.product((0, 1), (0, 1))
    }


def test_an_off_grid_enqueued_value_takes_no_grid_point() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    study.enqueue_trial({"x": 0.25})
    with pytest.warns(UserWarning, match="used as given"):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0, step=0.5))
    assert sorted(float(t.params["x"]) for t in study.trials) == [0.0, 0.25, 0.5, 1.0]


def test_running_trials_hold_their_values() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    trials = [study.ask() for _ in range(3)]
    values = [str(t.suggest_categorical("x", ["a", "b", "c"])) for t in trials]
    assert sorted(values) == ["a", "b", "c"]


@pytest.mark.parametrize("avoid_premature_stop", [False, True])
def test_when_a_running_trial_stops_the_study(avoid_premature_stop: bool) -> None:
    """By default a running trial counts as complete; with ``avoid_premature_stop`` it may grow."""
    sampler = BruteForceSampler(seed=0, avoid_premature_stop=avoid_premature_stop)
    study = podbor.create_study(sampler=sampler)
    first, second = study.ask(), study.ask()
    x = first.suggest_int("x", 0, 1)
    assert second.suggest_int("x", 0, 1) == 1 - x
    stops: list[int] = []
    study.stop = lambda: stops.append(1)  # type: ignore[method-assign]
    study.tell(first, 0.0)
    assert stops == ([] if avoid_premature_stop else [1])
    study.tell(second, 0.0)
    assert stops == [1] * (1 if avoid_premature_stop else 2)


def test_threads_share_the_values() -> None:
    """A value is held from the moment it is handed out; only trials started after the last one
    was handed out repeat one (one parameter: no running trial is cut short by the stop)."""

    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 11)
        time.sleep(0.002)  # let the other workers interleave
        return float(x)

    n_jobs = 3
    study = podbor.create_study(sampler=BruteForceSampler())
    study.optimize(objective, n_trials=50, n_jobs=n_jobs)
    counts = Counter(t.params["x"] for t in study.trials)
    assert sorted(counts) == list(range(12))
    assert sum(counts.values()) - len(counts) <= n_jobs - 1


# -- errors -------------------------------------------------------------------------------------
def test_a_float_without_step_is_refused() -> None:
    study = podbor.create_study(sampler=BruteForceSampler())
    with pytest.raises(ValueError, match="finite search space"):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 2.0))


def test_a_one_point_float_without_step_is_fine() -> None:
    sampler = BruteForceSampler(seed=0)
    study = podbor.create_study(sampler=sampler)
    trial = study.ask()
    frozen = study.get_trials()[trial.number]
    assert sampler.sample_independent(study, frozen, "x", FloatDistribution(1.5, 1.5)) == 1.5


def test_a_changing_range_is_refused() -> None:
    study = podbor.create_study(sampler=BruteForceSampler())
    with pytest.raises(ValueError, match="range of 'x' changed"):
        study.optimize(lambda t: t.suggest_int("x", -1, t.number), n_trials=10)


def test_a_running_trial_with_another_range_is_refused() -> None:
    study = podbor.create_study(sampler=BruteForceSampler())
    study.ask({"x": FloatDistribution(0.0, 0.3, step=0.1)})  # left RUNNING
    with pytest.raises(ValueError, match="range of 'x' changed"):
        study.ask({"x": FloatDistribution(0.0, 0.3, step=0.15)})


@pytest.mark.parametrize(
    ("stored", "suggested"),
    [(["x0"], ["x0", "x1"]), (["x0", "x1"], ["x0"])],
    ids=["grows", "shrinks"],
)
def test_a_changing_set_of_parameters_is_refused(stored: list[str], suggested: list[str]) -> None:
    dist = IntDistribution(0, 0)
    study = podbor.create_study(sampler=BruteForceSampler())
    study.add_trial(
        create_trial(
            params=dict.fromkeys(stored, 0), distributions=dict.fromkeys(stored, dist), value=0.0
        )
    )
    with pytest.raises(ValueError, match="same search space"):
        study.optimize(lambda t: sum(t.suggest_int(n, 0, 0) for n in suggested), n_trials=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": -1}, "'seed' parameter of BruteForceSampler"),
        ({"seed": 1.5}, "'seed' parameter of BruteForceSampler"),
        ({"avoid_premature_stop": 1}, "'avoid_premature_stop' parameter of BruteForceSampler"),
    ],
    ids=["negative-seed", "float-seed", "int-flag"],
)
def test_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        BruteForceSampler(**kwargs)


# -- state --------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_visit_the_same_order(how: str) -> None:
    sampler = BruteForceSampler(seed=7)
    copied = copy.deepcopy(sampler) if how == "deepcopy" else pickle.loads(pickle.dumps(sampler))
    orders = []
    for s in (sampler, copied):
        study = podbor.create_study(sampler=s)
        study.optimize(_conditional)
        orders.append([_key(t.params) for t in study.trials])
    assert orders[0] == orders[1]


def test_one_sampler_serves_two_studies_one_after_the_other() -> None:
    sampler = BruteForceSampler(seed=0)
    for _ in range(2):
        study = podbor.create_study(sampler=sampler)
        study.optimize(_conditional)
        _assert_each_once(study, CONDITIONAL)


def test_state_lives_in_the_trials_as_json() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(_conditional)
    json.dumps(study.system_attrs)
    for trial in study.get_trials():
        json.dumps(trial.system_attrs)
    # Another sampler (say, in another process) reads the same state: nothing is open, so it
    # stops the study after one (repeated) trial.
    study.sampler = BruteForceSampler(seed=1)
    study.optimize(_conditional, n_trials=5)
    assert len(study.trials) == 9 + 1


def test_repr() -> None:
    assert (
        repr(BruteForceSampler(seed=3)) == "BruteForceSampler(seed=3, avoid_premature_stop=False)"
    )


def test_states_other_than_finished_and_running_are_ignored() -> None:
    study = podbor.create_study(sampler=BruteForceSampler(seed=0))
    study.enqueue_trial({"x": "a"})  # WAITING until optimize claims it
    assert study.get_trials()[0].state == TrialState.WAITING
    study.optimize(lambda t: float(t.suggest_categorical("x", ["a", "b"]) == "a"))
    assert sorted(str(t.params["x"]) for t in study.trials) == ["a", "b"]
    assert isinstance(study.trials[0].distributions["x"], CategoricalDistribution)


# -- the sampler contract on a finite space (the conformance suite's space has continuous floats) --
class _Restricted(BaseSampler):
    """Hand the sampler under test exactly the StudyView protocol, nothing more."""

    def __init__(self, inner: BaseSampler) -> None:
        self.inner = inner

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self.inner.infer_relative_search_space(RestrictedStudyView(study), trial)

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self.inner.sample_relative(RestrictedStudyView(study), trial, search_space)

    def sample_independent(
        self, study: StudyView, trial: FrozenTrial, name: str, dist: BaseDistribution
    ) -> Any:
        return self.inner.sample_independent(RestrictedStudyView(study), trial, name, dist)

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        self.inner.before_trial(RestrictedStudyView(study), trial)

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.inner.after_trial(RestrictedStudyView(study), trial, state, values)


FINITE = {
    "step_float": FloatDistribution(-0.5, 0.7, step=0.4),
    "int": IntDistribution(-1, 1),
    "log_int": IntDistribution(1, 4, log=True),
    "step_int": IntDistribution(0, 12, step=6),
    "categorical": CategoricalDistribution((None, True, 1.0)),
}
N_FINITE = 4 * 3 * 4 * 3 * 3


def _suggest_finite(trial: Trial) -> float:
    total = 0.0
    for name, dist in FINITE.items():
        if isinstance(dist, FloatDistribution):
            total += trial.suggest_float(name, dist.low, dist.high, step=dist.step)
        elif isinstance(dist, IntDistribution):
            total += trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
        elif isinstance(dist, CategoricalDistribution):
            total += len(repr(trial.suggest_categorical(name, dist.choices)))
    return total


def test_contract_on_a_finite_space_through_the_study_view_only() -> None:
    """Values of the right type inside each distribution, every combination once, and the same
    with a history of pruned, failed, running, infinite-valued and enqueued trials."""
    study = podbor.create_study(sampler=_Restricted(BruteForceSampler(seed=42)))
    prefix = {"step_float": -0.5, "int": 0}  # a trial that failed half-way
    study.add_trial(
        create_trial(
            state=TrialState.FAIL,
            params=prefix,
            distributions={n: FINITE[n] for n in prefix},
        )
    )
    full_params = {"step_float": 0.3, "int": 1, "log_int": 2, "step_int": 6, "categorical": 1.0}
    study.add_trial(create_trial(params=full_params, distributions=dict(FINITE), value=math.inf))
    study.enqueue_trial({"categorical": True})  # a partial enqueue
    running = study.ask()
    _suggest_finite(running)

    def objective(trial: Trial) -> float:
        value = _suggest_finite(trial)
        if trial.number % 7 == 0:
            raise podbor.TrialPruned()
        return value

    study.optimize(objective, n_trials=N_FINITE + 10)
    trials = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING))
    full = [t for t in trials if set(t.params) == set(FINITE)]
    # The trial that failed half-way closed its subtree (4 * 3 * 3 combinations), as in Optuna.
    assert len({repr(_key(t.params)) for t in full}) == len(full) == N_FINITE - 4 * 3 * 3
    assert full[1].params["categorical"] is True  # the enqueued trial, after the added one
    for trial in full:
        for name, value in trial.params.items():
            assert FINITE[name].contains_external(value)
            assert type(value) is {FloatDistribution: float, IntDistribution: int}.get(
                type(FINITE[name]), type(value)
            )


def test_reseed_rng_keeps_working() -> None:
    sampler = BruteForceSampler(seed=0)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_conditional, n_trials=4)
    sampler.reseed_rng()
    study.optimize(_conditional)
    _assert_each_once(study, CONDITIONAL)


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_storages_that_return_parameters_in_another_order(kind: str, tmp_path: Path) -> None:
    """A database returns a trial's parameters by name; the sampler puts them back in the order
    they were suggested (here 'z' decides whether 'b' comes, and sorts after both)."""

    def objective(trial: Trial) -> float:
        z = trial.suggest_int("z", 0, 2)
        b = trial.suggest_int("b", 0, 2) if z else 0
        return z + b + trial.suggest_int("a", 0, 1)

    storage: str | podbor.storages.BaseStorage = f"sqlite:///{tmp_path / 'bf.db'}"
    if kind == "journal":
        backend = podbor.storages.journal.JournalFileBackend(str(tmp_path / "bf.journal"))
        storage = podbor.storages.JournalStorage(backend)
    study = podbor.create_study(storage=storage, sampler=BruteForceSampler(seed=0))
    study.optimize(objective)
    assert len({repr(_key(t.params)) for t in study.trials}) == len(study.trials) == 2 + 2 * 6
