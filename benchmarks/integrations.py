"""The LightGBM tuner and the boosting pruning callbacks: podbor against optuna-integration.

Part 1, ``LightGBMTuner``: the stepwise tuner (68 trainings: feature_fraction, num_leaves,
bagging, feature_fraction again, L1/L2, min_child_samples) with each library's defaults (the
tuner's own ``create_study()``), the same data split, LightGBM seed and ``optuna_seed`` per
seed, on breast cancer (binary log loss) and diabetes (l2). Each training runs at most
``--rounds`` boosting rounds with early stopping (10 rounds) on the validation part. Printed per
task, median over seeds: the best validation score, the test score of the best booster (on a
part the search never saw), and the wall time of ``run()``. Target: podbor's validation score at
least as good as optuna-integration's, in at most the same time.

Part 2, the pruning callbacks (``LightGBMPruningCallback``, ``XGBoostPruningCallback``,
``CatBoostPruningCallback``): a TPE search of ``--trials`` trials over each library's learning
rate, tree size and regularization on breast cancer, every trial training ``--rounds2`` rounds
and reporting the validation log loss after each round through the callback. Once with a
``MedianPruner`` (defaults: 5 start-up trials) and once without pruning (``NopPruner``, same
callback, so that only the pruning differs), same seeds. Printed per library and implementation,
median over seeds: boosting rounds trained in total, the ratio of rounds without / with pruning,
the best validation log loss found, its change against the unpruned search of the same seed,
and the wall time.

Usage::

    benchmarks/.venv/bin/python benchmarks/integrations.py              # 5 seeds (part 2: 3)
    benchmarks/.venv/bin/python benchmarks/integrations.py --quick      # a smoke run
    benchmarks/.venv/bin/python benchmarks/integrations.py --peers none # podbor only

optuna-integration (with Optuna) is the peer when importable; XGBoost and CatBoost rows are left
out when the library is missing. Results are written as JSON to
``benchmarks/results/integrations.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import importlib.util
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

RESULTS = Path(__file__).resolve().parent / "results" / "integrations.json"
TASKS = {"breast_cancer": ("binary", "binary_logloss"), "diabetes": ("regression", "l2")}
LIBRARIES = ("lightgbm", "xgboost", "catboost")


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _split(task: str, seed: int) -> tuple[Any, ...]:
    """Train / validation / test parts (60 / 20 / 20 %) of a bundled data set."""
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.model_selection import train_test_split

    X, y = (load_breast_cancer if task == "breast_cancer" else load_diabetes)(return_X_y=True)
    X_dev, X_test, y_dev, y_test = train_test_split(X, y, test_size=0.2, random_state=seed)
    X_tr, X_va, y_tr, y_va = train_test_split(X_dev, y_dev, test_size=0.25, random_state=seed)
    return X_tr, X_va, X_test, y_tr, y_va, y_test


# -- part 1: the tuner --------------------------------------------------------------------------
@dataclass
class TunerRun:
    impl: str
    task: str
    seed: int
    trials: int
    seconds: float
    valid_score: float
    test_score: float


def _tuner_class(impl: str) -> Any:
    if impl == "podbor":
        from podbor.integration.lightgbm import LightGBMTuner

        return LightGBMTuner
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    from optuna_integration.lightgbm import LightGBMTuner as OptunaTuner

    return OptunaTuner


def run_tuner(impl: str, task: str, seed: int, rounds: int) -> TunerRun:
    import lightgbm as lgb

    X_tr, X_va, X_test, y_tr, y_va, y_test = _split(task, seed)
    objective, metric = TASKS[task]
    params = {
        "objective": objective,
        "metric": metric,
        "verbosity": -1,
        "seed": seed,
        "num_threads": 1,
        "deterministic": True,
        "force_row_wise": True,
    }
    tuner = _tuner_class(impl)(
        params,
        lgb.Dataset(X_tr, y_tr),
        valid_sets=lgb.Dataset(X_va, y_va),
        num_boost_round=rounds,
        callbacks=[lgb.early_stopping(10, verbose=False)],
        show_progress_bar=False,
        optuna_seed=seed,
    )
    start = time.perf_counter()
    tuner.run()
    seconds = time.perf_counter() - start
    booster = tuner.get_best_booster()
    pred = np.asarray(booster.predict(X_test, num_iteration=booster.best_iteration))
    if objective == "binary":
        eps = 1e-15
        p = np.clip(pred, eps, 1 - eps)
        test = float(-np.mean(y_test * np.log(p) + (1 - y_test) * np.log(1 - p)))
    else:
        test = float(np.mean((pred - y_test) ** 2))
    trials = len(tuner.study.trials)
    return TunerRun(impl, task, seed, trials, seconds, float(tuner.best_score), test)


def _print_tuner(runs: list[TunerRun]) -> None:
    print("### Part 1: LightGBMTuner (medians over seeds; lower scores are better)\n")
    print("| task | implementation | trials | valid score | test score | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    for task in TASKS:
        for impl in ("podbor", "optuna-integration"):
            rows = [r for r in runs if r.task == task and r.impl == impl]
            if not rows:
                continue
            print(
                f"| {task} | {impl} | {statistics.median(r.trials for r in rows):.0f} "
                f"| {statistics.median(r.valid_score for r in rows):.6g} "
                f"| {statistics.median(r.test_score for r in rows):.6g} "
                f"| {statistics.median(r.seconds for r in rows):.2f} |"
            )
    for task in TASKS:
        ours = {r.seed: r for r in runs if r.task == task and r.impl == "podbor"}
        peer = {r.seed: r for r in runs if r.task == task and r.impl == "optuna-integration"}
        seeds = sorted(set(ours) & set(peer))
        if not seeds:
            continue
        wins = sum(ours[s].valid_score <= peer[s].valid_score for s in seeds)
        ratio = statistics.median(ours[s].seconds / peer[s].seconds for s in seeds)
        print(
            f"\n{task}: podbor's validation score at least as good in {wins} of {len(seeds)} "
            f"seeds; median time ratio podbor / optuna-integration {ratio:.2f}"
        )
    print()


# -- part 2: the pruning callbacks ----------------------------------------------------------------
@dataclass
class PruningRun:
    impl: str
    library: str
    pruning: bool
    seed: int
    rounds: int
    pruned_trials: int
    best_score: float
    seconds: float


def _objective(library: str, impl: str, seed: int, rounds: int) -> Callable[[Any], float]:
    """A trial of ``library`` on breast cancer reporting the validation log loss every round."""
    X_tr, X_va, _, y_tr, y_va, _ = _split("breast_cancer", seed)
    if impl == "podbor":
        from podbor.integration import catboost as cb_int
        from podbor.integration import lightgbm as lgb_int
        from podbor.integration import xgboost as xgb_int
    else:
        import optuna_integration as lgb_int  # one namespace holds all three

        cb_int = xgb_int = lgb_int

    if library == "lightgbm":
        import lightgbm as lgb

        def lightgbm_objective(trial: Any) -> float:
            params = {
                "objective": "binary",
                "metric": "binary_logloss",
                "verbosity": -1,
                "seed": seed,
                "num_threads": 1,
                "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.3, log=True),
                "num_leaves": trial.suggest_int("num_leaves", 4, 64, log=True),
                "min_child_samples": trial.suggest_int("min_child_samples", 5, 60),
                "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
            }
            callback = lgb_int.LightGBMPruningCallback(trial, "binary_logloss")
            booster = lgb.train(
                params,
                lgb.Dataset(X_tr, y_tr),
                num_boost_round=rounds,
                valid_sets=[lgb.Dataset(X_va, y_va)],
                callbacks=[callback],
            )
            return float(booster.best_score["valid_0"]["binary_logloss"])

        return lightgbm_objective

    if library == "xgboost":
        import xgboost as xgb

        def xgboost_objective(trial: Any) -> float:
            params = {
                "objective": "binary:logistic",
                "eval_metric": "logloss",
                "nthread": 1,
                "seed": seed,
                "eta": trial.suggest_float("eta", 0.005, 0.3, log=True),
                "max_depth": trial.suggest_int("max_depth", 2, 8),
                "subsample": trial.suggest_float("subsample", 0.5, 1.0),
                "lambda": trial.suggest_float("lambda", 1e-3, 10.0, log=True),
            }
            log: dict[str, Any] = {}
            xgb.train(
                params,
                xgb.DMatrix(X_tr, label=y_tr),
                num_boost_round=rounds,
                evals=[(xgb.DMatrix(X_va, label=y_va), "validation")],
                callbacks=[xgb_int.XGBoostPruningCallback(trial, "validation-logloss")],
                evals_result=log,
                verbose_eval=False,
            )
            return float(log["validation"]["logloss"][-1])

        return xgboost_objective

    from catboost import CatBoostClassifier

    def catboost_objective(trial: Any) -> float:
        model = CatBoostClassifier(
            iterations=rounds,
            learning_rate=trial.suggest_float("learning_rate", 0.005, 0.3, log=True),
            depth=trial.suggest_int("depth", 2, 8),
            l2_leaf_reg=trial.suggest_float("l2_leaf_reg", 1e-2, 10.0, log=True),
            eval_metric="Logloss",
            thread_count=1,
            random_seed=seed,
            verbose=0,
            use_best_model=False,
            allow_writing_files=False,
        )
        callback = cb_int.CatBoostPruningCallback(trial, "Logloss")
        model.fit(X_tr, y_tr, eval_set=[(X_va, y_va)], callbacks=[callback])
        callback.check_pruned()
        return float(model.get_evals_result()["validation"]["Logloss"][-1])

    return catboost_objective


def run_pruning(
    impl: str,
    library: str,
    pruning: bool,
    seed: int,
    trials: int,
    rounds: int,
    sampler: str = "tpe",
) -> PruningRun:
    """One search; ``sampler="default"`` gives podbor's ``create_study()`` sampler (seeded)."""
    objective = _objective(library, impl, seed, rounds)
    if impl == "podbor":
        pruner = podbor.pruners.MedianPruner() if pruning else podbor.pruners.NopPruner()
        chosen = (
            podbor.samplers.AutoSampler(seed=seed)
            if sampler == "default"
            else podbor.samplers.TPESampler(seed=seed)
        )
        study: Any = podbor.create_study(sampler=chosen, pruner=pruner)
        states = (podbor.TrialState.PRUNED,)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        opruner = optuna.pruners.MedianPruner() if pruning else optuna.pruners.NopPruner()
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed), pruner=opruner)
        states = (optuna.trial.TrialState.PRUNED,)
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    seconds = time.perf_counter() - start
    trained = sum(len(t.intermediate_values) for t in study.trials)
    pruned = len(study.get_trials(deepcopy=False, states=states))
    return PruningRun(impl, library, pruning, seed, trained, pruned, study.best_value, seconds)


def _print_pruning(runs: list[PruningRun]) -> None:
    print("### Part 2: pruning callbacks + MedianPruner vs no pruning (medians over seeds)\n")
    print(
        "| library | implementation | pruning | rounds | ratio | pruned trials "
        "| best valid logloss | Δ best | seconds |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for library in LIBRARIES:
        for impl in ("podbor", "optuna-integration"):
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
                ratio = statistics.median(base[s].rounds / rows[s].rounds for s in seeds)
                delta = statistics.median(rows[s].best_score - base[s].best_score for s in seeds)
                print(
                    f"| {library} | {impl} | {label} "
                    f"| {statistics.median(rows[s].rounds for s in seeds):.0f} | {ratio:.2f} "
                    f"| {statistics.median(rows[s].pruned_trials for s in seeds):.0f} "
                    f"| {statistics.median(rows[s].best_score for s in seeds):.4f} "
                    f"| {delta:+.4f} | {statistics.median(rows[s].seconds for s in seeds):.2f} |"
                )
    print()


# -- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds of part 1")
    parser.add_argument("--seeds2", type=int, default=3, help="seeds of part 2")
    parser.add_argument("--rounds", type=int, default=100, help="rounds per training, part 1")
    parser.add_argument("--rounds2", type=int, default=100, help="rounds per trial, part 2")
    parser.add_argument("--trials", type=int, default=30, help="trials per search, part 2")
    parser.add_argument("--peers", choices=["auto", "none"], default="auto")
    parser.add_argument(
        "--parts", nargs="+", choices=["tuner", "pruning"], default=["tuner", "pruning"]
    )
    parser.add_argument(
        "--sampler",
        choices=["tpe", "default"],
        default="tpe",
        help="part 2's sampler: TPE on both sides, or each library's create_study() default "
        "(podbor's AutoSampler; Optuna's default is TPE)",
    )
    parser.add_argument("--quick", action="store_true", help="1 seed, tiny budgets")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.seeds2, args.rounds, args.rounds2, args.trials = 1, 1, 5, 8, 6
    podbor.logging.set_verbosity(podbor.logging.ERROR)
    warnings.simplefilter("ignore")
    impls = ["podbor"]
    if args.peers == "auto" and _has("optuna_integration") and _has("optuna"):
        impls.append("optuna-integration")
    else:
        print("optuna-integration: not run (not installed or --peers none)")
    libraries = [lib for lib in LIBRARIES if _has(lib)]
    print(f"implementations: {impls}; libraries: {libraries}\n")

    tuner_runs: list[TunerRun] = []
    if "tuner" in args.parts and "lightgbm" in libraries:
        for task in TASKS:
            for seed in range(args.seeds):
                for impl in impls if seed % 2 == 0 else impls[::-1]:  # alternate the order
                    tuner_runs.append(run_tuner(impl, task, seed, args.rounds))
        _print_tuner(tuner_runs)
    pruning_runs: list[PruningRun] = []
    if "pruning" in args.parts:
        for library in libraries:
            for seed in range(args.seeds2):
                for impl in impls:
                    for pruning in (False, True):
                        pruning_runs.append(
                            run_pruning(
                                impl,
                                library,
                                pruning,
                                seed,
                                args.trials,
                                args.rounds2,
                                args.sampler,
                            )
                        )
        _print_pruning(pruning_runs)
    report = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "tuner": [asdict(r) for r in tuner_runs],
        "pruning": [asdict(r) for r in pruning_runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
