"""Tune a small PyTorch network on scikit-learn's digits, pruning hopeless trials epoch by epoch.

Learning rate (log scale), hidden width, dropout and optimizer are tuned; each epoch reports the
validation accuracy, and a MedianPruner stops trials that fall behind. Runs on the GPU when one
is available, else on the CPU.

    python examples/pytorch_digits.py --n-trials 30 --epochs 20 [--device cuda] [--storage URL]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import podbor
from podbor.integration.torch import EpochReporter, select_device


def load_data(device: torch.device) -> tuple[torch.Tensor, ...]:
    """Digits scaled to [0, 1], split 75/25 into train and validation tensors on ``device``."""
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    as_x = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32, device=device)  # noqa: E731
    as_y = lambda a: torch.tensor(np.asarray(a), dtype=torch.long, device=device)  # noqa: E731
    return as_x(X_train), as_x(X_val), as_y(y_train), as_y(y_val)


def build_model(trial: podbor.trial.BaseTrial) -> nn.Module:
    width = trial.suggest_int("width", 16, 256, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    return nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Dropout(dropout), nn.Linear(width, 10))


def make_objective(data: tuple[torch.Tensor, ...], epochs: int, device: torch.device):  # type: ignore[no-untyped-def]
    X_train, X_val, y_train, y_val = data

    def objective(trial: podbor.trial.BaseTrial) -> float:
        torch.manual_seed(trial.number)
        model = build_model(trial).to(device)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        name = trial.suggest_categorical("optimizer", ["adam", "sgd"])
        optimizer = (
            torch.optim.Adam(model.parameters(), lr=lr)
            if name == "adam"
            else torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        )
        loss_fn = nn.CrossEntropyLoss()
        report = EpochReporter(trial, maximize=True)
        generator = torch.Generator(device="cpu").manual_seed(trial.number)
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(len(X_train), generator=generator).to(device)
            for batch in order.split(64):
                optimizer.zero_grad()
                loss_fn(model(X_train[batch]), y_train[batch]).backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                accuracy = (model(X_val).argmax(dim=1) == y_val).float().mean().item()
            report(accuracy, epoch=epoch)
        return report.best

    return objective


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 … (default: best)")
    parser.add_argument("--storage", default=None, help="e.g. sqlite:///digits.db")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    device = select_device(args.device)
    print(f"Training on {device}.")
    study = podbor.create_study(
        direction="maximize",
        storage=args.storage,
        study_name="pytorch-digits" if args.storage else None,
        load_if_exists=bool(args.storage),
        sampler=podbor.samplers.RandomSampler(seed=args.seed),
        pruner=podbor.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
    )
    study.optimize(make_objective(load_data(device), args.epochs, device), n_trials=args.n_trials)
    pruned = sum(t.state == podbor.TrialState.PRUNED for t in study.trials)
    print(f"Best validation accuracy: {study.best_value:.4f}")
    print(f"Best parameters: {study.best_params}")
    print(f"Pruned trials: {pruned} of {len(study.trials)}")
    return study


if __name__ == "__main__":
    main()
