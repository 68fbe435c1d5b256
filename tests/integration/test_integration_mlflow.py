"""MLflowCallback against a real local MLflow store (sqlite), read back with MlflowClient.

Skipped without MLflow, except under CI. One sqlite store serves the whole module (creating
one takes seconds); each test works in its own experiment, named after its own study.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.trial import Trial

if importlib.util.find_spec("mlflow") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("MLflow must be installed under CI=true (make test installs it)")
    pytest.skip("MLflow is not installed", allow_module_level=True)

import mlflow
from mlflow.tracking import MlflowClient

from podbor.integration.mlflow import RUN_ID_ATTRIBUTE_KEY, MLflowCallback

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EPOCHS = 6


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> Any:
    before = mlflow.get_tracking_uri()
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    yield uri
    # MLflowCallback sets MLflow's global tracking URI and experiment, as Optuna's does: undo.
    mlflow.set_tracking_uri(before)
    mlflow.tracking.fluent._active_experiment_id = None


def _runs(uri: str, experiment: str) -> dict[str, Any]:
    """The runs of ``experiment`` by run name."""
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r}"
    runs = client.search_runs([found.experiment_id])
    return {run.data.tags["mlflow.runName"]: run for run in runs}


def _sgd_objective(trial: Trial) -> float:
    """Train a linear classifier on iris epoch by epoch, reporting validation accuracy."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split

    alpha = trial.suggest_float("alpha", 1e-5, 10.0, log=True)
    loss = trial.suggest_categorical("loss", ["hinge", "log_loss"])
    trial.set_user_attr("dataset", "iris")
    if alpha > 5.0 and loss == "hinge":
        raise ValueError("this trial fails on purpose")
    x, y = load_iris(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, random_state=0, stratify=y)
    model = SGDClassifier(alpha=alpha, loss=loss, random_state=0)
    accuracy = 0.0
    for epoch in range(EPOCHS):
        model.partial_fit(x_train, y_train, classes=[0, 1, 2])
        accuracy = float(model.score(x_valid, y_valid))
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise podbor.TrialPruned()
    return accuracy


def _study_of_three(name: str, callback: Any, objective: Any = _sgd_objective) -> podbor.Study:
    """A good trial, one pruned at its first epoch (strong regularisation), one that fails."""
    study = podbor.create_study(
        study_name=name, direction="maximize", pruner=podbor.pruners.ThresholdPruner(lower=0.6)
    )
    study.enqueue_trial({"alpha": 1e-4, "loss": "log_loss"})
    study.enqueue_trial({"alpha": 8.0, "loss": "log_loss"})
    study.enqueue_trial({"alpha": 8.0, "loss": "hinge"})
    study.optimize(objective, n_trials=3, callbacks=[callback], catch=(ValueError,))
    return study


def test_each_trial_becomes_a_run_with_params_value_and_tags(tracking_uri: str) -> None:
    callback = MLflowCallback(tracking_uri=tracking_uri, metric_name="accuracy")
    study = _study_of_three("runs", callback)
    states = [t.state for t in study.trials]
    assert states == [
        podbor.trial.TrialState.COMPLETE,
        podbor.trial.TrialState.PRUNED,
        podbor.trial.TrialState.FAIL,
    ]
    pruned = study.trials[1]
    assert max(pruned.intermediate_values) < EPOCHS - 1  # stopped before the budget

    runs = _runs(tracking_uri, "runs")
    assert sorted(runs) == ["0", "1", "2"]
    for trial in study.trials:
        run = runs[str(trial.number)]
        assert run.data.params == {k: str(v) for k, v in trial.params.items()}
        tags = run.data.tags
        assert tags["state"] == trial.state.name
        assert tags["number"] == str(trial.number)
        assert tags["direction"] == "MAXIMIZE"
        assert tags["datetime_start"] == str(trial.datetime_start)
        assert tags["datetime_complete"] == str(trial.datetime_complete)
        assert tags["alpha_distribution"] == str(trial.distributions["alpha"])
        assert tags["loss_distribution"] == str(trial.distributions["loss"])
        assert tags["dataset"] == "iris"  # the trial's user attrs are tags by default
        # A pruned trial's value is its last report; a failed one has none, and logs none.
        expected = {} if trial.value is None else {"accuracy": pytest.approx(trial.value)}
        assert run.data.metrics == expected
    assert study.trials[1].value == pruned.intermediate_values[max(pruned.intermediate_values)]
    assert study.trials[2].value is None


@pytest.mark.parametrize(
    ("metric_name", "expected"),
    [("value", ["value_0", "value_1"]), (["error", "size"], ["error", "size"])],
)
def test_several_objectives_log_one_metric_each(
    tracking_uri: str, metric_name: Any, expected: list[str]
) -> None:
    def objective(trial: Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", -1.0, 1.0)
        return (x - 0.5) ** 2, abs(x)

    name = f"multi-{expected[0]}"
    callback = MLflowCallback(tracking_uri=tracking_uri, metric_name=metric_name)
    study = podbor.create_study(study_name=name, directions=["minimize", "maximize"])
    study.optimize(objective, n_trials=2, callbacks=[callback])
    runs = _runs(tracking_uri, name)
    for trial in study.trials:
        metrics = runs[str(trial.number)].data.metrics
        assert metrics == dict(zip(expected, trial.values, strict=True))
        assert runs[str(trial.number)].data.tags["direction"] == "['MINIMIZE', 'MAXIMIZE']"


@pytest.mark.parametrize("names", [["only_one"], ["a", "b", "c"]])
def test_metric_name_count_must_match_the_objectives(names: list[str]) -> None:
    callback = MLflowCallback(tracking_uri="sqlite:///unused.db", metric_name=names)
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'metric_name'.*2 objective\(s\)"):
        study.optimize(
            lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1, callbacks=[callback]
        )


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(TypeError, match="'metric_name'"):
        MLflowCallback(metric_name=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'metric_name'"):
        MLflowCallback(metric_name=["a", "a"])
    with pytest.raises(TypeError, match="'mlflow_kwargs'"):
        MLflowCallback(mlflow_kwargs=[("nested", True)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'mlflow_kwargs'.*experiment_id.*nested.*unknown: nest"):
        MLflowCallback(mlflow_kwargs={"nest": True})
    with pytest.raises(ValueError, match=r"'mlflow_kwargs'.*unknown: run_id"):
        MLflowCallback(mlflow_kwargs={"run_id": "abc"})
    with pytest.raises(TypeError, match="'create_experiment'"):
        MLflowCallback(create_experiment="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'tracking_uri'"):
        MLflowCallback(tracking_uri=Path("mlruns"))  # type: ignore[arg-type]


def test_track_in_mlflow_logs_inside_the_objective_into_the_trial_run(tracking_uri: str) -> None:
    callback = MLflowCallback(tracking_uri=tracking_uri, metric_name="accuracy")

    @callback.track_in_mlflow()
    def objective(trial: Trial) -> float:
        """Logs its own metric, then trains."""
        mlflow.log_metric("inside", 3.5 + trial.number)
        return _sgd_objective(trial)

    assert objective.__name__ == "objective"
    assert objective.__doc__ == "Logs its own metric, then trains."
    study = _study_of_three("decorated", callback, objective)
    runs = _runs(tracking_uri, "decorated")
    assert sorted(runs) == ["0", "1", "2"]  # one run per trial, not two
    for trial in study.trials:
        run = runs[str(trial.number)]
        assert trial.system_attrs[RUN_ID_ATTRIBUTE_KEY] == run.info.run_id
        assert run.data.metrics["inside"] == 3.5 + trial.number
        assert run.data.tags["state"] == trial.state.name
        assert set(run.data.params) == {"alpha", "loss"}
    assert runs["0"].data.metrics["accuracy"] == pytest.approx(study.trials[0].value)
    assert "accuracy" not in runs["2"].data.metrics  # the failed trial


def test_user_attr_tags_follow_the_flags_and_long_values_are_cut(tracking_uri: str) -> None:
    callback = MLflowCallback(
        tracking_uri=tracking_uri, tag_study_user_attrs=True, tag_trial_user_attrs=False
    )

    def objective(trial: Trial) -> float:
        trial.set_user_attr("trial_attr", "t")
        trial.set_user_attr("shared", "from the trial")
        return trial.suggest_float("x", 0.0, 1.0)

    study = podbor.create_study(study_name="attrs")
    study.set_user_attr("study_attr", "s" * 10_000)
    study.set_user_attr("shared", "from the study")
    study.optimize(objective, n_trials=1, callbacks=[callback])
    tags = _runs(tracking_uri, "attrs")["0"].data.tags
    assert "trial_attr" not in tags
    assert tags["shared"] == "from the study"
    limit = mlflow.utils.validation.MAX_TAG_VAL_LENGTH
    assert len(tags["study_attr"]) == limit and tags["study_attr"].endswith("...")

    both = MLflowCallback(tracking_uri=tracking_uri, tag_study_user_attrs=True)
    study2 = podbor.create_study(study_name="attrs2")
    study2.set_user_attr("shared", "from the study")
    study2.optimize(objective, n_trials=1, callbacks=[both])
    tags = _runs(tracking_uri, "attrs2")["0"].data.tags
    assert tags["trial_attr"] == "t"
    assert tags["shared"] == "from the study"  # the study's attrs win


def test_existing_experiment_run_name_tags_and_nested_runs(tracking_uri: str) -> None:
    mlflow.set_tracking_uri(tracking_uri)
    experiment_id = mlflow.create_experiment("existing")
    callback = MLflowCallback(
        tracking_uri=tracking_uri,
        create_experiment=False,
        mlflow_kwargs={
            "experiment_id": experiment_id,
            "nested": True,
            "run_name": "child",
            "tags": {"team": "podbor", "round": 1},
        },
    )
    study = podbor.create_study(study_name="not-an-experiment")
    with mlflow.start_run(experiment_id=experiment_id, run_name="parent") as parent:
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[callback])
    client = MlflowClient(tracking_uri)
    assert client.get_experiment_by_name("not-an-experiment") is None
    runs = client.search_runs([experiment_id])
    children = [r for r in runs if r.info.run_id != parent.info.run_id]
    assert len(runs) == 3 and len(children) == 2
    for run in children:
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["mlflow.runName"] == "child"
        assert run.data.tags["team"] == "podbor" and run.data.tags["round"] == "1"
        assert set(run.data.metrics) == {"value"}


def test_without_create_experiment_the_active_experiment_is_used(tracking_uri: str) -> None:
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("chosen-by-the-user")
    callback = MLflowCallback(tracking_uri=tracking_uri, create_experiment=False)
    study = podbor.create_study(study_name="ignored-name")
    for _ in range(2):  # two optimize calls, one experiment
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[callback])
    assert MlflowClient(tracking_uri).get_experiment_by_name("ignored-name") is None
    assert sorted(_runs(tracking_uri, "chosen-by-the-user")) == ["0", "1"]


def test_an_active_run_without_nested_is_an_error(tracking_uri: str) -> None:
    callback = MLflowCallback(tracking_uri=tracking_uri)
    study = podbor.create_study(study_name="active")
    mlflow.set_tracking_uri(tracking_uri)
    with mlflow.start_run(), pytest.raises(Exception, match="already active"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[callback])


def test_threads_each_get_their_own_run(tracking_uri: str) -> None:
    callback = MLflowCallback(tracking_uri=tracking_uri)

    @callback.track_in_mlflow()
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        mlflow.log_metric("x_again", x)
        return x

    study = podbor.create_study(study_name="threads")
    study.optimize(objective, n_trials=6, n_jobs=2, callbacks=[callback])
    runs = _runs(tracking_uri, "threads")
    assert sorted(runs) == [str(i) for i in range(6)]
    for trial in study.trials:
        metrics = runs[str(trial.number)].data.metrics
        assert metrics["x_again"] == metrics["value"] == trial.params["x"]


@pytest.mark.slow  # a fresh sqlite store and MLflow's imports in a new process: ~10 s
def test_example_writes_runs_to_a_local_store(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "tracking.py"), "--n-trials", "3", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Best value: " in done.stdout
    assert "Best parameters: {" in done.stdout
    runs = _runs(f"sqlite:///{tmp_path / 'mlflow.db'}", "tracking-example")
    assert len(runs) == 3
