"""Tune a small Lightning network on scikit-learn's digits, pruning hopeless trials epoch by epoch.

The learning rate (log scale), hidden width and dropout are tuned. ``PyTorchLightningPruningCallback``
reports the validation accuracy ``val_acc`` after each epoch and a MedianPruner stops the trials
that fall behind the earlier ones. Runs on the CPU (or ``--accelerator auto``), a few seconds a
trial.

    python examples/lightning_digits.py [--n-trials 10] [--epochs 6] [--accelerator cpu]
"""

from __future__ import annotations

import argparse
import logging
import warnings
from typing import Any

import lightning.pytorch as pl
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import podbor
from podbor.integration import PyTorchLightningPruningCallback


class DigitsNet(pl.LightningModule):
    """An MLP with one hidden layer; logs ``val_acc`` each validation epoch."""

    def __init__(self, lr: float, width: int, dropout: float) -> None:
        super().__init__()
        self.lr = lr
        self.net = nn.Sequential(
            nn.Linear(64, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, 10)
        )

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> Any:
        x, y = batch
        return nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("val_acc", (self.net(x).argmax(dim=1) == y).float().mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def load_data() -> tuple[DataLoader[Any], DataLoader[Any]]:
    """Digits scaled to [0, 1], split 75/25 into training and validation loaders."""
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )

    def tensors(a: Any, b: Any) -> TensorDataset:
        return TensorDataset(torch.tensor(a, dtype=torch.float32), torch.tensor(b))

    train = DataLoader(tensors(X_train, y_train), batch_size=64, shuffle=True)
    return train, DataLoader(tensors(X_val, y_val), batch_size=512)


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--accelerator", default="cpu")
    args = parser.parse_args(argv)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)  # one line per trial is enough
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")  # a Lightning/PyTorch mismatch
    torch.set_num_threads(1)  # a tiny network: more threads only add overhead
    train, val = load_data()

    def objective(trial: podbor.trial.Trial) -> float:
        torch.manual_seed(trial.number)
        model = DigitsNet(
            lr=trial.suggest_float("lr", 1e-5, 1e-1, log=True),
            width=trial.suggest_int("width", 8, 128, log=True),
            dropout=trial.suggest_float("dropout", 0.0, 0.5),
        )
        trainer = pl.Trainer(
            max_epochs=args.epochs,
            accelerator=args.accelerator,
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[PyTorchLightningPruningCallback(trial, monitor="val_acc")],
        )
        trainer.fit(model, train, val)
        return float(trainer.callback_metrics["val_acc"])

    study = podbor.create_study(
        direction="maximize",
        sampler=podbor.samplers.TPESampler(seed=0),
        pruner=podbor.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
    )
    study.optimize(objective, n_trials=args.n_trials)

    states = [t.state for t in study.trials]
    n_pruned = states.count(podbor.trial.TrialState.PRUNED)
    n_complete = states.count(podbor.trial.TrialState.COMPLETE)
    print(f"Trials: {len(states)} ({n_complete} complete, {n_pruned} pruned)")
    print(f"Best value: {study.best_value:.4f}")
    print(f"Best parameters: {study.best_params}")
    return study


if __name__ == "__main__":
    main()
