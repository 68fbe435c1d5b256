"""podbor.search_space: Optuna's public module for inferred search spaces."""

from __future__ import annotations

import podbor
from podbor.distributions import FloatDistribution, IntDistribution
from podbor.search_space import IntersectionSearchSpace, intersection_search_space


def test_the_one_shot_form_agrees_with_the_incremental_one() -> None:
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    space = IntersectionSearchSpace()
    assert space.calculate(study) == intersection_search_space(study.get_trials()) == {}
    study.enqueue_trial({"x": 5})
    assert intersection_search_space(study.get_trials()) == {}  # a WAITING trial is no evidence
    study.optimize(lambda t: t.suggest_float("y", -3, 3) + t.suggest_int("x", 0, 10), n_trials=1)
    expected = {"x": IntDistribution(0, 10), "y": FloatDistribution(-3, 3)}
    assert space.calculate(study) == intersection_search_space(study.get_trials()) == expected
    study.optimize(lambda t: t.suggest_float("y", -3, 3), n_trials=1)
    assert (
        space.calculate(study)
        == intersection_search_space(study.get_trials())
        == {"y": FloatDistribution(-3, 3)}
    )


def test_pruned_trials_count_only_when_asked() -> None:
    study = podbor.create_study()

    def pruned(trial: podbor.Trial) -> float:
        trial.suggest_float("z", 0, 1)
        raise podbor.TrialPruned()

    study.optimize(pruned, n_trials=1)
    assert intersection_search_space(study.get_trials()) == {}
    assert list(intersection_search_space(study.get_trials(), include_pruned=True)) == ["z"]
