"""``OptunaSearchCV`` (optuna-integration's interface on SearchCV) and fold-level pruning.

Behaviours ported from optuna-integration's tests/sklearn/test_sklearn.py, plus real searches on
iris / breast_cancer where ``partial_fit`` pruning stops a bad trial before ``max_iter``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import MagicMock

import numpy as np
import pytest

if importlib.util.find_spec("sklearn") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("scikit-learn must be installed under CI=true (make test installs it)")
    pytest.skip("scikit-learn is not installed", allow_module_level=True)

from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_regression
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold
from sklearn.neighbors import KernelDensity
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import InvalidArgumentError
from podbor.integration.sklearn import OptunaSearchCV
from podbor.trial import TrialState
from podbor.validation import SearchCV, cross_validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)
X_BC, Y_BC = load_breast_cancer(return_X_y=True)
X_BC = StandardScaler().fit_transform(X_BC)
ALPHA = {"alpha": FloatDistribution(1e-4, 1e3, log=True)}

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits are far slower with several BLAS threads on a loaded 2-core machine."""
    with threadpool_limits(limits=1):
        yield


def _sgd() -> SGDClassifier:
    return SGDClassifier(max_iter=5, tol=1e-3, random_state=0)


# -- fitting, delegation, attributes -------------------------------------------------------
@pytest.mark.parametrize("enable_pruning", [True, False])
def test_search_fits_and_delegates(enable_pruning: bool) -> None:
    search = OptunaSearchCV(
        _sgd(),
        ALPHA,
        cv=3,
        enable_pruning=enable_pruning,
        error_score="raise",
        max_iter=5,
        n_trials=4,
        random_state=0,
        return_train_score=True,
    )
    with pytest.raises(NotFittedError):
        search._check_is_fitted()
    search.fit(X_IRIS, Y_IRIS)
    search._check_is_fitted()
    assert isinstance(search, SearchCV)
    assert len(search.trials_dataframe()) == 4
    assert search.decision_function(X_IRIS).shape == (150, 3)
    assert search.predict(X_IRIS).shape == (150,)
    assert search.score(X_IRIS, Y_IRIS) == pytest.approx(
        search.best_estimator_.score(X_IRIS, Y_IRIS)
    )
    assert "mean_train_score" in search.cv_results_
    if enable_pruning:  # one report per partial_fit pass, all 5 for the trials that complete
        complete = [t for t in search.trials_ if t.state == TrialState.COMPLETE]
        assert all(sorted(t.intermediate_values) == [0, 1, 2, 3, 4] for t in complete)


def test_fit_params_reach_the_estimator() -> None:
    search = OptunaSearchCV(_sgd(), ALPHA, cv=3, n_trials=2, random_state=0)
    search.fit(X_IRIS, Y_IRIS, coef_init=np.ones((3, 4)))
    assert search.best_estimator_.coef_.shape == (3, 4)
    weights = np.ones(len(Y_IRIS))
    search.set_params(subsample=0.5, enable_pruning=True, max_iter=2)
    search.fit(X_IRIS, Y_IRIS, sample_weight=weights)  # cut to the subsample, then per fold
    assert len(search.sample_indices_) == 75


def test_properties_match_optuna_integration() -> None:
    search = OptunaSearchCV(
        LogisticRegression(tol=1e-3),
        {"C": FloatDistribution(1e-4, 1e3, log=True)},
        cv=3,
        error_score="raise",
        random_state=0,
        return_train_score=True,
    )
    search.fit(X_IRIS, Y_IRIS)
    search.set_user_attr("dataset", "iris")
    assert search._estimator_type == "classifier"
    assert isinstance(search.best_index_, int)
    assert search.best_index_ == search.best_trial_.number
    assert search.trials_[search.best_index_].number == search.best_trial_.number
    assert search.best_params_ == search.study_.best_params
    assert search.best_score_ == pytest.approx(search.study_.best_value)
    assert isinstance(search.cv_results_, dict)
    for values in search.cv_results_.values():
        assert len(values) == search.n_trials_
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.n_trials_ == 10
    assert search.n_features_in_ == 4
    assert search.user_attrs_ == {"dataset": "iris"}
    assert isinstance(search.predict_log_proba(X_IRIS), np.ndarray)
    assert search.predict_proba(X_IRIS).shape == (150, 3)
    assert search.n_splits_ == 3
    assert search.refit_time_ >= 0.0
    assert search.sample_indices_.tolist() == list(range(150))


def test_score_samples_transform_and_inverse_transform() -> None:
    X = X_IRIS[:30]
    density = OptunaSearchCV(KernelDensity(), {}, cv=3, n_trials=2, error_score="raise")
    assert density.fit(X).score_samples(X).shape == (30,)
    pca = OptunaSearchCV(PCA(), {}, cv=3, n_trials=2, error_score="raise").fit(X)
    assert isinstance(pca.transform(X), np.ndarray)
    assert pca.inverse_transform(pca.transform(X)).shape == X.shape


def test_default_cv_is_five_stratified_folds_and_default_study() -> None:
    search = OptunaSearchCV(DecisionTreeClassifier(random_state=0), {}, n_trials=1)
    search.fit(X_IRIS, Y_IRIS)
    assert search.n_splits_ == 5
    assert "split4_test_score" in search.cv_results_
    assert search.study_.direction == podbor.study.StudyDirection.MAXIMIZE
    assert isinstance(search.study_.sampler, podbor.samplers.TPESampler)
    assert isinstance(search.study_.pruner, podbor.pruners.MedianPruner)
    params = search.get_params()
    assert params["cv"] is None and params["n_jobs"] is None and params["subsample"] == 1.0
    assert params["enable_pruning"] is False and params["max_iter"] == 1000


def test_refit_false_keeps_results_but_no_estimator() -> None:
    search = OptunaSearchCV(_sgd(), ALPHA, cv=3, n_trials=2, refit=False, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    assert set(search.best_params_) == {"alpha"}
    with pytest.raises(AttributeError, match="predict") as info:
        search.predict(X_IRIS)
    assert "refit=False" in str(info.value.__cause__)


def test_clone_and_pickle_round_trip() -> None:
    search = OptunaSearchCV(_sgd(), ALPHA, cv=3, n_trials=2, random_state=0, subsample=100)
    assert clone(search).get_params()["subsample"] == 100
    search.fit(X_IRIS, Y_IRIS)
    copy = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(copy.predict(X_IRIS), search.predict(X_IRIS))
    assert copy.study_ is not None and len(copy.study_.trials) == 2
    assert copy.sample_indices_.tolist() == search.sample_indices_.tolist()


def test_same_random_state_gives_the_same_search() -> None:
    def run() -> tuple[list[int], list[float]]:
        search = OptunaSearchCV(_sgd(), ALPHA, cv=3, n_trials=3, random_state=7, subsample=0.6)
        search.fit(X_IRIS, Y_IRIS)
        return search.sample_indices_.tolist(), [t.params["alpha"] for t in search.trials_]

    assert run() == run()


def test_groups_and_data_frames_are_split_like_scikit_learn() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X_IRIS, columns=["a", "b", "c", "d"])
    groups = np.arange(150) % 5
    search = OptunaSearchCV(_sgd(), ALPHA, cv=GroupKFold(5), n_trials=2, subsample=0.8)
    search.fit(frame, pd.Series(Y_IRIS), groups=groups)
    assert search.n_splits_ == 5 and len(search.sample_indices_) == 120
    assert search.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    with pytest.raises(InvalidArgumentError, match="'groups'"):
        search.fit(frame, Y_IRIS, groups=groups[:10])
    with pytest.raises(InvalidArgumentError, match="'y'"):
        search.fit(frame, Y_IRIS[:10])


def test_missing_scikit_learn_names_the_install() -> None:
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "try:\n    import podbor.integration.sklearn\n"
        "except ImportError as err:\n    print(err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "OptunaSearchCV needs scikit-learn" in out and "pip install podbor[sklearn]" in out


# -- an existing study, callbacks, catch -----------------------------------------------------
def test_existing_study_is_continued() -> None:
    study = podbor.create_study(direction="maximize")
    study.set_user_attr("owner", "me")
    search = OptunaSearchCV(_sgd(), ALPHA, cv=3, n_trials=2, study=study, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    search.fit(X_IRIS, Y_IRIS)  # a second fit adds trials to the same study
    assert search.study_ is study
    assert search.n_trials_ == 4 == len(study.trials)
    assert search.user_attrs_ == {"owner": "me"}


def test_no_halt_when_some_trials_fail() -> None:
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    study = podbor.create_study(sampler=podbor.samplers.BruteForceSampler(), direction="maximize")
    search = OptunaSearchCV(
        DecisionTreeRegressor(), {"max_depth": IntDistribution(0, 1)}, study=study, cv=3
    )
    with pytest.warns(Warning):  # FitFailedWarning for max_depth=0
        search.fit(X, y)
    assert sorted(t.params["max_depth"] for t in study.trials) == [0, 1]
    states = {t.params["max_depth"]: t.state for t in study.trials}
    assert states == {0: TrialState.FAIL, 1: TrialState.COMPLETE}
    assert search.best_params_ == {"max_depth": 1}


def test_callbacks_are_called_after_each_trial() -> None:
    callbacks = [MagicMock(return_value=None) for _ in range(2)]
    search = OptunaSearchCV(
        _sgd(), ALPHA, cv=3, enable_pruning=True, max_iter=3, n_trials=4, callbacks=callbacks
    )
    search.fit(X_IRIS, Y_IRIS)
    for callback in callbacks:
        assert callback.call_count == 4
        for trial in search.trials_:
            callback.assert_any_call(search.study_, trial)


@pytest.mark.parametrize("catch", [(ValueError,), ValueError, ()])
def test_catch_lets_the_search_go_on(catch: tuple[type[Exception], ...] | type[Exception]) -> None:
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    search = OptunaSearchCV(
        DecisionTreeRegressor(),
        {"max_depth": IntDistribution(0, 0)},  # scikit-learn refuses max_depth=0
        cv=3,
        n_trials=3,
        error_score="raise",
        refit=False,
        catch=catch,
    )
    if catch:
        search.fit(X, y)
        assert search.n_trials_ == 3
        assert all(t.state == TrialState.FAIL for t in search.trials_)
        assert not hasattr(search, "best_params_")
    else:
        with pytest.raises(ValueError, match="max_depth"):
            search.fit(X, y)


# -- bad input -------------------------------------------------------------------------------
def _kde(**kwargs: object) -> OptunaSearchCV:
    options: dict[str, object] = {"cv": 3, "error_score": "raise", **kwargs}
    return OptunaSearchCV(KernelDensity(), {}, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("search", "argument", "detail"),
    [
        (OptunaSearchCV("not an estimator", {}, cv=3), "'estimator'", "scikit-learn estimator"),
        (_kde(enable_pruning=True), "'enable_pruning'", "partial_fit"),
        (_kde(max_iter=-1), "'max_iter'", ">= 1"),
        (_kde(max_iter=0), "'max_iter'", ">= 1"),
        (
            OptunaSearchCV(KernelDensity(), {"kernel": ("gaussian", "linear")}, cv=3),  # type: ignore[dict-item]
            "'param_distributions'",
            "CategoricalDistribution",
        ),
        (
            OptunaSearchCV(KernelDensity(), {"nope": FloatDistribution(0, 1)}, cv=3),
            "'param_distributions'",
            "bandwidth",
        ),
        (_kde(study=podbor.create_study(direction="minimize")), "'study'", "'maximize'"),
        (
            _kde(study=podbor.create_study(directions=["maximize", "maximize"])),
            "'study'",
            "single-objective",
        ),
        (_kde(study="my-study"), "'study'", "podbor Study"),
        (_kde(subsample=0), "'subsample'", "(0, 1]"),
        (_kde(subsample=1.5), "'subsample'", "(0, 1]"),
        (_kde(subsample=True), "'subsample'", "(0, 1]"),
        (_kde(subsample=0.01), "'subsample'", "at least 1"),
        (_kde(error_score="invalid error score"), "'error_score'", "'raise' or a number"),
        (_kde(n_jobs=0), "'n_jobs'", "None"),
        (_kde(catch=("ValueError",)), "'catch'", "exception class"),
        (_kde(callbacks=["print"]), "'callbacks'", "callback(study, trial)"),
        (_kde(n_trials=None), "'n_trials'", "timeout"),
        (_kde(cv=1), "'cv'", ">= 2"),
        (_kde(scoring="not-a-scorer"), "'scoring'", "get_scorer_names"),
    ],
)
def test_bad_arguments_are_named(search: OptunaSearchCV, argument: str, detail: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        search.fit(X_IRIS[:30])
    message = str(info.value)
    assert argument in message and detail in message and "OptunaSearchCV" in message


def test_missing_y_for_a_classifier_is_an_error() -> None:
    search = OptunaSearchCV(_sgd(), {}, cv=3, enable_pruning=True, max_iter=5)
    with pytest.raises(ValueError, match="SGDClassifier requires y to be passed") as info:
        search.fit(X_IRIS)
    assert "'y'" in str(info.value)


def test_failed_partial_fit_scores_error_score_and_fails_the_trial() -> None:
    search = OptunaSearchCV(
        SGDClassifier(), {}, cv=3, enable_pruning=True, max_iter=3, n_trials=2, refit=False
    )
    with pytest.warns(Warning, match="partial_fit failed"):
        search.fit(X_IRIS, Y_IRIS, not_an_argument=1)  # partial_fit raises a TypeError
    assert all(t.state == TrialState.FAIL for t in search.trials_)
    assert np.isnan(search.cv_results_["split0_test_score"]).all()


# -- pruning -----------------------------------------------------------------------------------
def test_partial_fit_pruning_stops_a_bad_trial_before_max_iter() -> None:
    max_iter = 10
    study = podbor.create_study(
        direction="maximize",
        pruner=podbor.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0),
    )
    study.enqueue_trial({"alpha": 1e-4})  # learns breast_cancer quickly (~0.97)
    study.enqueue_trial({"alpha": 1e3})  # so regularised it predicts one class (~0.63)
    search = OptunaSearchCV(
        SGDClassifier(random_state=0),
        ALPHA,
        cv=3,
        enable_pruning=True,
        max_iter=max_iter,
        n_trials=2,
        study=study,
    )
    search.fit(X_BC, Y_BC)
    good, bad = search.trials_
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == max_iter
    assert good.value > 0.9
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) < max_iter - 1
    assert bad.intermediate_values[0] < good.intermediate_values[0]
    assert len(bad.user_attrs["cv_scores"]) == 3  # fold scores of the last pass it ran
    assert np.isnan(search.cv_results_["mean_test_score"][1])
    assert search.cv_results_["trial_state"].tolist() == ["COMPLETE", "PRUNED"]
    assert search.best_index_ == 0


def test_without_enable_pruning_nothing_is_pruned() -> None:
    study = podbor.create_study(
        direction="maximize", pruner=podbor.pruners.ThresholdPruner(lower=0.99)
    )
    search = OptunaSearchCV(_sgd(), ALPHA, cv=3, n_trials=3, study=study, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    assert all(t.state == TrialState.COMPLETE for t in search.trials_)


def test_cross_validate_keeps_fold_level_pruning_for_sklearn_estimators() -> None:
    X, y = load_digits(return_X_y=True)
    study = podbor.create_study(
        direction="maximize", pruner=podbor.pruners.ThresholdPruner(lower=0.5)
    )

    def objective(trial: podbor.Trial) -> float:
        depth = trial.suggest_categorical("max_depth", [None, 1])
        model = DecisionTreeClassifier(max_depth=depth, random_state=0)
        return cross_validate(trial, model, X, y, cv=5)["mean"]

    study.enqueue_trial({"max_depth": None})  # ~0.8 per fold
    study.enqueue_trial({"max_depth": 1})  # a stump on 10 classes: ~0.2 per fold
    study.optimize(objective, n_trials=2)
    good, bad = study.trials
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == 5
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) < 5 - 1
    assert len(bad.user_attrs["cv_scores"]) < 5


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_logs_the_search(caplog: pytest.LogCaptureFixture, verbose: int) -> None:
    search = _kde(n_trials=1, verbose=verbose)
    with caplog.at_level(logging.INFO, logger="podbor"):
        search.fit(X_IRIS[:30])
    assert "Searching the best hyperparameters using 30 samples" in caplog.text


def test_quiet_by_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="podbor"):
        OptunaSearchCV(
            KernelDensity(), {"kernel": CategoricalDistribution(["gaussian"])}, cv=3, n_trials=2
        ).fit(X_IRIS[:30])
    assert "Searching" not in caplog.text and "finished with value" not in caplog.text


# -- scikit-learn's estimator checks ------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
@parametrize_with_checks(
    [
        OptunaSearchCV(
            LogisticRegression(),
            {"C": FloatDistribution(0.1, 10.0, log=True)},
            n_trials=2,
            cv=2,
            error_score="raise",
        ),
    ],
    expected_failed_checks=lambda _: {
        "check_non_transformer_estimators_n_iter": (
            "max_iter is the partial_fit budget of each trial when pruning (as in "
            "optuna-integration), not an iteration count of the search: there is no n_iter_"
        )
    },
    xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator: OptunaSearchCV, check: object) -> None:
    check(estimator)  # type: ignore[operator]


# -- the example -------------------------------------------------------------------------------
def test_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "sklearn_search_cv.py"), "--n-trials", "6"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Best value: " in result.stdout
    assert "Best parameters: {" in result.stdout
    assert "pruned" in result.stdout


def test_trials_carry_optuna_integrations_user_attribute_names() -> None:
    """Code written for Optuna reads ``split<i>_test_score`` / ``mean_test_score`` on trials."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from podbor.distributions import FloatDistribution
    from podbor.integration import OptunaSearchCV

    X, y = load_iris(return_X_y=True)
    search = OptunaSearchCV(
        LogisticRegression(max_iter=200),
        {"C": FloatDistribution(0.1, 10.0, log=True)},
        cv=3,
        n_trials=3,
        random_state=0,
        return_train_score=True,
    )
    search.fit(X, y)
    for trial in search.trials_:
        attrs = trial.user_attrs
        splits = [attrs[f"split{i}_test_score"] for i in range(3)]
        assert splits == attrs["cv_scores"]
        assert attrs["mean_test_score"] == pytest.approx(np.mean(splits))
        assert attrs["std_test_score"] == pytest.approx(np.std(splits))
        assert attrs["mean_train_score"] == pytest.approx(np.mean(attrs["cv_train_scores"]))
        assert attrs["mean_fit_time"] == pytest.approx(np.mean(attrs["cv_fit_times"]))
        assert "std_score_time" in attrs
    best = search.best_trial_
    assert best.user_attrs["mean_test_score"] == pytest.approx(search.best_score_)
