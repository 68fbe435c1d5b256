"""Semantics of each pruner on hand-built histories (the shared contract is in tests/testing)."""

from __future__ import annotations

import collections
import math
from collections.abc import Sequence

import pytest

import podbor
from podbor.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from podbor.trial import TrialState


def _study(pruner: BasePruner, curves: Sequence[Sequence[float]], direction: str = "minimize"):
    """A study whose COMPLETE trials reported ``curves`` (one list of values per trial)."""
    study = podbor.create_study(direction=direction, pruner=pruner)
    for curve in curves:
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(value, step)
        finite = [v for v in curve if not math.isnan(v)]
        study.tell(trial, finite[-1] if finite else 0.0)
    return study


def _answers(study: podbor.Study, curve: Sequence[float], steps: Sequence[int] | None = None):
    trial = study.ask()
    out = []
    for step, value in zip(steps or range(len(curve)), curve, strict=True):
        trial.report(value, step)
        out.append(trial.should_prune())
    return out


HISTORY = [[float(i + 1)] * 5 for i in range(5)]  # trials reporting 1, 2, 3, 4, 5 at every step


@pytest.mark.parametrize(
    ("value", "expected"), [(2.5, False), (3.0, False), (3.5, True)], ids=["better", "tie", "worse"]
)
def test_median_compares_with_the_median_at_that_step(value: float, expected: bool) -> None:
    study = _study(MedianPruner(n_startup_trials=5), HISTORY)
    assert _answers(study, [value])[-1] is expected


def test_median_uses_the_best_report_so_far() -> None:
    study = _study(MedianPruner(n_startup_trials=5), HISTORY)
    assert _answers(study, [1.0, 9.0]) == [False, False]


def test_median_is_direction_aware() -> None:
    study = _study(MedianPruner(n_startup_trials=5), HISTORY, direction="maximize")
    assert _answers(study, [2.0]) == [True]
    study = _study(MedianPruner(n_startup_trials=5), HISTORY, direction="maximize")
    assert _answers(study, [4.0]) == [False]


def test_startup_warmup_and_interval() -> None:
    assert _answers(_study(MedianPruner(n_startup_trials=6), HISTORY), [9.0]) == [False]
    warm = _study(MedianPruner(n_startup_trials=5, n_warmup_steps=2), HISTORY)
    assert _answers(warm, [9.0] * 4) == [False, False, True, True]
    spaced = _study(MedianPruner(n_startup_trials=5, interval_steps=2), HISTORY)
    assert _answers(spaced, [9.0] * 5) == [True, False, True, False, True]


def test_n_min_trials_counts_reports_at_that_step() -> None:
    study = _study(MedianPruner(n_startup_trials=1, n_min_trials=3), [[1.0, 1.0], [2.0]])
    assert _answers(study, [9.0, 9.0]) == [False, False]


def test_percentile_25_is_stricter_than_the_median() -> None:
    study = _study(PercentilePruner(25.0, n_startup_trials=5), HISTORY)
    assert _answers(study, [2.5]) == [True]


def test_nan_reports_in_the_history_are_ignored() -> None:
    curves = [[math.nan] * 3, *HISTORY]
    study = _study(MedianPruner(n_startup_trials=5), curves)
    assert _answers(study, [3.5]) == [True]


def test_successive_halving_keeps_the_top_third_at_each_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = podbor.create_study(pruner=pruner)
    decisions = {}
    for value in [5.0, 4.0, 3.0, 2.0, 1.0, 6.0]:
        trial = study.ask()
        trial.report(value, 0)
        trial.report(value, 1)  # rung 0 is at step 1
        decisions[value] = trial.should_prune()
        study.tell(trial, value)
    # competitors at rung 0 when each arrives: keep the best max(1, n // 3)
    assert decisions == {5.0: False, 4.0: False, 3.0: False, 2.0: False, 1.0: False, 6.0: True}


def test_successive_halving_judges_only_on_reaching_a_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=2, reduction_factor=2)
    study = _study(pruner, [[1.0] * 9 for _ in range(4)])
    answers = _answers(study, [9.0] * 5)
    assert answers == [False, False, True, False, True]  # rungs at steps 2 and 4


def test_successive_halving_auto_waits_for_a_complete_trial() -> None:
    study = podbor.create_study(pruner=SuccessiveHalvingPruner())
    assert _answers(study, [9.0] * 3) == [False] * 3


def test_successive_halving_bootstrap_prunes_until_enough_peers() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, bootstrap_count=2)
    study = podbor.create_study(pruner=pruner)
    assert _answers(study, [1.0, 1.0]) == [False, True]


def test_hyperband_brackets_are_deterministic_and_weighted() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert pruner.n_brackets(27) == 4
    brackets = [pruner.bracket_of(n, 4) for n in range(4000)]
    assert brackets == [pruner.bracket_of(n, 4) for n in range(4000)]
    counts = collections.Counter(brackets)
    assert set(counts) == {0, 1, 2, 3}
    assert counts[0] > counts[1] > counts[3]  # the most aggressive bracket gets the most trials


def test_hyperband_compares_only_within_a_bracket() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = podbor.create_study(pruner=pruner)
    for number in range(30):
        trial = study.ask()
        value = float(number)  # later trials are worse
        pruned = False
        for step in range(9):
            trial.report(value, step)
            if trial.should_prune():
                pruned = True
                break
        if pruned:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, value)
    states = collections.Counter(t.state for t in study.trials)
    assert states[TrialState.PRUNED] > 0 and states[TrialState.COMPLETE] > 0
    for t in study.trials:
        if t.state == TrialState.PRUNED:
            bracket = pruner.bracket_of(t.number, pruner.n_brackets(9))
            assert t.last_step is not None and t.last_step >= 3**bracket


@pytest.mark.parametrize(
    ("kwargs", "curve", "expected"),
    [
        ({"upper": 10.0}, [1.0, 11.0], [False, True]),
        ({"lower": 0.0}, [1.0, -1.0], [False, True]),
        ({"upper": 10.0, "n_warmup_steps": 2}, [11.0, 11.0, 11.0], [False, False, True]),
        ({"upper": 10.0}, [1.0, math.inf], [False, True]),
        ({"upper": 10.0}, [math.nan], [True]),  # as in Optuna: NaN is outside every range
    ],
)
def test_threshold(kwargs: dict[str, float], curve: list[float], expected: list[bool]) -> None:
    study = podbor.create_study(pruner=ThresholdPruner(**kwargs))  # type: ignore[arg-type]
    assert _answers(study, curve) == expected


@pytest.mark.parametrize(
    ("patience", "min_delta", "curve", "expected"),
    [
        pytest.param(2, 0.0, [5.0, 4.0, 3.0, 3.5, 3.2, 3.1], [False] * 5 + [True], id="worse"),
        pytest.param(1, 0.0, [5.0, 5.0, 5.0], [False, False, False], id="a-tie-is-tolerated"),
        pytest.param(1, 0.5, [5.0, 5.6, 5.7], [False, False, True], id="worse-beyond-delta"),
        pytest.param(1, 0.5, [5.0, 5.3, 5.4], [False, False, False], id="worse-within-delta"),
    ],
)
def test_patient_waits_for_a_plateau(
    patience: int, min_delta: float, curve: list[float], expected: list[bool]
) -> None:
    # stalled (Optuna's rule) when the best of the last patience + 1 reports is worse, by more
    # than min_delta, than the best before them
    study = podbor.create_study(pruner=PatientPruner(None, patience=patience, min_delta=min_delta))
    assert _answers(study, curve) == expected


def test_patient_defers_to_the_wrapped_pruner() -> None:
    study = _study(PatientPruner(MedianPruner(n_startup_trials=5), patience=1), HISTORY)
    assert _answers(study, [9.0, 9.5, 9.8]) == [False, False, True]
    study = _study(PatientPruner(MedianPruner(n_startup_trials=5), patience=1), HISTORY)
    assert _answers(study, [0.0, 0.1, 0.2]) == [False, False, False]


def test_wilcoxon_pairs_folds_in_any_order() -> None:
    best = [0.90, 0.92, 0.88, 0.91, 0.93, 0.89, 0.90, 0.92]
    study = podbor.create_study(direction="maximize", pruner=WilcoxonPruner(p_threshold=0.1))
    trial = study.ask()
    for fold, score in enumerate(best):
        trial.report(score, fold)
    study.tell(trial, sum(best) / len(best))
    order = [5, 2, 7, 0, 3, 6, 1, 4]
    worse = [best[f] - 0.05 for f in order]
    answers = _answers(study, worse, steps=order)
    assert answers[0] is False and answers[-1] is True
    close = [best[f] + (0.01 if i % 2 else -0.01) for i, f in enumerate(order)]
    assert not any(_answers(study, close, steps=order))


def test_wilcoxon_needs_startup_steps_and_a_complete_trial() -> None:
    study = podbor.create_study(pruner=WilcoxonPruner(n_startup_steps=3))
    assert _answers(study, [9.0, 9.0]) == [False, False]


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (lambda: PercentilePruner(101.0), "percentile"),
        (lambda: MedianPruner(n_startup_trials=-1), "n_startup_trials"),
        (lambda: MedianPruner(interval_steps=0), "interval_steps"),
        (lambda: SuccessiveHalvingPruner(reduction_factor=1), "reduction_factor"),
        (lambda: SuccessiveHalvingPruner(min_resource="soon"), "min_resource"),
        (lambda: SuccessiveHalvingPruner(bootstrap_count=2), "bootstrap_count"),
        (lambda: HyperbandPruner(min_resource=10, max_resource=5), "max_resource"),
        (lambda: ThresholdPruner(), "lower"),
        (lambda: ThresholdPruner(lower=2.0, upper=1.0), "lower"),
        (lambda: PatientPruner(None, patience=-1), "patience"),
        (lambda: PatientPruner("median", patience=1), "wrapped_pruner"),  # type: ignore[arg-type]
        (lambda: WilcoxonPruner(p_threshold=-0.1), "p_threshold"),
        (lambda: HyperbandPruner(bootstrap_count=1), "bootstrap_count"),
        (lambda: WilcoxonPruner(p_threshold=1.5), "p_threshold"),
        (lambda: PercentilePruner(math.nan), "percentile"),
        (lambda: MedianPruner(n_warmup_steps=True), "n_warmup_steps"),
        (lambda: MedianPruner(n_min_trials=2.0), "n_min_trials"),  # type: ignore[arg-type]
        (lambda: HyperbandPruner(max_resource=True), "max_resource"),
        (lambda: ThresholdPruner(lower=math.nan), "lower"),
        (lambda: PatientPruner(None, patience=1, min_delta=-0.1), "min_delta"),
    ],
)
def test_bad_arguments_name_the_argument(factory, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(podbor.exceptions.InvalidArgumentError, match=f"'{name}'"):
        factory()


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        pytest.param(
            lambda: SuccessiveHalvingPruner(min_resource="soon"),
            "The 'min_resource' parameter of SuccessiveHalvingPruner must be 'auto' or an int "
            ">= 1. Got 'soon' instead.",
            id="auto-int",
        ),
        pytest.param(
            lambda: WilcoxonPruner(p_threshold=-0.1),
            "The 'p_threshold' parameter of WilcoxonPruner must be a number in [0.0, 1.0]. "
            "Got -0.1 instead.",
            id="closed",
        ),
        pytest.param(
            lambda: MedianPruner(interval_steps=0),
            "The 'interval_steps' parameter of MedianPruner must be an int >= 1. Got 0 instead.",
            id="int",
        ),
    ],
)
def test_bad_arguments_get_the_one_message(factory, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(podbor.exceptions.InvalidArgumentError) as info:
        factory()
    assert str(info.value) == message


def test_numpy_arguments_are_stored_as_python_numbers() -> None:
    import numpy as np

    pruner = PercentilePruner(np.float32(25.0), n_startup_trials=np.int64(3))
    assert repr(pruner).startswith("PercentilePruner(percentile=25.0, n_startup_trials=3,")


def test_multi_objective_studies_are_refused() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"], pruner=MedianPruner())
    frozen = podbor.create_trial(values=[1.0, 2.0], intermediate_values={0: 1.0})
    with pytest.raises(NotImplementedError, match="multi-objective"):
        MedianPruner().prune(study, frozen)


@pytest.mark.parametrize("n", [3, 6, 10, 20, 60])
@pytest.mark.parametrize("greater", [True, False])
def test_signed_rank_pvalue_matches_scipy(n: int, greater: bool) -> None:
    import numpy as np
    from scipy import stats

    from podbor.pruners._wilcoxon import signed_rank_pvalue

    rng = np.random.default_rng(n)
    diffs = rng.normal(0.3, 1.0, n)  # continuous: no ties, no zeros
    method = "exact" if n <= 40 else "approx"
    expected = stats.wilcoxon(
        diffs, alternative="greater" if greater else "less", method=method, correction=True
    ).pvalue
    assert signed_rank_pvalue(diffs, greater=greater) == pytest.approx(expected, rel=1e-9)


# -- Optuna parity ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "factory",
    [
        pytest.param(lambda: PatientPruner(None, patience=1), id="patient"),
        pytest.param(lambda: WilcoxonPruner(), id="wilcoxon"),
    ],
)
def test_experimental_pruners_warn_at_the_users_line(factory) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(podbor.exceptions.ExperimentalWarning) as caught:
        factory()
    assert caught[0].filename == __file__


@pytest.mark.parametrize(
    "factory",
    [
        pytest.param(lambda: MedianPruner(n_startup_trials=0), id="median"),
        pytest.param(lambda: PercentilePruner(25.0, n_startup_trials=0), id="percentile"),
    ],
)
def test_all_nan_reports_prune_once_a_trial_is_complete(factory) -> None:  # type: ignore[no-untyped-def]
    study = podbor.create_study(pruner=factory())
    assert _answers(study, [math.nan]) == [False]  # no COMPLETE trial yet
    study = _study(factory(), [[math.nan]])
    assert _answers(study, [math.nan]) == [True]
    study = _study(factory(), [[math.nan]])
    assert _answers(study, [1.0]) == [False]  # no finite report at that step to compare with


def test_successive_halving_prunes_a_nan_at_a_rung() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=2, reduction_factor=2)
    study = podbor.create_study(pruner=pruner)
    steps = [1, 2]
    assert _answers(study, [math.nan, math.nan], steps=steps) == [False, True]


@pytest.mark.parametrize(
    ("pruner", "attribute", "expected"),
    [
        pytest.param(SuccessiveHalvingPruner(), "_min_resource", 1, id="sh-min-resource"),
        pytest.param(HyperbandPruner(), "_max_resource", 4, id="hyperband-max-resource"),
    ],
)
def test_auto_resources_are_kept_once_known(
    pruner: BasePruner, attribute: str, expected: int
) -> None:
    study = _study(pruner, [[1.0, 1.0, 1.0, 1.0]])
    assert getattr(pruner, attribute) is None
    assert "'auto'" in repr(pruner)
    _answers(study, [1.0])
    assert getattr(pruner, attribute) == expected
    assert "'auto'" in repr(pruner)  # the repr still shows what the user asked for


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"lower": "val", "upper": 1.0}, id="lower-str"),
        pytest.param({"lower": 0.0, "upper": "val"}, id="upper-str"),
        pytest.param({}, id="no-bound"),
    ],
)
def test_threshold_wrong_types_raise_type_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError) as info:
        ThresholdPruner(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, podbor.exceptions.InvalidArgumentError)


def _wilcoxon_study(best: dict[int, float], value: float = 0.0, p_threshold: float = 0.1):
    study = podbor.create_study(pruner=WilcoxonPruner(p_threshold=p_threshold))
    study.add_trial(
        podbor.trial.create_trial(
            value=value, params={}, distributions={}, intermediate_values=best
        )
    )
    return study


@pytest.mark.parametrize(
    ("best", "reports", "match"),
    [
        pytest.param({1: 1.0}, {1: 1.0, 2: 2.0}, "did not report the steps", id="extra-step"),
        pytest.param({1: 1.0}, {1: math.nan}, "NaN or an infinity", id="nan"),
        pytest.param({1: math.inf}, {1: 1.0}, "NaN or an infinity", id="best-inf"),
    ],
)
def test_wilcoxon_warns_when_the_pairing_is_unsound(
    best: dict[int, float], reports: dict[int, float], match: str
) -> None:
    study = _wilcoxon_study(best)
    trial = study.ask()
    with pytest.warns(UserWarning, match=match):
        for step, value in reports.items():
            trial.report(value, step)
            assert not trial.should_prune()


def test_wilcoxon_keeps_a_trial_whose_mean_is_as_good_as_the_best() -> None:
    best = dict(enumerate([0.0] * 10 + [8.0] * 10))  # mean 4.0, the best trial's value
    study = _wilcoxon_study(best, value=4.0, p_threshold=0.5)
    trial = study.ask()
    reports = [1.0] * 10 + [9.0] * 10  # worse at every step, yet better on average for a while
    for step, value in enumerate(reports):
        trial.report(value, step)
        mean = sum(reports[: step + 1]) / (step + 1)
        if mean <= 4.0:
            assert not trial.should_prune()
    assert trial.should_prune()  # mean 5.0 > 4.0, and worse at every step
