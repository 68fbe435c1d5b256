"""SearchCV: results, refit, delegation, pipelines, clone, threads, pruning, errors, and
scikit-learn's own estimator checks."""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import InvalidArgumentError
from podbor.pruners import ThresholdPruner
from podbor.samplers import RandomSampler
from podbor.storages import InMemoryStorage
from podbor.trial import TrialState
from podbor.validation import SearchCV

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_BC, Y_BC = load_breast_cancer(return_X_y=True)
X_REG, Y_REG = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
X_IRIS_SCALED = StandardScaler().fit_transform(X_IRIS)
LOG_C = FloatDistribution(1e-2, 1e2, log=True)


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    """Tiny fits are far slower with several BLAS threads on a loaded 2-core machine."""
    with threadpool_limits(limits=1):
        yield


class CountingTree(ClassifierMixin, BaseEstimator):
    """A decision tree that counts its fits (across clones and threads)."""

    fits = 0
    _lock = threading.Lock()

    def __init__(self, max_depth: int = 3) -> None:
        self.max_depth = max_depth

    def fit(self, X: Any, y: Any) -> CountingTree:
        with CountingTree._lock:
            CountingTree.fits += 1
        self.tree_ = DecisionTreeClassifier(max_depth=self.max_depth, random_state=0).fit(X, y)
        self.classes_ = self.tree_.classes_
        self.n_features_in_ = self.tree_.n_features_in_
        return self

    def predict(self, X: Any) -> Any:
        return self.tree_.predict(X)


def _svc_search(**kwargs: Any) -> SearchCV:
    params: dict[str, Any] = {"n_trials": 6, "cv": 3, "random_state": 0}
    params.update(kwargs)
    return SearchCV(
        make_pipeline(StandardScaler(), SVC()),
        {"svc__C": LOG_C, "svc__gamma": FloatDistribution(1e-3, 1.0, log=True)},
        **params,
    )


# -- results ------------------------------------------------------------------------------
def test_iris_best_score_matches_cross_val_score() -> None:
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=6, random_state=0).fit(X_IRIS, Y_IRIS)
    expected = cross_val_score(
        SVC(**search.best_params_), X_IRIS, Y_IRIS, cv=StratifiedKFold(5)
    ).mean()
    assert search.best_score_ == pytest.approx(expected, abs=1e-12)
    assert search.best_score_ > 0.9
    assert search.n_splits_ == 5
    assert search.best_estimator_.get_params()["C"] == search.best_params_["C"]
    assert search.score(X_IRIS, Y_IRIS) > 0.9


def test_breast_cancer_with_a_pipeline_and_a_scorer() -> None:
    search = _svc_search(scoring="roc_auc").fit(X_BC, Y_BC)
    expected = cross_val_score(
        clone(search.estimator).set_params(**search.best_params_),
        X_BC,
        Y_BC,
        cv=StratifiedKFold(3),
        scoring="roc_auc",
    ).mean()
    assert search.best_score_ == pytest.approx(expected, abs=1e-12)
    assert set(search.best_params_) == {"svc__C", "svc__gamma"}
    assert search.predict(X_BC[:5]).shape == (5,)
    assert search.decision_function(X_BC[:5]).shape == (5,)


def test_cv_results_shapes_and_consistency() -> None:
    n_trials = 7
    search = SearchCV(
        SVC(),
        {"C": LOG_C, "shrinking": CategoricalDistribution([True, False])},
        n_trials=n_trials,
        cv=3,
        pruner=ThresholdPruner(lower=0.9),
        random_state=1,
        return_train_score=True,
    ).fit(X_IRIS, Y_IRIS)
    res = search.cv_results_
    for key in (
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "mean_fit_time",
        "std_fit_time",
        "mean_score_time",
        "std_score_time",
        "split0_test_score",
        "split2_test_score",
        "split1_train_score",
        "mean_train_score",
        "param_C",
        "param_shrinking",
        "trial_state",
        "trial_number",
    ):
        assert len(res[key]) == n_trials, key
    assert "split3_test_score" not in res
    assert isinstance(res["param_C"], np.ma.MaskedArray)
    assert res["params"][search.best_index_] == search.best_params_
    assert res["mean_test_score"][search.best_index_] == search.best_score_
    assert res["rank_test_score"][search.best_index_] == 1
    assert res["rank_test_score"].dtype == np.int32
    pruned = res["trial_state"] == "PRUNED"
    assert pruned.any() and (res["trial_state"] == "COMPLETE").any()
    assert np.isnan(res["mean_test_score"][pruned]).all()
    assert np.isnan(res["split2_test_score"][pruned]).all()
    assert not np.isnan(res["split0_test_score"]).any()
    assert (res["rank_test_score"][pruned] > res["rank_test_score"][~pruned].max()).all()
    assert len(search.trials_) == n_trials and search.study_.trials[0].number == 0


def test_random_state_makes_fits_reproducible() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        search = SearchCV(SVC(), {"C": LOG_C}, n_trials=4, cv=3, random_state=seed)
        return search.fit(X_IRIS, Y_IRIS).cv_results_["params"]  # type: ignore[no-any-return]

    assert params(3) == params(3)
    assert params(3) != params(4)
    rng_a, rng_b = np.random.RandomState(0), np.random.RandomState(0)
    a = SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, random_state=rng_a).fit(X_IRIS, Y_IRIS)
    b = SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, random_state=rng_b).fit(X_IRIS, Y_IRIS)
    assert a.cv_results_["params"] == b.cv_results_["params"]


# -- refit and delegation -----------------------------------------------------------------
def test_refit_false_keeps_the_results_but_no_estimator() -> None:
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, random_state=0, refit=False).fit(
        X_IRIS, Y_IRIS
    )
    assert search.best_params_ and search.best_score_ > 0.5
    assert not hasattr(search, "best_estimator_") and not hasattr(search, "refit_time_")
    assert not hasattr(search, "predict")
    with pytest.raises(AttributeError) as info:
        search.predict(X_IRIS)
    assert "refit=False" in str(info.value.__cause__)
    with pytest.raises(AttributeError, match="refit=True"):
        search.n_features_in_  # noqa: B018
    search.set_params(refit=True).fit(X_IRIS, Y_IRIS)
    search.set_params(refit=False).fit(X_IRIS, Y_IRIS)
    assert not hasattr(search, "best_estimator_")  # nothing stale from the refit in between


def test_delegation_follows_the_estimator() -> None:
    search = SearchCV(LogisticRegression(), {"C": LOG_C}, n_trials=2, cv=3, random_state=0)
    assert hasattr(search, "predict_proba") and not hasattr(search, "transform")
    search.fit(X_IRIS_SCALED, Y_IRIS)
    assert search.predict_proba(X_IRIS_SCALED[:3]).shape == (3, 3)
    assert search.predict_log_proba(X_IRIS_SCALED[:3]).shape == (3, 3)
    assert search.classes_.tolist() == [0, 1, 2]
    assert search.n_features_in_ == 4
    assert search.refit_time_ >= 0


def test_an_unsupervised_transformer_is_tuned_by_its_own_score() -> None:
    search = SearchCV(
        PCA(), {"n_components": IntDistribution(1, 3)}, n_trials=3, cv=3, random_state=0
    )
    search.fit(X_IRIS)
    assert search.transform(X_IRIS[:2]).shape == (2, search.best_params_["n_components"])
    assert search.inverse_transform(search.transform(X_IRIS[:2])).shape == (2, 4)
    assert search.score_samples(X_IRIS[:2]).shape == (2,)
    assert not hasattr(search, "predict")


def test_predict_before_fit_says_not_fitted() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SearchCV(SVC(), {"C": LOG_C}).predict(X_IRIS)


# -- scikit-learn composition -------------------------------------------------------------
def test_inside_a_pipeline() -> None:
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("search", SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, random_state=0)),
        ]
    )
    pipe.fit(X_IRIS, Y_IRIS)
    assert pipe.score(X_IRIS, Y_IRIS) > 0.9
    assert pipe.named_steps["search"].n_features_in_ == 4


def test_clone_get_params_and_set_params() -> None:
    search = SearchCV(LogisticRegression(), {"C": LOG_C}, n_trials=2, cv=3, random_state=0)
    params = search.get_params(deep=True)
    assert params["estimator__C"] == 1.0 and params["n_trials"] == 2
    search.set_params(estimator__max_iter=300, n_trials=3)
    assert search.estimator.max_iter == 300 and search.n_trials == 3
    search.fit(X_IRIS_SCALED, Y_IRIS)
    twin = clone(search)
    assert twin.get_params()["estimator__max_iter"] == 300
    assert not hasattr(twin, "best_params_")
    twin.fit(X_IRIS_SCALED, Y_IRIS)
    assert twin.cv_results_["params"] == search.cv_results_["params"]


def test_clone_with_a_sampler_instance() -> None:
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, sampler=RandomSampler(seed=0))
    twin = clone(search)
    assert twin.sampler is not search.sampler
    assert isinstance(twin.sampler, RandomSampler)
    first = search.fit(X_IRIS, Y_IRIS).cv_results_["params"]
    assert twin.fit(X_IRIS, Y_IRIS).cv_results_["params"] == first  # same seed, same search


def test_a_sampler_instance_is_used() -> None:
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, sampler=RandomSampler(seed=0))
    search.fit(X_IRIS, Y_IRIS)
    assert isinstance(search.study_.sampler, RandomSampler)


def test_the_default_sampler_is_the_studies_default() -> None:
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, random_state=0)
    search.fit(X_IRIS, Y_IRIS)
    assert isinstance(search.study_.sampler, podbor.samplers.AutoSampler)
    assert all("auto_sampler" in t.system_attrs for t in search.study_.trials)


def test_pickle_round_trip_reloads_the_study() -> None:
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=3, cv=3, random_state=0).fit(X_IRIS, Y_IRIS)
    loaded = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(loaded.predict(X_IRIS), search.predict(X_IRIS))
    assert loaded.study_ is not None and len(loaded.study_.trials) == 3
    assert loaded.study_.best_value == search.best_score_


def test_two_threads_run_every_trial() -> None:
    search = _svc_search(n_trials=6, n_jobs=2).fit(X_IRIS, Y_IRIS)
    assert len(search.trials_) == 6
    assert sorted(search.cv_results_["trial_number"].tolist()) == list(range(6))


def test_a_named_study_in_a_storage_is_continued() -> None:
    storage = InMemoryStorage()
    search = SearchCV(
        SVC(), {"C": LOG_C}, n_trials=2, cv=3, random_state=0, storage=storage, study_name="svc"
    )
    search.fit(X_IRIS, Y_IRIS)
    search.fit(X_IRIS, Y_IRIS)
    assert len(search.trials_) == 4
    assert len(podbor.load_study(study_name="svc", storage=storage).trials) == 4


def test_groups_reach_the_splitter() -> None:
    groups = np.arange(len(Y_IRIS)) % 5
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=2, cv=GroupKFold(5), random_state=0).fit(
        X_IRIS, Y_IRIS, groups=groups
    )
    assert search.n_splits_ == 5


def test_fit_params_reach_the_estimator() -> None:
    weights = np.ones(len(Y_REG))
    search = SearchCV(Ridge(), {"alpha": LOG_C}, n_trials=2, cv=3, random_state=0)
    search.fit(X_REG, Y_REG, sample_weight=weights)
    assert search.best_score_ > 0.9


# -- pruning ------------------------------------------------------------------------------
def _count_fits(enable_pruning: bool) -> tuple[int, SearchCV]:
    CountingTree.fits = 0
    search = SearchCV(
        CountingTree(),
        {"max_depth": CategoricalDistribution([1, 5])},
        n_trials=20,
        cv=5,
        sampler=RandomSampler(seed=0),  # the hopeless depth recurs (a model would stop trying it)
        enable_pruning=enable_pruning,
    ).fit(X_IRIS, Y_IRIS)
    return CountingTree.fits, search


def test_pruning_fits_fewer_folds() -> None:
    unpruned, _ = _count_fits(enable_pruning=False)
    assert unpruned == 20 * 5 + 1  # every fold of every trial, and the refit
    pruned, search = _count_fits(enable_pruning=True)
    folds = [len(t.user_attrs["cv_scores"]) for t in search.trials_]
    assert pruned == sum(folds) + 1
    n_pruned = sum(t.state == TrialState.PRUNED for t in search.trials_)
    assert n_pruned >= 2
    assert pruned <= unpruned - 4 * n_pruned  # a hopeless trial costs one fold, not five
    assert search.best_params_ == {"max_depth": 5}


# -- logging ------------------------------------------------------------------------------
@pytest.mark.parametrize(("verbose", "logged"), [(0, False), (1, True)])
def test_verbose_controls_trial_lines(
    podbor_log: pytest.LogCaptureFixture, verbose: int, logged: bool
) -> None:
    SearchCV(SVC(), {"C": LOG_C}, n_trials=2, cv=3, random_state=0, verbose=verbose).fit(
        X_IRIS, Y_IRIS
    )
    lines = [r for r in podbor_log.records if "finished with value" in r.getMessage()]
    assert bool(lines) == logged
    assert logging.getLogger("podbor").level == logging.INFO  # restored after fit


# -- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("estimator", "space", "kwargs", "match"),
    [
        pytest.param("svc", {}, {}, "'estimator'.*scikit-learn estimator", id="not-estimator"),
        pytest.param(
            SVC(), {"c": LOG_C}, {}, "'param_distributions'.*valid names: C, break_ties", id="name"
        ),
        pytest.param(
            make_pipeline(StandardScaler(), SVC()),
            {"svc__nope": LOG_C},
            {},
            "valid names:.*svc__C",
            id="pipeline-name",
        ),
        pytest.param(SVC(), {"C": [0.1, 1.0]}, {}, "CategoricalDistribution", id="list"),
        pytest.param(SVC(), [("C", LOG_C)], {}, "'param_distributions'.*dict", id="not-dict"),
        pytest.param(SVC(), {"C": LOG_C}, {"cv": 151}, "'cv'.*n_samples=150", id="cv-too-large"),
        pytest.param(SVC(), {"C": LOG_C}, {"n_trials": 0}, "'n_trials'", id="n_trials"),
        pytest.param(SVC(), {"C": LOG_C}, {"n_trials": None}, "needs a timeout", id="no-budget"),
        pytest.param(SVC(), {"C": LOG_C}, {"timeout": -1}, "'timeout'", id="timeout"),
        pytest.param(SVC(), {"C": LOG_C}, {"n_jobs": 0}, "'n_jobs'", id="n_jobs"),
        pytest.param(SVC(), {"C": LOG_C}, {"refit": "yes"}, "'refit'", id="refit"),
        pytest.param(SVC(), {"C": LOG_C}, {"scoring": "acc"}, "'scoring'", id="scoring"),
        pytest.param(SVC(), {"C": LOG_C}, {"sampler": "tpe"}, "'sampler'", id="sampler"),
        pytest.param(SVC(), {"C": LOG_C}, {"pruner": 3}, "'pruner'", id="pruner"),
        pytest.param(SVC(), {"C": LOG_C}, {"random_state": 1.5}, "'random_state'", id="seed"),
        pytest.param(SVC(), {"C": LOG_C}, {"error_score": "skip"}, "'error_score'", id="error"),
        pytest.param(SVC(), {"C": LOG_C}, {"refit": 1}, "'refit'.*True or False", id="refit-1"),
        pytest.param(SVC(), {"C": LOG_C}, {"random_state": True}, "'random_state'", id="seed-bool"),
        pytest.param(SVC(), {"C": LOG_C}, {"verbose": -1}, "'verbose'.*int >= 0", id="verbose"),
        pytest.param(SVC(), {"C": LOG_C}, {"timeout": float("nan")}, "'timeout'", id="nan"),
    ],
)
def test_bad_arguments_fail_in_fit_with_a_clear_message(
    estimator: Any, space: Any, kwargs: dict[str, Any], match: str
) -> None:
    search = SearchCV(estimator, space, **kwargs)  # the constructor accepts anything
    with pytest.raises(InvalidArgumentError, match=match) as info:
        search.fit(X_IRIS, Y_IRIS)
    assert str(info.value).startswith("The '")


def test_numpy_scalars_are_accepted_as_arguments() -> None:
    from podbor.validation._search_params import check_search_params

    search = SearchCV(
        SVC(),
        {"C": LOG_C},
        n_trials=np.int64(2),
        timeout=np.float32(5.0),
        n_jobs=np.int64(-1),
        refit=np.True_,  # type: ignore[arg-type]
        enable_pruning=np.False_,  # type: ignore[arg-type]
        random_state=np.int64(0),
    )
    check_search_params(search.get_params(deep=False))


def test_missing_y_for_a_supervised_estimator() -> None:
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        SearchCV(SVC(), {"C": LOG_C}).fit(X_IRIS)


def test_all_trials_failing_raises_with_the_reasons() -> None:
    search = SearchCV(SVC(), {"C": LOG_C}, n_trials=2, cv=3, random_state=0)
    with pytest.warns(Warning), pytest.raises(ValueError, match="No trial of SearchCV completed"):
        search.fit(X_IRIS, np.linspace(0, 1, len(Y_IRIS)))  # a continuous target for a classifier
    with pytest.raises(ValueError, match="Unknown label type"):
        SearchCV(SVC(), {"C": LOG_C}, n_trials=2, cv=3, error_score="raise").fit(
            X_IRIS, np.linspace(0, 1, len(Y_IRIS))
        )


# -- scikit-learn's estimator checks ------------------------------------------------------
def _expected_failed_checks(estimator: SearchCV) -> dict[str, str]:
    if estimator.error_score == "raise":
        return {}
    return {
        "check_dtype_object": (
            "with error_score=nan a failed fit scores NaN (as in GridSearchCV); when every trial "
            "fails, fit raises one ValueError quoting the estimator's TypeError, while the check "
            "expects the TypeError itself (it passes with error_score='raise')"
        )
    }


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
@parametrize_with_checks(
    [
        SearchCV(
            LogisticRegression(),
            {"C": FloatDistribution(0.1, 10.0, log=True)},
            n_trials=2,
            cv=2,
            error_score="raise",
        ),
        SearchCV(Ridge(), {"alpha": FloatDistribution(0.1, 10.0, log=True)}, n_trials=2, cv=2),
    ],
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,
)
def test_scikit_learn_estimator_checks(estimator: SearchCV, check: Any) -> None:
    check(estimator)
