"""Tune a small ``tf.keras`` network on scikit-learn's digits, pruning hopeless trials.

The same search as ``keras_digits.py`` (learning rate, hidden width, dropout), written the way
TensorFlow code is: the model is built from ``tf.keras`` and trained by TensorFlow.
``TFKerasPruningCallback`` reports the validation accuracy after each epoch and a MedianPruner
stops the trials that fall behind the earlier ones. On the CPU, about a second a trial.

    pip install podbor[tfkeras]
    python examples/tfkeras_digits.py [--n-trials 10] [--epochs 6]
"""

from __future__ import annotations

import argparse
import os

# tf.keras is Keras 3 from TensorFlow 2.16 on, which picks its backend when first imported
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import podbor
from podbor.integration.tfkeras import TFKerasPruningCallback


def load_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits scaled to [0, 1], split 75/25 into training and validation sets."""
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        (X / 16.0).astype("float32"), y, test_size=0.25, random_state=0, stratify=y
    )
    return X_train, X_val, y_train, y_val


def build_model(lr: float, width: int, dropout: float) -> tf.keras.Model:
    """An MLP with one hidden layer, compiled with Adam and the accuracy metric."""
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(64,)),
            tf.keras.layers.Dense(width, activation="relu"),
            tf.keras.layers.Dropout(dropout),
            tf.keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args(argv)
    X_train, X_val, y_train, y_val = load_data()

    def objective(trial: podbor.trial.Trial) -> float:
        tf.keras.utils.set_random_seed(trial.number)
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
            callbacks=[TFKerasPruningCallback(trial, "val_accuracy")],
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
