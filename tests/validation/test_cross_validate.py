"""cross_validate: fold-by-fold reports, pruning, splitters, scorers, FixedTrial and errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

import podbor
from podbor.exceptions import InvalidArgumentError
from podbor.pruners import MedianPruner, NopPruner, ThresholdPruner
from podbor.trial import FixedTrial, TrialState
from podbor.validation import CVResult, cross_validate

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_REG, Y_REG = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits are far slower with several BLAS threads on a loaded 2-core machine."""
    with threadpool_limits(limits=1):
        yield


def _run_one(study: podbor.Study, objective: Any) -> podbor.FrozenTrial:
    study.optimize(objective, n_trials=1)
    return study.trials[-1]


class _FailingClassifier(DummyClassifier):
    """Fails to fit when ``strategy`` is 'uniform' (any estimator parameter would do)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _FailingClassifier:
        if self.strategy == "uniform":
            raise RuntimeError("this configuration cannot be fitted")
        return super().fit(X, y, sample_weight)


class _WeightRecorder(DummyClassifier):
    seen: ClassVar[list[int]] = []

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _WeightRecorder:
        _WeightRecorder.seen.append(len(sample_weight))
        assert len(sample_weight) == len(X)
        return super().fit(X, y, sample_weight)


# -- reports and results ------------------------------------------------------------------
def test_reports_each_fold_and_matches_scikit_learn() -> None:
    study = podbor.create_study(direction="maximize")
    model = KNeighborsClassifier(n_neighbors=5)
    trial = _run_one(study, lambda t: cross_validate(t, model, X_IRIS, Y_IRIS, cv=5).mean)
    expected = cross_val_score(model, X_IRIS, Y_IRIS, cv=5)
    assert trial.state == TrialState.COMPLETE
    assert trial.intermediate_values == dict(enumerate(expected.tolist()))
    assert trial.user_attrs["cv_scores"] == pytest.approx(expected.tolist())
    assert trial.user_attrs["cv_mean"] == pytest.approx(expected.mean())
    assert trial.user_attrs["cv_n_splits"] == 5
    assert len(trial.user_attrs["cv_fit_times"]) == 5
    assert trial.value == pytest.approx(expected.mean())


def test_result_object_reads_like_a_dict() -> None:
    result = cross_validate(
        FixedTrial({}),
        Ridge(),
        X_REG,
        Y_REG,
        cv=3,
        return_estimators=True,
        return_train_score=True,
    )
    assert isinstance(result, CVResult)
    assert result["mean"] == result.mean == pytest.approx(np.mean(result.scores))
    assert result["std"] == pytest.approx(np.std(result.scores))
    assert result.scores.shape == result.fit_times.shape == (3,)
    assert result.train_scores is not None and np.all(result.train_scores >= result.scores - 0.1)
    assert result.estimators is not None and all(hasattr(e, "coef_") for e in result.estimators)
    assert set(dict(result)) >= {"mean", "std", "scores", "estimators"}
    with pytest.raises(KeyError):
        result["nope"]


def test_the_estimator_itself_is_never_fitted() -> None:
    model = Ridge()
    cross_validate(FixedTrial({}), model, X_REG, Y_REG, cv=3)
    assert not hasattr(model, "coef_")


# -- pruning ------------------------------------------------------------------------------
def test_a_pruner_that_always_prunes_stops_after_the_first_fold() -> None:
    study = podbor.create_study(direction="maximize", pruner=ThresholdPruner(lower=2.0))
    model = DecisionTreeClassifier(random_state=0)
    trial = _run_one(study, lambda t: cross_validate(t, model, X_IRIS, Y_IRIS, cv=5).mean)
    assert trial.state == TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]
    assert len(trial.user_attrs["cv_scores"]) == 1
    assert trial.user_attrs["cv_mean"] == trial.user_attrs["cv_scores"][0]
    assert "fold 1 of 5" in trial.system_attrs["prune_reason"]


def test_a_clearly_worse_configuration_is_pruned_early() -> None:
    study = podbor.create_study(direction="maximize", pruner=MedianPruner(n_startup_trials=3))
    good = KNeighborsClassifier()
    for _ in range(3):
        _run_one(study, lambda t: cross_validate(t, good, X_IRIS, Y_IRIS, cv=5).mean)
    hopeless = DummyClassifier(strategy="most_frequent")
    trial = _run_one(study, lambda t: cross_validate(t, hopeless, X_IRIS, Y_IRIS, cv=5).mean)
    assert trial.state == TrialState.PRUNED
    assert 1 <= len(trial.user_attrs["cv_scores"]) < 5


def test_the_pruner_is_not_asked_after_the_last_fold() -> None:
    study = podbor.create_study(direction="maximize", pruner=ThresholdPruner(lower=2.0))
    model = DecisionTreeClassifier(random_state=0)
    trial = _run_one(
        study,
        lambda t: (
            cross_validate(
                t, model, X_IRIS, Y_IRIS, cv=[(np.arange(100), np.arange(100, 150))]
            ).mean
        ),
    )
    assert trial.state == TrialState.COMPLETE  # one fold only: it is also the last


def test_a_multi_objective_study_gets_no_reports() -> None:
    study = podbor.create_study(directions=["maximize", "minimize"])

    def objective(trial: podbor.Trial) -> tuple[float, float]:
        result = cross_validate(trial, Ridge(), X_REG, Y_REG, cv=3)
        return result.mean, float(result.fit_times.sum())

    trial = _run_one(study, objective)
    assert trial.state == TrialState.COMPLETE and trial.intermediate_values == {}
    assert len(trial.user_attrs["cv_scores"]) == 3


def test_prune_false_and_report_false_run_every_fold() -> None:
    study = podbor.create_study(direction="maximize", pruner=ThresholdPruner(lower=2.0))
    model = DecisionTreeClassifier(random_state=0)
    trial = _run_one(
        study, lambda t: cross_validate(t, model, X_IRIS, Y_IRIS, cv=3, prune=False).mean
    )
    assert trial.state == TrialState.COMPLETE and len(trial.intermediate_values) == 3
    trial = _run_one(
        study, lambda t: cross_validate(t, model, X_IRIS, Y_IRIS, cv=3, report=False).mean
    )
    assert trial.state == TrialState.COMPLETE and trial.intermediate_values == {}
    assert len(trial.user_attrs["cv_scores"]) == 3


def test_fixed_trial_never_prunes_and_keeps_the_scores() -> None:
    trial = FixedTrial({"k": 3})
    model = KNeighborsClassifier(n_neighbors=trial.suggest_int("k", 1, 10))
    result = cross_validate(trial, model, X_IRIS, Y_IRIS, cv=4)
    assert len(result.scores) == 4
    assert trial.user_attrs["cv_scores"] == pytest.approx(result.scores.tolist())


def test_a_minimizing_study_gets_one_warning() -> None:
    study = podbor.create_study(direction="minimize", pruner=NopPruner())
    model = Ridge()
    with pytest.warns(UserWarning, match="direction='maximize'") as record:
        study.optimize(lambda t: -cross_validate(t, model, X_REG, Y_REG, cv=2).mean, n_trials=3)
    assert len([w for w in record if "direction='maximize'" in str(w.message)]) == 1


def test_no_direction_warning_without_reports() -> None:
    study = podbor.create_study(direction="minimize")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _run_one(study, lambda t: -cross_validate(t, Ridge(), X_REG, Y_REG, report=False).mean)


# -- splitters, pipelines, scorers --------------------------------------------------------
@pytest.mark.parametrize(
    "cv",
    [
        pytest.param(KFold(4, shuffle=True, random_state=0), id="KFold"),
        pytest.param(StratifiedKFold(3), id="StratifiedKFold"),
        pytest.param(5, id="int-stratified-for-classifiers"),
        pytest.param([(np.arange(75), np.arange(75, 150))], id="iterable"),
    ],
)
def test_splitters_match_scikit_learn(cv: Any) -> None:
    model = DecisionTreeClassifier(random_state=0)
    result = cross_validate(FixedTrial({}), model, X_IRIS, Y_IRIS, cv=cv)
    np.testing.assert_allclose(result.scores, cross_val_score(model, X_IRIS, Y_IRIS, cv=cv))


def test_group_kfold_keeps_groups_apart() -> None:
    groups = np.arange(len(Y_IRIS)) % 6
    result = cross_validate(
        FixedTrial({}),
        DecisionTreeClassifier(random_state=0),
        X_IRIS,
        Y_IRIS,
        cv=GroupKFold(3),
        groups=groups,
    )
    expected = cross_val_score(
        DecisionTreeClassifier(random_state=0), X_IRIS, Y_IRIS, cv=GroupKFold(3), groups=groups
    )
    np.testing.assert_allclose(result.scores, expected)


def test_pipeline_and_string_scorer() -> None:
    model = make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    result = cross_validate(
        FixedTrial({}), model, X_REG, Y_REG, cv=3, scoring="neg_mean_squared_error"
    )
    expected = cross_val_score(model, X_REG, Y_REG, cv=3, scoring="neg_mean_squared_error")
    np.testing.assert_allclose(result.scores, expected)
    assert result.mean < 0


@pytest.mark.parametrize(
    "scoring",
    [
        pytest.param(make_scorer(mean_absolute_error, greater_is_better=False), id="make_scorer"),
        pytest.param(lambda est, X, y: float(-np.abs(est.predict(X) - y).mean()), id="callable"),
    ],
)
def test_custom_scorers(scoring: Any) -> None:
    result = cross_validate(FixedTrial({}), Ridge(), X_REG, Y_REG, cv=3, scoring=scoring)
    expected = cross_val_score(Ridge(), X_REG, Y_REG, cv=3, scoring="neg_mean_absolute_error")
    np.testing.assert_allclose(result.scores, expected)


def test_sample_weight_is_cut_per_fold() -> None:
    _WeightRecorder.seen = []
    weights = np.ones(len(Y_IRIS))
    cross_validate(
        FixedTrial({}),
        _WeightRecorder(),
        X_IRIS,
        Y_IRIS,
        cv=3,
        fit_params={"sample_weight": weights},
    )
    assert _WeightRecorder.seen == [100, 100, 100]


# -- failures -----------------------------------------------------------------------------
def test_failed_fits_score_error_score_with_a_warning() -> None:
    model = _FailingClassifier(strategy="uniform")
    with pytest.warns(FitFailedWarning, match="cannot be fitted"):
        result = cross_validate(FixedTrial({}), model, X_IRIS, Y_IRIS, cv=3)
    assert np.isnan(result.mean) and np.all(np.isnan(result.scores))
    assert len(result.errors) == 3
    with pytest.warns(FitFailedWarning):
        result = cross_validate(FixedTrial({}), model, X_IRIS, Y_IRIS, cv=3, error_score=0.0)
    assert result.mean == 0.0


def test_error_score_raise_propagates() -> None:
    with pytest.raises(RuntimeError, match="cannot be fitted"):
        cross_validate(
            FixedTrial({}),
            _FailingClassifier(strategy="uniform"),
            X_IRIS,
            Y_IRIS,
            error_score="raise",
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"estimator": "tree"}, "'estimator'.*scikit-learn estimator", id="string"),
        pytest.param({"estimator": Ridge}, "'estimator'", id="class-not-instance"),
        pytest.param({"cv": 200}, "'cv'.*n_samples=150", id="cv-too-large"),
        pytest.param({"cv": KFold(151)}, "'cv'.*n_samples=150", id="splitter-too-large"),
        pytest.param({"cv": 1}, "'cv'.*int >= 2", id="cv-1"),
        pytest.param({"cv": True}, "'cv'.*int >= 2", id="cv-bool"),
        pytest.param({"error_score": True}, "'error_score'", id="error-score-bool"),
        pytest.param({"cv": GroupKFold(3)}, "'groups'.*GroupKFold", id="groups-missing"),
        pytest.param({"groups": np.zeros(3)}, "'groups'.*one entry per sample", id="groups-len"),
        pytest.param({"y": Y_IRIS[:-1]}, "'y'.*one entry per sample", id="y-len"),
        pytest.param({"scoring": "no_such_scorer"}, "'scoring'.*get_scorer_names", id="scorer"),
        pytest.param({"scoring": ["accuracy"]}, "'scoring'.*one metric", id="multi-metric"),
        pytest.param({"error_score": "ignore"}, "'error_score'", id="error-score"),
        pytest.param({"trial": None}, "'trial'.*podbor trial", id="no-trial"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict[str, Any], match: str) -> None:
    call: dict[str, Any] = {
        "trial": FixedTrial({}),
        "estimator": DecisionTreeClassifier(),
        "X": X_IRIS,
        "y": Y_IRIS,
    }
    call.update(kwargs)
    with pytest.raises(InvalidArgumentError, match=match) as info:
        cross_validate(**call)
    assert str(info.value).startswith("The '")


def test_estimator_without_score_needs_a_scorer() -> None:
    class NoScore:
        def fit(self, X: Any, y: Any) -> NoScore:
            return self

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {}

        def set_params(self, **params: Any) -> NoScore:
            return self

    with pytest.raises(InvalidArgumentError, match=r"'scoring'.*score"):
        cross_validate(FixedTrial({}), NoScore(), X_IRIS, Y_IRIS)


# -- scikit-learn stays optional ----------------------------------------------------------
_WITHOUT_SKLEARN = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "sklearn" or name.startswith("sklearn."):
                raise ImportError("No module named 'sklearn' (blocked)")
            return None

    sys.meta_path.insert(0, Block())
    import numpy as np
    import podbor, podbor.validation
    from podbor.validation import holdout_split
    print(len(holdout_split(np.arange(10), seed=0).X_train))
    for call in (lambda: podbor.validation.SearchCV,
                 lambda: podbor.validation.cross_validate(podbor.FixedTrial({}), None, [[0]])):
        try:
            call()
        except ImportError as err:
            print(err)
    """
)


def test_podbor_validation_imports_without_scikit_learn() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_SKLEARN], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "6"
    assert len(lines) == 3
    assert all("pip install podbor[sklearn]" in line for line in lines[1:])
