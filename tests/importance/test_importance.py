"""podbor.importance: get_param_importances and its evaluators against known truths.

The evaluators' shared cases run over podbor's three and the SHAP one of podbor.integration.shap.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
import warnings
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import ExperimentalWarning
from podbor.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from podbor.importance._cart import fit_forest
from podbor.importance._forest import fanova_fractions, leaf_boxes
from podbor.importance._ped_anova import top_quantile_mask
from podbor.trial import TrialState, create_trial

podbor.logging.set_verbosity(podbor.logging.WARNING)

X = FloatDistribution(-1.0, 1.0)
DISTS: dict[str, Any] = {
    "x": X,
    "lr": FloatDistribution(1e-4, 1e-1, log=True),
    "n": IntDistribution(0, 8),
    "kind": CategoricalDistribution(["a", "b", "c"]),
    "dummy": FloatDistribution(0.0, 1.0),
}


def _additive_study(n: int = 300, seed: int = 0) -> podbor.Study:
    """value = 4 x + 2 * log10-position of lr + 0.5 (n / 8) + 0 * dummy (+ kind "a": 0.2)."""
    rng = np.random.default_rng(seed)
    study = podbor.create_study()
    kinds = ["a", "b", "c"]
    trials = []
    for _ in range(n):
        p: dict[str, Any] = {
            "x": float(rng.uniform(-1, 1)),
            "lr": float(10 ** rng.uniform(-4, -1)),
            "n": int(rng.integers(0, 9)),
            "kind": kinds[int(rng.integers(0, 3))],
            "dummy": float(rng.uniform(0, 1)),
        }
        value = (
            4 * p["x"]
            + 2 * (math.log10(p["lr"]) + 4) / 3
            + 0.5 * p["n"] / 8
            + (0.2 if p["kind"] == "a" else 0.0)
        )
        trials.append(create_trial(params=p, distributions=DISTS, value=value))
    study.add_trials(trials)
    return study


def _shap_evaluator(**kwargs: Any) -> BaseImportanceEvaluator:
    from podbor.integration.shap import ShapleyImportanceEvaluator

    return ShapleyImportanceEvaluator(**kwargs)


# The SHAP evaluator (podbor.integration.shap) is a forest evaluator too, on scikit-learn's forest;
# skipped where SHAP is not installed, except under CI (make test installs it).
_NO_SHAP = os.environ.get("CI") != "true" and (
    importlib.util.find_spec("shap") is None or importlib.util.find_spec("sklearn") is None
)
OWN_FORESTS = [  # podbor's own forest: numpy only
    pytest.param(lambda: FanovaImportanceEvaluator(seed=0), id="fanova"),
    pytest.param(lambda: MeanDecreaseImpurityImportanceEvaluator(seed=0), id="mdi"),
]
FORESTS = [
    *OWN_FORESTS,
    pytest.param(
        lambda: _shap_evaluator(n_trees=16, seed=0),
        id="shap",
        marks=pytest.mark.skipif(_NO_SHAP, reason="SHAP or scikit-learn is not installed"),
    ),
]
ALL = [*FORESTS, pytest.param(PedAnovaImportanceEvaluator, id="ped_anova")]


@pytest.mark.parametrize("make", ALL)
def test_additive_function_ranks_the_weights(make: Any) -> None:
    result = get_param_importances(_additive_study(), evaluator=make())
    assert list(result)[:2] == ["x", "lr"]
    assert result["x"] > 0.4
    assert result["dummy"] < 0.05
    assert math.isclose(sum(result.values()), 1.0)
    assert list(result.values()) == sorted(result.values(), reverse=True)
    assert all(isinstance(v, float) for v in result.values())


def test_fanova_shares_match_a_brute_force_grid() -> None:
    """Each tree's exact decomposition equals the variance of marginals computed on a grid."""
    rng = np.random.default_rng(1)
    X_ = rng.random((80, 3))
    y = np.sin(6 * X_[:, 0]) + 3 * X_[:, 1] * X_[:, 2]
    forest = fit_forest(X_, y, n_trees=3, max_depth=6, seed=0)
    fractions = fanova_fractions(leaf_boxes(forest))
    g = (np.arange(48) + 0.5) / 48
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    for k, tree_pred in enumerate(forest.predict_trees(grid)):
        pred = tree_pred.reshape(48, 48, 48)
        for j in range(3):
            others = tuple(a for a in range(3) if a != j)
            expected = pred.mean(axis=others).var() / pred.var()
            assert fractions[k, j] == pytest.approx(expected, abs=0.02)


def test_leaf_boxes_tile_the_unit_cube() -> None:
    rng = np.random.default_rng(2)
    X_ = rng.random((50, 4))
    forest = fit_forest(X_, X_.sum(axis=1), n_trees=4, max_depth=64, seed=0)
    boxes = leaf_boxes(forest)
    volume = np.prod(boxes.high - boxes.low, axis=1)
    assert np.allclose(np.bincount(boxes.tree, volume), 1.0)
    # every training point falls in a leaf of each tree (on a shared face: two)
    inside = np.asarray(
        ((X_[:, None, :] >= boxes.low) & (X_[:, None, :] <= boxes.high)).all(axis=2), dtype=bool
    )
    counts = np.stack([inside[:, boxes.tree == t].sum(axis=1) for t in range(4)])
    assert (counts >= 1).all()


@pytest.mark.parametrize("make", ALL)
@pytest.mark.filterwarnings("ignore:Too few trials")
def test_empty_and_pruned_only_studies_give_empty_dicts(make: Any) -> None:
    study = podbor.create_study()
    assert get_param_importances(study, evaluator=make()) == {}
    study.add_trial(
        create_trial(state=TrialState.PRUNED, params={"x": 0.1}, distributions={"x": X})
    )
    assert get_param_importances(study, evaluator=make()) == {}


@pytest.mark.parametrize("make", ALL)
def test_single_value_parameter_scores_zero(make: Any) -> None:
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("x", 0, 5) ** 2 + t.suggest_float("y", 1, 1), n_trials=5
    )
    result = get_param_importances(study, evaluator=make())
    assert result["y"] == 0.0 and result["x"] > 0.0
    only_single = podbor.create_study()
    only_single.optimize(lambda t: t.suggest_float("a", 0.0, 0.0), n_trials=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert make().evaluate(only_single) == {"a": 0.0}
        # all zero, normalized: equal shares
        assert get_param_importances(only_single, evaluator=make()) == {"a": 1.0}


@pytest.mark.parametrize("make", ALL)
def test_non_finite_trials_are_ignored(make: Any) -> None:
    study = _additive_study(n=40)
    before = make().evaluate(study)
    p = {"x": 0.0, "lr": 1e-2, "n": 1, "kind": "a", "dummy": 0.5}
    study.add_trial(create_trial(params=p, distributions=DISTS, value=float("inf")))
    assert make().evaluate(study) == before


@pytest.mark.parametrize("make", ALL)
def test_params_select_and_check(make: Any) -> None:
    study = _additive_study(n=40)
    result = get_param_importances(study, evaluator=make(), params=["dummy", "x"])
    assert set(result) == {"x", "dummy"} and math.isclose(sum(result.values()), 1.0)
    assert get_param_importances(study, evaluator=make(), params=[]) == {}
    with pytest.raises(ValueError, match="nope"):
        get_param_importances(study, evaluator=make(), params=["x", "nope"])
    with pytest.raises(TypeError, match="params"):
        get_param_importances(study, evaluator=make(), params="x")  # type: ignore[arg-type]


def test_evaluator_must_be_an_evaluator() -> None:
    with pytest.raises(TypeError, match="evaluator"):
        get_param_importances(_additive_study(n=5), evaluator=object())  # type: ignore[arg-type]


def test_unnormalized_is_experimental_and_raw() -> None:
    study = _additive_study(n=40)
    with pytest.warns(ExperimentalWarning):
        raw = get_param_importances(
            study, evaluator=FanovaImportanceEvaluator(seed=0), normalize=False
        )
    assert sum(raw.values()) <= 1.0 + 1e-9  # fANOVA shares of the variance


@pytest.mark.parametrize("make", FORESTS)
def test_forests_need_target_on_multi_objective(make: Any) -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.add_trial(create_trial(values=[1.0, 2.0], params={"x": 0.1}, distributions={"x": X}))
    study.add_trial(create_trial(values=[2.0, 1.0], params={"x": 0.5}, distributions={"x": X}))
    with pytest.raises(ValueError, match="target"):
        get_param_importances(study, evaluator=make())
    first = lambda t: t.values[0]  # noqa: E731
    assert set(get_param_importances(study, evaluator=make(), target=first)) == {"x"}


@pytest.mark.parametrize("make", FORESTS)
def test_forests_seed_trees_and_depth(make: Any) -> None:
    study = _additive_study(n=30)
    ev = type(make())
    assert ev(seed=2).evaluate(study) == ev(seed=2).evaluate(study)
    assert ev(seed=2).evaluate(study) != ev(seed=3).evaluate(study)
    assert ev(n_trees=5, seed=0).evaluate(study) != ev(n_trees=10, seed=0).evaluate(study)
    assert ev(max_depth=1, seed=0).evaluate(study) != ev(max_depth=3, seed=0).evaluate(study)
    with pytest.raises(ValueError, match="n_trees"):
        ev(n_trees=0)


@pytest.mark.parametrize("make", FORESTS)
def test_forests_skip_conditional_and_dynamic_parameters(make: Any) -> None:
    study = podbor.create_study()
    for i in range(12):
        p: dict[str, Any] = {"x": i / 12}
        d: dict[str, Any] = {"x": X}
        if i % 2:
            p["c"], d["c"] = i / 24, FloatDistribution(0, 1)
        study.add_trial(create_trial(params=p, distributions=d, value=float(i)))
    assert set(get_param_importances(study, evaluator=make())) == {"x"}
    # with params, only the trials that have them all are used
    assert set(get_param_importances(study, evaluator=make(), params=["x", "c"])) == {"x", "c"}
    dynamic = podbor.create_study()
    for i in range(3):
        dynamic.add_trial(
            create_trial(
                params={"x": 0.05},
                distributions={"x": FloatDistribution(0.0, 0.1 + i)},
                value=float(i),
            )
        )
    with pytest.raises(ValueError, match="dynamic"):
        get_param_importances(dynamic, evaluator=make(), params=["x"])


def test_ped_anova_assesses_conditional_parameters() -> None:
    study = podbor.create_study()
    cx: dict[str, Any] = {"c": FloatDistribution(0.0, 1.0), "x": FloatDistribution(-2.0, 0.0)}
    cy: dict[str, Any] = {"c": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0.0, 2.0)}
    rng = np.random.default_rng(0)
    for i in range(60):
        c = float(rng.uniform())
        if i % 2:
            x = float(rng.uniform(-2, 0))
            study.add_trial(create_trial(params={"c": c, "x": x}, distributions=cx, value=x))
        else:
            y = float(rng.uniform(0, 2))
            study.add_trial(create_trial(params={"c": c, "y": y}, distributions=cy, value=y))
    result = get_param_importances(study)  # PED-ANOVA is the default
    assert set(result) == {"c", "x", "y"}
    assert max(result, key=result.__getitem__) == "x"  # the best trials all come from x's branch
    with pytest.raises(ValueError, match="d"):
        get_param_importances(study, params=["c", "d"])


def test_ped_anova_arguments_and_few_trials() -> None:
    with pytest.raises(ValueError, match="target_quantile"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.4)
    with pytest.warns(UserWarning, match="no effect"):
        PedAnovaImportanceEvaluator(region_quantile=0.5, evaluate_on_local=False)
    study = _additive_study(n=1)
    with pytest.warns(UserWarning, match="Too few"):
        assert set(PedAnovaImportanceEvaluator().evaluate(study).values()) == {0.0}
    study = _additive_study(n=40)
    local = PedAnovaImportanceEvaluator().evaluate(study)
    assert PedAnovaImportanceEvaluator(evaluate_on_local=False).evaluate(study) != local
    assert PedAnovaImportanceEvaluator(target_quantile=0.3).evaluate(study) != local


def test_ped_anova_direction_matters() -> None:
    study = _additive_study(n=40)
    flipped = podbor.create_study(direction="maximize")
    flipped.add_trials(study.trials)
    ev = PedAnovaImportanceEvaluator()
    assert ev.evaluate(study) != ev.evaluate(flipped)


def test_ped_anova_multi_objective_without_target() -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    rng = np.random.default_rng(0)
    for _ in range(50):
        x, y = rng.uniform(-1, 1, 2)
        study.add_trial(
            create_trial(
                values=[x**2, (x - 0.5) ** 2],
                params={"x": float(x), "y": float(y)},
                distributions={"x": X, "y": X},
            )
        )
    result = get_param_importances(study)
    assert list(result) == ["x", "y"]


@pytest.mark.parametrize(
    ("values", "quantile", "expected"),
    [
        ([[float(i), float(i)] for i in range(6)], 0.5, 3),
        ([[0, 0], [1, 5], [2, 4], [3, 3], [4, 2], [5, 1], [6, 6], [7, 7]], 0.5, 4),
        ([[float(i), float(5 - i)] for i in range(6)], 0.5, 3),
    ],
)
def test_multi_objective_top_quantile_sizes_and_nesting(
    values: list[list[float]], quantile: float, expected: int
) -> None:
    losses = np.array(values, dtype=float)
    top = top_quantile_mask(losses, quantile)
    region = top_quantile_mask(losses, 0.8)
    assert top.sum() == expected
    assert (region | top).sum() == region.sum()  # the top is inside the region
    # on one front, the point of largest hypervolume (a middle one) is picked first
    if expected == 3 and values[0][1] == 5.0:
        assert top[2] or top[3]


def test_single_objective_top_quantile_keeps_ties() -> None:
    assert top_quantile_mask(np.array([2.0, 1.0, 1.0, 3.0]), 0.25).tolist() == [
        False,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize("make", OWN_FORESTS)
def test_forests_need_no_sklearn(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The forests are podbor's own: importances work where scikit-learn cannot be imported."""
    for name in ["sklearn", *[m for m in sys.modules if m.startswith("sklearn.")]]:
        monkeypatch.setitem(sys.modules, name, None)  # `import sklearn` now raises ImportError
    with pytest.raises(ImportError):
        importlib.import_module("sklearn.ensemble")
    result = get_param_importances(_additive_study(n=60), evaluator=make())
    assert next(iter(result)) == "x"


def test_custom_evaluator_is_normalized() -> None:
    class Twice(BaseImportanceEvaluator):
        def evaluate(
            self, study: Any, params: Any = None, *, target: Any = None
        ) -> dict[str, float]:
            return {"a": 2.0, "b": 6.0}

    assert get_param_importances(_additive_study(n=3), evaluator=Twice()) == {
        "a": 0.25,
        "b": 0.75,
    }
