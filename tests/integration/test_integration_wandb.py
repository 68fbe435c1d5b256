"""WeightsAndBiasesCallback in W&B's offline mode, read back from the run files it writes.

Skipped without wandb, except under CI. No network: ``WANDB_MODE=offline`` writes each run to
``<WANDB_DIR>/wandb/offline-run-*/run-<id>.wandb``, a log of protobuf records that the helpers
below parse, so the tests check what W&B really stored.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.trial import Trial, TrialState

if importlib.util.find_spec("wandb") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("wandb must be installed under CI=true (make test installs it)")
    pytest.skip("wandb is not installed", allow_module_level=True)

import wandb

from podbor.integration.wandb import WeightsAndBiasesCallback

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EPOCHS = 6
_BLOCK = 32768  # W&B's run file is a LevelDB-style log of 32 KiB blocks


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONSOLE", "off")
    yield tmp_path
    wandb.finish()


def _here(root: Path) -> dict[str, Any]:
    """wandb.init arguments that write offline under ``root`` (wandb reads its env only once)."""
    return {"mode": "offline", "dir": str(root)}


def _read_run_file(path: Path) -> list[Any]:
    """The records of one offline run file (header ``:W&B``, then chunked records)."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", path
    records, pending, pos = [], b"", 7
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # block tail too short for a header: padding
            pos += left
            continue
        length, kind = int.from_bytes(data[pos + 4 : pos + 6], "little"), data[pos + 6]
        chunk, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind == 1:  # full record
            records.append(chunk)
        elif kind == 2:  # first chunk
            pending = chunk
        elif kind == 3:  # middle
            pending += chunk
        elif kind == 4:  # last
            records.append(pending + chunk)
    return [wandb_internal_pb2.Record.FromString(r) for r in records]


def _key(item: Any) -> str:
    return str(item.key) or "/".join(item.nested_key)


def _offline_runs(root: Path, expected: int) -> dict[str, dict[str, Any]]:
    """Each finished offline run under ``root`` by name: its history rows, config and tags."""
    deadline = time.monotonic() + 20
    while True:
        files = sorted(root.glob("wandb/offline-run-*/run-*.wandb"))
        parsed = [_read_run_file(f) for f in files if f.stat().st_size]
        done = [r for r in parsed if any(x.WhichOneof("record_type") == "exit" for x in r)]
        if len(done) >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # wandb-core may still be flushing the last run
    assert len(done) == expected, f"{len(done)} of {expected} runs finished in {root}"
    runs: dict[str, dict[str, Any]] = {}
    for records in done:
        run: dict[str, Any] = {"history": [], "config": {}, "tags": (), "name": ""}
        for record in records:  # later records update earlier ones
            kind = record.WhichOneof("record_type")
            if kind == "run":
                run["name"] = record.run.display_name or run["name"]
                run["tags"] = tuple(record.run.tags) or run["tags"]
                for item in record.run.config.update:
                    run["config"][_key(item)] = json.loads(item.value_json)
            elif kind == "config":
                for item in record.config.update:
                    run["config"][_key(item)] = json.loads(item.value_json)
            elif kind == "history":
                row = {_key(i): json.loads(i.value_json) for i in record.history.item}
                run["history"].append({k: v for k, v in row.items() if not k.startswith("_")})
                run["history"][-1]["_step"] = record.history.step.num
        run["config"].pop("_wandb", None)  # W&B's own bookkeeping
        runs[run["name"]] = run
    return runs


def _sgd_objective(trial: Trial) -> float:
    """Train a linear classifier on iris epoch by epoch, reporting validation accuracy."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split

    alpha = trial.suggest_float("alpha", 1e-5, 10.0, log=True)
    loss = trial.suggest_categorical("loss", ["hinge", "log_loss"])
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


def _study_of_three(callback: Any, objective: Any = _sgd_objective) -> podbor.Study:
    """A good trial, one pruned at its first epoch (strong regularisation), one that fails."""
    study = podbor.create_study(
        study_name="wandb-study",
        direction="maximize",
        pruner=podbor.pruners.ThresholdPruner(lower=0.6),
    )
    study.enqueue_trial({"alpha": 1e-4, "loss": "log_loss"})
    study.enqueue_trial({"alpha": 8.0, "loss": "log_loss"})
    study.enqueue_trial({"alpha": 8.0, "loss": "hinge"})
    study.optimize(objective, n_trials=3, callbacks=[callback], catch=(ValueError,))
    return study


def test_one_run_for_the_study_with_a_step_per_trial(offline: Path) -> None:
    callback = WeightsAndBiasesCallback(
        metric_name="accuracy",
        wandb_kwargs={"project": "podbor-tests", "name": "whole-study", **_here(offline)},
    )
    study = _study_of_three(callback)
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.PRUNED,
        TrialState.FAIL,
    ]
    assert max(study.trials[1].intermediate_values) < EPOCHS - 1  # pruned before the budget
    wandb.finish()

    run = _offline_runs(offline, expected=1)["whole-study"]
    assert run["config"]["direction"] == ["MAXIMIZE"]
    rows = {row["_step"]: row for row in run["history"]}
    assert sorted(rows) == [0, 1, 2]  # step = trial number
    for trial in study.trials:
        logged = {k: v for k, v in rows[trial.number].items() if k != "_step"}
        expected = dict(trial.params)
        if trial.value is not None:  # a pruned trial's value is its last report
            expected["accuracy"] = trial.value
        assert logged == pytest.approx(expected)
    assert "accuracy" not in rows[2]  # the failed trial has no value


def test_one_run_per_trial_with_the_decorator_and_two_objectives(offline: Path) -> None:
    callback = WeightsAndBiasesCallback(
        metric_name=["error", "size"],
        wandb_kwargs={"project": "podbor-tests", "tags": ["demo"], **_here(offline)},
        as_multirun=True,
    )

    @callback.track_in_wandb()
    def objective(trial: Trial) -> tuple[float, float]:
        """Logs from inside the objective."""
        x = trial.suggest_float("x", -1.0, 1.0)
        width = trial.suggest_int("width", 1, 8)
        wandb.log({"inside": x * 10})
        if trial.number == 1:
            raise podbor.TrialPruned()
        return (x - 0.5) ** 2, float(width)

    assert objective.__name__ == "objective"
    assert objective.__doc__ == "Logs from inside the objective."
    study = podbor.create_study(study_name="two-goals", directions=["minimize", "minimize"])
    study.optimize(objective, n_trials=3, callbacks=[callback])
    assert wandb.run is None  # the callback finished every trial's run

    runs = _offline_runs(offline, expected=3)
    assert len(runs) == 3
    for trial in study.trials:
        # "trial/<number>/<W&B's name>"; an offline run has no W&B name
        (name,) = [n for n in runs if f"{n}/".startswith(f"trial/{trial.number}/")]
        run = runs[name]
        assert set(run["tags"]) == {"demo", "two-goals"}
        assert run["config"] == {"direction": ["MINIMIZE", "MINIMIZE"], **trial.params}
        merged: dict[str, Any] = {}
        for row in run["history"]:
            merged.update({k: v for k, v in row.items() if k != "_step"})
        expected = {**trial.params, "inside": trial.params["x"] * 10, "trial_number": trial.number}
        if trial.values is not None:
            expected.update(error=trial.values[0], size=trial.values[1])
        assert merged == pytest.approx(expected)
    assert study.trials[1].state == TrialState.PRUNED


def test_study_run_keeps_the_values_when_the_objective_logs_its_own_steps(offline: Path) -> None:
    callback = WeightsAndBiasesCallback(wandb_kwargs={"name": "curves", **_here(offline)})

    @callback.track_in_wandb()
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for epoch in range(3):
            wandb.log({"curve": x / (epoch + 1)})  # three steps per trial, W&B's own counter
        return x

    study = podbor.create_study()
    study.optimize(objective, n_trials=3, callbacks=[callback])
    wandb.finish()
    rows = _offline_runs(offline, expected=1)["curves"]["history"]
    values = [row["value"] for row in rows if "value" in row]
    assert values == pytest.approx([t.value for t in study.trials])  # none dropped
    assert sum("curve" in row for row in rows) == 9


@pytest.mark.parametrize("names", [["only_one"], ["a", "b", "c"]])
def test_metric_name_count_must_match_the_objectives(offline: Path, names: list[str]) -> None:
    callback = WeightsAndBiasesCallback(metric_name=names, as_multirun=True)
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'metric_name'.*2 objective\(s\)"):
        study.optimize(
            lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1, callbacks=[callback]
        )
    assert wandb.run is None  # the error came before any run was started


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(TypeError, match="'metric_name'"):
        WeightsAndBiasesCallback(metric_name=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'metric_name'"):
        WeightsAndBiasesCallback(metric_name=[])
    with pytest.raises(TypeError, match="'wandb_kwargs'"):
        WeightsAndBiasesCallback(wandb_kwargs="my-project")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'wandb_kwargs'.*project.*unknown: projekt"):
        WeightsAndBiasesCallback(wandb_kwargs={"projekt": "x"})
    with pytest.raises(TypeError, match="'as_multirun'"):
        WeightsAndBiasesCallback(as_multirun=1)  # type: ignore[arg-type]
    assert wandb.run is None


@pytest.mark.slow  # W&B's service starts in a new process
def test_example_writes_offline_runs(tmp_path: Path) -> None:
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    command = [sys.executable, str(EXAMPLES / "tracking.py"), "--tracker", "wandb"]
    done = subprocess.run(
        [*command, "--n-trials", "3", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Best value: " in done.stdout and "Best parameters: {" in done.stdout
    runs = _offline_runs(tmp_path, expected=3)
    assert all(any("epoch_accuracy" in row for row in run["history"]) for run in runs.values())
