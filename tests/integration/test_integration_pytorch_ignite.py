"""PyTorchIgnitePruningHandler: real Ignite runs of a tiny MLP on digits (CPU), errors, the example.

Behaviours ported from optuna-integration's tests/test_pytorch_ignite.py. Skipped without
PyTorch Ignite, except under CI.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import pytest

if importlib.util.find_spec("ignite") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("PyTorch Ignite must be installed under CI=true (make test installs it)")
    pytest.skip("PyTorch Ignite is not installed", allow_module_level=True)

import torch
from ignite.engine import Engine, Events, create_supervised_evaluator, create_supervised_trainer
from ignite.metrics import Accuracy, Loss
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import podbor
from podbor.integration.pytorch_ignite import (
    PyTorchIgnitePruningHandler,
)
from podbor.pruners import BasePruner, MedianPruner
from podbor.trial import FixedTrial, FrozenTrial, TrialState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pytorch_ignite_digits.py"
_X, _Y = load_digits(return_X_y=True)
X_DIGITS = torch.tensor(_X / 16.0, dtype=torch.float32)
Y_DIGITS = torch.tensor(_Y, dtype=torch.long)


class FixedAnswerPruner(BasePruner):
    """Prunes every trial at its first report, or never: the handler's plumbing in isolation."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        return self.answer


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Several threads only slow a tiny network down on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _noop(engine: Engine, batch: Any) -> None:
    pass


def fit(
    trial: podbor.trial.BaseTrial,
    metric: str = "accuracy",
    *,
    lr: float = 0.1,
    epochs: int = 4,
    handler: type[PyTorchIgnitePruningHandler] = PyTorchIgnitePruningHandler,
) -> Engine:
    """Train an MLP on the first 1200 digits, evaluating on the rest after each epoch."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
    evaluator = create_supervised_evaluator(
        model, metrics={"accuracy": Accuracy(), "loss": Loss(nn.CrossEntropyLoss())}
    )
    evaluator.add_event_handler(Events.COMPLETED, handler(trial, metric, trainer))
    train = DataLoader(TensorDataset(X_DIGITS[:1200], Y_DIGITS[:1200]), batch_size=64)
    val = DataLoader(TensorDataset(X_DIGITS[1200:], Y_DIGITS[1200:]), batch_size=600)
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(val))
    trainer.run(train, max_epochs=epochs)
    return evaluator


# -- the handler alone (optuna-integration's test) ------------------------------------------------
def test_reports_at_the_trainers_epoch_and_prunes_when_told() -> None:
    trainer, evaluator = Engine(_noop), Engine(_noop)

    study = podbor.create_study(pruner=FixedAnswerPruner(True))
    handler = PyTorchIgnitePruningHandler(study.ask(), "accuracy", trainer)
    with (
        patch.object(trainer, "state", epoch=3),
        patch.object(evaluator, "state", metrics={"accuracy": 1}),
        pytest.raises(podbor.TrialPruned, match="epoch 3"),
    ):
        handler(evaluator)
    assert study.trials[0].intermediate_values == {3: 1.0}

    study = podbor.create_study(pruner=FixedAnswerPruner(False))
    handler = PyTorchIgnitePruningHandler(study.ask(), "accuracy", trainer)
    with (
        patch.object(trainer, "state", epoch=5),
        patch.object(evaluator, "state", metrics={"accuracy": 2}),
    ):
        handler(evaluator)
    assert study.trials[0].intermediate_values == {5: 2.0}


@pytest.mark.parametrize(
    "value", [0.25, torch.tensor(0.25), torch.tensor([0.25])], ids=["float", "0-d", "1-element"]
)
def test_a_scalar_tensor_is_reported_as_a_float(value: Any) -> None:
    study = podbor.create_study()
    trainer = Engine(_noop)
    handler = PyTorchIgnitePruningHandler(study.ask(), "loss", trainer)
    handler(SimpleNamespace(state=SimpleNamespace(metrics={"loss": value})))
    assert study.trials[0].intermediate_values == {0: 0.25}


# -- real runs ------------------------------------------------------------------------------------
def test_pruned_at_the_first_epoch_or_completes() -> None:
    handler = PyTorchIgnitePruningHandler
    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(True))
    study.optimize(lambda t: float(fit(t, handler=handler).state.metrics["accuracy"]), n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [1]  # Ignite counts epochs from 1

    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(False))
    study.optimize(lambda t: float(fit(t, handler=handler).state.metrics["accuracy"]), n_trials=1)
    done = study.trials[0]
    assert done.state == TrialState.COMPLETE
    assert list(done.intermediate_values) == [1, 2, 3, 4]
    assert done.value == done.intermediate_values[4] > 0.85  # the digits are learned


def test_a_median_pruner_stops_a_bad_trial_early() -> None:
    epochs = 8

    def objective(trial: podbor.trial.BaseTrial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
        return float(fit(trial, lr=lr, epochs=epochs).state.metrics["accuracy"])

    study = podbor.create_study(
        direction="maximize", pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=2)
    )
    for lr in (0.1, 0.05, 1e-5):  # two good trials, then a learning rate far too small
        study.enqueue_trial({"lr": lr})
    study.optimize(objective, n_trials=3)
    good, _, bad = study.trials
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == epochs
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) == 2 < epochs  # the first step past the warm-up


def test_the_loss_can_be_monitored_in_a_minimized_study() -> None:
    study = podbor.create_study(direction="minimize")
    study.optimize(lambda t: float(fit(t, "loss", epochs=2).state.metrics["loss"]), n_trials=1)
    losses = study.trials[0].intermediate_values
    assert list(losses) == [1, 2] and losses[2] < losses[1]


def test_a_fixed_trial_trains_to_the_end() -> None:
    evaluator = fit(FixedTrial({}), epochs=3)
    assert evaluator.state.metrics["accuracy"] > 0.8


def test_a_pruned_trial_is_not_logged_as_an_error_and_other_errors_still_are(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="ignite")
    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(True))
    study.optimize(lambda t: float(fit(t).state.metrics["accuracy"]), n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert not [r for r in caplog.records if r.name.startswith("ignite")]

    trainer = Engine(_noop)

    @trainer.on(Events.EPOCH_COMPLETED)
    def fail(_: Engine) -> None:
        raise RuntimeError("a real failure")

    with pytest.raises(RuntimeError, match="a real failure"):
        trainer.run([0], max_epochs=1)
    assert "a real failure" in caplog.text


# -- errors ---------------------------------------------------------------------------------------
def test_an_unknown_metric_names_the_argument_and_the_metrics() -> None:
    study = podbor.create_study()
    with pytest.raises(ValueError, match="'metric'") as info:
        fit(study.ask(), "acc", epochs=1)
    assert "'accuracy', 'loss'" in str(info.value)
    assert "Got 'acc' instead" in str(info.value)
    assert study.trials[0].intermediate_values == {}


def test_a_metric_with_several_numbers_is_refused() -> None:
    handler = PyTorchIgnitePruningHandler(FixedTrial({}), "recall", Engine(_noop))
    engine = SimpleNamespace(state=SimpleNamespace(metrics={"recall": torch.ones(10)}))
    with pytest.raises(ValueError, match=r"'metric'.*one number, not a Tensor of shape \(10,\)"):
        handler(engine)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"metric": ""}, ValueError, r"'metric'.*non-empty str"),
        ({"metric": 3}, TypeError, r"'metric'.*non-empty str"),
        ({"trainer": "trainer"}, ValueError, r"'trainer'.*an Ignite Engine"),
        ({"trial": object()}, ValueError, r"'trial'.*a podbor trial"),
    ],
    ids=["empty metric", "metric type", "trainer", "trial"],
)
def test_bad_arguments_fail_at_construction(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments = {"trial": FixedTrial({}), "metric": "accuracy", "trainer": Engine(_noop), **kwargs}
    with pytest.raises(error, match=message):
        PyTorchIgnitePruningHandler(**arguments)


def test_a_multi_objective_trial_is_refused() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'trial'.*2 objectives"):
        PyTorchIgnitePruningHandler(study.ask(), "accuracy", Engine(_noop))


def test_without_ignite_the_handler_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ignite.engine", None)  # makes the import fail
    with pytest.raises(ImportError, match=re.escape("pip install podbor[ignite]")):
        PyTorchIgnitePruningHandler(FixedTrial({}), "accuracy", None)  # type: ignore[arg-type]


def test_importing_the_module_does_not_import_ignite() -> None:
    code = "import sys, podbor.integration.pytorch_ignite; print('ignite' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# -- the example ----------------------------------------------------------------------------------
def test_the_example_tunes_and_prunes() -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--n-trials", "8", "--epochs", "5"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    best = re.search(r"^Best value: (\S+)$", run.stdout, re.MULTILINE)
    assert best is not None, run.stdout
    assert 0.8 < float(best.group(1)) <= 1.0  # validation accuracy on digits
    assert re.search(r"^Best parameters: \{.+\}$", run.stdout, re.MULTILINE)
    assert re.search(r"^Trials: 8 \(\d+ complete, [1-9]\d* pruned\)$", run.stdout, re.MULTILINE)
    assert "terminating due to exception" not in run.stderr  # a pruned trial is no error
