"""examples/artifacts.py runs as a user would run it: one model file per trial, the best
trial's files downloaded; with a database, a second run adds to the same study."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the example trains scikit-learn models")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "artifacts.py"


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_example_keeps_files_and_downloads_the_best_trials(tmp_path: Path) -> None:
    out = _run("--n-trials", "3", "--dir", str(tmp_path))
    best = re.search(r"^Best value: ([0-9.]+)$", out, re.MULTILINE)
    assert best is not None, out
    assert "Best parameters: {'alpha'" in out
    assert f"Artifacts of the study's 3 trials: 6 in {tmp_path / 'store'}" in out
    (best_dir,) = tmp_path.glob("best-trial-*")
    assert sorted(p.name for p in best_dir.iterdir()) == ["model.pkl", "predictions.csv"]
    assert pickle.loads((best_dir / "model.pkl").read_bytes()).predict is not None
    assert (best_dir / "predictions.csv").read_text().startswith("# target,prediction")
    assert len(list((tmp_path / "store").iterdir())) == 6


def test_example_resumes_a_study_kept_in_a_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'art.db'}"
    _run("--n-trials", "2", "--dir", str(tmp_path), "--storage", url)
    out = _run("--n-trials", "2", "--dir", str(tmp_path), "--storage", url)
    assert "Artifacts of the study's 4 trials: 8 in" in out
