"""Tune a skorch classifier (a small PyTorch MLP) on scikit-learn's digits, pruning epoch by epoch.

The learning rate (log scale), hidden width and momentum are tuned. ``SkorchPruningCallback``
reports skorch's validation accuracy ``valid_acc`` (``net.history``; skorch holds out a fifth of
the training data by default) after each epoch, and a MedianPruner stops the trials that fall
behind the earlier ones. Runs on the CPU, about a second a trial.

    python examples/skorch_digits.py [--n-trials 20] [--epochs 10]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from skorch import NeuralNetClassifier
from torch import nn

import podbor
from podbor.integration.skorch import SkorchPruningCallback


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a tiny network: more threads only add overhead
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        (X / 16.0).astype(np.float32), y, test_size=0.25, random_state=0, stratify=y
    )

    def objective(trial: podbor.trial.Trial) -> float:
        torch.manual_seed(trial.number)
        width = trial.suggest_int("width", 8, 128, log=True)
        net = NeuralNetClassifier(
            nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10)),
            criterion=nn.CrossEntropyLoss,
            optimizer=torch.optim.SGD,
            lr=trial.suggest_float("lr", 1e-4, 1.0, log=True),
            optimizer__momentum=trial.suggest_float("momentum", 0.0, 0.95),
            max_epochs=args.epochs,
            batch_size=64,
            callbacks=[SkorchPruningCallback(trial, "valid_acc")],
            verbose=0,
        )
        net.fit(X_train, y_train)  # raises TrialPruned when the pruner says so
        return float(net.score(X_test, y_test))

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
