"""Fold-level pruning: the same search with and without it, on scikit-learn tuning tasks.

For each task and seed, the data are split into a development part (75 %) and a test part
(25 %, never seen by the search). A study of ``--trials`` trials (``--sampler``: TPE by default,
or random search, or the AutoSampler; seeded) cross-validates
each configuration on the development part with 5 folds through
:func:`podbor.validation.cross_validate`; one study runs with no pruner, the other with the
pruner under test. The best configuration of each is refitted on the whole development part and
scored on the test part. Printed per task (median over seeds) and overall:

* folds fitted (and the ratio unpruned / pruned — target >= 2),
* wall time of the search,
* the test score of the refitted best model (target: within noise of the unpruned search), its
  median change against the unpruned search of the same seed (``Δ test``), and its standard
  deviation over seeds (``sd test``: the noise scale).

Usage::

    .venv/bin/python benchmarks/pruning.py                 # 3 tasks x 5 seeds x 40 trials, percentile10
    .venv/bin/python benchmarks/pruning.py --quick         # a smoke run
    .venv/bin/python benchmarks/pruning.py --pruner median
    .venv/bin/python benchmarks/pruning.py --sampler random   # pruning under random search

How much pruning saves depends on the sampler: a model-based sampler soon proposes mostly
good configurations, which no pruner should stop, while random search keeps proposing hopeless
ones.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import podbor
from podbor.validation import cross_validate, holdout_split

Task = tuple[Callable[[], Any], Callable[[podbor.trial.BaseTrial], Any], str]


def _svc_breast_cancer() -> Task:
    from sklearn.datasets import load_breast_cancer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    def model(trial: podbor.trial.BaseTrial) -> Any:
        c = trial.suggest_float("C", 1e-3, 1e3, log=True)
        gamma = trial.suggest_float("gamma", 1e-5, 1e1, log=True)
        return make_pipeline(StandardScaler(), SVC(C=c, gamma=gamma))

    return lambda: load_breast_cancer(return_X_y=True), model, "accuracy"


def _knn_digits() -> Task:
    from sklearn.datasets import load_digits
    from sklearn.neighbors import KNeighborsClassifier

    def model(trial: podbor.trial.BaseTrial) -> Any:
        return KNeighborsClassifier(
            n_neighbors=trial.suggest_int("n_neighbors", 1, 60, log=True),
            weights=trial.suggest_categorical("weights", ["uniform", "distance"]),
            p=trial.suggest_int("p", 1, 3),
        )

    return lambda: load_digits(return_X_y=True), model, "accuracy"


def _elasticnet_diabetes() -> Task:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import ElasticNet

    def model(trial: podbor.trial.BaseTrial) -> Any:
        return ElasticNet(
            alpha=trial.suggest_float("alpha", 1e-4, 1e2, log=True),
            l1_ratio=trial.suggest_float("l1_ratio", 0.0, 1.0),
            max_iter=5000,
        )

    return lambda: load_diabetes(return_X_y=True), model, "neg_mean_squared_error"


TASKS: dict[str, Callable[[], Task]] = {
    "svc-breast_cancer": _svc_breast_cancer,
    "knn-digits": _knn_digits,
    "elasticnet-diabetes": _elasticnet_diabetes,
}

PRUNERS: dict[str, Callable[[], podbor.pruners.BasePruner]] = {
    "none": podbor.pruners.NopPruner,
    "median": lambda: podbor.pruners.MedianPruner(n_startup_trials=5),
    "percentile25": lambda: podbor.pruners.PercentilePruner(25.0, n_startup_trials=5),
    "percentile10": lambda: podbor.pruners.PercentilePruner(10.0, n_startup_trials=5),
    "wilcoxon": lambda: podbor.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=2),
}


SAMPLERS: dict[str, Callable[[int], podbor.samplers.BaseSampler]] = {
    "tpe": lambda seed: podbor.samplers.TPESampler(seed=seed),
    "random": lambda seed: podbor.samplers.RandomSampler(seed=seed),
    "auto": lambda seed: podbor.samplers.AutoSampler(seed=seed),
}


@dataclass
class Run:
    task: str
    pruner: str
    seed: int
    folds: int
    seconds: float
    test_score: float
    pruned_trials: int


def run_search(task: str, pruner: str, seed: int, n_trials: int, sampler: str = "tpe") -> Run:
    load, model, scoring = TASKS[task]()
    X, y = load()
    split = holdout_split(X, y, val_size=0, test_size=0.25, seed=seed)
    X_dev, y_dev = split.X_train, split.y_train

    def objective(trial: podbor.trial.BaseTrial) -> float:
        return cross_validate(trial, model(trial), X_dev, y_dev, cv=5, scoring=scoring).mean

    study = podbor.create_study(
        direction="maximize",
        sampler=SAMPLERS[sampler](seed),
        pruner=PRUNERS[pruner](),
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of extreme configurations
        study.optimize(objective, n_trials=n_trials)
    seconds = time.perf_counter() - start
    folds = sum(len(t.intermediate_values) for t in study.trials)
    best = model(podbor.trial.FixedTrial(study.best_params)).fit(X_dev, y_dev)
    from sklearn.metrics import get_scorer

    test_score = float(get_scorer(scoring)(best, split.X_test, split.y_test))
    pruned = sum(t.state == podbor.TrialState.PRUNED for t in study.trials)
    return Run(task, pruner, seed, folds, seconds, test_score, pruned)


def _print(runs: list[Run], pruner: str) -> None:
    header = (
        f"{'task':22} {'pruner':12} {'folds':>7} {'ratio':>6} {'seconds':>8} "
        f"{'test score':>11} {'Δ test':>8} {'sd test':>8} {'pruned':>7}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for task in TASKS:
        base = [r for r in runs if r.task == task and r.pruner == "none"]
        other = [r for r in runs if r.task == task and r.pruner == pruner]
        if not base or not other:
            continue
        for label, rows in (("none", base), (pruner, other)):
            folds = statistics.median(r.folds for r in rows)
            ratio = statistics.median(b.folds / o.folds for b, o in zip(base, rows, strict=True))
            delta = statistics.median(
                o.test_score - b.test_score for b, o in zip(base, rows, strict=True)
            )
            # the noise scale: how much the test score varies from seed to seed (split + search)
            spread = statistics.stdev(r.test_score for r in rows) if len(rows) > 1 else 0.0
            print(
                f"{task:22} {label:12} {folds:7.0f} {ratio:6.2f} "
                f"{statistics.median(r.seconds for r in rows):8.2f} "
                f"{statistics.median(r.test_score for r in rows):11.4f} {delta:8.4f} "
                f"{spread:8.4f} {statistics.median(r.pruned_trials for r in rows):7.0f}"
            )
        ratios.append(
            statistics.median(b.folds / o.folds for b, o in zip(base, other, strict=True))
        )
    if ratios:
        print(
            f"\nmedian over tasks of (folds without / with {pruner}): {statistics.median(ratios):.2f}"
        )
        tasks = {r.task for r in runs if r.pruner == pruner}
        base_total = sum(r.folds for r in runs if r.pruner == "none" and r.task in tasks)
        total = sum(r.folds for r in runs if r.pruner == pruner)
        print(f"all runs together (total folds without / with): {base_total / total:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument(
        "--pruner", choices=[p for p in PRUNERS if p != "none"], default="percentile10"
    )
    parser.add_argument("--sampler", choices=list(SAMPLERS), default="tpe")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="1 task, 2 seeds, 12 trials")
    parser.add_argument("--out", type=Path, default=None, help="write the runs as JSON")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.seeds, args.trials = args.tasks[:1], 2, 12
    podbor.logging.set_verbosity(podbor.logging.ERROR)
    runs = [
        run_search(task, pruner, seed, args.trials, args.sampler)
        for task in args.tasks
        for seed in range(args.seeds)
        for pruner in ("none", args.pruner)
    ]
    print(f"sampler: {args.sampler}, {args.trials} trials, {args.seeds} seeds, 5 folds\n")
    _print(runs, args.pruner)
    if args.out:
        args.out.write_text(json.dumps([asdict(r) for r in runs], indent=2))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
