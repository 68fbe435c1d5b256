"""Tests of ``GPSampler``: the conformance suite, arguments, degenerate histories, parallel
proposals, deterministic objectives, warnings, and that it beats random search on a smooth problem."""

from __future__ import annotations

import logging
import math
import pickle
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import BaseSampler, GPSampler, RandomSampler
from podbor.testing.samplers import SamplerConformance
from podbor.trial import BaseTrial, FrozenTrial, Trial, TrialState, create_trial

DISTS: dict[str, BaseDistribution] = {
    "x": FloatDistribution(-2.0, 2.0),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "n": IntDistribution(0, 6),
    "kind": CategoricalDistribution(("a", "b", "c")),
}


class TestGPConformance(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return GPSampler(seed=seed)


def _suggest(trial: BaseTrial) -> dict[str, Any]:
    return {
        "x": trial.suggest_float("x", -2.0, 2.0),
        "lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
        "n": trial.suggest_int("n", 0, 6),
        "kind": trial.suggest_categorical("kind", ("a", "b", "c")),
    }


def _study_with(history: list[tuple[dict[str, Any], float]], **kwargs: Any) -> podbor.Study:
    sampler = GPSampler(seed=0, n_startup_trials=1, **kwargs)
    study = podbor.create_study(sampler=sampler)
    for params, value in history:
        study.add_trial(create_trial(params=params, distributions=DISTS, value=value))
    return study


def _inside(params: dict[str, Any]) -> bool:
    return all(DISTS[name].contains_external(value) for name, value in params.items())


# -- arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"seed": "0"}, "seed"),
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"n_startup_trials": 2.5}, "n_startup_trials"),
        ({"n_startup_trials": True}, "n_startup_trials"),
        ({"acquisition": "EI"}, "acquisition"),
        ({"beta": -1.0}, "beta"),
        ({"beta": math.nan}, "beta"),
        ({"beta": "2"}, "beta"),
        ({"independent_sampler": "random"}, "independent_sampler"),
    ],
    ids=lambda v: str(v),
)
def test_invalid_arguments_are_refused(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"'{argument}' parameter of GPSampler"):
        GPSampler(**kwargs)


def test_repr_names_the_settings() -> None:
    text = repr(GPSampler(seed=3, acquisition="ucb", beta=2.0))
    assert "seed=3" in text and "'ucb'" in text and "beta=2.0" in text


# -- degenerate histories -----------------------------------------------------------------------
_P = {"x": 0.5, "lr": 0.01, "n": 3, "kind": "b"}
_Q = {"x": -1.0, "lr": 0.5, "n": 0, "kind": "a"}
_R = {"x": 1.5, "lr": 1e-3, "n": 6, "kind": "c"}


@pytest.mark.parametrize(
    "history",
    [
        [(_P, 1.0)],
        [(_P, 2.0), (_Q, 2.0), (_R, 2.0)],
        [(_P, 1.0), (_P, 3.0), (_P, 2.0)],
        [(_P, 1.0), (_P, 1.0), (_Q, 1.0)],
        [(_P, math.inf), (_Q, -math.inf), (_R, 0.5)],
        [(_P, math.inf), (_Q, math.inf)],
        [(_P, 1e300), (_Q, -1e300), (_R, 0.0)],
    ],
    ids=[
        "one_point",
        "all_equal",
        "duplicates",
        "duplicates_equal",
        "infinities",
        "all_inf",
        "huge",
    ],
)
@pytest.mark.parametrize("deterministic", [False, True], ids=["noisy", "deterministic"])
def test_degenerate_history_gives_a_sensible_proposal(
    history: list[tuple[dict[str, Any], float]], deterministic: bool
) -> None:
    study = _study_with(history, deterministic_objective=deterministic)
    trial = study.ask()
    params = _suggest(trial)
    assert _inside(params)
    assert set(trial.relative_params) == set(DISTS)  # the GP proposed them, no fallback
    if deterministic:
        assert all(params != p for p, _ in history)


# -- deterministic objectives and parallel proposals ---------------------------------------------
def test_deterministic_objective_never_reproposes_an_evaluated_point() -> None:
    study = podbor.create_study(
        sampler=GPSampler(seed=1, n_startup_trials=2, deterministic_objective=True)
    )
    study.enqueue_trial({"a": 0, "b": 0})
    study.enqueue_trial({"a": 3, "b": 3})

    def objective(trial: BaseTrial) -> float:
        a, b = trial.suggest_int("a", 0, 3), trial.suggest_int("b", 0, 3)
        return (a - 1) ** 2 + (b - 2) ** 2

    study.optimize(objective, n_trials=16)  # the whole 4 x 4 grid
    points = {(t.params["a"], t.params["b"]) for t in study.trials}
    assert len(points) == 16


def _corner(trial: BaseTrial) -> float:
    return sum(trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3))


def _zdt2(trial: BaseTrial) -> tuple[float, float]:
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)]
    g = 1.0 + 4.5 * (x[1] + x[2])
    return x[0], g * (1.0 - (x[0] / g) ** 2)


def _conditional_corner(trial: BaseTrial) -> float:
    kind = trial.suggest_categorical("kind", ["a", "b"])
    return (kind == "b") + sum(trial.suggest_float(f"{kind}{i}", 0.0, 1.0) for i in range(2))


@pytest.mark.parametrize(
    ("objective", "directions", "sampler_class"),
    [
        (_corner, ["minimize"], GPSampler),
        (_corner, ["minimize"], podbor.samplers.AutoSampler),
        (_zdt2, ["minimize", "minimize"], GPSampler),
        (_zdt2, ["minimize", "minimize"], podbor.samplers.AutoSampler),
        (_conditional_corner, ["minimize"], podbor.samplers.AutoSampler),  # one GP per branch
    ],
    ids=["one objective", "default", "two objectives", "default, two", "default, branches"],
)
def test_a_point_whose_repeat_gave_the_same_values_is_not_proposed_again(
    objective: Any, directions: list[str], sampler_class: Any
) -> None:
    """The optimum sits on a corner of the cube, where the learned noise term keeps the
    acquisition above zero: before, 28 of 40 trials (one objective), 13 of 40 (ZDT2) and 22 of
    40 (two branches) were the same corner. Once a repeat gives the same values, a tried point
    is not proposed again."""
    study = podbor.create_study(directions=directions, sampler=sampler_class(seed=0))
    study.optimize(objective, n_trials=40)
    counts: dict[tuple[float, ...], int] = {}
    for trial in study.trials:
        key = tuple(trial.params.values())
        counts[key] = counts.get(key, 0) + 1
    assert max(counts.values()) <= 2


def test_a_noisy_objective_may_still_repeat_a_point() -> None:
    """Repeats that gave different values are information: they stay allowed (the proposal of a
    tried point is still possible); only agreeing repeats rule them out."""
    from podbor.samplers._gp.noise_evidence import repeats_agree

    x = np.array([[0.0, 0.0], [0.0, 0.0], [0.5, 0.5], [0.5, 0.5]])
    assert repeats_agree(x, np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0], [3.0, 4.0]]))
    assert not repeats_agree(x, np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0], [3.0, 4.5]]))
    # the same point to 9 decimals (L-BFGS-B stops a hair off a bound), values a hair apart
    nearly = x + np.array([[0.0], [1e-12], [0.0], [0.0]])
    assert repeats_agree(nearly, np.array([0.0, 1e-12, 3.0, 3.0]))
    rng = np.random.default_rng(0)
    study = podbor.create_study(sampler=GPSampler(seed=0))
    study.optimize(lambda t: _corner(t) + float(rng.normal(0.0, 0.3)), n_trials=40)
    counts: dict[tuple[float, ...], int] = {}
    for trial in study.trials:
        key = tuple(trial.params.values())
        counts[key] = counts.get(key, 0) + 1
    assert max(counts.values()) > 2


def test_exhausted_deterministic_space_falls_back_without_error() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=1, deterministic_objective=True)
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: float(t.suggest_categorical("c", [0, 1])), n_trials=6)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize("deterministic", [False, True])
def test_once_every_configuration_is_tried_the_relative_proposal_repeats_one(
    deterministic: bool,
) -> None:
    """A 3 x 3 grid: 9 distinct proposals, then tried ones again (not an empty proposal that
    would leave the parameters to random sampling)."""
    space = {
        "x": CategoricalDistribution([1, 10, 100]),
        "y": CategoricalDistribution([-1, -10, -100]),
    }
    sampler = GPSampler(seed=0, n_startup_trials=0, deterministic_objective=deterministic)
    study = podbor.create_study(sampler=sampler)
    trial = study.ask(space)
    study.tell(trial, sum(trial.params.values()))
    seen = {tuple(trial.params.values())}
    for _ in range(12):  # running trials count as tried
        running = study.ask(space)
        assert running.relative_params == running.params
        seen.add((running.params["x"], running.params["y"]))
    assert len(seen) == 9


def test_running_trials_are_fantasized_so_four_asks_give_four_points() -> None:
    rng = np.random.default_rng(0)
    history = [
        ({"x": float(x), "lr": 0.01, "n": 3, "kind": "a"}, float((x - 0.5) ** 2))
        for x in rng.uniform(-2, 2, 8)
    ]
    study = _study_with(history)
    trials: list[Trial] = [study.ask() for _ in range(4)]
    proposals = []
    for trial in trials:  # each suggests while the others are still RUNNING
        proposals.append(tuple(_suggest(trial).values()))
        assert trial.relative_params
    assert len(set(proposals)) == 4


def _two_workers(seed_b: int = 0) -> tuple[podbor.Study, podbor.Study, podbor.Study]:
    """One study on one storage, opened by two "worker processes" with their own GPSampler."""
    rng = np.random.default_rng(0)
    history = [
        ({"x": float(x), "lr": 0.01, "n": 3, "kind": "a"}, float((x - 0.5) ** 2))
        for x in rng.uniform(-2, 2, 8)
    ]
    first = _study_with(history)
    storage, name = first._storage, first.study_name
    a = podbor.load_study(
        study_name=name, storage=storage, sampler=GPSampler(seed=0, n_startup_trials=1)
    )
    b = podbor.load_study(
        study_name=name, storage=storage, sampler=GPSampler(seed=seed_b, n_startup_trials=1)
    )
    return first, a, b


def test_a_worker_that_cannot_see_another_workers_point_takes_the_next_one() -> None:
    # Workers in two processes with the same seed and the same history: A's trial is running
    # and A has chosen its point, but not stored it yet (A is still choosing, for all B knows).
    _, a, b = _two_workers()
    trial_a, trial_b = a.ask(), b.ask()
    point_a = trial_a.relative_params  # chosen, not stored
    point_b = trial_b.relative_params  # B sees trial_a running with no parameters: "blind"
    assert point_a["x"] != point_b["x"]
    # Alone, B would have proposed A's point exactly (same seed, same history): the two
    # evaluations would have been one.
    alone = _two_workers()[2].ask()
    assert alone.relative_params == point_a


def test_a_workers_own_unsampled_trials_and_later_trials_are_not_blind() -> None:
    _, a, b = _two_workers()
    own_earlier, mine, later_b = a.ask(), a.ask(), b.ask()
    alone = _two_workers()[1]
    alone.ask()  # a trial of its own before, as ``own_earlier``
    expected = alone.ask().relative_params
    del own_earlier, later_b  # A's own earlier trial will see this one's point; B's is later
    assert mine.relative_params == expected


def _proposal_behind_a_blank_trial(extra: int, constrained: bool, blind: bool) -> dict[str, Any]:
    """The point a two-objective GPSampler proposes for the trial after one that another
    worker has just created (RUNNING, its parameters not stored yet: "blind"), or after the
    same trial once it FAILED (not blind)."""
    rng = np.random.default_rng(1)
    storage = podbor.storages.InMemoryStorage()

    def constraints(trial: FrozenTrial) -> list[float]:
        return [trial.params["x"] - 1.0]

    sampler = GPSampler(
        seed=0, n_startup_trials=1, constraints_func=constraints if constrained else None
    )
    study = podbor.create_study(
        storage=storage, directions=["minimize", "minimize"], sampler=sampler
    )
    for x, y in rng.uniform(-2, 2, (10 + extra, 2)):
        study.add_trial(
            create_trial(
                params={"x": float(x), "y": float(y)},
                distributions={"x": FloatDistribution(-2, 2), "y": FloatDistribution(-2, 2)},
                values=[float(x * x + y * y), float((x - 1) ** 2 + (y - 1) ** 2)],
                system_attrs={"constraints": [float(x - 1.0)]} if constrained else None,
            )
        )
    other = storage.create_new_trial(study._study_id)  # another process's worker, choosing
    if not blind:
        storage.set_trial_state_values(other, TrialState.FAIL)
    trial = study.ask()
    return {name: trial.suggest_float(name, -2, 2) for name in ("x", "y")}


@pytest.mark.parametrize("constrained", [False, True], ids=["free", "constrained"])
@pytest.mark.parametrize("extra", [0, 1], ids=["ehvi", "scalarized"])
def test_with_two_objectives_a_blind_worker_takes_the_believers_next_point(
    extra: int, constrained: bool
) -> None:
    # Trial 11 (log-EHVI) or 12 (a scalarization's log-EI), behind the blank trial 10 or 11.
    behind_blind = _proposal_behind_a_blank_trial(extra, constrained, blind=True)
    behind_failed = _proposal_behind_a_blank_trial(extra, constrained, blind=False)
    # The same history, seed and trial number: only the believer's extra step differs.
    assert behind_blind != behind_failed


def test_parallel_workers_propose_distinct_points() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=4, deterministic_objective=True)
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.2) ** 2, n_trials=16, n_jobs=4)
    xs = [t.params["x"] for t in study.trials]
    assert len(set(xs)) == 16


# -- directions, acquisitions, quality -------------------------------------------------------------
@pytest.mark.parametrize("acquisition", ["logei", "ei", "pi", "ucb"])
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_every_acquisition_finds_a_1d_optimum(acquisition: str, direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    sampler = GPSampler(seed=0, n_startup_trials=4, acquisition=acquisition)
    study = podbor.create_study(sampler=sampler, direction=direction)
    study.optimize(lambda t: sign * (t.suggest_float("x", -3, 3) - 1.0) ** 2, n_trials=14)
    assert abs(study.best_params["x"] - 1.0) < 0.1


def _branin(trial: BaseTrial) -> float:
    x, y = trial.suggest_float("x", -5, 10), trial.suggest_float("y", 0, 15)
    a, b, c = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 - 1 / (8 * math.pi)
    return (y - a * x * x + b * x - 6) ** 2 + 10 * c * math.cos(x) + 10 - 0.397887


def test_gp_beats_random_search_on_a_smooth_2d_problem() -> None:
    def best(sampler: BaseSampler) -> float:
        study = podbor.create_study(sampler=sampler)
        study.optimize(_branin, n_trials=25)
        return study.best_value

    gp = np.median([best(GPSampler(seed=s)) for s in range(3)])
    rand = np.median([best(RandomSampler(seed=s)) for s in range(3)])
    assert gp < 0.1 and gp < 0.2 * rand


# -- fallbacks and warnings ----------------------------------------------------------------------
def _conditional(trial: BaseTrial) -> float:
    if trial.suggest_categorical("branch", ["a", "b"]) == "a":
        return trial.suggest_float("u", 0, 1)
    return trial.suggest_float("v", 0, 1) + 0.5


def _warnings(log: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in log.records if r.levelno == logging.WARNING and f"'{name}'" in r.message]


def test_parameters_outside_the_joint_space_warn_once(podbor_log: pytest.LogCaptureFixture) -> None:
    study = podbor.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(_conditional, n_trials=12)
    assert len(_warnings(podbor_log, "u")) == 1
    assert len(_warnings(podbor_log, "v")) == 1
    assert not _warnings(podbor_log, "branch")


def test_warnings_can_be_switched_off(podbor_log: pytest.LogCaptureFixture) -> None:
    sampler = GPSampler(seed=0, n_startup_trials=3, warn_independent_sampling=False)
    podbor.create_study(sampler=sampler).optimize(_conditional, n_trials=8)
    assert not _warnings(podbor_log, "u") and not _warnings(podbor_log, "v")


def test_multi_objective_studies_are_modelled_without_a_warning(
    podbor_log: pytest.LogCaptureFixture,
) -> None:
    sampler = GPSampler(seed=0, n_startup_trials=2)
    study = podbor.create_study(sampler=sampler, directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=5)
    assert len(study.trials) == 5
    assert _warnings(podbor_log, "x") == []
    assert sampler.infer_relative_search_space(study, study.trials[-1]) != {}


def test_custom_independent_sampler_is_used_for_startup() -> None:
    class Fixed(RandomSampler):
        def sample_independent(self, *args: Any, **kwargs: Any) -> Any:
            return 0.25

    study = podbor.create_study(sampler=GPSampler(n_startup_trials=3, independent_sampler=Fixed()))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.params["x"] for t in study.trials] == [0.25] * 3


def test_a_pickled_sampler_keeps_working_mid_study() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=3)
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.3) ** 2, n_trials=5)
    study.sampler = pickle.loads(pickle.dumps(sampler))
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.3) ** 2, n_trials=3)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert repr(study.sampler) == repr(sampler)


def _grid_objective(trial: podbor.trial.BaseTrial) -> float:
    x = trial.suggest_int("x", 0, 4)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return (x - 2) ** 2 + {"a": 0.0, "b": 0.5, "c": 1.0}[kind]


def test_an_all_grid_space_is_not_searched_twice_while_points_are_left() -> None:
    # 5 x 3 = 15 points; the start-up trials are random, every model proposal is new
    study = podbor.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(_grid_objective, n_trials=15)
    points = [(t.params["x"], t.params["kind"]) for t in study.trials]
    assert len(set(points[3:])) == 12 and not set(points[3:]) & set(points[:3])
    assert study.best_value == 0.0


def test_a_conditional_grid_space_may_repeat_its_joint_part() -> None:
    def objective(trial: podbor.trial.BaseTrial) -> float:
        branch = trial.suggest_categorical("branch", ["a", "b"])
        return trial.suggest_float(f"u_{branch}", 0.0, 1.0) + (branch == "b")

    study = podbor.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(objective, n_trials=10)
    modelled = [t for t in study.trials[3:] if t.params["branch"] == "a"]
    assert len(modelled) >= 2  # the better branch is proposed again, not banned once tried


@pytest.mark.filterwarnings("ignore:GPSampler's 'constraints_func':FutureWarning")
@pytest.mark.parametrize("constrained", [False, True])
def test_a_long_history_refits_hyper_parameters_on_a_schedule_and_conditions_on_every_point(
    monkeypatch: pytest.MonkeyPatch, constrained: bool
) -> None:
    from podbor.samplers._gp import feasibility, study_model

    fitted: list[int] = []
    conditioned: list[int] = []
    fit, condition = study_model.fit_kernel_params, study_model.condition_or_default

    def counting_fit(x: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        fitted.append(len(x))
        return fit(x, *args, **kwargs)

    def counting_condition(x: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        conditioned.append(len(x))
        return condition(x, *args, **kwargs)

    # The objective's GP, or (constrained) the constraint's GP: the same schedule.
    module = feasibility if constrained else study_model
    monkeypatch.setattr(module, "fit_kernel_params", counting_fit)
    monkeypatch.setattr(module, "condition_or_default", counting_condition)
    space = {"a": FloatDistribution(-1.0, 1.0), "b": FloatDistribution(-1.0, 1.0)}
    sampler = GPSampler(
        seed=0,
        deterministic_objective=True,
        constraints_func=(lambda t: [t.params["a"] - 0.5]) if constrained else None,
    )
    study = podbor.create_study(sampler=sampler)
    rng = np.random.default_rng(0)
    for a, b in rng.uniform(-1.0, 1.0, (62, 2)):
        study.add_trial(
            create_trial(
                params={"a": a, "b": b},
                distributions=space,
                value=a * a + b,
                system_attrs={"constraints": [a - 0.5]} if constrained else None,
            )
        )
    study.optimize(lambda t: t.suggest_float("a", -1, 1) ** 2 + t.suggest_float("b", -1, 1), 20)
    # Every proposal below 64 points; then each time the history has grown by 1/16 since the
    # last fit (63 → 67 → 72 → 77). Every proposal conditions on every point.
    assert fitted == [62, 63, 67, 72, 77]
    assert conditioned == list(range(62, 82))
    assert study.best_value < -0.9


@pytest.mark.parametrize("kind", ["GPSampler", "AutoSampler"])
def test_a_sampler_handed_a_second_study_models_that_study_only(kind: str) -> None:
    # The same search space, fewer trials in the second study: its GP must not keep the first
    # study's training set (it did: the second study's trials looked like nothing new).
    sampler: Any = GPSampler(seed=0) if kind == "GPSampler" else podbor.samplers.AutoSampler(seed=0)
    first = podbor.create_study(sampler=sampler)
    first.optimize(lambda t: (t.suggest_float("x", 0, 4) - 1) ** 2, n_trials=20)
    second = podbor.create_study(sampler=sampler)
    second.optimize(lambda t: (t.suggest_float("x", 0, 4) - 3) ** 2, n_trials=15)
    gp = sampler if kind == "GPSampler" else sampler._gp
    numbers = [t.number for t in second.trials if t.state == TrialState.COMPLETE]
    assert gp._training.trial_numbers == numbers[:-1]  # all but the last, as it was proposed
    values = [second.trials[n].value for n in numbers[:-1]]
    np.testing.assert_allclose(-gp._training.y, values)  # minimized: the GP maximizes -value
    assert abs(second.best_params["x"] - 3.0) < 0.1


def test_a_proposal_left_pending_in_the_last_study_is_not_taken_for_a_new_trial() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=3)
    first = podbor.create_study(sampler=sampler)
    first.optimize(lambda t: (t.suggest_float("x", 0, 4) - 1) ** 2, n_trials=5)
    abandoned = first.ask()  # trial 5, proposed by the GP and never told
    abandoned.suggest_float("x", 0, 4)
    assert sampler._pending.keys() == {5}
    second = podbor.create_study(sampler=sampler)
    second.optimize(lambda t: (t.suggest_float("x", 0, 4) - 3) ** 2, n_trials=3)  # start-up
    for _ in range(3):
        second.ask()  # trials 3, 4, 5: running, no parameters yet (other workers')
    proposed = second.ask()  # the second study's first GP proposal
    proposed.suggest_float("x", 0, 4)
    # The first study's point of trial 5 must not stand for the second study's trial 5.
    assert sampler._pending.keys() == {proposed.number}
