"""SkorchPruningCallback: real skorch fits of a tiny MLP on digits (CPU), clones, errors, example.

Behaviours ported from optuna-integration's tests/test_skorch.py. Skipped without skorch, except
under CI.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import os
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

if importlib.util.find_spec("skorch") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("skorch must be installed under CI=true (make test installs it)")
    pytest.skip("skorch is not installed", allow_module_level=True)

import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring
from torch import nn

import podbor
from podbor.integration.skorch import SkorchPruningCallback
from podbor.pruners import BasePruner, MedianPruner
from podbor.trial import FixedTrial, FrozenTrial, TrialState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "skorch_digits.py"
_X, _Y = load_digits(return_X_y=True)
X_DIGITS = (_X / 16.0).astype(np.float32)
Y_DIGITS = _Y.astype(np.int64)


class FixedAnswerPruner(BasePruner):
    """Prunes every trial at its first report, or never: the callback's plumbing in isolation."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer

    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        return self.answer


class MLP(nn.Module):
    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.layers(X)


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Several threads only slow a tiny network down on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_net(
    trial: podbor.trial.BaseTrial,
    monitor: str = "valid_acc",
    *,
    lr: float = 0.5,
    epochs: int = 4,
    callbacks: list[Any] | None = None,
) -> NeuralNetClassifier:
    """A skorch MLP on digits with the pruning callback; skorch holds out a fifth to validate."""
    torch.manual_seed(0)
    return NeuralNetClassifier(
        MLP,
        criterion=nn.CrossEntropyLoss,
        lr=lr,
        max_epochs=epochs,
        batch_size=64,
        callbacks=[*(callbacks or []), SkorchPruningCallback(trial, monitor)],
        verbose=0,
    )


def accuracy_after_fit(trial: podbor.trial.BaseTrial, **kwargs: Any) -> float:
    net = make_net(trial, **kwargs).fit(X_DIGITS, Y_DIGITS)
    return float(net.history[-1, "valid_acc"])


# -- the callback alone ---------------------------------------------------------------------------
def test_reports_the_last_epoch_and_prunes_when_told() -> None:
    history = [{"epoch": 1, "valid_acc": 0.5}, {"epoch": 2, "valid_acc": 0.75}]

    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(False))
    SkorchPruningCallback(study.ask(), "valid_acc").on_epoch_end(SimpleNamespace(history=history))
    assert study.trials[0].intermediate_values == {1: 0.75}

    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(True))
    callback = SkorchPruningCallback(study.ask(), "valid_acc")
    with pytest.raises(podbor.TrialPruned, match="epoch 1"):
        callback.on_epoch_end(SimpleNamespace(history=history))


def test_an_empty_history_reports_nothing() -> None:
    study = podbor.create_study(pruner=FixedAnswerPruner(True))
    SkorchPruningCallback(study.ask(), "valid_loss").on_epoch_end(SimpleNamespace(history=[]))
    assert study.trials[0].intermediate_values == {}


# -- real fits ------------------------------------------------------------------------------------
def test_pruned_at_the_first_epoch_or_completes() -> None:
    # optuna-integration's test, on digits rather than zeros
    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(True))
    study.optimize(accuracy_after_fit, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED
    assert list(study.trials[0].intermediate_values) == [0]  # skorch's epochs count from 0 here

    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(False))
    study.optimize(accuracy_after_fit, n_trials=1)
    done = study.trials[0]
    assert done.state == TrialState.COMPLETE
    assert list(done.intermediate_values) == [0, 1, 2, 3]
    assert done.value == done.intermediate_values[3] > 0.8  # the digits are learned


def test_a_median_pruner_stops_a_bad_trial_early() -> None:
    epochs = 8

    def objective(trial: podbor.trial.BaseTrial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
        return accuracy_after_fit(trial, lr=lr, epochs=epochs)

    study = podbor.create_study(
        direction="maximize", pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=2)
    )
    for lr in (0.5, 0.3, 1e-5):  # two good trials, then a learning rate far too small
        study.enqueue_trial({"lr": lr})
    study.optimize(objective, n_trials=3)
    good, _, bad = study.trials
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == epochs
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) == 2 < epochs - 1  # the first step past the warm-up


def test_the_loss_and_an_epoch_scoring_listed_before_can_be_monitored() -> None:
    study = podbor.create_study(direction="minimize")
    trial = study.ask()
    make_net(trial, "valid_loss", epochs=2).fit(X_DIGITS, Y_DIGITS)
    losses = study.trials[0].intermediate_values
    assert list(losses) == [0, 1] and losses[1] < losses[0]

    study = podbor.create_study(direction="maximize")
    f1 = EpochScoring("f1_macro", lower_is_better=False, name="valid_f1")
    make_net(study.ask(), "valid_f1", epochs=2, callbacks=[f1]).fit(X_DIGITS, Y_DIGITS)
    assert list(study.trials[0].intermediate_values) == [0, 1]


def test_partial_fit_continues_the_epoch_count() -> None:
    study = podbor.create_study(direction="maximize")
    net = make_net(study.ask(), epochs=2).fit(X_DIGITS, Y_DIGITS)
    net.partial_fit(X_DIGITS, Y_DIGITS)
    assert list(study.trials[0].intermediate_values) == [0, 1, 2, 3]


def test_a_fixed_trial_trains_to_the_end() -> None:
    assert accuracy_after_fit(FixedTrial({}), epochs=4) > 0.8


# -- copies keep the live trial -------------------------------------------------------------------
def test_clone_and_deepcopy_report_to_the_same_trial() -> None:
    study = podbor.create_study(direction="maximize")
    trial = study.ask()
    net = make_net(trial, epochs=2)
    for copied in (clone(net), copy.deepcopy(net)):
        assert copied.callbacks[-1] is not net.callbacks[-1]
        assert copied.callbacks[-1].trial is trial
    clone(net).fit(X_DIGITS, Y_DIGITS)
    assert list(study.trials[0].intermediate_values) == [0, 1]


def test_cross_val_score_reports_the_first_folds_epochs_to_the_trial() -> None:
    study = podbor.create_study(direction="maximize")
    trial = study.ask()
    net = make_net(trial, epochs=2)
    with pytest.warns(UserWarning, match="already reported step"):  # the second fold's epochs
        scores = cross_val_score(net, X_DIGITS, Y_DIGITS, cv=2)
    assert len(scores) == 2
    assert list(study.trials[0].intermediate_values) == [0, 1]


def test_a_cross_validated_bad_trial_is_pruned_with_error_score_raise() -> None:
    # without error_score="raise", scikit-learn takes TrialPruned for a failed fit (a NaN score)
    study = podbor.create_study(direction="maximize", pruner=FixedAnswerPruner(True))

    def objective(trial: podbor.trial.BaseTrial) -> float:
        net = make_net(trial)
        return float(cross_val_score(net, X_DIGITS, Y_DIGITS, cv=2, error_score="raise").mean())

    study.optimize(objective, n_trials=1)
    assert study.trials[0].state == TrialState.PRUNED


def test_skorch_parameters_show_trial_and_monitor() -> None:
    trial = podbor.create_study().ask()
    net = make_net(trial, epochs=1).initialize()
    params = net.get_params()
    assert params["callbacks__SkorchPruningCallback__monitor"] == "valid_acc"
    assert params["callbacks__SkorchPruningCallback__trial"] is trial
    net.set_params(callbacks__SkorchPruningCallback__monitor="valid_loss")
    assert dict(net.callbacks_)["SkorchPruningCallback"].monitor == "valid_loss"


def test_grid_search_reports_to_the_trial() -> None:
    study = podbor.create_study(direction="maximize")
    search = GridSearchCV(make_net(study.ask(), epochs=2), {"lr": [0.3]}, cv=2, refit=False)
    with pytest.warns(UserWarning, match="already reported step"):  # the second fold's epochs
        search.fit(X_DIGITS, Y_DIGITS)
    assert list(study.trials[0].intermediate_values) == [0, 1]


def test_a_fitted_net_pickles() -> None:
    study = podbor.create_study(direction="maximize")
    net = make_net(study.ask(), epochs=1).fit(X_DIGITS, Y_DIGITS)
    loaded = pickle.loads(pickle.dumps(net))
    assert loaded.predict(X_DIGITS[:5]).shape == (5,)


# -- errors ---------------------------------------------------------------------------------------
def test_an_unknown_monitor_names_the_argument_and_the_keys() -> None:
    study = podbor.create_study()
    with pytest.raises(ValueError, match="'monitor'") as info:
        make_net(study.ask(), "val_acc", epochs=1).fit(X_DIGITS, Y_DIGITS)
    message = str(info.value)
    assert "'train_loss', " in message and "'valid_acc', " in message and "'valid_loss'" in message
    assert "'batches'" not in message
    assert "listed before this one" in message
    assert "Got 'val_acc' instead" in message


def test_a_scoring_listed_after_the_callback_is_not_there_yet() -> None:
    f1 = EpochScoring("f1_macro", lower_is_better=False, name="valid_f1")
    net = NeuralNetClassifier(
        MLP,
        criterion=nn.CrossEntropyLoss,
        max_epochs=1,
        callbacks=[SkorchPruningCallback(FixedTrial({}), "valid_f1"), f1],
        verbose=0,
    )
    with pytest.raises(ValueError, match=r"'monitor'.*listed before this one.*'valid_f1'"):
        net.fit(X_DIGITS, Y_DIGITS)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"monitor": ""}, ValueError, r"'monitor'.*non-empty str"),
        ({"monitor": None}, TypeError, r"'monitor'.*non-empty str"),
        ({"trial": object()}, ValueError, r"'trial'.*a podbor trial"),
    ],
    ids=["empty monitor", "monitor type", "trial"],
)
def test_bad_arguments_fail_at_construction(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        SkorchPruningCallback(**{"trial": FixedTrial({}), "monitor": "valid_acc", **kwargs})


def test_a_multi_objective_trial_is_refused() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match=r"'trial'.*2 objectives"):
        SkorchPruningCallback(study.ask(), "valid_loss")


def test_without_skorch_the_import_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skorch", None)  # makes `import skorch` fail
    monkeypatch.delitem(sys.modules, "podbor.integration.skorch")
    with pytest.raises(ImportError, match=re.escape("pip install podbor[skorch]")):
        importlib.import_module("podbor.integration.skorch")


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
    assert 0.8 < float(best.group(1)) <= 1.0  # test accuracy on digits
    assert re.search(r"^Best parameters: \{.+\}$", run.stdout, re.MULTILINE)
    assert re.search(r"^Trials: 8 \(\d+ complete, [1-9]\d* pruned\)$", run.stdout, re.MULTILINE)
