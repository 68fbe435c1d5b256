"""The epoch pruning callbacks of skorch, PyTorch Ignite and Keras: podbor vs optuna-integration.

Each library trains the same small network (64 → hidden → 10, ReLU, SGD with momentum) on
scikit-learn's digits (60 % training, 40 % validation), one epoch at a time, and its pruning
callback (``SkorchPruningCallback``, ``PyTorchIgnitePruningHandler``,
``KerasPruningCallback`` on Keras 3's PyTorch backend, ``TFKerasPruningCallback`` on
``tf.keras``) reports the validation loss after every epoch. A search of ``--trials`` trials
over the learning rate, the hidden width and the weight decay runs once with a
``MedianPruner`` (defaults) and once without pruning (``NopPruner``, the same callback), for
each implementation and seed. The sampler is TPE on both sides (``--sampler tpe``, seeded), or
each side's default (``--sampler default``: podbor's ``AutoSampler``, what ``create_study()``
gives, against Optuna's default ``TPESampler``; both seeded). Printed per library and
implementation, median over seeds: epochs trained in total, the ratio of epochs without / with
pruning, the best validation loss found, its change against the unpruned search of the same
seed, and the wall time.

Usage::

    benchmarks/.venv/bin/python benchmarks/epoch_callbacks.py             # 3 seeds
    benchmarks/.venv/bin/python benchmarks/epoch_callbacks.py --quick     # a smoke run
    benchmarks/.venv/bin/python benchmarks/epoch_callbacks.py --peers none
    benchmarks/.venv/bin/python benchmarks/epoch_callbacks.py --sampler default
    benchmarks/.venv/bin/python benchmarks/epoch_callbacks.py --libraries tfkeras keras

``tfkeras`` (opt-in: it needs TensorFlow) runs Keras on its TensorFlow backend, and then so
does ``keras`` in the same run (Keras picks one backend per process).

optuna-integration (with Optuna) is the peer when importable; a library that is not installed
is left out. Results are written as JSON to ``benchmarks/results/epoch_callbacks.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# before Keras is imported: tf.keras needs TensorFlow's backend, the others run on PyTorch's
os.environ.setdefault("KERAS_BACKEND", "tensorflow" if "tfkeras" in sys.argv else "torch")

import numpy as np

import podbor

RESULTS = Path(__file__).resolve().parent / "results" / "epoch_callbacks.json"
LIBRARIES = ("skorch", "ignite", "keras")
OPT_IN = ("tfkeras",)
MODULES = {"skorch": "skorch", "ignite": "ignite", "keras": "keras", "tfkeras": "tensorflow"}


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@dataclass
class Run:
    impl: str
    library: str
    pruning: bool
    seed: int
    epochs: int
    pruned_trials: int
    best_loss: float
    seconds: float


def _data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_tr, X_va, y_tr, y_va = train_test_split(
        X, y.astype(np.int64), test_size=0.4, random_state=seed, stratify=y
    )
    return X_tr, X_va, y_tr, y_va


def _suggest(trial: Any) -> tuple[float, int, float]:
    return (
        trial.suggest_float("lr", 1e-4, 1.0, log=True),
        trial.suggest_int("hidden", 8, 128, log=True),
        trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True),
    )


def _module(hidden: int) -> Any:
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )


def _integration(impl: str) -> Any:
    if impl == "podbor":
        import podbor.integration as namespace

        return namespace
    import optuna_integration

    return optuna_integration


def _objective(library: str, impl: str, seed: int, epochs: int) -> Callable[[Any], float]:
    """A trial of ``library`` on digits reporting the validation loss after every epoch."""
    import torch

    torch.set_num_threads(1)
    X_tr, X_va, y_tr, y_va = _data(seed)
    namespace = _integration(impl)

    if library == "skorch":
        from skorch import NeuralNetClassifier
        from skorch.dataset import Dataset
        from skorch.helper import predefined_split

        def skorch_objective(trial: Any) -> float:
            lr, hidden, decay = _suggest(trial)
            torch.manual_seed(seed * 1000 + trial.number)
            net = NeuralNetClassifier(
                _module(hidden),
                criterion=torch.nn.CrossEntropyLoss,
                optimizer=torch.optim.SGD,
                optimizer__momentum=0.9,
                optimizer__weight_decay=decay,
                lr=lr,
                max_epochs=epochs,
                batch_size=64,
                train_split=predefined_split(Dataset(X_va, y_va)),
                callbacks=[namespace.SkorchPruningCallback(trial, "valid_loss")],
                verbose=0,
            )
            net.fit(X_tr, y_tr)
            return float(net.history[-1, "valid_loss"])

        return skorch_objective

    if library == "ignite":
        from ignite.engine import (
            Events,
            create_supervised_evaluator,
            create_supervised_trainer,
        )
        from ignite.metrics import Loss
        from torch.utils.data import DataLoader, TensorDataset

        def ignite_objective(trial: Any) -> float:
            lr, hidden, decay = _suggest(trial)
            torch.manual_seed(seed * 1000 + trial.number)
            model = _module(hidden)
            optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=decay)
            criterion = torch.nn.CrossEntropyLoss()
            trainer = create_supervised_trainer(model, optimizer, criterion)
            evaluator = create_supervised_evaluator(model, metrics={"loss": Loss(criterion)})
            evaluator.add_event_handler(
                Events.COMPLETED, namespace.PyTorchIgnitePruningHandler(trial, "loss", trainer)
            )
            train = DataLoader(
                TensorDataset(torch.from_numpy(X_tr), torch.from_numpy(y_tr)),
                batch_size=64,
                shuffle=True,
            )
            valid = DataLoader(
                TensorDataset(torch.from_numpy(X_va), torch.from_numpy(y_va)), batch_size=256
            )
            trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(valid))
            trainer.run(train, max_epochs=epochs)
            return float(evaluator.state.metrics["loss"])

        return ignite_objective

    if library == "tfkeras":
        import tensorflow as tf

        keras: Any = tf.keras
        callback: Any = namespace.TFKerasPruningCallback
    else:
        import keras

        callback = namespace.KerasPruningCallback

    def keras_objective(trial: Any) -> float:
        lr, hidden, decay = _suggest(trial)
        keras.utils.set_random_seed(seed * 1000 + trial.number)
        model = keras.Sequential(
            [
                keras.Input((64,)),
                keras.layers.Dense(hidden, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=lr, momentum=0.9, weight_decay=decay),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        history = model.fit(
            X_tr,
            y_tr,
            validation_data=(X_va, y_va),
            epochs=epochs,
            batch_size=64,
            verbose=0,
            callbacks=[callback(trial, "val_loss")],
        )
        return float(history.history["val_loss"][-1])

    return keras_objective


def run(
    impl: str, library: str, pruning: bool, seed: int, trials: int, epochs: int, sampler: str
) -> Run:
    objective = _objective(library, impl, seed, epochs)
    if impl == "podbor":
        pruner = podbor.pruners.MedianPruner() if pruning else podbor.pruners.NopPruner()
        psampler: Any = (
            podbor.samplers.AutoSampler(seed=seed)
            if sampler == "default"
            else podbor.samplers.TPESampler(seed=seed)
        )
        study: Any = podbor.create_study(sampler=psampler, pruner=pruner)
        states: tuple[Any, ...] = (podbor.TrialState.PRUNED,)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        opruner = optuna.pruners.MedianPruner() if pruning else optuna.pruners.NopPruner()
        # Optuna's default sampler is TPESampler(): both --sampler choices give it
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed), pruner=opruner)
        states = (optuna.trial.TrialState.PRUNED,)
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials, catch=(FloatingPointError,))
    seconds = time.perf_counter() - start
    trained = sum(len(t.intermediate_values) for t in study.trials)
    pruned = len(study.get_trials(deepcopy=False, states=states))
    return Run(impl, library, pruning, seed, trained, pruned, float(study.best_value), seconds)


def _print(runs: list[Run], libraries: list[str], impls: list[str], sampler: str) -> None:
    print(f"### Epoch callbacks + MedianPruner vs no pruning, --sampler {sampler} (medians)\n")
    print(
        "| library | implementation | pruning | epochs | ratio | pruned trials "
        "| best valid loss | Δ best | seconds |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for library in libraries:
        for impl in impls:
            base = {
                r.seed: r for r in runs if (r.library, r.impl, r.pruning) == (library, impl, False)
            }
            pruned = {
                r.seed: r for r in runs if (r.library, r.impl, r.pruning) == (library, impl, True)
            }
            seeds = sorted(set(base) & set(pruned))
            if not seeds:
                continue
            for label, rows in (("none", base), ("median", pruned)):
                ratio = statistics.median(base[s].epochs / rows[s].epochs for s in seeds)
                delta = statistics.median(rows[s].best_loss - base[s].best_loss for s in seeds)
                print(
                    f"| {library} | {impl} | {label} "
                    f"| {statistics.median(rows[s].epochs for s in seeds):.0f} | {ratio:.2f} "
                    f"| {statistics.median(rows[s].pruned_trials for s in seeds):.0f} "
                    f"| {statistics.median(rows[s].best_loss for s in seeds):.4f} "
                    f"| {delta:+.4f} | {statistics.median(rows[s].seconds for s in seeds):.2f} |"
                )
    print()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=30, help="trials per search")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per trial")
    parser.add_argument(
        "--libraries", nargs="+", choices=LIBRARIES + OPT_IN, default=list(LIBRARIES)
    )
    parser.add_argument(
        "--sampler",
        choices=["tpe", "default"],
        default="tpe",
        help="TPE on both sides, or each side's default sampler (podbor: AutoSampler)",
    )
    parser.add_argument("--peers", choices=["auto", "none"], default="auto")
    parser.add_argument("--quick", action="store_true", help="1 seed, tiny budgets")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.trials, args.epochs = 1, 6, 3
    podbor.logging.set_verbosity(podbor.logging.ERROR)
    warnings.simplefilter("ignore")
    impls = ["podbor"]
    if args.peers == "auto" and _has("optuna_integration") and _has("optuna"):
        impls.append("optuna-integration")
    else:
        print("optuna-integration: not run (not installed or --peers none)")
    libraries = [lib for lib in args.libraries if _has(MODULES[lib]) and _has("torch")]
    print(f"implementations: {impls}; libraries: {libraries}\n")
    runs: list[Run] = []
    for library in libraries:
        for seed in range(args.seeds):
            for impl in impls if seed % 2 == 0 else impls[::-1]:  # alternate the order
                for pruning in (False, True):
                    runs.append(
                        run(impl, library, pruning, seed, args.trials, args.epochs, args.sampler)
                    )
    _print(runs, libraries, impls, args.sampler)
    report = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "runs": [asdict(r) for r in runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
