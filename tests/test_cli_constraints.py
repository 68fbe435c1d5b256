"""The CLI shows a constrained study's constraint values and which trials are feasible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import podbor
from podbor.cli import main


def _constrained_study(url: str) -> podbor.Study:
    study = podbor.create_study(storage=url, study_name="c")
    for x in (0.4, 0.01, -0.2):  # the smallest value (0.01**2) breaks the constraint x <= 0
        trial = study.ask()
        trial.suggest_float("x", -1.0, 1.0)
        trial.set_constraint("cost", x)
        study.tell(trial, x * x)
    return study


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'c.db'}"


def test_trials_show_constraints_and_feasibility(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _constrained_study(url)
    assert main(["trials", "--storage", url, "--study-name", "c", "-f", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["constraints"] for r in records] == [{"cost": 0.4}, {"cost": 0.01}, {"cost": -0.2}]
    assert [r["feasible"] for r in records] == [False, False, True]


def test_best_trial_is_the_best_feasible_one(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _constrained_study(url)
    assert main(["best-trial", "--storage", url, "--study-name", "c", "-f", "json"]) == 0
    best = json.loads(capsys.readouterr().out)
    assert best["number"] == 2 and best["feasible"] is True


def test_trials_without_constraints_have_no_such_fields(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    study = podbor.create_study(storage=url, study_name="plain")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert main(["trials", "--storage", url, "--study-name", "plain", "-f", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert all("constraints" not in r and "feasible" not in r for r in records)
