"""Multi-fidelity: how many training epochs each method needs to reach a reference's final score.

Every problem is a training run seen one epoch at a time: a search space, a number of epochs
``T`` and the validation loss after each epoch ``t = 1..T`` (minimized). The objective reports
the loss at step ``t``, asks ``should_prune`` and stops (``TrialPruned``) when told; a complete
trial returns the loss at epoch ``T``. A trial pruned at step ``t`` trained ``t`` epochs. Each
run is one study of ``--trials`` trials, run one at a time, and its trace is, after each
finished trial, the epochs trained so far and the best value of the *complete* trials so far.

The reference ``R`` is Optuna's TPE with its Hyperband pruner (``min_resource=1``,
``max_resource=T``, ``reduction_factor=3``). Per problem, ``target`` is the median over seeds of
R's final best complete value and ``E_R`` the median of R's total epochs. For each method and
seed, ``e_M`` is the cumulative epochs when the run's best complete value first reaches
``<= target`` (never: not reached). Printed per problem and method: the median final best, the
median total epochs, the median ``e_M`` (the lower median with an even number of seeds: at
least half of the runs reached the target within it) and ``median(e_M) / E_R`` — the epochs
needed to reach the reference's score as a fraction of the reference's epochs (the aim for
the default sampler with a pruner: at most 0.5). Overall: the geometric mean of that fraction
over the problems (a problem not reached counts as the method's median total epochs / ``E_R``, marked
``*``: a lower bound) and the average rank of ``e_M`` over problems and seeds (ties share).

**Synthetic learning curves** (``lc_branin``, ``lc_hartmann3``, ``lc_hartmann6``; ``T = 27``,
no sleeps). A learning rate ``lr`` (log float in [1e-4, 1]) and a batch size ``batch`` (log int
in [16, 512]) set the effective step ``e = lr * sqrt(64 / batch)``; the loss after epoch ``t``
is ::

    loss(x, t) = f_inf(x) + (f_0 - f_inf(x)) * g(t),   g(t) = (1 + k t / 2) ** -2,   f_0 = 1
    k        = 2 e^0.6 (1 - dropout / 2)                 (how fast the curve falls)
    f_inf(x) = 0.05 + 0.3 s(z) + 0.08 max(0, log10 e + 2.5)^2 + 0.2 (dropout - 0.3)^2
    noise    = 0.004 sqrt(64 / batch) * N(0, 1), per epoch

so a large step falls fast to a worse plateau and a small one falls slowly to a better one that
only a long training shows: the curves cross, and early losses mislead. ``s(z)`` in [0, 1] is
a standard function of the remaining parameters, rescaled to 0 at its optimum:
``lc_branin``: Branin of ``x1`` in [-5, 10], ``x2`` in [0, 15] as ``log10(1 + b - b*) /
log10(310)`` (4 parameters: lr, batch, x1, x2; no dropout); ``lc_hartmann3``: Hartmann-3 of
``z0..z2`` in [0, 1] as ``(h - h*) / |h*|``, plus ``dropout`` in [0, 0.8] (6 parameters);
``lc_hartmann6``: Hartmann-6 of ``z0..z5`` the same way (8 parameters, no dropout). The noise
of epoch ``t`` is drawn from a generator seeded by (the run's seed, a hash of the trial's
parameters), so a run is reproducible and every method sees the same noise.

**Real training** (scikit-learn, its bundled data sets, offline): ``mlp_digits``: an
``MLPClassifier`` (one hidden layer, Adam) on 600 training images of ``load_digits`` (pixels /
16), one ``partial_fit`` pass per epoch (``T = 27``), the validation loss is the log loss on a
fixed hold-out of 400 images; ``mlp_diabetes``: an ``MLPRegressor`` (Adam) on ``load_diabetes``
(features and target standardized on the training part; 300 training rows, 142 held out), the
validation MSE. Parameters: ``learning_rate_init`` (log, [1e-4, 0.3]), ``alpha`` (log, [1e-6,
1e-1]), ``width`` (log int, [8, 256]), ``batch_size`` (log int, [16, 256]), ``beta_1`` ([0.5,
0.99]). The weights' random state is a hash of (the run's seed, the parameters). A loss that is
not finite or above 10 counts as 10.

Methods (``METHODS``, one line each): ``optuna-tpe-hyperband`` (the reference),
``optuna-random-hyperband``, ``optuna-tpe-median`` (``MedianPruner``, the default pruner),
``optuna-tpe-nopruner`` (every trial trains ``T`` epochs), ``podbor-auto-hyperband`` (the
default sampler, ``AutoSampler``, with podbor's ``HyperbandPruner``), ``podbor-tpe-hyperband``,
``podbor-auto-median`` (``create_study()`` as users get it: AutoSampler and MedianPruner),
``podbor-auto-nopruner``, ``podbor-auto-curve`` (the default sampler with podbor's
``LearningCurvePruner()``, whose pruned trials the GP takes at their predicted final values);
and, not run by default, ``podbor-random-hyperband``,
``podbor-tpe-nopruner``, ``optuna-gp-nopruner``. ::

    benchmarks/.venv/bin/python benchmarks/multi_fidelity.py                 # 5 seeds x 100 trials
    benchmarks/.venv/bin/python benchmarks/multi_fidelity.py --problems synthetic --seeds 3
    benchmarks/.venv/bin/python benchmarks/multi_fidelity.py --journal mf.jsonl  # resumable
    benchmarks/.venv/bin/python benchmarks/multi_fidelity.py --quick
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import importlib.util
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import methods as methods_mod
import numpy as np
from problems import branin, hartmann6
from scipy.stats import rankdata

REFERENCE = "optuna-tpe-hyperband"
FALLBACK_REFERENCE = "podbor-tpe-hyperband"
"""The reference when Optuna is not installed (the fractions then compare with podbor's TPE)."""
TARGET_FRACTION = 0.5
LOSS_CAP = 10.0


# -- problems ---------------------------------------------------------------------------------------
Curve = Callable[[Any, int], Iterator[float]]
"""``(trial, seed) → the validation loss after each epoch`` (suggests the trial's parameters)."""


@dataclass(frozen=True)
class CurveProblem:
    name: str
    group: str  # "synthetic" or "real"
    epochs: int
    curve: Curve


def _param_hash(seed: int, params: dict[str, Any]) -> int:
    """A 63-bit hash of (seed, the trial's parameters): the same on every platform and run."""
    key = repr((seed, sorted(params.items()))).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") >> 1


_H3_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
HARTMANN3_MIN = -3.86278214782076
HARTMANN6_MIN = -3.32236801141551
BRANIN_MIN = 0.397887357729738


def hartmann3(x: np.ndarray) -> float:
    """Hartmann-3 on ``[0, 1]^3``; ``f* = -3.86278`` at ``(0.114614, 0.555649, 0.852547)``."""
    return float(-_H3_ALPHA @ np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1)))


def _synthetic_curve(
    trial: Any, seed: int, s: float, dropout: float, epochs: int
) -> Iterator[float]:
    """The learning curve of the module docstring, ``lr`` and ``batch`` suggested here."""
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    batch = trial.suggest_int("batch", 16, 512, log=True)
    step = lr * math.sqrt(64 / batch)
    k = 2.0 * step**0.6 * (1 - dropout / 2)
    f_inf = (
        0.05 + 0.3 * s + 0.08 * max(0.0, math.log10(step) + 2.5) ** 2 + 0.2 * (dropout - 0.3) ** 2
    )
    t = np.arange(1, epochs + 1)
    g = (1 + k * t / 2) ** -2.0
    rng = np.random.default_rng(_param_hash(seed, trial.params))
    noise = 0.004 * math.sqrt(64 / batch) * rng.standard_normal(epochs)
    yield from (float(v) for v in f_inf + (1.0 - f_inf) * g + noise)


def _lc_branin(trial: Any, seed: int) -> Iterator[float]:
    x1 = trial.suggest_float("x1", -5.0, 10.0)
    x2 = trial.suggest_float("x2", 0.0, 15.0)
    s = math.log10(1 + max(0.0, branin(x1, x2) - BRANIN_MIN)) / math.log10(310)
    return _synthetic_curve(trial, seed, min(s, 1.0), 0.3, 27)


def _lc_hartmann3(trial: Any, seed: int) -> Iterator[float]:
    z = np.array([trial.suggest_float(f"z{i}", 0.0, 1.0) for i in range(3)])
    dropout = trial.suggest_float("dropout", 0.0, 0.8)
    s = (hartmann3(z) - HARTMANN3_MIN) / -HARTMANN3_MIN
    return _synthetic_curve(trial, seed, s, dropout, 27)


def _lc_hartmann6(trial: Any, seed: int) -> Iterator[float]:
    z = np.array([trial.suggest_float(f"z{i}", 0.0, 1.0) for i in range(6)])
    s = (hartmann6(z) - HARTMANN6_MIN) / -HARTMANN6_MIN
    return _synthetic_curve(trial, seed, s, 0.3, 27)


@functools.cache
def _digits() -> tuple[Any, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    split = train_test_split(x / 16.0, y, train_size=600, test_size=400, random_state=0, stratify=y)
    return tuple(split)


@functools.cache
def _diabetes() -> tuple[Any, ...]:
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    x, y = load_diabetes(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, train_size=300, random_state=0)
    mx, sx = x_train.mean(axis=0), x_train.std(axis=0)
    my, sy = y_train.mean(), y_train.std()
    return (x_train - mx) / sx, (x_val - mx) / sx, (y_train - my) / sy, (y_val - my) / sy


def _mlp_params(trial: Any) -> dict[str, Any]:
    return {
        "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 0.3, log=True),
        "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        "hidden_layer_sizes": (trial.suggest_int("width", 8, 256, log=True),),
        "batch_size": trial.suggest_int("batch_size", 16, 256, log=True),
        "beta_1": trial.suggest_float("beta_1", 0.5, 0.99),
    }


def _capped(loss: float) -> float:
    return min(loss, LOSS_CAP) if math.isfinite(loss) else LOSS_CAP


def _mlp_curve(trial: Any, seed: int, classify: bool, epochs: int) -> Iterator[float]:
    from sklearn.metrics import log_loss, mean_squared_error
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    params = _mlp_params(trial)
    x_train, x_val, y_train, y_val = _digits() if classify else _diabetes()
    state = _param_hash(seed, trial.params) % 2**32
    model = (MLPClassifier if classify else MLPRegressor)(
        solver="adam", random_state=state, **params
    )
    classes = np.unique(y_train)
    for _ in range(epochs):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if classify:
                model.partial_fit(x_train, y_train, classes=classes)
                proba = model.predict_proba(x_val)
                ok = bool(np.all(np.isfinite(proba)))
                loss = float(log_loss(y_val, proba, labels=classes)) if ok else math.inf
            else:
                model.partial_fit(x_train, y_train)
                predicted = model.predict(x_val)
                ok = bool(np.all(np.isfinite(predicted)))
                loss = float(mean_squared_error(y_val, predicted)) if ok else math.inf
        yield _capped(loss)


def _mlp_digits(trial: Any, seed: int) -> Iterator[float]:
    return _mlp_curve(trial, seed, True, 27)


def _mlp_diabetes(trial: Any, seed: int) -> Iterator[float]:
    return _mlp_curve(trial, seed, False, 27)


PROBLEMS: dict[str, CurveProblem] = {
    p.name: p
    for p in (
        CurveProblem("lc_branin", "synthetic", 27, _lc_branin),
        CurveProblem("lc_hartmann3", "synthetic", 27, _lc_hartmann3),
        CurveProblem("lc_hartmann6", "synthetic", 27, _lc_hartmann6),
        CurveProblem("mlp_digits", "real", 27, _mlp_digits),
        CurveProblem("mlp_diabetes", "real", 27, _mlp_diabetes),
    )
}


def select_problems(names: Sequence[str]) -> list[CurveProblem]:
    """Problems by name or group (``synthetic``, ``real``, ``all``)."""
    chosen: list[CurveProblem] = []
    for name in names:
        if name == "all":
            found = list(PROBLEMS.values())
        elif name in ("synthetic", "real"):
            found = [p for p in PROBLEMS.values() if p.group == name]
        elif name in PROBLEMS:
            found = [PROBLEMS[name]]
        else:
            raise SystemExit(f"unknown problem {name!r}; available: {', '.join(PROBLEMS)}")
        chosen += [p for p in found if p not in chosen]
    if any(p.group == "real" for p in chosen) and importlib.util.find_spec("sklearn") is None:
        print("(skipping the real problems: scikit-learn is not installed)")
        chosen = [p for p in chosen if p.group != "real"]
    return chosen


# -- methods ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Method:
    """A study factory: ``library.create_study`` with ``sampler(seed=seed)`` and ``pruner``:
    ``"hyperband"`` (``HyperbandPruner(min_resource=1, max_resource=T, reduction_factor=3)``),
    ``"median"`` (``MedianPruner()``, the default of both libraries: ``create_study`` as users
    get it), ``"curve"`` (podbor's ``LearningCurvePruner()``) or ``"none"`` (``NopPruner()``); the study is named after the seed (runs are
    reproducible)."""

    library: str
    sampler: str
    pruner: str
    needs: str | None = None  # another module the sampler needs

    def available(self) -> bool:
        needed = [self.library] + ([self.needs] if self.needs else [])
        if any(importlib.util.find_spec(m) is None for m in needed):
            return False
        return hasattr(importlib.import_module(f"{self.library}.samplers"), self.sampler)

    def create_study(self, seed: int, epochs: int) -> Any:
        lib = importlib.import_module(self.library)
        if self.pruner == "hyperband":
            pruner = lib.pruners.HyperbandPruner(
                min_resource=1, max_resource=epochs, reduction_factor=3
            )
        elif self.pruner == "median":
            pruner = lib.pruners.MedianPruner()
        elif self.pruner == "curve":
            pruner = lib.pruners.LearningCurvePruner()
        else:
            pruner = lib.pruners.NopPruner()
        sampler = getattr(lib.samplers, self.sampler)(seed=seed)
        # a fixed name: Optuna's Hyperband picks a trial's bracket from a hash of the study's
        # name (a random one by default) and the trial's number
        name = f"multi-fidelity-{seed}"
        return lib.create_study(
            study_name=name, direction="minimize", sampler=sampler, pruner=pruner
        )


METHODS: dict[str, Method] = {
    "optuna-tpe-hyperband": Method("optuna", "TPESampler", "hyperband"),
    "optuna-random-hyperband": Method("optuna", "RandomSampler", "hyperband"),
    "optuna-tpe-median": Method("optuna", "TPESampler", "median"),
    "optuna-tpe-nopruner": Method("optuna", "TPESampler", "none"),
    "optuna-gp-nopruner": Method("optuna", "GPSampler", "none", needs="torch"),
    "podbor-auto-hyperband": Method("podbor", "AutoSampler", "hyperband"),
    "podbor-tpe-hyperband": Method("podbor", "TPESampler", "hyperband"),
    "podbor-auto-median": Method("podbor", "AutoSampler", "median"),
    "podbor-auto-nopruner": Method("podbor", "AutoSampler", "none"),
    "podbor-auto-curve": Method("podbor", "AutoSampler", "curve"),
    "podbor-random-hyperband": Method("podbor", "RandomSampler", "hyperband"),
    "podbor-tpe-nopruner": Method("podbor", "TPESampler", "none"),
}
DEFAULT_METHODS = (
    "optuna-tpe-hyperband",
    "optuna-random-hyperband",
    "optuna-tpe-median",
    "optuna-tpe-nopruner",
    "podbor-auto-hyperband",
    "podbor-tpe-hyperband",
    "podbor-auto-median",
    "podbor-auto-nopruner",
    "podbor-auto-curve",
)
QUICK_METHODS = ("optuna-tpe-hyperband", "podbor-auto-hyperband", "podbor-tpe-hyperband")


def select_methods(names: Sequence[str]) -> list[str]:
    """Method names; unknown ones are an error, unavailable ones are skipped with a note."""
    chosen = []
    for name in names:
        if name not in METHODS:
            raise SystemExit(f"unknown method {name!r}; available: {', '.join(METHODS)}")
        if METHODS[name].available():
            chosen.append(name)
        else:
            print(f"(skipping {name}: not available in this environment)")
    return chosen


# -- running ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    method: str
    problem: str
    seed: int
    trials: int
    journal: str | None = None


@dataclass
class Run:
    method: str
    problem: str
    seed: int
    trials: int
    epochs: list[int]  # per trial, in order: the epochs it trained
    values: list[float | None]  # per trial: the value of a complete trial, None if pruned
    seconds: float

    def key(self) -> tuple[str, str, int, int]:
        return (self.method, self.problem, self.seed, self.trials)

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        """(cumulative epochs, best complete value so far; inf before the first) per trial."""
        best = np.minimum.accumulate([math.inf if v is None else v for v in self.values])
        return np.cumsum(self.epochs), best


def run_task(task: Task) -> Run:
    """One study (in a worker process, or inline with ``--jobs 1``); journaled if asked."""
    methods_mod.quiet()
    problem = PROBLEMS[task.problem]
    method = METHODS[task.method]
    lib = importlib.import_module(method.library)
    epochs: list[int] = []
    values: list[float | None] = []

    def objective(trial: Any) -> float:
        loss = math.nan
        for t, loss in enumerate(problem.curve(trial, task.seed), start=1):
            trial.report(loss, t)
            if trial.should_prune():
                epochs.append(t)
                values.append(None)
                raise lib.TrialPruned()
        epochs.append(problem.epochs)
        values.append(loss)
        return loss

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = method.create_study(task.seed, problem.epochs)
        study.optimize(objective, n_trials=task.trials)
    run = Run(
        task.method,
        task.problem,
        task.seed,
        task.trials,
        epochs,
        values,
        time.perf_counter() - start,
    )
    if task.journal is not None:
        methods_mod.append_jsonl(Path(task.journal), asdict(run))
    return run


def load_journal(path: Path | None) -> dict[tuple[str, str, int, int], Run]:
    """The runs of a journal (none if it does not exist), by (method, problem, seed, trials)."""
    if path is None or not path.exists():
        return {}
    found = {}
    for line in path.read_text().splitlines():
        if line.strip():
            try:
                run = Run(**json.loads(line))
            except (ValueError, TypeError):  # a line cut short by an interruption
                continue
            found[run.key()] = run
    return found


# -- the metric -------------------------------------------------------------------------------------
def epochs_to_reach(run: Run, target: float) -> float:
    """Cumulative epochs when the run's best complete value first is ``<= target`` (else inf)."""
    cumulative, best = run.trace()
    reached = np.flatnonzero(best <= target)
    return float(cumulative[reached[0]]) if reached.size else math.inf


def lower_median(values: Sequence[float]) -> float:
    """The lower median: with an even count, the smaller middle value (so that at least half of
    the runs reached the target within it; an odd count gives the plain median)."""
    return float(sorted(values)[(len(values) - 1) // 2])


def summarize(runs: Sequence[Run], method_names: list[str], reference: str) -> dict[str, Any]:
    problems = [p for p in PROBLEMS if any(r.problem == p for r in runs)]
    per_problem: dict[str, Any] = {}
    ranks: dict[str, list[float]] = {m: [] for m in method_names}
    for name in problems:
        mine = [r for r in runs if r.problem == name]
        ref = [r for r in mine if r.method == reference]
        target = float(np.median([r.trace()[1][-1] for r in ref]))
        e_ref = float(np.median([sum(r.epochs) for r in ref]))
        rows: dict[str, Any] = {}
        for m in method_names:
            theirs = [r for r in mine if r.method == m]
            if not theirs:
                continue
            reach = [epochs_to_reach(r, target) for r in theirs]
            median_reach = lower_median(reach)
            total = float(np.median([sum(r.epochs) for r in theirs]))
            rows[m] = {
                "final_best": float(np.median([r.trace()[1][-1] for r in theirs])),
                "total_epochs": total,
                "epochs_to_target": median_reach,
                "fraction": median_reach / e_ref,
                "reached_runs": sum(math.isfinite(e) for e in reach),
                "runs": len(theirs),
                "pruned_fraction": float(
                    np.mean([np.mean([v is None for v in r.values]) for r in theirs])
                ),
                "seconds": float(np.median([r.seconds for r in theirs])),
            }
        for seed in sorted({r.seed for r in mine}):
            by_method = {r.method: epochs_to_reach(r, target) for r in mine if r.seed == seed}
            present = [m for m in method_names if m in by_method]
            for m, rank in zip(present, rankdata([by_method[m] for m in present])):
                ranks[m].append(float(rank))
        per_problem[name] = {"target": target, "reference_epochs": e_ref, "methods": rows}
    overall: dict[str, Any] = {}
    for m in method_names:
        fractions, censored = [], 0
        for info in per_problem.values():
            row = info["methods"].get(m)
            if row is None:
                continue
            if math.isfinite(row["fraction"]):
                fractions.append(row["fraction"])
            else:
                fractions.append(row["total_epochs"] / info["reference_epochs"])
                censored += 1
        if fractions:
            overall[m] = {
                "geomean_fraction": float(np.exp(np.mean(np.log(fractions)))),
                "not_reached_problems": censored,
                "average_rank": float(np.mean(ranks[m])),
            }
    return {"reference": reference, "problems": per_problem, "overall": overall}


def _epochs(x: float) -> str:
    return "not reached" if not math.isfinite(x) else f"{x:.0f}"


def print_tables(summary: dict[str, Any]) -> None:
    reference = summary["reference"]
    for name, info in summary["problems"].items():
        print(
            f"\n### {name}: target {info['target']:.4g} (median final best of {reference}), "
            f"E_R = {info['reference_epochs']:.0f} epochs\n"
        )
        print("| method | final best | epochs | pruned | epochs to target | fraction of E_R |")
        print("|---|---:|---:|---:|---:|---:|")
        for m, row in info["methods"].items():
            fraction = f"{row['fraction']:.2f}" if math.isfinite(row["fraction"]) else "not reached"
            reach = f"{_epochs(row['epochs_to_target'])} ({row['reached_runs']}/{row['runs']})"
            print(
                f"| {m} | {row['final_best']:.4g} | {row['total_epochs']:.0f} | "
                f"{100 * row['pruned_fraction']:.0f} % | {reach} | {fraction} |"
            )
    print(
        f"\n### overall: geometric mean over problems of the fraction of E_R "
        f"(aim for the default sampler with a pruner: <= {TARGET_FRACTION}), average rank of "
        "the epochs to the target\n"
    )
    print("| method | fraction of E_R | average rank |")
    print("|---|---:|---:|")
    marked = False
    for m, row in sorted(summary["overall"].items(), key=lambda kv: kv[1]["average_rank"]):
        star = "*" if row["not_reached_problems"] else ""
        marked = marked or bool(star)
        print(f"| {m} | {row['geomean_fraction']:.2f}{star} | {row['average_rank']:.2f} |")
    if marked:
        print(
            "\n\\* the target was not reached on some problem (median over seeds): that problem "
            "counts as the method's total epochs / E_R, a lower bound"
        )


# -- command line -----------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 5)")
    parser.add_argument("--trials", type=int, default=None, help="trials per study (default 100)")
    parser.add_argument(
        "--problems", nargs="+", default=None, help="names or groups: synthetic, real, all"
    )
    parser.add_argument("--methods", nargs="+", default=None, help=f"from: {', '.join(METHODS)}")
    parser.add_argument(
        "--reference",
        default=REFERENCE,
        help=f"the method whose final score and epochs are the yardstick (default {REFERENCE}; "
        f"{FALLBACK_REFERENCE} when Optuna is not installed); always run",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=None, help="write the runs and summary as JSON")
    parser.add_argument(
        "--journal",
        type=Path,
        default=None,
        help="append every finished run to this .jsonl file; the runs already in it (same "
        "method, problem, seed and --trials) are taken from it instead of being run again",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="2 seeds x 20 trials, the synthetic problems, "
        + ", ".join(QUICK_METHODS)
        + " (each unless given)",
    )
    args = parser.parse_args(argv)
    defaults = (2, 20, ["synthetic"], QUICK_METHODS) if args.quick else (5, 100, ["all"], None)
    for option, default in zip(("seeds", "trials", "problems", "methods"), defaults):
        if getattr(args, option) is None:
            setattr(args, option, default)
    args.methods = list(args.methods or DEFAULT_METHODS)
    if args.seeds < 1 or args.trials < 1 or args.jobs < 1:
        parser.error("--seeds, --trials and --jobs must be >= 1")
    if args.reference not in METHODS:
        parser.error(f"unknown --reference {args.reference!r}")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    methods_mod.one_thread_per_process()
    problems = select_problems(args.problems)
    names = select_methods(args.methods)
    reference = args.reference
    if not METHODS[reference].available():
        print(f"(reference {reference} not available: using {FALLBACK_REFERENCE})")
        reference = FALLBACK_REFERENCE
    if reference not in names:
        names.insert(0, reference)
    journal = str(args.journal) if args.journal else None
    tasks = [
        Task(m, p.name, seed, args.trials, journal)
        for p in problems
        for m in names
        for seed in range(args.seeds)
    ]
    done = load_journal(args.journal)
    cached = [done[k] for t in tasks if (k := (t.method, t.problem, t.seed, t.trials)) in done]
    tasks = [t for t in tasks if (t.method, t.problem, t.seed, t.trials) not in done]
    print(
        f"{len(problems)} problems x {len(names)} methods x {args.seeds} seeds x {args.trials} "
        f"trials: {len(tasks)} runs on {args.jobs} processes"
        + (f", {len(cached)} taken from {args.journal}" if cached else ""),
        file=sys.stderr,
        flush=True,
    )
    start = time.perf_counter()
    fresh = methods_mod.run_all(run_task, tasks, args.jobs) if tasks else []
    elapsed = time.perf_counter() - start
    runs = sorted(
        [*cached, *fresh], key=lambda r: (list(PROBLEMS).index(r.problem), r.method, r.seed)
    )
    summary = summarize(runs, names, reference)
    print_tables(summary)
    per_run = {
        p.name: np.median([r.seconds for r in runs if r.problem == p.name]) for p in problems
    }
    print(
        f"\n{len(fresh)} runs in {elapsed:.0f} s; median seconds per run: "
        + ", ".join(f"{p} {s:.1f}" for p, s in per_run.items())
    )
    config = {
        "seeds": args.seeds,
        "trials": args.trials,
        "problems": [p.name for p in problems],
        "methods": names,
        "reference": reference,
        "jobs": args.jobs,
        "seconds": elapsed,
    }
    return methods_mod.save_report(args.out, config, summary, runs, strict=True)  # inf: not reached


if __name__ == "__main__":
    main()
