"""Pruned trials teach the GP samplers: a trial that LearningCurvePruner stopped counts as an
observation at its predicted final value (GPSampler, AutoSampler's GP, its per-branch GPs);
other pruned trials stay out, as in Optuna."""

from __future__ import annotations

from typing import Any

import pytest

import podbor
from podbor._learning_curve import PREDICTION_KEY
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.pruners import LearningCurvePruner
from podbor.samplers import AutoSampler, GPSampler
from podbor.samplers._auto import STRATEGY_ATTR
from podbor.samplers._gp.training import observed_trials, observed_values
from podbor.trial import TrialState, create_trial

_X = {"x": FloatDistribution(0.0, 1.0)}


def _pruned(x: float, predicted: float | None) -> podbor.trial.FrozenTrial:
    attrs: dict[str, Any] = {}
    if predicted is not None:
        attrs[PREDICTION_KEY] = {"value": predicted, "sd": 0.01, "step": 3, "n_trials": 5}
    return create_trial(
        state=TrialState.PRUNED,
        params={"x": x},
        distributions=_X,
        intermediate_values={1: 2.0, 3: 1.5},
        system_attrs=attrs,
    )


def _history(study: podbor.Study, predicted: bool) -> None:
    """Complete trials on ``[0, 0.5]`` that improve towards larger ``x``, and pruned trials on
    ``[0.7, 1]`` whose curves predicted a poor end (or that carry no prediction)."""
    for x in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5):
        study.add_trial(create_trial(params={"x": x}, distributions=_X, value=1.0 - x))
    for x in (0.7, 0.8, 0.9, 1.0):
        study.add_trial(_pruned(x, 5.0 if predicted else None))


def test_observed_values_and_trials() -> None:
    study = podbor.create_study()
    _history(study, predicted=True)
    study.add_trial(_pruned(0.65, None))
    observed = observed_trials(study)
    assert [t.params["x"] for t in observed] == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 0.8, 0.9, 1.0]
    assert [observed_values(t) for t in observed[-2:]] == [[5.0], [5.0]]


@pytest.mark.parametrize("trust_region", [False, True])
def test_gp_learns_where_pruned_trials_were_heading(trust_region: bool) -> None:
    """The complete trials alone point to large ``x``, and there the GP goes while the pruned
    trials carry no prediction (they are left out); with their predictions, that ``[0.7, 1]``
    ends badly, it proposes before them."""
    proposals = {}
    for predicted in (False, True):
        sampler = GPSampler(seed=0, n_startup_trials=5, trust_region=trust_region)
        study = podbor.create_study(sampler=sampler)
        _history(study, predicted=predicted)
        proposals[predicted] = study.ask(_X).params["x"]
        training = sampler._training
        assert training is not None
        assert len(training.y) == (10 if predicted else 6)
        if predicted:
            assert sorted(training.y)[:4] == [-5.0] * 4  # maximized internally: -value
    assert proposals[False] >= 0.7
    assert 0.4 < proposals[True] < 0.7


def test_auto_keeps_its_gp_when_the_pruned_trials_have_predictions() -> None:
    for predicted, strategy, words in (
        (True, "gp", "6 complete trials and 4 pruned at their predicted final values"),
        (False, "tpe", "4 of 10 finished trials pruned without a predicted final value"),
    ):
        study = podbor.create_study(sampler=AutoSampler(seed=0, n_startup_trials=5))
        _history(study, predicted=predicted)
        for _ in range(3):  # now more pruned trials than complete ones
            study.add_trial(_pruned(0.95, 5.0 if predicted else None))
        trial = study.ask(_X)
        reason = study.trials[trial.number].system_attrs[STRATEGY_ATTR]
        assert reason.startswith(strategy), reason
        assert words.replace("4 pruned", "7 pruned").replace("4 of 10", "7 of 13") in reason


def test_per_branch_gps_take_the_predictions_too() -> None:
    root = CategoricalDistribution(("a", "b"))
    space = {"model": root, "x": FloatDistribution(0.0, 1.0)}
    study = podbor.create_study(sampler=AutoSampler(seed=0, n_startup_trials=5))
    for i in range(4):
        for model in ("a", "b"):
            name = "x" if model == "a" else "y"
            params = {"model": model, name: 0.1 + 0.2 * i}
            dists = {"model": root, name: FloatDistribution(0.0, 1.0)}
            study.add_trial(create_trial(params=params, distributions=dists, value=float(i)))
    attrs = {PREDICTION_KEY: {"value": 9.0, "sd": 0.1, "step": 2, "n_trials": 8}}
    study.add_trial(
        create_trial(
            state=TrialState.PRUNED,
            params={"model": "a", "x": 0.9},
            distributions=space,
            intermediate_values={1: 3.0, 2: 2.0},
            system_attrs=attrs,
        )
    )
    trial = study.ask()
    trial.suggest_categorical("model", ("a", "b"))
    reason = study.trials[trial.number].system_attrs[STRATEGY_ATTR]
    assert reason.startswith("gp-branches"), reason
    assert "8 complete trials and 1 pruned at their predicted final values" in reason


def test_the_default_with_the_pruner_end_to_end() -> None:
    """AutoSampler + LearningCurvePruner on crossing learning curves: some trials are pruned
    with a prediction, and the GP goes on learning from them."""

    def objective(trial: podbor.Trial) -> float:
        rate = trial.suggest_float("rate", 0.05, 20.0, log=True)
        plateau = 0.6 * rate / (1.0 + rate)  # the faster, the worse the plateau
        loss = 1.0
        for epoch in range(1, 16):
            loss = plateau + (1.0 - plateau) / (1.0 + rate * epoch)
            trial.report(loss, epoch)
            if trial.should_prune():
                raise podbor.TrialPruned()
        return loss

    study = podbor.create_study(sampler=AutoSampler(seed=1), pruner=LearningCurvePruner())
    study.optimize(objective, n_trials=30)
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert pruned and all(PREDICTION_KEY in t.system_attrs for t in pruned)
    reasons = [t.system_attrs[STRATEGY_ATTR] for t in study.trials]
    assert any("pruned at their predicted final values" in r for r in reasons)
    assert not any(r.startswith("tpe") for r in reasons)
