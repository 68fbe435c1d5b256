"""Every storage-taking command accepts a podbor journal file URL (``journal:PATH``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import podbor
from podbor.cli import main
from podbor.storages import JournalFileBackend, JournalStorage

OBJECTIVE = "def objective(trial):\n    return trial.suggest_float('x', -1.0, 1.0) ** 2\n"


def test_worker_runs_a_study_on_a_journal_file(tmp_path: Path) -> None:
    (tmp_path / "journal_objective.py").write_text(OBJECTIVE)
    url = f"journal://{tmp_path / 'study.log'}"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    args = ["--storage", url, "--study-name", "s", "--objective", "journal_objective:objective"]
    args += ["--n-trials", "4", "--create-if-missing", "--direction", "minimize"]
    done = subprocess.run(
        [sys.executable, "-m", "podbor", "worker", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "study.log")))
    study = podbor.load_study(study_name="s", storage=storage)
    assert [t.number for t in study.trials] == [0, 1, 2, 3]
    assert all(t.state.name == "COMPLETE" for t in study.trials)


def test_a_reading_command_refuses_a_missing_journal_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.log"
    assert main(["studies", "--storage", f"journal://{missing}"]) == 1
    assert "there is no file" in capsys.readouterr().err
    assert not missing.exists()


def test_an_optuna_journal_is_refused_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = podbor.storages.InMemoryStorage()
    study = podbor.create_study(study_name="s", storage=source)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    optuna_log = tmp_path / "optuna.log"
    podbor.copy_study(
        from_study_name="s",
        from_storage=source,
        to_storage=f"journal://{optuna_log}",
        to_format="optuna",
    )
    before = optuna_log.read_bytes()
    assert main(["trials", "--storage", f"journal://{optuna_log}", "--study-name", "s"]) == 1
    err = capsys.readouterr().err
    assert "Optuna journal" in err and "copy-study" in err
    assert optuna_log.read_bytes() == before
