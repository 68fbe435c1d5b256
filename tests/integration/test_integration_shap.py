"""ShapleyImportanceEvaluator (podbor.integration.shap): mean absolute SHAP values, and its example.

Skipped without SHAP or scikit-learn, except under CI. The forests are small (``n_trees`` of 8 to
16) and the studies are built from ``create_trial`` rows, so the cases take well under a second
each once SHAP is imported (its first import, with numba, takes a few seconds).
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import ExperimentalWarning, InvalidArgumentError
from podbor.importance import (
    BaseImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    get_param_importances,
)
from podbor.importance._base import encode_trials
from podbor.trial import TrialState, create_trial

if importlib.util.find_spec("shap") is None or importlib.util.find_spec("sklearn") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("SHAP must be installed under CI=true (make test installs it)")
    pytest.skip("SHAP or scikit-learn is not installed", allow_module_level=True)

from podbor.integration.shap import ShapleyImportanceEvaluator

podbor.logging.set_verbosity(podbor.logging.WARNING)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shap_importance.py"
UNIT = FloatDistribution(0.0, 1.0)
LINEAR: dict[str, Any] = {"x1": UNIT, "x2": UNIT, "x3": UNIT}


def _linear_study(n: int = 80, seed: int = 0, directions: list[str] | None = None) -> podbor.Study:
    """y = 10 x1 + x2 + 0 x3 on random points (second objective, if any: x3)."""
    rng = np.random.default_rng(seed)
    study = podbor.create_study(directions=directions)
    trials = []
    for x1, x2, x3 in rng.uniform(0.0, 1.0, (n, 3)):
        params = {"x1": float(x1), "x2": float(x2), "x3": float(x3)}
        y = 10 * x1 + x2 + 0 * x3
        if directions is None:
            trials.append(create_trial(params=params, distributions=LINEAR, value=float(y)))
        else:
            values = [float(y), float(x3)]
            trials.append(create_trial(params=params, distributions=LINEAR, values=values))
    study.add_trials(trials)
    return study


def test_is_an_importance_evaluator_with_optunas_signature() -> None:
    evaluator = ShapleyImportanceEvaluator()
    assert isinstance(evaluator, BaseImportanceEvaluator)
    with pytest.raises(TypeError):
        ShapleyImportanceEvaluator(8)  # type: ignore[call-arg]  # keyword-only, as in Optuna
    for bad in ({"n_trees": 0}, {"max_depth": 0}, {"seed": -1}, {"n_trees": 2.5}):
        with pytest.raises(InvalidArgumentError, match=next(iter(bad))):
            ShapleyImportanceEvaluator(**bad)


def test_known_ranking_and_magnitudes() -> None:
    result = ShapleyImportanceEvaluator(n_trees=16, seed=0).evaluate(_linear_study())
    assert list(result) == ["x1", "x2", "x3"]
    assert all(isinstance(v, float) and v >= 0.0 for v in result.values())
    # mean |SHAP| of a x (x uniform on [0, 1]) is a * E|x - 1/2| = a / 4, in the target's units
    assert result["x1"] == pytest.approx(2.5, rel=0.25)
    assert result["x2"] < result["x1"] / 4
    assert result["x3"] < result["x2"]


def test_values_are_the_mean_absolute_shap_values_of_the_forest() -> None:
    """The same numbers as scikit-learn's forest and SHAP's TreeExplainer on the encoded trials."""
    import shap
    from sklearn.ensemble import RandomForestRegressor

    study = _linear_study(n=40)
    result = ShapleyImportanceEvaluator(n_trees=8, max_depth=5, seed=3).evaluate(study)
    names, X = encode_trials(study.trials, LINEAR)
    y = np.array([t.value for t in study.trials])
    forest = RandomForestRegressor(n_estimators=8, max_depth=5, random_state=3).fit(X, y)
    expected = np.abs(shap.TreeExplainer(forest).shap_values(X)).mean(axis=0)
    assert result == pytest.approx(dict(zip(names, expected.tolist())), rel=1e-12)


def test_params_restrict_the_columns_and_are_checked() -> None:
    study = _linear_study(n=40)
    result = ShapleyImportanceEvaluator(n_trees=8, seed=0).evaluate(study, params=["x3", "x2"])
    assert list(result) == ["x2", "x3"]
    assert ShapleyImportanceEvaluator(n_trees=8, seed=0).evaluate(study, params=[]) == {}
    with pytest.raises(ValueError, match="nope"):
        ShapleyImportanceEvaluator().evaluate(study, params=["x1", "nope"])
    with pytest.raises(TypeError, match="params"):
        ShapleyImportanceEvaluator().evaluate(study, params="x1")  # type: ignore[arg-type]


def test_target_chooses_what_is_explained() -> None:
    study = _linear_study(n=60)
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    result = evaluator.evaluate(study, target=lambda t: t.params["x3"] ** 2)
    assert next(iter(result)) == "x3"
    # a target that is not finite for some trials leaves them out
    inf_for_some = evaluator.evaluate(
        study, target=lambda t: math.inf if t.number % 5 == 0 else t.params["x2"]
    )
    assert next(iter(inf_for_some)) == "x2"


def test_multi_objective_needs_a_target() -> None:
    study = _linear_study(n=60, directions=["minimize", "minimize"])
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    with pytest.raises(ValueError, match=r"target=lambda t: t\.values\[0\]"):
        evaluator.evaluate(study)
    with pytest.raises(ValueError, match="target"):
        get_param_importances(study, evaluator=evaluator)
    first: Any = lambda t: t.values[0]  # noqa: E731
    second: Any = lambda t: t.values[1]  # noqa: E731
    assert next(iter(evaluator.evaluate(study, target=first))) == "x1"
    assert next(iter(evaluator.evaluate(study, target=second))) == "x3"


def test_no_complete_trials() -> None:
    study = podbor.create_study()
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    assert evaluator.evaluate(study) == {}  # as podbor's evaluators and Optuna 5.0
    for state in (TrialState.PRUNED, TrialState.FAIL):
        study.add_trial(create_trial(state=state, params={"x1": 0.5}, distributions={"x1": UNIT}))
    assert get_param_importances(study, evaluator=evaluator) == {}
    with pytest.raises(ValueError, match=r"No COMPLETE trial has every parameter.*x1"):
        evaluator.evaluate(study, params=["x1"])
    # COMPLETE trials whose values are all inf: nothing to fit, every parameter scores 0
    study.add_trial(create_trial(params={"x1": 0.5}, distributions={"x1": UNIT}, value=math.inf))
    assert evaluator.evaluate(study) == {"x1": 0.0}


def test_categorical_log_and_int_parameters() -> None:
    dists: dict[str, Any] = {
        "kind": CategoricalDistribution(["sgd", "adam", None]),
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "layers": IntDistribution(1, 8),
        "dropout": FloatDistribution(0.0, 0.5, step=0.1),
    }
    rng = np.random.default_rng(1)
    study = podbor.create_study()
    offset: dict[Any, float] = {"sgd": 0.0, "adam": 5.0, None: 2.0}
    for _ in range(90):
        p: dict[str, Any] = {
            "kind": [None, "sgd", "adam"][int(rng.integers(3))],
            "lr": float(10 ** rng.uniform(-5, -1)),
            "layers": int(rng.integers(1, 9)),
            "dropout": round(float(rng.integers(0, 6)) * 0.1, 1),
        }
        # the effect of lr is linear in its log: large; kind's: larger; layers: small
        value = offset[p["kind"]] + 0.5 * math.log10(p["lr"]) + 0.05 * p["layers"]
        study.add_trial(create_trial(params=p, distributions=dists, value=value))
    result = ShapleyImportanceEvaluator(n_trees=16, seed=0).evaluate(study)
    assert list(result)[:3] == ["kind", "lr", "layers"]
    assert result["dropout"] < result["layers"]


def test_seed_trees_and_depth() -> None:
    study = _linear_study(n=30)

    def run(**kwargs: Any) -> dict[str, float]:
        return ShapleyImportanceEvaluator(**kwargs).evaluate(study)

    assert run(n_trees=8, seed=2) == run(n_trees=8, seed=2)
    assert run(n_trees=8, seed=2) != run(n_trees=8, seed=3)
    assert run(n_trees=5, seed=0) != run(n_trees=10, seed=0)
    assert run(n_trees=8, max_depth=1, seed=0) != run(n_trees=8, max_depth=3, seed=0)
    # seeds past 2**32 (which scikit-learn refuses) are taken modulo 2**32
    assert run(n_trees=8, seed=2**32 + 2) == run(n_trees=8, seed=2)
    assert next(iter(run(n_trees=8))) == "x1"  # no seed: random forests, the same leader
    # one evaluator evaluates again to the same numbers (the forest is not kept between calls)
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    assert evaluator.evaluate(study) == evaluator.evaluate(study)


def test_normalized_by_get_param_importances() -> None:
    study = _linear_study(n=40)
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    raw = evaluator.evaluate(study)
    normalized = get_param_importances(study, evaluator=evaluator)
    assert list(normalized) == list(raw)
    assert math.isclose(sum(normalized.values()), 1.0)
    total = sum(raw.values())
    assert normalized == pytest.approx({k: v / total for k, v in raw.items()})
    with pytest.warns(ExperimentalWarning):
        assert get_param_importances(study, evaluator=evaluator, normalize=False) == raw


def test_conditional_parameters_as_the_mdi_evaluator() -> None:
    """Only parameters every COMPLETE trial has; with params, the trials that have them all."""
    study = podbor.create_study()
    for i in range(16):
        p: dict[str, Any] = {"x": i / 16}
        d: dict[str, Any] = {"x": UNIT}
        if i % 2:
            p["c"], d["c"] = ((i * 7) % 16) / 16, UNIT
        study.add_trial(create_trial(params=p, distributions=d, value=float(i)))
    shap_ev = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    mdi = MeanDecreaseImpurityImportanceEvaluator(seed=0)
    assert set(shap_ev.evaluate(study)) == set(mdi.evaluate(study)) == {"x"}
    both = ["x", "c"]
    assert set(shap_ev.evaluate(study, params=both)) == set(mdi.evaluate(study, params=both))
    assert set(shap_ev.evaluate(study, params=both)) == {"x", "c"}
    with_c = [t for t in study.trials if "c" in t.params]
    only = podbor.create_study()
    only.add_trials(with_c)
    assert shap_ev.evaluate(study, params=both) == shap_ev.evaluate(only)


def test_non_finite_trials_and_single_value_parameters() -> None:
    study = _linear_study(n=30)
    before = ShapleyImportanceEvaluator(n_trees=8, seed=0).evaluate(study)
    for value in (math.inf, -math.inf):
        p: dict[str, Any] = {"x1": 0.5, "x2": 0.5, "x3": 0.5}
        study.add_trial(create_trial(params=p, distributions=LINEAR, value=value))
    assert ShapleyImportanceEvaluator(n_trees=8, seed=0).evaluate(study) == before

    fixed = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
    fixed.optimize(lambda t: t.suggest_float("x", 0, 5) ** 2 + t.suggest_int("k", 3, 3), 8)
    result = ShapleyImportanceEvaluator(n_trees=8, seed=0).evaluate(fixed)
    assert result["k"] == 0.0 and result["x"] > 0.0


def test_plot_param_importances_takes_it() -> None:
    study = _linear_study(n=40)
    evaluator = ShapleyImportanceEvaluator(n_trees=8, seed=0)
    expected = get_param_importances(study, evaluator=evaluator)
    fig = podbor.visualization.plot_param_importances(study, evaluator=evaluator)
    (trace,) = fig.data
    assert list(trace.y) == list(reversed(expected))  # least important first
    assert list(trace.x) == pytest.approx([expected[n] for n in reversed(expected)])


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("missing", ["shap", "sklearn"])
def test_imports_without_shap_and_names_the_pip_install(missing: str) -> None:
    done = _python(
        "import sys\n"
        f"sys.modules[{missing!r}] = None\n"
        "import podbor.integration.shap as m\n"
        "assert 'shap' not in sys.modules or sys.modules['shap'] is None\n"
        "try:\n"
        "    m.ShapleyImportanceEvaluator()\n"
        "except ImportError as err:\n"
        "    print('ImportError:', err)\n"
    )
    assert done.returncode == 0, done.stderr
    package = "SHAP" if missing == "shap" else "scikit-learn"
    assert f"ShapleyImportanceEvaluator needs {package}" in done.stdout
    assert "pip install podbor[shap]" in done.stdout


def test_importing_the_module_imports_neither_library() -> None:
    done = _python(
        "import sys, podbor.integration.shap\n"
        "print(sorted(m for m in ('shap', 'sklearn', 'numba') if m in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_example_prints_both_evaluators() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = subprocess.run(
            [sys.executable, str(EXAMPLE), "--n-trials", "20", "--n-trees", "8"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert re.search(r"^Best value: \d+\.\d \(mean squared error", run.stdout, re.MULTILINE)
    assert re.search(r"^Best parameters: \{.+\}$", run.stdout, re.MULTILINE)
    row = r"^(\w+) +([01]\.\d{3}) +([01]\.\d{3}) +(\d+\.\d)$"  # name, SHAP, PED-ANOVA, raw
    rows = re.findall(row, run.stdout, re.MULTILINE)
    assert {r[0] for r in rows} == {"max_depth", "min_samples_leaf", "max_features"}, run.stdout
    for column in (1, 2):
        assert sum(float(r[column]) for r in rows) == pytest.approx(1.0, abs=0.003)
    shares = [float(r[1]) for r in rows]
    assert shares == sorted(shares, reverse=True)  # most important by SHAP first
