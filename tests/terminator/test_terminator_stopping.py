"""Tests of Terminator and TerminatorCallback: when a study stops, the defaults, bad input."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable

import pytest

import podbor
from podbor.exceptions import ExperimentalWarning
from podbor.terminator import (
    BaseErrorEvaluator,
    BaseImprovementEvaluator,
    BaseTerminator,
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    EMMREvaluator,
    MedianErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    Terminator,
    TerminatorCallback,
    report_cross_validation_scores,
)
from podbor.trial import FrozenTrial, TrialState, create_trial

podbor.logging.set_verbosity(podbor.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")


class Constant(BaseImprovementEvaluator):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value
        self.calls = 0

    def evaluate(self, trials: list[FrozenTrial], study_direction: podbor.StudyDirection) -> float:
        self.calls += 1
        return self.value


def study_with(n: int, value: float = 0.0) -> podbor.Study:
    study = podbor.create_study()
    for _ in range(n):
        study.tell(study.ask(), value)
    return study


@pytest.mark.parametrize(
    ("improvement", "error", "expected"),
    [(3.0, 0.0, False), (-1.0, 0.0, True), (0.0, 0.0, False), (0.5, 1.0, True)],
)
def test_terminates_exactly_when_improvement_is_below_error(
    improvement: float, error: float, expected: bool
) -> None:
    terminator = Terminator(Constant(improvement), StaticErrorEvaluator(error), min_n_trials=1)
    assert terminator.should_terminate(study_with(1)) is expected


def test_waits_for_min_n_trials_complete_trials() -> None:
    evaluator = Constant(-1.0)
    terminator = Terminator(evaluator, StaticErrorEvaluator(0.0), min_n_trials=3)
    study = study_with(2)
    study.add_trial(create_trial(state=TrialState.FAIL))  # does not count
    assert not terminator.should_terminate(study)
    assert evaluator.calls == 0  # not even asked before min_n_trials
    study.tell(study.ask(), 0.0)
    assert terminator.should_terminate(study)


def test_defaults_pick_the_error_evaluator_that_matches() -> None:
    stagnation = Terminator(BestValueStagnationEvaluator(2), min_n_trials=1)
    study = study_with(4)  # best first reached at trial 0, three trials ago
    assert stagnation.should_terminate(study)  # 2 - 3 < 0, the error is a static 0
    # The default improvement evaluator is the regret bound, the default error the CV error:
    # a study without fold scores cannot be judged.
    default = Terminator(min_n_trials=1)
    study = podbor.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        default.should_terminate(study)


def test_default_terminator_stops_a_noisy_cross_validated_study() -> None:
    # Fold scores spread by 0.2 around a flat objective: no configuration is better beyond the
    # noise, so the default terminator stops once it may (min_n_trials).
    def objective(trial: podbor.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        scores = [0.01 * x, 0.2, -0.2, 0.1, -0.1]
        report_cross_validation_scores(trial, scores)
        return sum(scores) / len(scores)

    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    callback = TerminatorCallback(Terminator(RegretBoundEvaluator(seed=0), min_n_trials=5))
    study.optimize(objective, n_trials=50, callbacks=[callback])
    assert len(study.trials) == 5


def test_callback_stops_the_study_at_the_first_true() -> None:
    class AtTrial(BaseTerminator):
        def should_terminate(self, study: podbor.Study) -> bool:
            numbers = [t.number for t in study.get_trials(states=[TrialState.COMPLETE])]
            return max(numbers) >= 7

    study = podbor.create_study()
    study.optimize(lambda _: 0.0, n_trials=100, callbacks=[TerminatorCallback(AtTrial())])
    assert len(study.trials) == 8


def test_callback_logs_the_stop(caplog: pytest.LogCaptureFixture) -> None:
    podbor.logging.enable_propagation()
    podbor.logging.set_verbosity(podbor.logging.INFO)
    try:
        with caplog.at_level("INFO"):
            study = podbor.create_study()
            terminator = Terminator(Constant(-1.0), StaticErrorEvaluator(0.0), min_n_trials=2)
            study.optimize(lambda _: 0.0, n_trials=10, callbacks=[TerminatorCallback(terminator)])
    finally:
        podbor.logging.disable_propagation()
        podbor.logging.set_verbosity(podbor.logging.WARNING)
    assert len(study.trials) == 2
    assert "stopped by the terminator after trial 1" in caplog.text


def test_callback_default_is_a_terminator() -> None:
    callback = TerminatorCallback()
    study = podbor.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, callbacks=[callback])
    assert len(study.trials) == 3  # fewer than the default min_n_trials: never asked


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None])
def test_min_n_trials_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match="'min_n_trials' parameter of Terminator") as info:
        Terminator(min_n_trials=bad)  # type: ignore[arg-type]
    assert repr(bad) in str(info.value)


def test_wrong_evaluator_kinds_are_named() -> None:
    with pytest.raises(ValueError, match=r"'improvement_evaluator'.*BaseImprovementEvaluator"):
        Terminator(improvement_evaluator=StaticErrorEvaluator(0.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'error_evaluator'.*BaseErrorEvaluator"):
        Terminator(error_evaluator=BestValueStagnationEvaluator())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'terminator' parameter of TerminatorCallback"):
        TerminatorCallback(Terminator)  # type: ignore[arg-type]


def test_multi_objective_study_is_refused() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"one objective\. Got a study with 2 objectives"):
        Terminator(BestValueStagnationEvaluator()).should_terminate(study)


def test_experimental_warnings_follow_optuna() -> None:
    experimental: list[Callable[[], object]] = [
        lambda: RegretBoundEvaluator(),
        lambda: BestValueStagnationEvaluator(),
        lambda: EMMREvaluator(),
        lambda: CrossValidationErrorEvaluator(),
        lambda: StaticErrorEvaluator(0.0),
        lambda: MedianErrorEvaluator(Constant(0.0)),
        lambda: Constant(0.0),  # a user's subclass of the experimental base class
    ]
    for make in experimental:
        with pytest.warns(ExperimentalWarning):
            make()
    stable: list[Callable[[], object]] = [
        lambda: Terminator(),
        lambda: TerminatorCallback(),
        lambda: study_with(0),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for make in stable:
            make()


def test_base_classes_are_abstract() -> None:
    for cls in (BaseTerminator, BaseImprovementEvaluator, BaseErrorEvaluator):
        with pytest.raises(TypeError):
            cls()  # type: ignore[abstract]


def test_terminator_is_lazy_and_not_imported_by_visualization() -> None:
    code = (
        "import sys, podbor, podbor.visualization\n"
        "before = 'podbor.terminator' in sys.modules\n"
        "podbor.terminator.Terminator\n"
        "print(before, 'podbor.terminator' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
