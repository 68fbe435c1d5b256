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


def test_a_space_given_another_study_starts_over() -> None:
    """One instance read by two studies in turn gives each its own space (a sampler object may
    serve several studies one after the other), for both kinds of space."""
    from podbor.samplers._intersection import GroupDecomposedSearchSpace

    first, second = podbor.create_study(), podbor.create_study()
    first.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 3), n_trials=4)
    second.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=2)  # fewer trials
    intersection, groups = IntersectionSearchSpace(), GroupDecomposedSearchSpace()
    assert list(intersection.calculate(first)) == ["n", "x"]
    assert [list(g) for g in groups.calculate(first)] == [["n", "x"]]
    assert list(intersection.calculate(second)) == ["y"]
    assert [list(g) for g in groups.calculate(second)] == [["y"]]
    assert list(intersection.calculate(first)) == ["n", "x"]
