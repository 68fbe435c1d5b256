"""Tests of ``AutoSampler``: the conformance suite (as the default and with the GP path forced on),
each rule of the decision, the recorded decision and its log line, the cost rule, arguments."""

from __future__ import annotations

import collections
import copy
import math
import multiprocessing
import pickle
import threading
import time
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import AutoSampler, BaseSampler, TPESampler
from podbor.samplers import _auto as auto_module
from podbor.samplers._auto import STRATEGY_ATTR, estimated_gp_seconds
from podbor.testing.samplers import SamplerConformance
from podbor.trial import BaseTrial, TrialState, create_trial


class TestAutoConformance(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return AutoSampler(seed=seed)


class TestAutoGPPathConformance(SamplerConformance):
    """Short start-up and no cost rule, so that the GP runs inside the suite's short studies."""

    def make_sampler(self, seed: int | None) -> BaseSampler:
        return AutoSampler(seed=seed, n_startup_trials=3, max_overhead_fraction=None)


def _strategies(study: podbor.Study) -> list[str]:
    return [t.system_attrs[STRATEGY_ATTR].split(":")[0] for t in study.trials]


def _smooth(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", 1e-3, 1.0, log=True)
    return (x - 1.0) ** 2 + (math.log10(y) + 2.0) ** 2


def _conditional(trial: BaseTrial) -> float:
    if trial.suggest_categorical("kind", ["a", "b"]) == "a":
        return trial.suggest_float("x", -1.0, 1.0) ** 2
    return 0.5 + trial.suggest_float("y", 0.0, 1.0)


def _study(**kwargs: Any) -> podbor.Study:
    kwargs.setdefault("seed", 0)
    kwargs.setdefault("n_startup_trials", 5)
    kwargs.setdefault("max_overhead_fraction", None)
    return podbor.create_study(sampler=AutoSampler(**kwargs))


# -- the default ------------------------------------------------------------------------------
def test_it_is_the_default_sampler() -> None:
    assert isinstance(podbor.create_study().sampler, AutoSampler)


def test_trivial_objective_study_keeps_the_gp_and_finds_the_optimum() -> None:
    study = podbor.create_study(sampler=AutoSampler(seed=1))
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=40)
    assert abs(study.best_params["x"] - 2) < 0.05
    # The objective takes microseconds, but the GP's few milliseconds are within the allowance.
    assert set(_strategies(study)[5:]) == {"gp"}


# -- the rules --------------------------------------------------------------------------------
def test_startup_then_gp_on_a_continuous_space() -> None:
    study = _study()
    study.optimize(_smooth, n_trials=12)
    assert _strategies(study) == ["qmc"] * 5 + ["gp"] * 7
    assert study.trials[-1].system_attrs[STRATEGY_ATTR] == "gp: 2 parameters, 11 complete trials"
    assert study.best_value < 1.0


def test_conditional_space_with_a_root_gets_one_gp_per_branch() -> None:
    study = _study()
    study.optimize(_conditional, n_trials=12)
    strategies = _strategies(study)
    assert strategies == ["qmc"] * 5 + ["gp-branches"] * 7
    assert study.trials[-1].system_attrs[STRATEGY_ATTR] == (
        "gp-branches: one GP per branch of 'kind' (2 of 2 tried), 11 complete trials"
    )
    assert study.best_value < 0.05


def _nested(trial: BaseTrial) -> float:
    if trial.suggest_categorical("kind", ["a", "b"]) == "a":
        x = trial.suggest_float("x", -1.0, 1.0)
        if x > 0:  # a condition inside the branch: the branch is not one flat space
            return x + trial.suggest_float("extra", 0.0, 1.0)
        return x**2
    return 0.5 + trial.suggest_float("y", 0.0, 1.0)


def test_each_branch_searches_its_own_trust_region(monkeypatch: pytest.MonkeyPatch) -> None:
    from podbor.samplers._gp import proposal

    boxes: list[tuple[Any, Any]] = []
    original = proposal.maximize_in_region

    def spy(*args: Any, **kwargs: Any) -> Any:
        point = original(*args, **kwargs)
        boxes.append((kwargs["bounds"], point))
        return point

    monkeypatch.setattr(proposal, "maximize_in_region", spy)
    sampler = AutoSampler(seed=0, n_startup_trials=5, max_overhead_fraction=None)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_conditional, n_trials=16)
    assert boxes and all(b is not None and p is not None for b, p in boxes)
    for (low, high), point in boxes:  # one parameter per branch: a box in 1 dimension
        assert low.shape == (1,) and low[0] <= point[0] <= high[0] and high[0] - low[0] <= 1.6
    trainings = sampler._branches()._training
    seen = {index: training.region.n_seen for index, training in trainings.items()}
    in_branch = collections.Counter(t.params["kind"] for t in study.trials[:-1])
    assert set(seen) <= {0, 1} and len(in_branch) == 2
    # each rule reads its own branch's trials only: fewer than the study's
    assert all(0 < n <= max(in_branch.values()) < len(study.trials) - 1 for n in seen.values())


def test_conditional_space_without_a_root_goes_to_tpe() -> None:
    study = _study(seed=1)
    study.optimize(_nested, n_trials=14)
    strategies = _strategies(study)
    assert strategies[:5] == ["qmc"] * 5
    assert {"tpe"} <= set(strategies[5:]) <= {"tpe", "gp-branches"}
    assert "conditional" in study.trials[-1].system_attrs[STRATEGY_ATTR]


def test_branches_may_share_parameters() -> None:
    def objective(trial: BaseTrial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)  # in every branch
        kind = trial.suggest_categorical("kind", ["sgd", "adam"])
        penalty = (math.log10(lr) + 2.0) ** 2
        if kind == "sgd":
            return penalty + (trial.suggest_float("momentum", 0.0, 1.0) - 0.9) ** 2
        return penalty + 0.1 + (trial.suggest_float("beta2", 0.9, 0.9999) - 0.999) ** 2

    study = _study()
    study.optimize(objective, n_trials=14)
    assert _strategies(study)[5:] == ["gp-branches"] * 9
    for t in study.trials:
        other = "momentum" if t.params["kind"] == "sgd" else "beta2"
        assert set(t.params) == {"lr", "kind", other}
    assert study.best_value < 0.2


def test_untried_branches_are_tried_first() -> None:
    def objective(trial: BaseTrial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b", "c", "d", "e"])
        if kind == "a":
            return trial.suggest_float("x", -1.0, 1.0) ** 2
        if kind == "e":
            return 2.0  # a branch without parameters
        return 1.0 + trial.suggest_float(f"y_{kind}", 0.0, 1.0)

    study = _study(n_startup_trials=2)
    study.enqueue_trial({"kind": "a"})
    study.enqueue_trial({"kind": "b"})
    study.optimize(objective, n_trials=12)
    kinds = [t.params["kind"] for t in study.trials]
    assert sorted(kinds[:5]) == ["a", "b", "c", "d", "e"]
    assert _strategies(study)[2:] == ["gp-branches"] * 10
    assert kinds[5:].count("e") <= 1  # nothing to tune there, and it is the worst
    assert study.best_value < 0.05


def test_a_branch_that_always_fails_is_tried_once() -> None:
    def objective(trial: BaseTrial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b", "broken"])
        if kind == "broken":
            raise RuntimeError("this model cannot be built")
        if kind == "a":
            return trial.suggest_float("x", -1.0, 1.0) ** 2
        return 1.0 + trial.suggest_float("y", 0.0, 1.0)

    study = _study(n_startup_trials=2)
    study.enqueue_trial({"kind": "a"})
    study.enqueue_trial({"kind": "b"})
    study.optimize(objective, n_trials=12, catch=(RuntimeError,))
    kinds = [t.params["kind"] for t in study.trials]
    assert kinds.count("broken") == 1
    assert study.trials[-1].system_attrs[STRATEGY_ATTR].startswith("gp-branches")


def _hidden_best(trial: BaseTrial) -> float:
    """The branch "tuned" is the best only when tuned; its random points are worse than "easy"."""
    if trial.suggest_categorical("kind", ["easy", "tuned"]) == "easy":
        return 0.3 + 0.1 * trial.suggest_float("a", -1.0, 1.0) ** 2
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    return 8.0 * ((x - 0.7) ** 2 + (y - 0.2) ** 2)


def test_a_branch_that_needs_tuning_is_tuned() -> None:
    # Random points of "tuned" average ~1.9; its optimum (0) beats the easy branch's 0.3. The
    # bandit keeps trying it until its GP has had a chance: every seed finds it.
    best = []
    for seed in range(3):
        study = _study(seed=seed, n_startup_trials=6)
        study.optimize(_hidden_best, n_trials=40)
        best.append(study.best_value)
        assert study.best_params["kind"] == "tuned"
    assert max(best) < 0.1


def test_branches_with_pruned_trials_and_threads() -> None:
    def objective(trial: BaseTrial) -> float:
        value = _conditional(trial)
        trial.report(value, 0)
        if trial.number % 4 == 3:
            raise podbor.TrialPruned()
        return value

    study = _study()
    study.optimize(objective, n_trials=16, n_jobs=3)
    assert len(study.trials) == 16
    assert all(STRATEGY_ATTR in t.system_attrs for t in study.trials)
    assert "gp-branches" in _strategies(study)
    for t in study.trials:
        assert set(t.params) in ({"kind", "x"}, {"kind", "y"})


def test_multi_objective_goes_to_the_gp_and_says_so() -> None:
    study = podbor.create_study(
        directions=["minimize", "maximize"],
        sampler=AutoSampler(seed=0, n_startup_trials=3, max_overhead_fraction=None),
    )

    def objective(trial: BaseTrial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        trial.set_constraint("y below 0.9", y - 0.9)
        return x + y, x**2 - y

    study.optimize(objective, n_trials=6)
    assert _strategies(study) == ["qmc"] * 3 + ["gp"] * 3
    assert study.trials[-1].system_attrs[STRATEGY_ATTR] == (
        "gp: 2 objectives, 2 parameters, constrained, 5 complete trials"
    )


@pytest.mark.parametrize("noise", [0.0, 0.3], ids=["noiseless", "noisy"])
def test_the_reason_says_when_the_gp_treated_the_scores_as_noisy(
    podbor_log: pytest.LogCaptureFixture, noise: float
) -> None:
    """Once close trials differ (the GP's noise rule), the recorded reason and the log say so."""
    rng = np.random.default_rng(1)

    def objective(trial: BaseTrial) -> float:
        x, y = trial.suggest_float("x", -2, 2), trial.suggest_float("y", -2, 2)
        return x**2 + y**2 + noise * rng.normal()

    study = podbor.create_study(sampler=AutoSampler(seed=0, max_overhead_fraction=None))
    study.optimize(objective, n_trials=30)
    reasons = [t.system_attrs[STRATEGY_ATTR] for t in study.trials]
    noted = [r for r in reasons if r.endswith(auto_module.NOISE_NOTE)]
    logged = [r.getMessage() for r in podbor_log.records if "noisy" in r.getMessage()]
    if noise == 0:
        assert not noted and not logged
        return
    assert noted and all(r.startswith("gp: 2 parameters, ") for r in noted)
    first = next(t.number for t in study.trials if t.system_attrs[STRATEGY_ATTR] in noted)
    assert first >= 20  # no verdict before noise_evidence.MIN_TRIALS complete trials
    assert len(logged) == 1 and f"from trial {first} on" in logged[0]
    assert _strategies(study)[first:] == ["gp"] * (30 - first)


def test_multi_objective_with_a_conditional_space_goes_to_tpe() -> None:
    study = podbor.create_study(
        directions=["minimize", "minimize"],
        sampler=AutoSampler(seed=0, n_startup_trials=2, max_overhead_fraction=None),
    )

    def objective(trial: BaseTrial) -> tuple[float, float]:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        x = trial.suggest_float(f"x_{kind}", 0, 1)
        return x, 1 - x

    study.optimize(objective, n_trials=8)
    decisions = [t.system_attrs[STRATEGY_ATTR] for t in study.trials]
    conditional = [d for d in decisions if "conditional" in d]
    assert conditional and all(d.startswith("tpe: 2 objectives, conditional") for d in conditional)


def test_the_gp_estimate_of_several_objectives_is_larger() -> None:
    one = estimated_gp_seconds(200, 7)
    assert estimated_gp_seconds(200, 7, n_objectives=2) == pytest.approx(5 * one)
    assert estimated_gp_seconds(200, 7, n_objectives=3) == pytest.approx(7.5 * one)


def test_many_categorical_choices_go_to_tpe() -> None:
    study = _study(max_categorical_choices=5)

    def objective(trial: BaseTrial) -> float:
        c = trial.suggest_categorical("c", list(range(6)))
        return float(c) + trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=8)
    assert _strategies(study)[5:] == ["tpe"] * 3
    assert "6 categorical choices" in study.trials[-1].system_attrs[STRATEGY_ATTR]


def test_too_many_parameters_go_to_tpe() -> None:
    study = _study(max_gp_params=1)
    study.optimize(_smooth, n_trials=7)
    assert _strategies(study)[5:] == ["tpe"] * 2


def test_long_history_goes_to_tpe() -> None:
    study = _study(max_gp_trials=7)
    study.optimize(_smooth, n_trials=10)
    assert _strategies(study) == ["qmc"] * 5 + ["gp"] * 3 + ["tpe"] * 2
    assert "9 complete trials" in study.trials[-1].system_attrs[STRATEGY_ATTR]


def test_mostly_pruned_history_goes_to_tpe() -> None:
    study = _study()

    def objective(trial: BaseTrial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 3:
            raise podbor.TrialPruned()
        return x

    study.optimize(objective, n_trials=9)
    assert _strategies(study)[5:] == ["tpe"] * 4
    assert "pruned" in study.trials[-1].system_attrs[STRATEGY_ATTR]


def test_many_running_trials_go_to_tpe() -> None:
    study = _study(max_gp_workers=2)
    study.optimize(_smooth, n_trials=5)
    running = []
    for _ in range(3):  # ask and suggest one after the other: each sees the earlier ones run
        running.append(study.ask())
        _smooth(running[-1])
    labels = [study.trials[t.number].system_attrs[STRATEGY_ATTR] for t in running]
    assert labels[0].startswith("gp") and labels[1].startswith("gp")
    assert labels[2].startswith("tpe: 3 trials running")
    for trial in running:
        study.tell(trial, 1.0)


def test_changing_distribution_goes_to_tpe() -> None:
    study = _study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    study.optimize(lambda t: t.suggest_float("x", 0, 2), n_trials=2)
    # Trial 5 decides on the finished trials (one range so far); trial 6 sees the change.
    assert _strategies(study)[5:] == ["gp", "tpe"]
    assert 0 <= study.trials[5].params["x"] <= 2
    assert "'x'" in study.trials[-1].system_attrs[STRATEGY_ATTR]


def test_no_startup_and_an_empty_history() -> None:
    study = _study(n_startup_trials=0)
    study.optimize(_smooth, n_trials=3)
    assert _strategies(study)[0] == "tpe"
    assert _strategies(study)[1:] == ["gp", "gp"]


# -- the cost rule ----------------------------------------------------------------------------
def _slow_smooth(trial: BaseTrial) -> float:
    time.sleep(0.02)
    return _smooth(trial)


@pytest.mark.parametrize(("fraction", "expected"), [(1e-6, "tpe"), (1e4, "gp")])
def test_cost_rule_past_the_allowance_compares_the_gp_with_the_objective(
    fraction: float, expected: str
) -> None:
    study = _study(max_overhead_fraction=fraction, gp_seconds_allowance=0.0)
    study.optimize(_slow_smooth, n_trials=8)
    assert set(_strategies(study)[5:]) == {expected}
    if expected == "tpe":
        reason = study.trials[-1].system_attrs[STRATEGY_ATTR]
        assert "ms per trial on average, over the 0 s allowance" in reason


def test_within_the_allowance_no_clock_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A seeded default study proposes the same trials however slow the machine seems."""

    def params(clock: Any) -> list[dict[str, Any]]:
        if clock is not None:
            monkeypatch.setattr(auto_module.time, "perf_counter", clock)
        study = podbor.create_study(sampler=AutoSampler(seed=3))
        study.optimize(_smooth, n_trials=15)
        monkeypatch.undo()
        return [t.params for t in study.trials]

    ticks = iter(range(10**9))
    busy = params(lambda: 1000.0 * next(ticks))  # every call looks 1000 s after the last
    assert params(None) == busy


def test_estimated_gp_time_grows_with_trials_and_parameters() -> None:
    small = auto_module.estimated_gp_seconds(50, 2)
    assert 0 < small < auto_module.estimated_gp_seconds(50, 20)
    assert small < auto_module.estimated_gp_seconds(300, 2)
    # The default limits keep the GP's estimate under the default allowance.
    assert auto_module.estimated_gp_seconds(300, 20, since=5) < 0.25
    assert auto_module.estimated_gp_seconds(2000, 6) > 0.25


def test_cost_rule_switches_a_long_cheap_study_to_tpe() -> None:
    """Without an allowance, a microsecond objective goes to TPE after the start-up: the GP's
    estimated milliseconds are more than half the objective's time."""
    sampler = AutoSampler(seed=0, n_startup_trials=3, gp_seconds_allowance=0.0)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_smooth, n_trials=8)
    assert set(_strategies(study)[3:]) == {"tpe"}


def test_cost_rule_uses_stored_durations_of_other_workers() -> None:
    storage = podbor.storages.InMemoryStorage()
    kwargs: dict[str, Any] = {"gp_seconds_allowance": 0.0, "max_overhead_fraction": 1e-6}
    first = podbor.create_study(
        storage=storage, study_name="s", sampler=AutoSampler(seed=0, **kwargs)
    )
    first.optimize(_smooth, n_trials=10)  # microseconds each
    # A second worker (a fresh sampler that has measured nothing) reads the stored durations.
    second = podbor.load_study(
        study_name="s", storage=storage, sampler=AutoSampler(seed=1, **kwargs)
    )
    trial = second.ask()
    _smooth(trial)
    second.tell(trial, 0.0)
    assert second.trials[-1].system_attrs[STRATEGY_ATTR].startswith("tpe: the GP would take")


# -- records, logs, copies ----------------------------------------------------------------------
def test_decisions_are_on_the_trials_and_no_dataframe_column() -> None:
    pytest.importorskip("pandas")
    study = _study()
    study.optimize(_smooth, n_trials=7)
    frame = study.trials_dataframe()
    assert list(frame.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_x",
        "params_y",
        "state",
    ]
    decisions = [t.system_attrs[STRATEGY_ATTR].split(":")[0] for t in study.trials]
    assert decisions == ["qmc"] * 5 + ["gp"] * 2


def test_one_info_line_per_change(podbor_log: pytest.LogCaptureFixture) -> None:
    study = _study(max_gp_trials=7)
    study.optimize(_smooth, n_trials=10)
    lines = [r.getMessage() for r in podbor_log.records if "AutoSampler" in r.getMessage()]
    assert len(lines) == 3
    assert "trial 0 and the next ones use QMC" in lines[0]
    assert "trial 5 and the next ones use GP" in lines[1]
    assert "trial 8 and the next ones use TPE" in lines[2]


@pytest.mark.parametrize("objective", [_smooth, _conditional], ids=["gp", "gp-branches"])
def test_same_seed_same_proposals_through_the_models(objective: Any) -> None:
    def run() -> list[dict[str, Any]]:
        study = _study(seed=3)
        study.optimize(objective, n_trials=10)
        return [t.params for t in study.trials]

    assert run() == run()


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_keep_settings_and_forget_the_study(how: str) -> None:
    sampler = AutoSampler(seed=0, n_startup_trials=4, max_overhead_fraction=None)
    podbor.create_study(sampler=sampler).optimize(_conditional, n_trials=6)  # branches built
    study = podbor.create_study(sampler=sampler)
    study.optimize(_smooth, n_trials=6)
    clone = copy.deepcopy(sampler) if how == "deepcopy" else pickle.loads(pickle.dumps(sampler))
    assert repr(clone) == repr(sampler)
    fresh = podbor.create_study(sampler=clone)
    fresh.optimize(_smooth, n_trials=5)
    assert _strategies(fresh) == ["qmc"] * 4 + ["gp"]


def test_one_sampler_handed_a_second_study_starts_afresh() -> None:
    sampler = AutoSampler(seed=0, n_startup_trials=4, max_overhead_fraction=None)
    first = podbor.create_study(sampler=sampler)
    first.optimize(_smooth, n_trials=6)
    second = podbor.create_study(sampler=sampler)
    second.optimize(_conditional, n_trials=6)
    assert _strategies(first) == ["qmc"] * 4 + ["gp"] * 2
    assert _strategies(second) == ["qmc"] * 4 + ["gp-branches"] * 2
    assert second.trials[3].system_attrs[STRATEGY_ATTR] == "qmc: start-up, 3 of 4 trials finished"


def test_parallel_threads_record_a_decision_each() -> None:
    study = _study()
    study.optimize(_smooth, n_trials=16, n_jobs=4)
    assert len(study.trials) == 16
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(STRATEGY_ATTR in t.system_attrs for t in study.trials)
    points = {(t.params["x"], t.params["y"]) for t in study.trials}
    assert len(points) == 16


def test_threads_at_the_first_gp_proposal_share_one_gp(monkeypatch: pytest.MonkeyPatch) -> None:
    # Built on first use: threads that reach it together used to build one GP each, whose
    # pending proposals the others could not see (same seed, same point proposed twice).
    from podbor.samplers._gp import GPSampler

    init = GPSampler.__init__

    def slow_init(self: GPSampler, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.05)  # widens the window in which a second thread would build its own
        init(self, *args, **kwargs)

    monkeypatch.setattr(GPSampler, "__init__", slow_init)
    sampler = AutoSampler(seed=0)
    start = threading.Barrier(4)
    built: list[Any] = []

    def first_use() -> None:
        start.wait(5)
        built.append(sampler._gp_sampler())
        built.append(sampler._branches())

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(built) == 8
    assert len({id(b) for b in built}) == 2  # one GP and one BranchGP for all four threads


def test_a_trial_started_before_the_gp_was_built_is_not_another_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The GP is built on its first proposal. A trial this sampler started before that, still
    # choosing its parameters (a thread), is this worker's own: the GP must not take it for
    # another process's worker and spend a kriging-believer step on it.
    from podbor.samplers._gp import proposal as gp_module

    calls: list[int] = []
    propose = gp_module.propose_point

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return propose(*args, **kwargs)

    monkeypatch.setattr(gp_module, "propose_point", counting)
    study = _study()
    study.optimize(_smooth, n_trials=5)
    assert not calls  # the start-up: no GP yet
    study.ask()  # started here, no parameters yet
    study.ask().suggest_float("x", -5.0, 5.0)  # the GP's first proposal
    assert len(calls) == 1


def test_a_branch_first_finished_by_another_process_waits_for_the_next_decision() -> None:
    # Worker processes: the branching was read from the history before another process's
    # first trial of branch "b" finished; the per-branch GP then reads that trial too. It
    # raised KeyError (the benchmark's 8 processes on the conditional problem crashed).
    from podbor.samplers._branching import Branching
    from podbor.samplers._gp.branches import BranchGP

    kind = CategoricalDistribution(["a", "b"])
    x, y = FloatDistribution(-1.0, 1.0), FloatDistribution(0.0, 1.0)
    study = podbor.create_study()
    study.add_trials(  # many poor trials in "a", few good ones in "b": "b" ranks first
        [
            create_trial(
                params={"kind": "a", "x": v}, distributions={"kind": kind, "x": x}, value=5.0
            )
            for v in np.linspace(-1, 1, 30)
        ]
        + [
            create_trial(
                params={"kind": "b", "y": v}, distributions={"kind": kind, "y": y}, value=v
            )
            for v in np.linspace(0, 0.1, 10)
        ]
    )
    seen_before = Branching("kind", kind, {0: {"x": x}})
    study.ask()
    params = BranchGP(seed=0).sample(study, study.trials[-1], seen_before)
    assert params["kind"] == "a" and -1.0 <= params["x"] <= 1.0


def test_the_refit_schedule_is_sparser_from_high_dim_parameters_on() -> None:
    # KernelFit.plan: below 64 points a fit for every proposal whatever the dimension; then
    # once the points have grown by 1/16, or by 1/8 from HIGH_DIM parameters on.
    from podbor.samplers._gp.optimize import HIGH_DIM
    from podbor.samplers._gp.study_model import KernelFit
    from podbor.samplers._gp.training import space_key

    def key(d: int) -> Any:
        return space_key({f"x{i}": FloatDistribution(0, 1) for i in range(d)})

    for d, growth in ((HIGH_DIM - 1, 1 / 16), (HIGH_DIM, 1 / 8), (50, 1 / 8)):
        last = KernelFit(key(d), (), n_points=128)
        refits = [n for n in range(128, 200) if KernelFit.plan(last, key(d), n, n_models=0)[1]]
        assert refits[0] == 128 * (1 + growth), (d, refits)
        small = KernelFit(key(d), (), n_points=40)
        assert KernelFit.plan(small, key(d), 41, n_models=0)[1]


def test_a_branch_gp_refits_its_hyper_parameters_on_the_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The per-branch GPs follow GPSampler's schedule (study_model.KernelFit): a fit for every
    # proposal below 64 points in the branch, then once the branch has grown by 1/16.
    from podbor.samplers._branching import Branching
    from podbor.samplers._gp import study_model
    from podbor.samplers._gp.branches import BranchGP

    fitted: list[int] = []
    fit = study_model.fit_kernel_params

    def counting_fit(x: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        fitted.append(len(x))
        return fit(x, *args, **kwargs)

    monkeypatch.setattr(study_model, "fit_kernel_params", counting_fit)
    kind = CategoricalDistribution(["a", "b"])
    x, y = FloatDistribution(-1.0, 1.0), FloatDistribution(0.0, 1.0)
    space, b_space = {"kind": kind, "x": x}, {"kind": kind, "y": y}
    study = podbor.create_study()
    rng = np.random.default_rng(0)
    study.add_trials(  # a good branch "a", and "b" tried enough to be known as poor
        [
            create_trial(params={"kind": "a", "x": v}, distributions=space, value=v * v)
            for v in rng.uniform(-1, 1, 62)
        ]
        + [
            create_trial(params={"kind": "b", "y": v}, distributions=b_space, value=50.0 + v)
            for v in rng.uniform(0, 1, 60)
        ]
    )
    branching = Branching("kind", kind, {0: {"x": x}, 1: {"y": y}})
    sampler = BranchGP(seed=0)
    for _ in range(12):
        trial = study.ask()
        params = sampler.sample(study, study.trials[-1], branching)
        study.tell(trial, state=TrialState.FAIL)
        assert params["kind"] == "a"
        value = float(params["x"]) ** 2
        study.add_trial(create_trial(params=params, distributions=space, value=value))
    # In "a": 62 and 63 points, below 64, a fit each; then 63 → 67 → 72 (1/16 more each time).
    assert fitted == [62, 63, 67, 72]


def _two_conditional_workers() -> tuple[podbor.Study, podbor.Study]:
    """One conditional study, opened by two "worker processes" with the same seed."""
    first = _study()
    first.optimize(_conditional, n_trials=12)
    storage, name = first._storage, first.study_name
    a, b = (
        podbor.load_study(study_name=name, storage=storage, sampler=_study().sampler)
        for _ in range(2)
    )
    return a, b


def _branch_point(trial: podbor.Trial) -> tuple[str, float]:
    kind = trial.relative_params["kind"]
    return kind, trial.relative_params["x" if kind == "a" else "y"]


def test_in_a_branch_a_blind_worker_takes_the_believers_next_point() -> None:
    # A has chosen its branch and point but stored nothing yet: B, with the same history and
    # seed, would propose the same; behind A's blind trial it takes the next point of the batch.
    a, b = _two_conditional_workers()
    trial_a, trial_b = a.ask(), b.ask()
    alone = _two_conditional_workers()[1].ask()
    assert _branch_point(alone) == _branch_point(trial_a)
    # A's trial counts as a try of its branch "a": the bandit's next pick is "b".
    assert _branch_point(trial_b)[0] == "b" != _branch_point(trial_a)[0]


def test_within_a_dominant_branch_a_blind_worker_takes_the_next_point() -> None:
    """Branch "a" stays first even with a blind trial counted in it: the trial behind it takes
    the believer's second point there, not the first one, which the blind worker is taking."""
    from podbor.samplers._branching import Branching
    from podbor.samplers._gp.branches import BranchGP

    kind = CategoricalDistribution(["a", "b"])
    x, y = FloatDistribution(-1.0, 1.0), FloatDistribution(0.0, 1.0)
    study = podbor.create_study()
    study.add_trials(
        [
            create_trial(
                params={"kind": "a", "x": v}, distributions={"kind": kind, "x": x}, value=v**2
            )
            for v in np.linspace(-1, 1, 21)
        ]
        + [
            create_trial(
                params={"kind": "b", "y": v}, distributions={"kind": kind, "y": y}, value=9 + v
            )
            for v in np.linspace(0, 1, 40)
        ]
    )
    branching = Branching("kind", kind, {0: {"x": x}, 1: {"y": y}})
    other, mine = study.ask(), study.ask()  # ``other``: another worker's, no parameters yet
    frozen = study.trials[mine.number]
    as_own = BranchGP(seed=0).sample(study, frozen, branching, {other.number, mine.number})
    behind_blind = BranchGP(seed=0).sample(study, frozen, branching, {mine.number})
    assert as_own["kind"] == behind_blind["kind"] == "a"
    assert as_own["x"] != behind_blind["x"]


def test_in_a_branch_a_workers_own_running_trial_is_not_blind() -> None:
    a, _ = _two_conditional_workers()
    a.ask()  # A's own, parameters not stored yet
    mine = a.ask()
    alone, _ = _two_conditional_workers()
    alone.ask()
    assert _branch_point(mine) == _branch_point(alone.ask())


def test_enqueued_trials_are_respected() -> None:
    study = _study()
    study.enqueue_trial({"x": 4.5, "y": 0.5})
    study.optimize(_smooth, n_trials=7)
    assert study.trials[0].params == {"x": 4.5, "y": 0.5}


def test_beats_random_search_on_a_smooth_problem() -> None:
    def best(sampler: BaseSampler) -> float:
        study = podbor.create_study(sampler=sampler)
        study.optimize(_smooth, n_trials=25)
        return study.best_value

    auto = [best(AutoSampler(seed=s, max_overhead_fraction=None)) for s in range(3)]
    tpe = [best(TPESampler(seed=s)) for s in range(3)]
    assert np.median(auto) < np.median(tpe)
    assert np.median(auto) < 0.05


# -- several processes on one storage ----------------------------------------------------------
_PROCESS_STUDIES = {"shared": (_smooth, 8), "branches": (_hidden_best, 10)}
"""What each worker process runs on a study of that name: the objective and its trials."""


def _process_worker(url: str, seed: int, name: str) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    sampler = AutoSampler(seed=seed, n_startup_trials=4, max_overhead_fraction=None)
    study = podbor.load_study(study_name=name, storage=url, sampler=sampler)
    objective, n_trials = _PROCESS_STUDIES[name]
    study.optimize(objective, n_trials=n_trials)


def _run_two_processes(url: str, name: str) -> podbor.Study:
    """Create study ``name``, run :func:`_process_worker` on it with seeds 1 and 2 in two spawned
    processes (both must succeed) and return it as stored."""
    podbor.create_study(storage=url, study_name=name)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_worker, args=(url, s, name)) for s in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0]
    return podbor.load_study(study_name=name, storage=url)


def test_processes_sharing_a_sqlite_study(sqlite_url: str) -> None:
    study = _run_two_processes(sqlite_url, "shared")
    assert [t.number for t in study.trials] == list(range(16))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    strategies = _strategies(study)
    assert strategies[:4] == ["qmc"] * 4 and "gp" in strategies[4:]
    # The start-up points come from one shared quasi-random sequence: no two are equal. (Later
    # ones may coincide: two GPs that see the same history in the same instant, before either
    # proposal is stored, maximize the same acquisition function.)
    startup = [t for t, s in zip(study.trials, strategies, strict=True) if s == "qmc"]
    assert len({(t.params["x"], t.params["y"]) for t in startup}) == len(startup)


def test_processes_sharing_a_conditional_study(sqlite_url: str) -> None:
    study = _run_two_processes(sqlite_url, "branches")
    assert [t.number for t in study.trials] == list(range(20))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert "gp-branches" in _strategies(study)
    for t in study.trials:
        assert set(t.params) in ({"kind", "a"}, {"kind", "x", "y"})


# -- arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"seed": 1.5}, "seed"),
        ({"seed": True}, "seed"),
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"max_gp_trials": "300"}, "max_gp_trials"),
        ({"max_gp_params": -2}, "max_gp_params"),
        ({"max_categorical_choices": 2.0}, "max_categorical_choices"),
        ({"max_gp_workers": 0}, "max_gp_workers"),
        ({"max_overhead_fraction": 0.0}, "max_overhead_fraction"),
        ({"max_overhead_fraction": math.inf}, "max_overhead_fraction"),
        ({"max_overhead_fraction": "0.25"}, "max_overhead_fraction"),
        ({"gp_seconds_allowance": -1.0}, "gp_seconds_allowance"),
        ({"gp_seconds_allowance": math.inf}, "gp_seconds_allowance"),
        ({"gp_seconds_allowance": None}, "gp_seconds_allowance"),
        ({"constant_liar": 1}, "constant_liar"),
    ],
    ids=lambda v: str(v),
)
def test_invalid_arguments_are_refused(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"'{argument}' parameter of AutoSampler"):
        AutoSampler(**kwargs)
