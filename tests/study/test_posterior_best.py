"""``podbor.study.posterior_best_trial``: the GP's pick of the truly best trial on noisy scores."""

from __future__ import annotations

import numpy as np
import pytest

import podbor
from podbor.exceptions import InvalidArgumentError
from podbor.study import posterior_best_trial
from podbor.trial import BaseTrial


def _random_study(direction: str = "minimize", seed: int = 0) -> podbor.Study:
    return podbor.create_study(
        direction=direction, sampler=podbor.samplers.RandomSampler(seed=seed)
    )


def _true(x: float, y: float) -> float:
    return (x - 0.3) ** 2 + (y + 0.5) ** 2


def test_noise_free_scores_give_the_best_trial() -> None:
    study = _random_study()
    study.optimize(
        lambda t: _true(t.suggest_float("x", -2, 2), t.suggest_float("y", -2, 2)), n_trials=25
    )
    assert posterior_best_trial(study).number == study.best_trial.number


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_on_noisy_scores_it_picks_truly_better_trials_than_the_best_score(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    by_score, by_posterior = [], []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        study = _random_study(direction, seed)

        def noisy(trial: BaseTrial, rng: np.random.Generator = rng) -> float:
            x, y = trial.suggest_float("x", -2, 2), trial.suggest_float("y", -2, 2)
            return sign * (_true(x, y) + rng.normal(0.0, 0.6))

        study.optimize(noisy, n_trials=50)
        by_score.append(_true(**study.best_trial.params))
        by_posterior.append(_true(**posterior_best_trial(study).params))
    assert np.mean(by_posterior) < 0.7 * np.mean(by_score)


def test_it_returns_a_copy_of_one_of_the_complete_trials() -> None:
    study = _random_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.number % 3, n_trials=12)
    trial = posterior_best_trial(study)
    assert trial in study.trials and trial.state == podbor.trial.TrialState.COMPLETE
    trial.user_attrs["changed"] = True
    assert "changed" not in study.trials[trial.number].user_attrs


def test_falls_back_to_the_best_trial_with_few_trials_or_a_conditional_space() -> None:
    study = _random_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert posterior_best_trial(study).number == study.best_trial.number

    def conditional(trial: BaseTrial) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return trial.suggest_float("x", 0, 1)
        return 0.5 + trial.suggest_float("y", 0, 1)

    study = _random_study()
    study.optimize(conditional, n_trials=12)
    assert posterior_best_trial(study).number == study.best_trial.number


def test_bad_input() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    with pytest.raises(InvalidArgumentError, match="study"):
        posterior_best_trial(study)
    study = _random_study()
    with pytest.raises(ValueError):
        posterior_best_trial(study)  # no complete trial, as best_trial
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(InvalidArgumentError, match="min_trials"):
        posterior_best_trial(study, min_trials=1)
