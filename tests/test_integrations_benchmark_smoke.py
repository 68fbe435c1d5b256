"""Smoke test of benchmarks/integrations.py: its quickest mode runs with podbor only.

Nothing is timed or compared; the test checks that both parts run and report what they should.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

if importlib.util.find_spec("lightgbm") is None or importlib.util.find_spec("sklearn") is None:
    pytest.skip("LightGBM and scikit-learn are needed", allow_module_level=True)


def test_integrations_benchmark_quick(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    import integrations

    out = tmp_path / "integrations.json"
    report = integrations.main(["--quick", "--peers", "none", "--out", str(out)])
    printed = capsys.readouterr().out
    assert json.loads(out.read_text())["config"]["quick"] is True
    assert {r["impl"] for r in report["tuner"]} == {"podbor"}
    assert {r["task"] for r in report["tuner"]} == {"breast_cancer", "diabetes"}
    assert all(55 <= r["trials"] <= 68 and r["valid_score"] > 0 for r in report["tuner"])
    libraries = {r["library"] for r in report["pruning"]}
    assert "lightgbm" in libraries
    for r in report["pruning"]:
        assert 0 < r["rounds"] <= 6 * 8  # --quick: 6 trials of at most 8 rounds
        if not r["pruning"]:
            assert r["rounds"] == 6 * 8 and r["pruned_trials"] == 0
    assert "### Part 1: LightGBMTuner" in printed and "### Part 2" in printed
    assert "| breast_cancer | podbor |" in printed


def test_epoch_callbacks_benchmark_quick(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    import epoch_callbacks

    libraries = [lib for lib in epoch_callbacks.LIBRARIES if importlib.util.find_spec(lib)]
    if not libraries or importlib.util.find_spec("torch") is None:
        pytest.skip("none of skorch, PyTorch Ignite, Keras (with PyTorch) is installed")
    out = tmp_path / "epochs.json"
    argv = ["--quick", "--peers", "none", "--sampler", "default", "--out", str(out)]
    report = epoch_callbacks.main(argv)
    printed = capsys.readouterr().out
    assert json.loads(out.read_text())["config"]["sampler"] == "default"
    assert "--sampler default" in printed
    assert {r["library"] for r in report["runs"]} == set(libraries)
    for r in report["runs"]:
        assert r["impl"] == "podbor"
        assert 0 < r["epochs"] <= 6 * 3  # --quick: 6 trials of at most 3 epochs
        if not r["pruning"]:
            assert r["epochs"] == 6 * 3 and r["pruned_trials"] == 0
    for library in libraries:
        assert f"| {library} | podbor | median |" in printed


def test_epoch_callbacks_benchmark_runs_tf_keras_on_tensorflow(tmp_path: Path) -> None:
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow is not installed")
    out = tmp_path / "epochs.json"
    command = [sys.executable, str(BENCHMARKS / "epoch_callbacks.py"), "--libraries", "tfkeras"]
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    done = subprocess.run(
        [*command, "--quick", "--peers", "none", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| tfkeras | podbor | median |" in done.stdout
    runs = json.loads(out.read_text())["runs"]
    assert {r["library"] for r in runs} == {"tfkeras"} and len(runs) == 2


def test_integration_samplers_benchmark_quick(capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("cma") is None:
        pytest.skip("pycma is not installed")
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    import integration_samplers

    results = integration_samplers.main(
        ["--quick", "--peers", "none", "--problems", "sphere", "mixed"]
    )
    printed = capsys.readouterr().out
    assert set(results) >= {"sphere/podbor", "mixed/podbor"}
    for runs in results.values():
        assert all(best >= 0.0 and seconds > 0.0 for best, seconds in runs)
    assert "| sphere | podbor |" in printed
