"""Tune a small Keras network on scikit-learn's digits, pruning hopeless trials epoch by epoch.

The learning rate (log scale), hidden width and dropout are tuned. ``KerasPruningCallback``
reports the validation accuracy ``val_accuracy`` after each epoch and a MedianPruner stops the
trials that fall behind the earlier ones. Keras 3 runs here on its PyTorch backend (set
``KERAS_BACKEND`` to ``jax`` or ``tensorflow`` to use another installed one), on the CPU, about a
second a trial.

    python examples/keras_digits.py [--n-trials 10] [--epochs 6]
"""

from __future__ import annotations

import argparse
import os

# Keras picks its backend when it is first imported: set it before `import keras`.
os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import podbor
from podbor.integration.keras import KerasPruningCallback


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], split 75/25 into training and validation sets."""
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        (X / 16.0).astype("float32"), y, test_size=0.25, random_state=0, stratify=y
    )
    return X_train, X_val, y_train, y_val


def build_model(lr: float, width: int, dropout: float) -> keras.Model:
    """An MLP with one hidden layer, compiled with Adam and the accuracy metric."""
    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(width, activation="relu"),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args(argv)
    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(1)  # a tiny network: more threads only add overhead
    X_train, X_val, y_train, y_val = load_data()

    def objective(trial: podbor.trial.Trial) -> float:
        keras.utils.set_random_seed(trial.number)
        model = build_model(
            lr=trial.suggest_float("lr", 1e-5, 1e-1, log=True),
            width=trial.suggest_int("width", 8, 128, log=True),
            dropout=trial.suggest_float("dropout", 0.0, 0.5),
        )
        history = model.fit(
            X_train,
            y_train,
            batch_size=64,
            epochs=args.epochs,
            validation_data=(X_val, y_val),
            callbacks=[KerasPruningCallback(trial, "val_accuracy")],
            verbose=0,
        )
        return float(history.history["val_accuracy"][-1])

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
