"""TensorBoardCallback without TensorFlow, read back with TensorBoard's own event reader.

Skipped without tensorboard, except under CI. The event files are parsed with
``EventAccumulator`` and the hparams plugin's metadata parsers, as TensorBoard's dashboard
would read them.
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
from podbor.trial import Trial, TrialState

if importlib.util.find_spec("tensorboard") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("tensorboard must be installed under CI=true (make test installs it)")
    pytest.skip("tensorboard is not installed", allow_module_level=True)

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import api_pb2, metadata
from tensorboard.util import tensor_util

from podbor.integration.tensorboard import INTERMEDIATE_TAG, TensorBoardCallback

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EPOCHS = 6


def _load(path: Path) -> Any:
    acc = EventAccumulator(str(path))
    acc.Reload()
    return acc


def _experiment(logdir: Path) -> Any:
    acc = _load(logdir)
    content = acc.SummaryMetadata(metadata.EXPERIMENT_TAG).plugin_data.content
    return metadata.parse_experiment_plugin_data(content)


def _session(run_dir: Path) -> tuple[dict[str, Any], Any, dict[str, list[tuple[int, float]]]]:
    """A trial's hparam values, its end status and its scalars as (step, value) lists."""
    acc = _load(run_dir)
    start = metadata.parse_session_start_info_plugin_data(
        acc.SummaryMetadata(metadata.SESSION_START_INFO_TAG).plugin_data.content
    )
    end = metadata.parse_session_end_info_plugin_data(
        acc.SummaryMetadata(metadata.SESSION_END_INFO_TAG).plugin_data.content
    )
    values = {name: getattr(v, v.WhichOneof("kind")) for name, v in start.hparams.items()}
    assert start.group_name == run_dir.name
    scalars = {
        tag: [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
        for tag in acc.Tags()["tensors"]
        if not tag.startswith("_hparams_/")
    }
    return values, end.status, scalars


def _sgd_objective(trial: Trial) -> float:
    """Train a linear classifier on iris epoch by epoch, reporting validation accuracy."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split

    alpha = trial.suggest_float("alpha", 1e-5, 10.0, log=True)
    loss = trial.suggest_categorical("loss", ["hinge", "log_loss"])
    epochs = trial.suggest_int("epochs", 2, EPOCHS)
    if alpha > 5.0 and loss == "hinge":
        raise ValueError("this trial fails on purpose")
    x, y = load_iris(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, random_state=0, stratify=y)
    model = SGDClassifier(alpha=alpha, loss=loss, random_state=0)
    accuracy = 0.0
    for epoch in range(epochs):
        model.partial_fit(x_train, y_train, classes=[0, 1, 2])
        accuracy = float(model.score(x_valid, y_valid))
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise podbor.TrialPruned()
    return accuracy


def test_experiment_and_one_session_per_trial(tmp_path: Path) -> None:
    callback = TensorBoardCallback(tmp_path, "accuracy")
    study = podbor.create_study(
        direction="maximize", pruner=podbor.pruners.ThresholdPruner(lower=0.6)
    )
    study.enqueue_trial({"alpha": 1e-4, "loss": "log_loss", "epochs": EPOCHS})
    study.enqueue_trial({"alpha": 8.0, "loss": "log_loss", "epochs": EPOCHS})
    study.enqueue_trial({"alpha": 8.0, "loss": "hinge", "epochs": EPOCHS})
    study.optimize(_sgd_objective, n_trials=3, callbacks=[callback], catch=(ValueError,))
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAIL,
    ]
    assert max(study.trials[1].intermediate_values) < EPOCHS - 1  # pruned before the budget

    experiment = _experiment(tmp_path)
    infos = {info.name: info for info in experiment.hparam_infos}
    assert set(infos) == {"alpha", "loss", "epochs"}
    assert (infos["alpha"].domain_interval.min_value, infos["alpha"].domain_interval.max_value) == (
        1e-5,
        10.0,
    )
    assert (
        infos["epochs"].domain_interval.min_value,
        infos["epochs"].domain_interval.max_value,
    ) == (
        2,
        EPOCHS,
    )
    assert [v.string_value for v in infos["loss"].domain_discrete.values] == ["hinge", "log_loss"]
    assert [m.name.tag for m in experiment.metric_infos] == ["accuracy"]

    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [
        "trial-0",
        "trial-1",
        "trial-2",
    ]
    statuses = [api_pb2.STATUS_SUCCESS, api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_FAILURE]
    for trial, status in zip(study.trials, statuses, strict=True):
        values, end, scalars = _session(tmp_path / f"trial-{trial.number}")
        assert values == pytest.approx(trial.params)
        assert end == status
        curve = scalars.get(INTERMEDIATE_TAG, [])  # the learning curve (none if it failed)
        assert [step for step, _ in curve] == sorted(trial.intermediate_values)
        expected = [trial.intermediate_values[step] for step, _ in curve]
        assert [v for _, v in curve] == pytest.approx(expected, rel=1e-6)
        if trial.value is None:
            assert "accuracy" not in scalars
        else:  # the value at step = trial number, as Optuna writes it
            assert scalars["accuracy"] == [(trial.number, pytest.approx(trial.value, rel=1e-6))]


def test_several_objectives_and_a_growing_search_space(tmp_path: Path) -> None:
    def objective(trial: Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", -1.0, 1.0 + trial.number)  # the range widens
        kind = trial.suggest_categorical("kind", [1, "two", None])  # mixed: shown as text
        if trial.number == 2:
            trial.suggest_categorical("late", [True, False])  # a parameter that appears late
        return x**2, float(len(str(kind)))

    callback = TensorBoardCallback(str(tmp_path), metric_name=["error", "size"])
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.optimize(objective, n_trials=3, callbacks=[callback])

    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 1  # only the latest experiment
    experiment = _experiment(tmp_path)
    infos = {info.name: info for info in experiment.hparam_infos}
    assert infos["x"].domain_interval.max_value == 3.0
    assert sorted(v.string_value for v in infos["kind"].domain_discrete.values) == [
        "1",
        "None",
        "two",
    ]
    assert [v.bool_value for v in infos["late"].domain_discrete.values] == [False, True]
    assert [m.name.tag for m in experiment.metric_infos] == ["error", "size"]
    for trial in study.trials:
        values, end, scalars = _session(tmp_path / f"trial-{trial.number}")
        assert values["kind"] == str(trial.params["kind"])
        assert values["x"] == trial.params["x"]
        assert end == api_pb2.STATUS_SUCCESS
        assert scalars["error"] == [(trial.number, pytest.approx(trial.values[0], rel=1e-6))]
        assert scalars["size"] == [(trial.number, trial.values[1])]
    assert _session(tmp_path / "trial-2")[0]["late"] is study.trials[2].params["late"]


def test_single_name_is_numbered_and_a_resumed_study_keeps_its_space(tmp_path: Path) -> None:
    study = podbor.create_study(directions=["minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_int("n", 0, 4), 1.0), n_trials=2)  # before the callback
    callback = TensorBoardCallback(tmp_path, "loss")
    study.optimize(lambda t: (t.suggest_float("y", 0, 1), 2.0), n_trials=1, callbacks=[callback])
    experiment = _experiment(tmp_path)
    assert {info.name for info in experiment.hparam_infos} == {"n", "y"}
    assert [m.name.tag for m in experiment.metric_infos] == ["loss_0", "loss_1"]
    _, _, scalars = _session(tmp_path / "trial-2")
    assert scalars == {
        "loss_0": [(2, pytest.approx(study.trials[2].values[0]))],
        "loss_1": [(2, 2.0)],
    }


@pytest.mark.parametrize("names", [["only_one"], ["a", "b", "c"]])
def test_metric_name_count_must_match_the_objectives(tmp_path: Path, names: list[str]) -> None:
    callback = TensorBoardCallback(tmp_path, names)
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'metric_name'.*2 objective\(s\)"):
        study.optimize(
            lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1, callbacks=[callback]
        )
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_name_the_argument(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="'dirname'"):
        TensorBoardCallback(3, "value")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'dirname'"):
        TensorBoardCallback("", "value")
    with pytest.raises(TypeError, match="'metric_name'"):
        TensorBoardCallback(tmp_path, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'metric_name'"):
        TensorBoardCallback(tmp_path, "")


def test_example_writes_tensorboard_logs(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "tracking.py"),
            "--tracker",
            "tensorboard",
            "--n-trials",
            "3",
            "--dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Best value: " in done.stdout and "Best parameters: {" in done.stdout
    assert sorted(p.name for p in (tmp_path / "tensorboard").glob("trial-*")) == [
        "trial-0",
        "trial-1",
        "trial-2",
    ]
