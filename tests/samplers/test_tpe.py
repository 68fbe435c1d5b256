"""Tests of ``TPESampler``: conformance in every mode, reproducibility, the split, the modes."""

from __future__ import annotations

import copy
import logging
import math
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podbor
from podbor._hypervolume import pareto_ranks
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import BaseSampler, RandomSampler, TPESampler
from podbor.samplers._tpe import default_gamma, default_weights, hyperopt_default_gamma
from podbor.samplers._tpe._history import History
from podbor.testing.samplers import SamplerConformance
from podbor.trial import Trial, TrialState, create_trial

X = FloatDistribution(-5.0, 5.0)


# -- conformance, one class per mode ------------------------------------------------------------
class TestTPEUnivariate(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return TPESampler(seed=seed)


class TestTPEMultivariate(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return TPESampler(seed=seed, multivariate=True)


class TestTPEGroup(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return TPESampler(seed=seed, multivariate=True, group=True)


class TestTPEConstantLiar(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return TPESampler(seed=seed, constant_liar=True, n_startup_trials=5)


# -- helpers ------------------------------------------------------------------------------------
def _quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return (x - 1.3) ** 2 + (y + 0.7) ** 2


def _mixed(trial: Trial) -> float:
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    n = trial.suggest_int("n", 1, 100, log=True)
    s = trial.suggest_int("s", 0, 20, step=4)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.1)
    return {"a": 1, "b": 0, "c": 2}[kind] + math.log(n) + s + lr + q


def _best(sampler: BaseSampler, n_trials: int = 60) -> float:
    study = podbor.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=n_trials)
    return study.best_value


def _params(sampler: BaseSampler, n_trials: int = 25) -> list[dict[str, Any]]:
    study = podbor.create_study(sampler=sampler)
    study.optimize(_mixed, n_trials=n_trials)
    return [t.params for t in study.trials]


def _frozen(number: int = 0) -> podbor.trial.FrozenTrial:
    trial = create_trial(state=TrialState.RUNNING)
    trial.number = number
    return trial


MODES = {
    "univariate": {},
    "multivariate": {"multivariate": True},
    "group": {"multivariate": True, "group": True},
    "liar": {"constant_liar": True},
}


# -- behaviour ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_same_seed_same_proposals_after_start_up(mode: dict[str, bool]) -> None:
    first = _params(TPESampler(seed=7, n_startup_trials=5, **mode))
    assert first == _params(TPESampler(seed=7, n_startup_trials=5, **mode))
    assert first != _params(TPESampler(seed=8, n_startup_trials=5, **mode))


def test_tpe_clearly_beats_random_search_on_a_quadratic() -> None:
    seeds = range(5)
    tpe = np.median([_best(TPESampler(seed=s, multivariate=False)) for s in seeds])
    multivariate = np.median([_best(TPESampler(seed=s, multivariate=True)) for s in seeds])
    random = np.median([_best(RandomSampler(seed=s)) for s in seeds])
    # Measured medians (seeds 0-4): random 0.24, univariate 0.11, multivariate 0.002.
    assert tpe < 0.75 * random
    assert multivariate < 0.1 * random


def _modes(sampler: TPESampler, n_objectives: int) -> tuple[bool, bool]:
    """(multivariate, grouped) as the sampler decides them on a study with that many objectives."""
    study = podbor.create_study(sampler=sampler, directions=["minimize"] * n_objectives)
    for _ in range(2):
        trial = study.ask()
        trial.suggest_float("x", 0.0, 10.0)
        trial.suggest_float("y", 0.0, 10.0)
        study.tell(trial, [0.0] * n_objectives)
    sampler.infer_relative_search_space(study, study.trials[-1])  # reads the study
    return sampler._modes()


@pytest.mark.parametrize(
    ("kwargs", "one_objective", "several_objectives"),
    [
        ({}, (True, True), (False, False)),  # Optuna 5's multivariate=None, grouped when joint
        ({"multivariate": None}, (True, True), (False, False)),
        ({"multivariate": True}, (True, True), (True, True)),
        ({"multivariate": False}, (False, False), (False, False)),
        ({"group": False}, (True, False), (False, False)),
        ({"multivariate": True, "group": False}, (True, False), (True, False)),
    ],
)
def test_multivariate_and_group_by_the_number_of_objectives(
    kwargs: dict[str, Any], one_objective: tuple[bool, bool], several_objectives: tuple[bool, bool]
) -> None:
    assert _modes(TPESampler(n_startup_trials=0, **kwargs), 1) == one_objective
    assert _modes(TPESampler(n_startup_trials=0, **kwargs), 2) == several_objectives


def test_group_makes_the_default_multivariate_with_several_objectives_and_says_so() -> None:
    sampler = TPESampler(n_startup_trials=0, group=True)
    with pytest.warns(UserWarning, match=r"pass multivariate=True"):
        assert _modes(sampler, 2) == (True, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per sampler
        assert _modes(sampler, 2) == (True, True)
    assert _modes(TPESampler(n_startup_trials=0, group=True), 1) == (True, True)  # no warning


def test_group_without_the_multivariate_tpe_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"'group'.*multivariate=True"):
        TPESampler(multivariate=False, group=True)
    with pytest.raises(InvalidArgumentError, match=r"'multivariate'.*True or False"):
        TPESampler(multivariate="yes")  # type: ignore[arg-type]


def _small_conditional(trial: Trial) -> float:
    """Two branches; the better one ("b", optimum 0) has more parameters than "a" (0.3)."""
    if trial.suggest_categorical("kind", ["a", "b"]) == "a":
        return 0.3 + (trial.suggest_float("x", 0.0, 1.0) - 0.8) ** 2
    y = trial.suggest_float("y", 0.0, 1.0)
    z = trial.suggest_float("z", 0.0, 1.0)
    return 2.0 * ((y - 0.3) ** 2 + (z - 0.6) ** 2)


def test_grouped_tpe_beats_random_search_on_a_conditional_problem() -> None:
    def best(sampler: BaseSampler) -> float:
        study = podbor.create_study(sampler=sampler)
        study.optimize(_small_conditional, n_trials=40)
        return study.best_value

    seeds = range(5)
    tpe = np.median([best(TPESampler(seed=s, multivariate=True, group=True)) for s in seeds])
    random = np.median([best(RandomSampler(seed=s)) for s in seeds])
    # Measured medians (seeds 0-4): random 0.026, grouped TPE 0.0004.
    assert tpe < 0.2 * random


def test_proposals_respect_steps_logs_and_choices() -> None:
    for params in _params(TPESampler(seed=1, n_startup_trials=3), n_trials=30)[3:]:
        assert params["kind"] in ("a", "b", "c")
        assert isinstance(params["n"], int) and 1 <= params["n"] <= 100
        assert params["s"] in (0, 4, 8, 12, 16, 20)
        assert 1e-4 <= params["lr"] <= 1.0
        assert round(params["q"] * 10) == pytest.approx(params["q"] * 10)


def test_start_up_trials_are_random_then_the_model_takes_over() -> None:
    study = podbor.create_study(sampler=TPESampler(seed=0, n_startup_trials=10))
    study.optimize(_quadratic, n_trials=40)
    late = [t.value for t in study.trials[25:]]
    early = [t.value for t in study.trials[:10]]
    assert np.median(late) < 0.3 * np.median(early)


def test_grouped_mode_models_each_branch_of_a_conditional_space() -> None:
    def objective(trial: Trial) -> float:
        if trial.suggest_categorical("kind", ["svm", "tree"]) == "svm":
            c = trial.suggest_float("C", 1e-3, 1e3, log=True)
            g = trial.suggest_float("gamma", 1e-4, 1.0, log=True)
            return (math.log10(c) - 1) ** 2 + (math.log10(g) + 2) ** 2
        return 0.5 + (trial.suggest_int("depth", 1, 32) - 12) ** 2 / 50

    sampler = TPESampler(seed=0, multivariate=True, group=True)
    study = podbor.create_study(sampler=sampler)
    study.optimize(objective, n_trials=60)
    space = sampler.infer_relative_search_space(study, _frozen(60))
    assert set(space) == {"kind", "C", "gamma", "depth"}
    proposal = sampler.sample_relative(study, _frozen(60), space)
    assert set(proposal) == set(space)  # one joint proposal per branch, and for the branch choice
    svm = [t for t in study.trials[30:] if t.params["kind"] == "svm"]
    assert svm and np.median([t.value for t in svm]) < 1.0
    assert study.best_value < 0.3


def _warning_tpe(**kwargs: Any) -> TPESampler:
    """A TPESampler that logs independent sampling (off by default, as in Optuna 5, whose
    argument for it is deprecated)."""
    with pytest.warns(FutureWarning, match="'warn_independent_sampling'"):
        return TPESampler(warn_independent_sampling=True, **kwargs)


def test_deprecated_tuning_arguments_warn_and_still_apply() -> None:
    quiet = TPESampler(seed=0)
    assert quiet._tuning.parzen.prior_weight == 1.0
    assert not quiet._tuning.warn_independent_sampling
    with pytest.warns(FutureWarning, match="'prior_weight' has been deprecated") as caught:
        sampler = TPESampler(prior_weight=2.0, consider_endpoints=True, gamma=lambda n: 1)
    assert len(caught) == 3  # one per argument passed
    assert caught[0].filename == __file__  # at the line that built the sampler
    assert sampler._tuning.parzen.prior_weight == 2.0
    assert sampler._tuning.parzen.consider_endpoints
    assert sampler._tuning.gamma_for(1)(100) == 1


def test_gamma_left_out_depends_on_the_number_of_objectives() -> None:
    from podbor.samplers._tpe import default_gamma, default_gamma_multiobjective

    tuning = TPESampler()._tuning
    assert tuning.gamma_for(1) is default_gamma
    assert tuning.gamma_for(2) is default_gamma_multiobjective
    assert default_gamma(1000) == 25
    assert default_gamma_multiobjective(1000) == 100


def test_multivariate_mode_warns_once_per_independent_parameter(
    podbor_log: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        return x + (trial.suggest_float("y", 0, 1) if x > 0.5 else 0.0)

    study = podbor.create_study(
        sampler=_warning_tpe(seed=0, multivariate=True, group=False, n_startup_trials=3)
    )
    study.optimize(objective, n_trials=20)
    warnings = [r for r in podbor_log.records if r.levelno == logging.WARNING]
    assert len([r for r in warnings if "'y'" in r.getMessage()]) == 1
    assert not [r for r in warnings if "'x'" in r.getMessage()]


def test_constant_liar_spreads_concurrent_trials() -> None:
    def spread(constant_liar: bool, seed: int) -> float:
        sampler = TPESampler(
            seed=seed, multivariate=False, constant_liar=constant_liar, n_startup_trials=5
        )
        study = podbor.create_study(sampler=sampler)
        study.optimize(_quadratic, n_trials=30)
        running = [study.ask() for _ in range(6)]
        xs = [(t.suggest_float("x", -5, 5), t.suggest_float("y", -5, 5)) for t in running]
        return float(np.mean(np.std(np.array(xs), axis=0)))

    seeds = range(4)
    liar = np.median([spread(True, s) for s in seeds])
    honest = np.median([spread(False, s) for s in seeds])
    assert liar > 1.5 * honest


def test_constant_liar_puts_other_running_trials_in_the_bad_group() -> None:
    sampler = TPESampler(seed=0, constant_liar=True, n_startup_trials=2)
    study = podbor.create_study(sampler=sampler)
    for x in (0.0, 4.0, -4.0):
        study.add_trial(create_trial(params={"x": x}, distributions={"x": X}, value=x**2))
    blocker = study.ask()
    blocker.suggest_float("x", -5, 5)  # RUNNING, near the best point or not: it is a lie
    lies = sampler._liars(study, _frozen(99), ["x"], [X])
    assert lies.shape == (1, 1)
    assert sampler._liars(study, study.trials[-1], ["x"], [X]).shape == (0, 1)


def test_pruned_trials_are_used_and_ranked_by_progress() -> None:
    study = podbor.create_study()
    dists = {"x": X}

    def add(state: TrialState, x: float, reports: dict[int, float], value: float | None) -> None:
        trial = create_trial(
            state=state,
            params={"x": x},
            distributions=dists,
            intermediate_values=reports,
            value=value,
        )
        study.add_trial(trial)

    add(TrialState.COMPLETE, 0.0, {}, 100.0)  # 0: complete, worst value, still ranked first
    add(TrialState.PRUNED, 1.0, {0: 5.0, 1: 0.0}, 0.0)  # 1: pruned at step 1, value 0
    add(TrialState.PRUNED, 2.0, {0: 9.0, 3: 7.0}, 7.0)  # 2: got further: before trial 1
    add(TrialState.PRUNED, 3.0, {0: 1.0, 3: 2.0}, 2.0)  # 3: as far, better report
    add(TrialState.PRUNED, 4.0, {}, None)  # 4: never reported: last
    add(TrialState.FAIL, 5.0, {}, None)  # ignored
    history = History()
    history.update(study)
    assert len(history) == 5
    order = np.argsort(history.ranks())
    assert history.numbers[order].tolist() == [0, 3, 2, 1, 4]
    below, above = history.split(np.ones(5, dtype=bool), lambda n: 2)
    assert history.numbers[below].tolist() == [0, 3]
    assert history.numbers[above].tolist() == [1, 2, 4]


def test_pruned_trials_guide_the_search_like_complete_ones() -> None:
    def run(prune: bool) -> list[float]:
        def objective(trial: Trial) -> float:
            x = trial.suggest_float("x", -5, 5)
            trial.report((x - 2.0) ** 2, 0)
            if prune:
                raise podbor.TrialPruned()
            return (x - 2.0) ** 2

        study = podbor.create_study(sampler=TPESampler(seed=0))
        study.optimize(objective, n_trials=30)
        return [t.params["x"] for t in study.trials]

    # All pruned at the same step, ranked by their last report: the same split as by value.
    assert run(prune=True) == run(prune=False)


def test_failed_trials_are_ignored() -> None:
    def proposal(with_failures: bool) -> float:
        study = podbor.create_study()
        for i, x in enumerate(np.linspace(-4, 4, 12)):
            study.add_trial(create_trial(params={"x": x}, distributions={"x": X}, value=x**2))
            if with_failures and i % 3 == 0:
                failed = create_trial(
                    state=TrialState.FAIL, params={"x": -x}, distributions={"x": X}
                )
                study.add_trial(failed)
        sampler = TPESampler(seed=3)
        return float(sampler.sample_independent(study, _frozen(99), "x", X))

    assert proposal(True) == proposal(False)


def test_multi_objective_split_uses_non_dominated_sorting() -> None:
    values = np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [3.0, 3.0], [0.5, 5.0]])
    assert pareto_ranks(values).tolist() == [0, 0, 1, 2, 0]
    study = podbor.create_study(directions=["minimize", "maximize"])
    for i, (a, b) in enumerate(values):
        study.add_trial(
            create_trial(params={"x": float(i)}, distributions={"x": X}, values=[a, -b])
        )
    history = History()
    history.update(study)
    assert set(history.numbers[np.argsort(history.ranks())[:3]].tolist()) == {0, 1, 4}


def test_one_sampler_serves_two_studies_one_after_the_other() -> None:
    sampler = TPESampler(seed=0, n_startup_trials=3)
    first = podbor.create_study(sampler=sampler)
    first.optimize(_quadratic, n_trials=8)
    second = podbor.create_study(sampler=sampler)
    second.optimize(_quadratic, n_trials=5)
    # The cache holds the second study's trials only (the last one finished after sampling).
    cached = [t.datetime_start for t in sampler._history.trials]
    assert cached == [t.datetime_start for t in second.trials[:4]]
    assert all(t.state == TrialState.COMPLETE for t in second.trials)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_used_sampler_copies_without_its_study_cache(how: str) -> None:
    sampler = TPESampler(seed=0, multivariate=True, group=True, n_startup_trials=3)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=6)
    copied = copy.deepcopy(sampler) if how == "deepcopy" else pickle.loads(pickle.dumps(sampler))
    assert len(copied._history) == 0 and len(sampler._history) > 0
    assert copied.sample_independent(study, _frozen(99), "x", X) == sampler.sample_independent(
        study, _frozen(99), "x", X
    )


def test_a_group_seen_in_no_finished_trial_with_a_valid_value_is_sampled_from_the_prior() -> None:
    study = podbor.create_study()
    for x in (0.0, 1.0, 2.0):
        study.add_trial(create_trial(params={"x": x}, distributions={"x": X}, value=x))
    narrow = FloatDistribution(3.0, 4.0)  # no finished value lies inside: no observation at all
    value = TPESampler(seed=0, n_startup_trials=1).sample_independent(
        study, _frozen(9), "x", narrow
    )
    assert 3.0 <= value <= 4.0


def test_reseed_rng_changes_later_proposals() -> None:
    study = podbor.create_study()
    for x in (0.0, 1.0, 2.0):
        study.add_trial(create_trial(params={"x": x}, distributions={"x": X}, value=x))
    a, b = TPESampler(seed=1, n_startup_trials=1), TPESampler(seed=1, n_startup_trials=1)
    b.reseed_rng()
    draws_a = [a.sample_independent(study, _frozen(9), "x", X) for _ in range(5)]
    draws_b = [b.sample_independent(study, _frozen(9), "x", X) for _ in range(5)]
    assert draws_a != draws_b


@settings(max_examples=40)
@given(
    dist=st.one_of(
        st.builds(
            lambda low, span, step: IntDistribution(low, low + span * step, step=step),
            st.integers(-20, 20),
            st.integers(1, 30),
            st.integers(1, 5),
        ),
        st.builds(
            lambda low, span: IntDistribution(low, low + span, log=True),
            st.integers(1, 50),
            st.integers(1, 2000),
        ),
        st.builds(
            lambda k, step: FloatDistribution(0.0, k * step, step=step),
            st.integers(1, 40),
            st.sampled_from([0.1, 0.25, 0.5, 3.0]),
        ),
        st.builds(
            lambda n: CategoricalDistribution(list(range(n))),
            st.integers(2, 12),
        ),
    ),
    seed=st.integers(0, 3),
)
def test_model_proposals_lie_on_the_grid(dist: BaseDistribution, seed: int) -> None:
    rng = np.random.default_rng(seed)
    study = podbor.create_study()
    for _ in range(8):
        value = RandomSampler(seed=int(rng.integers(1 << 30))).sample_independent(
            study, _frozen(), "p", dist
        )
        study.add_trial(
            create_trial(params={"p": value}, distributions={"p": dist}, value=rng.random())
        )
    proposal = TPESampler(seed=seed, n_startup_trials=2).sample_independent(
        study, _frozen(99), "p", dist
    )
    assert dist.contains_external(proposal)
    assert dist.to_external_repr(dist.to_internal_repr(proposal)) == proposal


# -- defaults and arguments ---------------------------------------------------------------------
def test_default_gamma_and_weights() -> None:
    assert [default_gamma(n) for n in (0, 1, 10, 11, 250, 10_000)] == [0, 1, 1, 2, 25, 25]
    assert [hyperopt_default_gamma(n) for n in (1, 16, 100)] == [1, 1, 3]
    np.testing.assert_allclose(default_weights(30)[:5], np.linspace(1 / 30, 1, 5))
    assert default_weights(0).shape == (0,)
    assert np.all(default_weights(24) == 1.0)


def test_hyperopt_parameters_build_a_sampler_and_are_deprecated_as_in_optuna() -> None:
    with pytest.warns(FutureWarning, match=r"hyperopt_parameters\(\) has been deprecated"):
        kwargs = TPESampler.hyperopt_parameters()
    with pytest.warns(FutureWarning, match="'consider_endpoints'"):  # as Optuna's: deprecated
        sampler = TPESampler(**kwargs, seed=0)
    assert "TPESampler" in repr(sampler)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"n_startup_trials": True}, "n_startup_trials"),
        ({"n_ei_candidates": 0}, "n_ei_candidates"),
        ({"multivariate": "yes"}, "multivariate"),
        ({"group": True, "multivariate": False}, "group"),
        ({"group": "yes"}, "group"),
        ({"constant_liar": 1}, "constant_liar"),
        ({"gamma": 0.1}, "gamma"),
        ({"weights": [1.0]}, "weights"),
        ({"prior_weight": 0.0}, "prior_weight"),
        ({"prior_weight": math.inf}, "prior_weight"),
        ({"consider_endpoints": 1}, "consider_endpoints"),
        ({"consider_magic_clip": "no"}, "consider_magic_clip"),
        ({"consider_prior": 0}, "consider_prior"),
        ({"warn_independent_sampling": "x"}, "warn_independent_sampling"),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(f"{k}={w!r}" for k, w in v.items()),
)
@pytest.mark.filterwarnings("ignore::FutureWarning")  # the deprecated ones warn, then raise
def test_bad_arguments_are_refused_by_name(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"'{name}' parameter of TPESampler") as err:
        TPESampler(**kwargs)
    assert repr(next(iter(kwargs.values()))) in str(err.value)


def test_a_weights_function_with_a_wrong_shape_is_reported() -> None:
    study = podbor.create_study()
    for x in (0.0, 1.0, 2.0):
        study.add_trial(create_trial(params={"x": x}, distributions={"x": X}, value=x))
    sampler = TPESampler(seed=0, n_startup_trials=1, weights=lambda n: np.ones(n + 1))
    with pytest.raises(InvalidArgumentError, match="'weights' parameter of TPESampler"):
        sampler.sample_independent(study, _frozen(9), "x", X)


def test_positional_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        TPESampler(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("group", "reason"),
    [(True, "no finished trial has it yet"), (False, "group=True models conditional")],
)
def test_independent_sampling_warning_gives_the_reason_of_the_mode(
    podbor_log: pytest.LogCaptureFixture, group: bool, reason: str
) -> None:
    study = podbor.create_study(sampler=_warning_tpe(seed=0, n_startup_trials=2, group=group))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=1)
    messages = [r.getMessage() for r in podbor_log.records]
    [message] = [m for m in messages if "'y'" in m and "independently" in m]
    assert reason in message


def _grid_objective(trial: podbor.trial.BaseTrial) -> float:
    x = trial.suggest_int("x", 0, 3)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    scale = trial.suggest_float("scale", 0.0, 1.0, step=0.5)
    return (x - 1) ** 2 + {"a": 0.0, "b": 0.5, "c": 1.0}[kind] + scale


@pytest.mark.parametrize("seed", range(5))
def test_an_all_grid_space_is_not_searched_twice_while_points_are_left(seed: int) -> None:
    # 4 x 3 x 3 = 36 points: after the 2 random start-up trials every proposal is new
    sampler = TPESampler(seed=seed, n_startup_trials=2)
    study = podbor.create_study(sampler=sampler)
    study.optimize(_grid_objective, n_trials=30)
    points = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(points[2:])) == 28
    assert not set(points[2:]) & set(points[:2])
    assert study.best_value == 0.0


def test_an_exhausted_grid_space_repeats_points_without_error() -> None:
    study = podbor.create_study(sampler=TPESampler(seed=0, n_startup_trials=2))
    study.optimize(lambda t: float(t.suggest_int("x", 0, 2)), n_trials=8)
    assert {t.params["x"] for t in study.trials} == {0, 1, 2}
    assert len(study.trials) == 8


def test_a_running_trial_counts_as_tried_on_a_grid_space() -> None:
    study = podbor.create_study(sampler=TPESampler(seed=1, n_startup_trials=2))
    study.optimize(_grid_objective, n_trials=6)
    running = study.ask()
    others = [study.ask() for _ in range(3)]
    for trial in [running, *others]:
        _grid_objective(trial)
    finished = {tuple(sorted(t.params.items())) for t in study.trials[:6]}
    asked = [tuple(sorted(t.params.items())) for t in [running, *others]]
    assert len(set(asked)) == 4 and not set(asked) & finished


def test_a_second_study_gets_its_own_search_space() -> None:
    sampler = TPESampler(seed=0, n_startup_trials=3)
    first = podbor.create_study(sampler=sampler)
    first.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("z", 0, 1), n_trials=6)
    second = podbor.create_study(sampler=sampler)
    second.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=4)  # fewer trials
    trial = second.ask()
    assert list(sampler.infer_relative_search_space(second, second.trials[trial.number])) == ["y"]
