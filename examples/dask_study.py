"""Tune a scikit-learn classifier on a Dask cluster's workers, the study kept by the scheduler.

A ``LocalCluster`` with worker processes stands in for a real cluster (pass ``--scheduler
tcp://host:8786`` to use one). The study lives on a ``DaskStorage``: the scheduler holds it,
so the workers need no database. ``podbor.integration.dask.optimize`` runs the trials on the
workers; each trial fits a logistic regression on scikit-learn's wine data, fold by fold,
reporting the running mean accuracy so that a MedianPruner stops the trials that lag behind.

    python examples/dask_study.py [--n-trials 24] [--workers 2] [--storage sqlite:///dask.db]
"""

from __future__ import annotations

import argparse
import collections
import warnings

import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import podbor
from podbor.integration.dask import DaskStorage, optimize


def objective(trial: podbor.Trial) -> float:
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # runs in the worker
    X, y = load_wine(return_X_y=True)
    model = make_pipeline(
        StandardScaler(),
        LogisticRegression(
            C=trial.suggest_float("C", 1e-4, 1e2, log=True),
            l1_ratio=trial.suggest_float("l1_ratio", 0.0, 1.0),
            solver="saga",
            max_iter=200,
        ),
    )
    scores = []
    folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=0)
    for step, (train, valid) in enumerate(folds.split(X, y)):
        scores.append(model.fit(X[train], y[train]).score(X[valid], y[valid]))
        trial.report(float(np.mean(scores)), step)
        if trial.should_prune():
            raise podbor.TrialPruned()
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", default=None, help="a running scheduler's address")
    parser.add_argument("--storage", default=None, help="a database URL (default: in memory)")
    args = parser.parse_args()
    podbor.logging.set_verbosity(podbor.logging.WARNING)

    cluster = None
    if args.scheduler is None:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=":0")
    with Client(args.scheduler or cluster) as client:
        study = podbor.create_study(
            storage=DaskStorage(args.storage, client=client),
            direction="maximize",
            pruner=podbor.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=1),
        )
        optimize(study, objective, n_trials=args.n_trials, client=client)
        trials = study.trials
        states = collections.Counter(t.state.name for t in trials)
        workers = {t.system_attrs.get("worker") for t in trials}
        print(f"Trials: {len(trials)} ({dict(states)}), run by {len(workers)} worker(s)")
        print(f"Pruned trials: {states.get('PRUNED', 0)}")
        print(f"Best value: {study.best_value:.4f}")
        print(f"Best parameters: {study.best_params}")
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()
