"""``PyTorchLightningPruningCallback``: real Lightning fits on digits (CPU), errors, DDP on CPU.

Behaviours ported from optuna-integration's tests/pytorch_lightning/test_pytorch_lightning.py.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

if importlib.util.find_spec("lightning") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("Lightning must be installed under CI=true (make test installs it)")
    pytest.skip("Lightning is not installed", allow_module_level=True)

import lightning.pytorch as pl
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import podbor
from podbor._study_view import StudyView
from podbor.exceptions import InvalidArgumentError
from podbor.integration.pytorch_lightning import PyTorchLightningPruningCallback
from podbor.pruners import BasePruner
from podbor.trial import FixedTrial, FrozenTrial, TrialState

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_X, _Y = load_digits(return_X_y=True)
X_DIGITS = torch.tensor(_X / 16.0, dtype=torch.float32)
Y_DIGITS = torch.tensor(_Y, dtype=torch.long)


@pytest.fixture(autouse=True)
def _quiet_and_one_thread() -> Iterator[None]:
    """Lightning's advice (num_workers, logger, …) is noise for these tiny fits, and several
    threads only slow a tiny network down on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="lightning")
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        yield
    torch.set_num_threads(threads)


class DigitsModel(pl.LightningModule):
    """An MLP on digits: the first 1200 images train, the rest validate ("val_acc")."""

    def __init__(self, lr: float = 0.05, width: int = 32) -> None:
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> Any:
        x, y = batch
        return nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)

    def train_dataloader(self) -> DataLoader[Any]:
        data = TensorDataset(X_DIGITS[:1200], Y_DIGITS[:1200])
        return DataLoader(data, batch_size=64, shuffle=True)

    def val_dataloader(self) -> DataLoader[Any]:
        return DataLoader(TensorDataset(X_DIGITS[1200:], Y_DIGITS[1200:]), batch_size=600)


class RankModel(DigitsModel):
    """Rank 0 logs accuracy 0.3, rank 1 logs 0.6; synced, the monitored value is 0.45."""

    def setup(self, stage: str) -> None:
        torch.set_num_threads(1)  # two spawned ranks share a small machine

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self.log("accuracy", torch.tensor(0.3 if self.global_rank == 0 else 0.6), sync_dist=True)


class FixedPruner(BasePruner):
    """Prunes at every report, or never (optuna's DeterministicPruner)."""

    def __init__(self, prune: bool) -> None:
        self.answer = prune

    def prune(self, study: StudyView, trial: FrozenTrial) -> bool:
        return self.answer


def _trainer(callback: PyTorchLightningPruningCallback, **kwargs: Any) -> pl.Trainer:
    options: dict[str, Any] = {
        "max_epochs": 2,
        "accelerator": "cpu",
        "devices": 1,
        "enable_checkpointing": False,
        "logger": False,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "limit_train_batches": 5,
        **kwargs,
    }
    return pl.Trainer(callbacks=[callback], **options)


def _objective(model_lr: float | None = None, max_epochs: int = 2) -> Any:
    def objective(trial: podbor.trial.Trial) -> float:
        lr = model_lr if model_lr is not None else trial.suggest_float("lr", 1e-6, 1.0, log=True)
        callback = PyTorchLightningPruningCallback(trial, monitor="val_acc")
        trainer = _trainer(callback, max_epochs=max_epochs)
        trainer.fit(DigitsModel(lr=lr))
        return float(trainer.callback_metrics["val_acc"])

    return objective


# -- pruning in one process ---------------------------------------------------------------------
@pytest.mark.parametrize("prune", [True, False])
def test_fixed_pruner_prunes_or_completes(prune: bool) -> None:
    study = podbor.create_study(direction="maximize", pruner=FixedPruner(prune))
    study.optimize(_objective(0.05), n_trials=1)
    trial = study.trials[0]
    if prune:
        assert trial.state == TrialState.PRUNED
        assert list(trial.intermediate_values) == [0]  # the sanity check reported nothing
    else:
        assert trial.state == TrialState.COMPLETE
        assert list(trial.intermediate_values) == [0, 1]
        assert trial.value == pytest.approx(trial.intermediate_values[1])


def test_pruning_stops_a_bad_trial_before_max_epochs() -> None:
    max_epochs = 6
    study = podbor.create_study(
        direction="maximize",
        pruner=podbor.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1),
    )
    study.enqueue_trial({"lr": 0.1})  # learns digits within an epoch or two
    study.enqueue_trial({"lr": 1e-6})  # barely moves from chance (~0.1)
    torch.manual_seed(0)
    study.optimize(_objective(max_epochs=max_epochs), n_trials=2)
    good, bad = study.trials
    assert good.state == TrialState.COMPLETE and good.value is not None and good.value > 0.7
    assert sorted(good.intermediate_values) == list(range(max_epochs))
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) < max_epochs - 1
    assert bad.intermediate_values[1] < good.intermediate_values[1]


def test_fixed_trial_never_prunes() -> None:
    callback = PyTorchLightningPruningCallback(FixedTrial({}), monitor="val_loss")
    trainer = _trainer(callback, max_epochs=1)
    trainer.fit(DigitsModel())
    callback.check_pruned()  # nothing to raise
    assert trainer.current_epoch == 1 and not callback.is_ddp_backend


# -- errors ---------------------------------------------------------------------------------------
def test_unknown_monitor_names_it_and_lists_the_logged_metrics() -> None:
    study = podbor.create_study(direction="maximize", pruner=FixedPruner(True))
    callback = PyTorchLightningPruningCallback(study.ask(), monitor="InvalidMonitor")
    trainer = _trainer(callback, max_epochs=1)
    with pytest.raises(InvalidArgumentError) as info:
        trainer.fit(DigitsModel())
    message = str(info.value)
    assert "'monitor'" in message and "'InvalidMonitor'" in message
    assert "'val_acc'" in message and "'val_loss'" in message
    assert "PyTorchLightningPruningCallback" in message


@pytest.mark.parametrize("monitor", ["", 3, None])
def test_monitor_must_be_a_name(monitor: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="'monitor'"):
        PyTorchLightningPruningCallback(FixedTrial({}), monitor=monitor)


def test_trial_must_be_single_objective_and_a_trial() -> None:
    study = podbor.create_study(directions=["maximize", "minimize"])
    with pytest.raises(InvalidArgumentError, match=r"'trial'.*2 objectives"):
        PyTorchLightningPruningCallback(study.ask(), monitor="val_acc")
    with pytest.raises(InvalidArgumentError, match="'trial'"):
        PyTorchLightningPruningCallback("trial", monitor="val_acc")  # type: ignore[arg-type]


# -- distributed data parallel: the rank logic without processes ------------------------------
class _Strategy:
    """Stands for a DDP strategy: ``broadcast`` hands every rank rank 0's value."""

    def __init__(self) -> None:
        self.from_rank_zero: Any = None

    def broadcast(self, obj: Any, src: int = 0) -> Any:
        if self.from_rank_zero is None:
            self.from_rank_zero = obj
        return self.from_rank_zero


def _rank(rank: int, strategy: _Strategy, value: float) -> SimpleNamespace:
    return SimpleNamespace(
        world_size=2,
        is_global_zero=rank == 0,
        sanity_checking=False,
        should_stop=False,
        strategy=strategy,
        callback_metrics={"val_acc": torch.tensor(value)},
    )


@pytest.mark.parametrize("prune", [True, False])
def test_ddp_only_rank_zero_reports_and_every_rank_gets_its_decision(prune: bool) -> None:
    study = podbor.create_study(direction="maximize", pruner=FixedPruner(prune))
    trial = study.ask()
    callbacks = [PyTorchLightningPruningCallback(trial, monitor="val_acc") for _ in range(2)]
    strategy = _Strategy()
    trainers = [_rank(rank, strategy, value) for rank, value in ((0, 0.3), (1, 0.9))]
    module = SimpleNamespace(current_epoch=0)
    for callback, trainer in zip(callbacks, trainers, strict=True):
        callback.on_fit_start(trainer, module)  # type: ignore[arg-type]
        assert callback.is_ddp_backend
    for callback, trainer in zip(callbacks, trainers, strict=True):
        callback.on_validation_end(trainer, module)  # type: ignore[arg-type]  # never raises
    assert study.trials[0].intermediate_values == {0: pytest.approx(0.3)}  # rank 0's value only
    assert [t.should_stop for t in trainers] == [prune, prune]
    for callback in callbacks:
        if prune:
            with pytest.raises(podbor.TrialPruned, match="epoch 0"):
                callback.check_pruned()
        else:
            callback.check_pruned()
    fresh = PyTorchLightningPruningCallback(trial, monitor="val_acc")  # as after ddp_spawn
    if prune:
        with pytest.raises(podbor.TrialPruned, match="epoch 0"):
            fresh.check_pruned()  # read from the trial's storage
    else:
        fresh.check_pruned()


# -- distributed data parallel on the CPU -------------------------------------------------------------
def _ddp_objective(trial: podbor.trial.Trial) -> float:
    callback = PyTorchLightningPruningCallback(trial, monitor="accuracy")
    trainer = _trainer(callback, devices=2, strategy="ddp_spawn", limit_train_batches=2)
    trainer.fit(RankModel())
    callback.check_pruned()  # the ranks stopped together; raise here, in the objective
    return 1.0


@pytest.mark.slow
def test_ddp_ranks_stop_together_and_rank_zero_reports(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'ddp.db'}"
    pruned = podbor.create_study(storage=storage, study_name="p", pruner=FixedPruner(True))
    pruned.optimize(_ddp_objective, n_trials=1)
    trial = pruned.trials[0]
    assert trial.state == TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]  # rank 0 reported once, the synced mean
    assert trial.intermediate_values[0] == pytest.approx(0.45)

    complete = podbor.create_study(storage=storage, study_name="c", pruner=FixedPruner(False))
    complete.optimize(_ddp_objective, n_trials=1)
    trial = complete.trials[0]
    assert trial.state == TrialState.COMPLETE and trial.value == 1.0
    assert trial.intermediate_values == pytest.approx({0: 0.45, 1: 0.45})


@pytest.mark.slow
def test_ddp_spawn_refuses_an_in_memory_study() -> None:
    study = podbor.create_study(pruner=FixedPruner(True))
    with pytest.raises(Exception, match="'trial'") as info:
        study.optimize(_ddp_objective, n_trials=1)
    assert "RDBStorage" in str(info.value)


# -- which Lightning ---------------------------------------------------------------------------
_IMPORT = """
import sys
for name in {blocked}:
    sys.modules[name] = None
try:
    from podbor.integration.pytorch_lightning import PyTorchLightningPruningCallback as C
except ImportError as err:
    print("ImportError:", err)
else:
    print("base:", C.__mro__[1].__module__)
"""


@pytest.mark.parametrize(
    ("blocked", "expected"),
    [
        pytest.param(["lightning"], "base: pytorch_lightning.", marks=pytest.mark.slow),
        (
            ["lightning", "pytorch_lightning"],
            "needs Lightning, which is not installed: pip install",
        ),
    ],
)
def test_falls_back_to_pytorch_lightning_then_names_the_install(
    blocked: list[str], expected: str
) -> None:
    if "pytorch_lightning" not in blocked and importlib.util.find_spec("pytorch_lightning") is None:
        pytest.skip("the pytorch_lightning package is not installed")
    code = _IMPORT.format(blocked=blocked)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert expected in result.stdout


# -- the example -------------------------------------------------------------------------------
def test_example_runs() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "lightning_digits.py"),
            "--n-trials",
            "2",
            "--epochs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Best value: " in result.stdout
    assert "Best parameters: {" in result.stdout
    assert "pruned" in result.stdout
