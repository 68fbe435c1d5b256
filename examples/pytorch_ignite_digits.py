"""Tune a small PyTorch network trained with Ignite on the digits data, pruning epoch by epoch.

The learning rate (log scale), hidden width and momentum are tuned. After each training epoch an
Ignite evaluator computes the validation accuracy, and ``PyTorchIgnitePruningHandler`` (attached
to the evaluator's ``Events.COMPLETED``) reports it at the trainer's epoch; a MedianPruner stops
the trials that fall behind the earlier ones. Runs on the CPU, about a second a trial.

    python examples/pytorch_ignite_digits.py [--n-trials 20] [--epochs 10]
"""

from __future__ import annotations

import argparse
from typing import Any

import torch
from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.metrics import Accuracy
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import podbor
from podbor.integration.pytorch_ignite import PyTorchIgnitePruningHandler


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
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a tiny network: more threads only add overhead
    train, val = load_data()

    def objective(trial: podbor.trial.Trial) -> float:
        torch.manual_seed(trial.number)
        width = trial.suggest_int("width", 8, 128, log=True)
        model = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))
        optimizer = torch.optim.SGD(
            model.parameters(),
            lr=trial.suggest_float("lr", 1e-4, 1.0, log=True),
            momentum=trial.suggest_float("momentum", 0.0, 0.95),
        )
        trainer = create_supervised_trainer(model, optimizer, nn.CrossEntropyLoss())
        evaluator = create_supervised_evaluator(model, metrics={"accuracy": Accuracy()})
        pruning = PyTorchIgnitePruningHandler(trial, "accuracy", trainer)
        evaluator.add_event_handler(Events.COMPLETED, pruning)

        @trainer.on(Events.EPOCH_COMPLETED)
        def validate(_: Any) -> None:
            evaluator.run(val)

        trainer.run(train, max_epochs=args.epochs)  # raises TrialPruned when the pruner says so
        return float(evaluator.state.metrics["accuracy"])

    study = podbor.create_study(
        direction="maximize",
        sampler=podbor.samplers.TPESampler(seed=0),
        pruner=podbor.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
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
