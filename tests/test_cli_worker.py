"""``podbor worker``: bad input refused in one line with the study untouched, real worker
processes sharing one SQLite file reaching the study's total exactly, and SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import podbor
from podbor.cli import main
from podbor.trial import TrialState

OBJECTIVES = """
import os, time

def quad(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    time.sleep(float(os.environ.get("OBJ_SLEEP", "0")))
    return x * x

def two_values(trial):
    trial.suggest_float("x", 0.0, 1.0)
    return 1.0, 2.0

def broken(trial):
    raise RuntimeError("always")

NOT_CALLABLE = 3
"""


@pytest.fixture
def objectives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module of objectives in the current directory (a fresh name: imports are cached)."""
    name = f"objs_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(OBJECTIVES)
    monkeypatch.chdir(tmp_path)
    return name


def _worker(url: str, *args: str) -> list[str]:
    return ["-q", "worker", "--storage", url, "--study-name", "s", *args]


def _names(url: str) -> list[str]:
    return podbor.get_all_study_names(url)


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ("nope_module_xyz:f", "importing 'nope_module_xyz' failed with ModuleNotFoundError"),
        ("{m}:missing", "has no 'missing'"),
        ("{m}:NOT_CALLABLE", "'NOT_CALLABLE' is a int, which cannot be called"),
        ("{m}", "--objective must be package.module:function"),
    ],
    ids=["no-module", "no-function", "not-callable", "no-colon"],
)
def test_a_bad_objective_is_refused_before_the_storage_is_opened(
    objectives: str,
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    objective: str,
    message: str,
) -> None:
    argv = _worker(sqlite_url, "--objective", objective.format(m=objectives), "--n-trials", "3")
    assert main([*argv, "--create-if-missing"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "study.db").exists()  # nothing was created


def test_a_missing_study_is_refused_and_nothing_is_written(
    objectives: str, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _worker(sqlite_url, "--objective", f"{objectives}:quad", "--n-trials", "3")
    assert main(argv) == 1  # no file: not created
    assert "there is no file" in capsys.readouterr().err
    assert not (tmp_path / "study.db").exists()
    podbor.create_study(storage=sqlite_url, study_name="other")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No study named 's'" in err and "--create-if-missing" in err
    assert _names(sqlite_url) == ["other"]
    assert main([*argv, "--direction", "maximize"]) == 1  # a direction needs creation
    assert "--create-if-missing" in capsys.readouterr().err


def test_wrong_number_of_values_stops_at_the_first_trial(
    objectives: str, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _worker(sqlite_url, "--objective", f"{objectives}:two_values", "--n-trials", "5")
    assert main([*argv, "--create-if-missing"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("podbor: error: trial 0: the objective returned 2 value(s)"), err
    (trial,) = podbor.load_study(study_name="s", storage=sqlite_url).trials
    assert trial.state == TrialState.FAIL and "2 value(s)" in trial.system_attrs["fail_reason"]


def test_a_worker_that_only_fails_gives_up(
    objectives: str, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _worker(sqlite_url, "--objective", f"{objectives}:broken", "--n-trials", "50")
    assert main([*argv, "--create-if-missing"]) == 1
    assert "10 trials in a row failed" in capsys.readouterr().err
    assert len(podbor.load_study(study_name="s", storage=sqlite_url).trials) == 10


@pytest.mark.parametrize(
    ("option", "value"),
    [("--n-trials", "0"), ("--retries", "-1"), ("--timeout", "0"), ("--heartbeat-interval", "-1")],
)
def test_bad_numbers_are_refused(
    objectives: str,
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
) -> None:
    argv = _worker(sqlite_url, "--objective", f"{objectives}:quad", option, value)
    assert main([*argv, "--create-if-missing"]) == 1
    assert f"{option} must be" in capsys.readouterr().err


def test_create_if_missing_runs_to_the_total_and_a_second_worker_adds_nothing(
    objectives: str, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _worker(sqlite_url, "--objective", f"{objectives}:quad", "--n-trials", "4", "-f", "json")
    assert main([*argv, "--create-if-missing", "--direction", "maximize"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"study": "s", "trials_run": 4, "stopped": "done", "study_complete": 4}
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["trials_run"] == 0
    study = podbor.load_study(study_name="s", storage=sqlite_url)
    assert study.direction == podbor.study.StudyDirection.MAXIMIZE
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    assert all(t.system_attrs["worker"].endswith(f":{os.getpid()}") for t in study.trials)


def _spawn(objectives: str, folder: Path, argv: list[str], **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "podbor", *argv],
        cwd=folder,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_several_worker_processes_reach_the_total_exactly(
    objectives: str, sqlite_url: str, tmp_path: Path
) -> None:
    podbor.create_study(storage=sqlite_url, study_name="s")
    argv = _worker(sqlite_url, "--objective", f"{objectives}:quad", "--n-trials", "24")
    workers = [_spawn(objectives, tmp_path, argv, OBJ_SLEEP="0.02") for _ in range(3)]
    outcomes = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outcomes
    trials = podbor.load_study(study_name="s", storage=sqlite_url).trials
    assert [t.number for t in trials] == list(range(24))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len({t.system_attrs["worker"] for t in trials}) >= 2  # they shared the work


def test_sigterm_fails_the_running_trial_cleanly_and_requeues_it(
    objectives: str, sqlite_url: str, tmp_path: Path
) -> None:
    podbor.create_study(storage=sqlite_url, study_name="s")
    argv = _worker(sqlite_url, "--objective", f"{objectives}:quad", "--n-trials", "3", "-f", "json")
    worker = _spawn(objectives, tmp_path, argv, OBJ_SLEEP="60")
    study = podbor.load_study(study_name="s", storage=sqlite_url)
    deadline = time.monotonic() + 60
    while not study.get_trials(states=(TrialState.RUNNING,)) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)  # inside the objective's sleep
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert json.loads(out)["stopped"] == "stopped"
    first, retry = study.trials
    assert first.state == TrialState.FAIL
    assert "WorkerInterrupted" in first.system_attrs["fail_reason"]
    assert retry.state == TrialState.WAITING and retry.params == first.params
    # another worker runs the re-queued trial first, then the rest of the total
    second = _spawn(objectives, tmp_path, argv, OBJ_SLEEP="0")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL] + [TrialState.COMPLETE] * 3
    assert trials[1].params == first.params
