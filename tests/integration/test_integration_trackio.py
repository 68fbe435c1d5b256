"""TrackioCallback against a real Trackio, read back from the local database it writes.

Skipped without trackio, except under CI. No network: Trackio keeps each project in
``<TRACKIO_DIR>/<project>.db`` (the root conftest points ``TRACKIO_DIR`` at a fresh directory);
the tests read the rows back with ``trackio.SQLiteStorage``, so they check what Trackio stored.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.exceptions import InvalidArgumentError
from podbor.trial import Trial, TrialState

if importlib.util.find_spec("trackio") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("trackio must be installed under CI=true (make test installs it)")
    pytest.skip("trackio is not installed", allow_module_level=True)

import trackio

from podbor.integration.trackio import TrackioCallback

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUIET = {"auto_log_cpu": False}  # no system-metrics thread in the tests


@pytest.fixture
def project() -> Any:
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    if trackio.context_vars.current_run.get() is not None:  # a test that failed midway
        trackio.finish()


def _rows(project: str, run: str) -> list[dict[str, Any]]:
    keep = ("timestamp",)
    return [
        {k: v for k, v in row.items() if k not in keep}
        for row in trackio.SQLiteStorage.get_logs(project, run)
    ]


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if trial.number == 2:
        trial.report(9.0, 0)
        raise podbor.TrialPruned()
    if trial.number == 3:
        raise ValueError("diverged")
    return x * x + (kind == "b")


def test_one_run_for_the_study_with_a_step_per_trial(project: str) -> None:
    callback = TrackioCallback(project, metric_name="loss", trackio_kwargs=QUIET)
    study = podbor.create_study(study_name="one-run")
    study.optimize(_objective, n_trials=5, callbacks=[callback], catch=(ValueError,))
    callback.finish()
    assert trackio.context_vars.current_run.get() is None
    assert trackio.SQLiteStorage.get_runs(project) == ["one-run"]
    rows = _rows(project, "one-run")
    assert [row["step"] for row in rows] == [0, 1, 2, 3, 4]
    for trial, row in zip(study.trials, rows, strict=True):
        assert row["trial_number"] == trial.number
        assert row["x"] == trial.params["x"] and row["kind"] == trial.params["kind"]
        if trial.state is TrialState.FAIL:
            assert "loss" not in row  # a failed trial has no value
        else:
            assert row["loss"] == trial.value
    assert study.trials[2].state is TrialState.PRUNED and rows[2]["loss"] == 9.0


def test_one_run_per_trial_with_the_decorator_and_two_objectives(project: str) -> None:
    callback = TrackioCallback(
        project, metric_name=["error", "size"], as_multirun=True, trackio_kwargs=QUIET
    )

    @callback.track_in_trackio()
    def objective(trial: Trial) -> tuple[float, float]:
        width = trial.suggest_int("width", 1, 64)
        for epoch in range(3):
            trackio.log({"epoch_error": 1.0 / (width + epoch)})  # into this trial's run
        return 1.0 / width, float(width)

    study = podbor.create_study(study_name="multi", directions=["minimize", "minimize"])
    study.optimize(objective, n_trials=3, callbacks=[callback])
    assert trackio.context_vars.current_run.get() is None  # each trial's run is finished
    runs = sorted(trackio.SQLiteStorage.get_runs(project))
    assert runs == ["trial/0/multi", "trial/1/multi", "trial/2/multi"]
    for trial in study.trials:
        rows = _rows(project, f"trial/{trial.number}/multi")
        assert [("epoch_error" in row) for row in rows] == [True, True, True, False]
        last = rows[-1]
        assert last["step"] > rows[-2]["step"]  # after what the objective logged
        assert (last["error"], last["size"]) == tuple(trial.values)
        assert last["width"] == trial.params["width"] and last["trial_number"] == trial.number


def test_multirun_without_the_decorator_still_logs_every_trial(project: str) -> None:
    """optuna-integration logs nothing here (it needs the decorator); podbor opens the runs."""
    callback = TrackioCallback(project, as_multirun=True, trackio_kwargs=QUIET)
    study = podbor.create_study(study_name="plain")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[callback])
    for trial in study.trials:
        (row,) = _rows(project, f"trial/{trial.number}/plain")
        assert row["value"] == trial.value and row["x"] == trial.params["x"]


def test_the_decorator_logs_how_a_trial_stopped(project: str) -> None:
    callback = TrackioCallback(project, as_multirun=True, trackio_kwargs=QUIET)
    study = podbor.create_study(study_name="stops")
    study.optimize(
        callback.track_in_trackio()(_objective), n_trials=4, callbacks=[callback], catch=ValueError
    )
    pruned = _rows(project, "trial/2/stops")
    assert pruned[0]["trial_state"] == "pruned" and pruned[-1]["value"] == 9.0
    failed = _rows(project, "trial/3/stops")
    assert failed[0]["trial_state"] == "failed" and failed[0]["error"] == "diverged"
    assert "value" not in failed[-1] and failed[-1]["trial_number"] == 3
    assert all("trial_state" not in row for row in _rows(project, "trial/0/stops"))


def test_study_run_resumes_after_the_user_finishes_it(project: str) -> None:
    callback = TrackioCallback(project, trackio_kwargs=QUIET)

    @callback.track_in_trackio()
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trackio.log({"inner": x}, step=trial.number)
        if trial.number == 1:
            trackio.finish()  # the user's own call: the next trial reopens the study's run
        return x

    study = podbor.create_study(study_name="resumed")
    study.optimize(objective, n_trials=3, callbacks=[callback])
    callback.finish()
    assert trackio.SQLiteStorage.get_runs(project) == ["resumed"]
    rows = _rows(project, "resumed")
    assert sorted({row["step"] for row in rows}) == [0, 1, 2]
    assert sorted(row["trial_number"] for row in rows if "trial_number" in row) == [0, 1, 2]
    assert len([row for row in rows if "inner" in row]) == 3


@pytest.mark.parametrize("names", [["a"], ["a", "b", "c"]])
def test_metric_name_count_must_match_the_objectives(project: str, names: list[str]) -> None:
    callback = TrackioCallback(project, metric_name=names, trackio_kwargs=QUIET)
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(InvalidArgumentError, match=r"'metric_name'.*2 objective\(s\)"):
        study.optimize(lambda t: (1.0, 2.0), n_trials=1, callbacks=[callback])
    callback.finish()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"project": ""}, InvalidArgumentError, "'project'"),
        ({"project": 3}, TypeError, "'project'"),
        ({"metric_name": ["a", "a"]}, InvalidArgumentError, "'metric_name'"),
        ({"as_multirun": 1}, TypeError, "'as_multirun'"),
        ({"space_id": ""}, InvalidArgumentError, "'space_id'"),
        ({"dataset_id": 7}, TypeError, "'dataset_id'"),
        ({"private": "yes"}, TypeError, "'private'"),
        ({"resume": "sometimes"}, InvalidArgumentError, "'resume'.*'allow', 'must', 'never'"),
        (
            {"trackio_kwargs": {"name": "x"}},
            InvalidArgumentError,
            r"'trackio_kwargs'.*unknown: name",
        ),
        ({"trackio_kwargs": {"nope": 1}}, InvalidArgumentError, "unknown: nope"),
        ({"trackio_kwargs": ["group"]}, TypeError, "'trackio_kwargs'"),
    ],
)
def test_bad_arguments_name_the_argument(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    arguments = {"project": "p", **kwargs}
    with pytest.raises(error, match=match):
        TrackioCallback(**arguments)
    assert trackio.context_vars.current_run.get() is None  # nothing was opened


def test_example_tracks_a_pruned_study(tmp_path: Path) -> None:
    command = [sys.executable, str(EXAMPLES / "tracking.py"), "--tracker", "trackio"]
    env = {k: v for k, v in os.environ.items() if k != "TRACKIO_DIR"}
    done = subprocess.run(
        [*command, "--n-trials", "8", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Best value: " in done.stdout and "(pruned: " in done.stdout
    code = (
        "import trackio\n"
        "S = trackio.SQLiteStorage\n"
        "runs = sorted(S.get_runs('tracking-example'))\n"
        "print(len(runs), all(any('epoch_accuracy' in r for r in S.get_logs('tracking-example',"
        " run)) for run in runs))\n"
    )
    read = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "TRACKIO_DIR": str(tmp_path / "trackio")},
    )
    assert read.returncode == 0, read.stderr[-2000:]
    assert read.stdout.split() == ["8", "True"]
