"""LearningCurvePruner and the curve model behind it (podbor/_learning_curve.py); the samplers'
side (pruned trials at their predicted values) is in tests/samplers/test_learning_curve_samplers.py."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

import podbor
from podbor._learning_curve import (
    PREDICTION_KEY,
    CurvePrediction,
    curve_features,
    predict_final,
    predicted_value,
)
from podbor.pruners import LearningCurvePruner, MedianPruner
from podbor.trial import TrialState, create_trial


def _curve(rate: float, plateau: float, epochs: int) -> dict[int, float]:
    """A loss that starts at 1 and falls at ``rate`` towards ``plateau``: fast learners reach a
    worse plateau in the studies below, so the curves cross."""
    return {t: plateau + (1.0 - plateau) / (1.0 + rate * t) for t in range(1, epochs + 1)}


# (rate, plateau): the faster, the worse the plateau
_CROSSING = [
    (8.0, 0.55),
    (4.0, 0.45),
    (2.0, 0.35),
    (1.0, 0.25),
    (0.5, 0.15),
    (6.0, 0.5),
    (3.0, 0.4),
]


def _study(
    pruner: podbor.pruners.BasePruner,
    runs: Sequence[tuple[float, float]],
    epochs: int = 20,
    direction: str = "minimize",
) -> podbor.Study:
    """A study whose COMPLETE trials trained ``runs`` for ``epochs`` (maximize: negated)."""
    sign = 1.0 if direction == "minimize" else -1.0
    study = podbor.create_study(direction=direction, pruner=pruner)
    for rate, plateau in runs:
        trial = study.ask()
        curve = _curve(rate, plateau, epochs)
        for step, value in curve.items():
            trial.report(sign * value, step)
        study.tell(trial, sign * curve[epochs])
    return study


def _first_pruned_step(
    study: podbor.Study, curve: dict[int, float], sign: float = 1.0
) -> int | None:
    trial = study.ask()
    for step, value in curve.items():
        trial.report(sign * value, step)
        if trial.should_prune():
            study.tell(trial, state=TrialState.PRUNED)
            return step
    study.tell(trial, sign * curve[max(curve)])
    return None


# -- the curve model --------------------------------------------------------------------------------
def test_curve_features_take_the_last_report_at_or_before_each_step() -> None:
    assert curve_features({1: 1.0, 2: 0.75, 3: 0.625, 4: 0.5}, 4) == (0.5, -0.25)
    # sparse reports: step 10 and the last one at or before 5 (step 4)
    assert curve_features({2: 1.0, 4: 0.75, 10: 0.5}, 10) == (0.5, -0.25)
    # NaN reports are skipped
    assert curve_features({1: 1.0, 2: math.nan, 4: 0.5}, 4) == (0.5, -0.5)


@pytest.mark.parametrize(
    "curve",
    [{}, {4: 0.5}, {1: math.nan, 4: 0.5}, {3: 0.5, 4: 0.4}],  # the last: nothing by step 2
)
def test_curve_features_need_two_distinct_reports(curve: dict[int, float]) -> None:
    assert curve_features(curve, 4) is None


def test_predict_final_recovers_a_linear_relation() -> None:
    rng = np.random.default_rng(0)
    completes = []
    for _ in range(30):
        v2, v4 = rng.uniform(0.5, 1.0), rng.uniform(0.2, 0.5)
        final = 0.1 + 0.8 * v4 + 1.5 * (v4 - v2)  # exact: the regression's own form
        completes.append(create_trial(value=final, intermediate_values={2: v2, 4: v4}))
    trial = create_trial(state=TrialState.RUNNING, intermediate_values={2: 0.7, 4: 0.3})
    prediction = predict_final(completes, trial, 4)
    assert prediction is not None
    assert prediction.value == pytest.approx(0.1 + 0.8 * 0.3 + 1.5 * (0.3 - 0.7), abs=1e-9)
    assert prediction.n_trials == 30 and prediction.step == 4
    finals = [t.value for t in completes]
    # a perfect fit: the standard error is the floor, 1 % of the final values' range (widened a
    # little for the distance of the query from the data)
    floor = 0.01 * (max(finals) - min(finals))
    assert floor <= prediction.sd <= 1.2 * floor


def test_predict_final_needs_four_usable_complete_trials() -> None:
    trial = create_trial(state=TrialState.RUNNING, intermediate_values={1: 0.9, 2: 0.8})
    usable = [
        create_trial(value=v, intermediate_values={1: 1.0, 2: v + 0.1}) for v in (0.1, 0.2, 0.4)
    ]
    assert predict_final(usable, trial, 2) is None
    ignored = [
        create_trial(value=0.3, intermediate_values={2: 0.4}),  # one report only
        create_trial(value=math.inf, intermediate_values={1: 1.0, 2: 0.5}),  # no finite value
        create_trial(state=TrialState.PRUNED, value=0.9, intermediate_values={1: 1.0, 2: 0.9}),
    ]
    assert predict_final(usable + ignored, trial, 2) is None
    more = [*usable, create_trial(value=0.3, intermediate_values={1: 1.0, 2: 0.45})]
    assert predict_final(more + ignored, trial, 2) is not None


def test_probability_better_in_both_directions() -> None:
    prediction = CurvePrediction(value=1.0, sd=0.5, step=3, n_trials=10)
    assert prediction.probability_better(1.0, minimize=True) == pytest.approx(0.5)
    assert prediction.probability_better(2.0, minimize=True) == pytest.approx(0.97725, abs=1e-5)
    assert prediction.probability_better(2.0, minimize=False) == pytest.approx(0.02275, abs=1e-5)


@pytest.mark.parametrize(
    "record",
    [None, "0.3", {"sd": 0.1}, {"value": True}, {"value": math.nan}, {"value": "0.3"}],
)
def test_predicted_value_ignores_anything_but_a_finite_number(record: object) -> None:
    attrs = {} if record is None else {PREDICTION_KEY: record}
    assert predicted_value(create_trial(state=TrialState.PRUNED, system_attrs=attrs)) is None


def test_predicted_value_only_of_pruned_trials() -> None:
    attrs = {PREDICTION_KEY: {"value": 0.3, "sd": 0.1, "step": 4, "n_trials": 9}}
    assert predicted_value(create_trial(state=TrialState.PRUNED, system_attrs=attrs)) == 0.3
    assert predicted_value(create_trial(value=1.0, system_attrs=attrs)) is None


# -- the pruner -------------------------------------------------------------------------------------
def test_keeps_a_slow_starter_that_the_median_rule_stops() -> None:
    """The point of the pruner: a small learning rate, behind at first, heading for the best
    plateau. The median rule stops it early; the curve model keeps it to the end."""
    slow = _curve(0.4, 0.12, 20)
    median_stops = _first_pruned_step(_study(MedianPruner(n_startup_trials=5), _CROSSING), slow)
    assert median_stops is not None and median_stops <= 5
    study = _study(LearningCurvePruner(), _CROSSING)
    assert _first_pruned_step(study, slow) is None
    assert study.best_value == pytest.approx(slow[20])


def test_stops_a_fast_learner_bound_for_a_bad_plateau_and_records_why() -> None:
    study = _study(LearningCurvePruner(), _CROSSING)
    fast = _curve(10.0, 0.6, 20)  # the best loss of all at epoch 1, the worst plateau
    step = _first_pruned_step(study, fast)
    assert step is not None and step <= 5
    pruned = study.trials[-1]
    assert pruned.state == TrialState.PRUNED
    record = pruned.system_attrs[PREDICTION_KEY]
    assert record["step"] == step and record["n_trials"] == len(_CROSSING)
    assert record["value"] == pytest.approx(0.6, abs=0.08)  # where it was heading
    assert record["sd"] > 0
    assert predicted_value(pruned) == record["value"]
    assert PREDICTION_KEY not in study.trials_dataframe().columns.str.cat(sep=" ")


def test_the_same_answers_when_maximizing() -> None:
    for direction, sign in (("minimize", 1.0), ("maximize", -1.0)):
        study = _study(LearningCurvePruner(), _CROSSING, direction=direction)
        assert _first_pruned_step(study, _curve(0.4, 0.12, 20), sign) is None
        step = _first_pruned_step(study, _curve(10.0, 0.6, 20), sign)
        assert step is not None and step <= 5
        record = study.trials[-1].system_attrs[PREDICTION_KEY]
        assert record["value"] == pytest.approx(sign * 0.6, abs=0.08)


def test_waits_for_startup_trials_and_warmup_steps() -> None:
    fast = _curve(10.0, 0.6, 20)
    assert _first_pruned_step(_study(LearningCurvePruner(), _CROSSING[:4]), fast) is None
    pruner = LearningCurvePruner(n_startup_trials=4, n_warmup_steps=7, interval_steps=5)
    step = _first_pruned_step(_study(pruner, _CROSSING[:4]), fast)
    assert step is not None and step >= 7 and (step - 7) % 5 == 0


def test_all_nan_reports_are_pruned_as_by_the_median_rule() -> None:
    study = _study(LearningCurvePruner(), _CROSSING)
    assert _first_pruned_step(study, {1: math.nan, 2: math.nan}) == 1
    assert PREDICTION_KEY not in study.trials[-1].system_attrs


def test_refuses_several_objectives() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    frozen = create_trial(values=[1.0, 2.0], intermediate_values={1: 1.0, 2: 0.5})
    with pytest.raises(NotImplementedError, match="multi-objective"):
        LearningCurvePruner().prune(study, frozen)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("probability", 0.0),
        ("probability", 1.0),
        ("probability", math.nan),
        ("probability", "0.1"),
        ("n_startup_trials", 3),
        ("n_startup_trials", 5.0),
        ("n_warmup_steps", -1),
        ("interval_steps", 0),
    ],
)
def test_bad_arguments_are_named(name: str, value: object) -> None:
    with pytest.raises(podbor.exceptions.InvalidArgumentError) as info:
        LearningCurvePruner(**{name: value})  # type: ignore[arg-type]
    assert f"'{name}'" in str(info.value) and repr(value) in str(info.value)


def test_repr_shows_the_arguments() -> None:
    assert repr(LearningCurvePruner(probability=0.1)) == (
        "LearningCurvePruner(probability=0.1, n_startup_trials=5, n_warmup_steps=0, "
        "interval_steps=1)"
    )


def test_predict_final_fits_the_latest_complete_trials_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long study's regression uses the latest MAX_FIT_TRIALS usable complete trials: early
    trials that followed another relation no longer count."""
    import podbor._learning_curve as curve_module

    monkeypatch.setattr(curve_module, "MAX_FIT_TRIALS", 10)
    rng = np.random.default_rng(1)

    def run(offset: float) -> podbor.trial.FrozenTrial:
        v1, v2 = rng.uniform(0.5, 1.0), rng.uniform(0.1, 0.5)
        return create_trial(value=offset + v2, intermediate_values={1: v1, 2: v2})

    completes = [run(5.0) for _ in range(20)] + [run(0.0) for _ in range(10)]
    trial = create_trial(state=TrialState.RUNNING, intermediate_values={1: 0.8, 2: 0.3})
    prediction = predict_final(completes, trial, 2)
    assert prediction is not None and prediction.n_trials == 10
    assert prediction.value == pytest.approx(0.3, abs=1e-9)
