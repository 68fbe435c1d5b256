"""The PyTorch integration and the digits example (skipped without PyTorch, except under CI)."""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from pathlib import Path

import pytest

import podbor
from podbor.integration.torch import EpochReporter, select_device
from podbor.trial import FixedTrial

if importlib.util.find_spec("torch") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("PyTorch must be installed under CI=true (make test installs it)")
    pytest.skip("PyTorch is not installed", allow_module_level=True)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_select_device_prefers_what_is_available() -> None:
    import torch

    device = select_device()
    expected = "cuda" if torch.cuda.is_available() else device.type
    assert device.type == expected
    assert select_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="'preferred'"):
            select_device("cuda")


def test_epoch_reporter_reports_tracks_best_and_prunes() -> None:
    study = podbor.create_study(pruner=podbor.pruners.ThresholdPruner(lower=0.2))
    trial = study.ask()
    report = EpochReporter(trial, maximize=True)
    report(0.5, epoch=0)
    report(0.7, epoch=1)
    assert report.best == 0.7
    with pytest.raises(podbor.TrialPruned, match="epoch 2"):
        report(0.1, epoch=2)
    assert trial.user_attrs == {}
    assert study.trials[0].intermediate_values[0] == 0.5


def test_epoch_reporter_prunes_a_nan_loss_as_optuna_does() -> None:
    study = podbor.create_study(pruner=podbor.pruners.ThresholdPruner(lower=0.2))
    report = EpochReporter(study.ask(), maximize=True)
    report(0.5, epoch=0)
    with pytest.raises(podbor.TrialPruned, match="epoch 1"):
        report(math.nan, epoch=1)
    assert report.best == 0.5


def test_epoch_reporter_with_a_fixed_trial_never_prunes() -> None:
    report = EpochReporter(FixedTrial({}), maximize=False)
    for epoch, loss in enumerate([3.0, 2.0, 2.5]):
        report(loss, epoch=epoch)
    assert report.best == 2.0


def test_digits_example_tunes_and_prunes() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import pytorch_digits
    finally:
        sys.path.remove(str(EXAMPLES))
    study = pytorch_digits.main(["--n-trials", "8", "--epochs", "5", "--device", "cpu"])
    states = {t.state for t in study.trials}
    assert len(study.trials) == 8
    assert podbor.TrialState.COMPLETE in states
    assert study.best_value > 0.85  # digits is easy: a tuned MLP clears this in a few epochs
    for t in study.trials:
        assert set(t.params) == {"width", "dropout", "lr", "optimizer"}
        assert 0 < len(t.intermediate_values) <= 5
