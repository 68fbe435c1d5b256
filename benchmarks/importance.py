"""Parameter importances against a known truth: rank correlation and time, podbor vs Optuna.

Each problem is a function whose variance decomposition under uniform sampling is known exactly:
a sum of standardized terms ``w_i * h_i(x_i)`` (each ``h_i`` of mean 0 and variance 1: linear,
sine, quadratic, integer, categorical, on linear or log scales), one pure interaction
``w_ab * h(x_a) * h(x_b)`` (no main effect), dummy parameters (weight 0), and, in
``conditional``, a root categorical whose branches hold their own parameters. The true
importance of a parameter is its share of the variance: ``w_i**2`` (times the probability that
it is active, for a conditional one) over the total.

The trials are drawn at random (uniform on each parameter's scale) with numpy, once per
(problem, size, seed), and given to BOTH libraries as the same trials (``create_trial`` +
``add_trials``), so only the evaluators differ. For each evaluator (fANOVA, mean decrease
impurity, PED-ANOVA; forests seeded) the table shows the Spearman rank correlation between its
importances and the truth over the parameters it assessed (the forest evaluators assess only
the parameters every trial has), averaged over seeds, and the median time of one
``get_param_importances`` call (imports done beforehand).

    benchmarks/.venv/bin/python benchmarks/importance.py            # 100, 300, 1000 trials, 3 seeds
    benchmarks/.venv/bin/python benchmarks/importance.py --quick    # 100 and 300 trials, 2 seeds
    benchmarks/.venv/bin/python benchmarks/importance.py --evaluators shap  # vs optuna-integration

Optuna is optional: without it, podbor's columns are printed alone.
"""

from __future__ import annotations

import argparse
import importlib
import math
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import podbor

optuna: Any
try:
    optuna = importlib.import_module("optuna")
except ImportError:  # pragma: no cover - depends on the environment
    optuna = None

EVALUATORS = ("fanova", "mdi", "ped_anova")
# on request (--evaluators): SHAP values of a forest, ShapleyImportanceEvaluator of
# podbor.integration against optuna-integration's (both need the `shap` package)
OPTIONAL_EVALUATORS = ("shap",)


# ---------------------------------------------------------------------------------------------
# Standardized terms: mean 0, variance 1 under uniform u in [0, 1].


def _lin(u: np.ndarray) -> np.ndarray:
    return np.asarray(math.sqrt(12.0) * (u - 0.5))


def _sin(u: np.ndarray) -> np.ndarray:
    return math.sqrt(2.0) * np.sin(2.0 * math.pi * u)


def _quad(u: np.ndarray) -> np.ndarray:
    return math.sqrt(180.0) * ((u - 0.5) ** 2 - 1.0 / 12.0)


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, bounds or choices, the term it adds and its weight."""

    name: str
    kind: str  # "float", "log", "int", "cat"
    low: float = 0.0
    high: float = 1.0
    choices: tuple[str, ...] = ()
    term: Callable[[np.ndarray], np.ndarray] = _lin
    weight: float = 0.0
    branch: str | None = None  # active only when the root categorical takes this value

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Values (external for float/log/int; choice indices for cat) and their u in [0,1]."""
        if self.kind == "cat":
            return rng.integers(0, len(self.choices), n).astype(float)
        if self.kind == "int":
            return rng.integers(int(self.low), int(self.high) + 1, n).astype(float)
        if self.kind == "log":
            return np.exp(rng.uniform(math.log(self.low), math.log(self.high), n))
        return rng.uniform(self.low, self.high, n)

    def effect(self, values: np.ndarray) -> np.ndarray:
        """The standardized term of the values (mean 0, variance 1 under uniform sampling)."""
        if self.kind == "cat":
            k = len(self.choices)
            effect = np.full(k, -1.0 / math.sqrt(k - 1))
            effect[0] = math.sqrt(k - 1)  # first choice stands out; mean 0, variance 1
            return np.asarray(effect[values.astype(int)])
        if self.kind == "int":
            n_values = self.high - self.low + 1
            sd = math.sqrt((n_values**2 - 1) / 12.0)
            return (values - (self.low + self.high) / 2) / sd
        if self.kind == "log":
            u = (np.log(values) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        else:
            u = (values - self.low) / (self.high - self.low)
        return self.term(u)


@dataclass(frozen=True)
class Problem:
    name: str
    params: tuple[Param, ...]
    interaction: tuple[str, str, float] | None = None  # (a, b, weight); both lin, always active
    root: Param | None = None  # the branching categorical of a conditional problem
    root_weight: float = 0.0
    notes: str = ""

    def truth(self) -> dict[str, float]:
        """Each parameter's share of the variance of the function."""
        share: dict[str, float] = {}
        n_branches = len(self.root.choices) if self.root else 1
        for p in self.params:
            active = 1.0 / n_branches if p.branch is not None else 1.0
            share[p.name] = active * p.weight**2
        if self.root is not None:
            share[self.root.name] = self.root_weight**2
        total = sum(share.values()) + (self.interaction[2] ** 2 if self.interaction else 0.0)
        return {k: v / total for k, v in share.items()}


MIXED = Problem(
    "mixed",
    (
        Param("a", "float", -5.0, 5.0, term=_lin, weight=3.0),
        Param("lr", "log", 1e-4, 1e-1, term=_sin, weight=2.4),
        Param("n", "int", 1, 10, weight=1.9),
        Param("kind", "cat", choices=("svm", "tree", "knn", "lin"), weight=1.5),
        Param("d", "float", 0.0, 1.0, term=_quad, weight=1.1),
        Param("e", "float", 0.0, 1.0, term=_lin, weight=0.7),
        Param("dummy_f", "float", 0.0, 1.0),
        Param("dummy_log", "log", 1.0, 100.0),
        Param("dummy_i", "int", 0, 5),
        Param("dummy_c", "cat", choices=("x", "y", "z")),
    ),
    interaction=("d", "e", 0.5),
    notes="6 weighted terms (lin, log-sin, int, cat, quad, lin), d*e interaction, 4 dummies",
)

CONDITIONAL = Problem(
    "conditional",
    (
        Param("x", "float", -1.0, 1.0, term=_lin, weight=2.0),
        Param("g", "float", 0.0, 1.0, term=_sin, weight=1.2),
        Param("dummy", "float", 0.0, 1.0),
        Param("p", "float", 0.0, 1.0, term=_lin, weight=2.6, branch="lin"),
        Param("q", "log", 1e-3, 1.0, term=_quad, weight=1.0, branch="lin"),
        Param("r", "int", 1, 8, weight=1.8, branch="tree"),
        Param("s", "float", 0.0, 1.0, term=_sin, weight=0.5, branch="tree"),
    ),
    root=Param("model", "cat", choices=("lin", "tree")),
    root_weight=1.5,
    notes="root categorical model in {lin, tree}; p, q under lin; r, s under tree",
)

PROBLEMS = {p.name: p for p in (MIXED, CONDITIONAL)}


# ---------------------------------------------------------------------------------------------
# The same trials for both libraries.


def _distribution(lib: Any, p: Param) -> Any:
    d = lib.distributions
    if p.kind == "cat":
        return d.CategoricalDistribution(list(p.choices))
    if p.kind == "int":
        return d.IntDistribution(int(p.low), int(p.high))
    return d.FloatDistribution(p.low, p.high, log=p.kind == "log")


def _draw(problem: Problem, n: int, seed: int) -> tuple[list[dict[str, Any]], np.ndarray]:
    """n trials' external parameters and values."""
    rng = np.random.default_rng(seed)
    columns = {p.name: p.draw(rng, n) for p in problem.params}
    y = np.zeros(n)
    branch = None
    if problem.root is not None:
        branch = problem.root.draw(rng, n).astype(int)
        y += problem.root_weight * np.where(branch == 0, 1.0, -1.0)
    active: dict[str, np.ndarray] = {}
    for p in problem.params:
        on = np.ones(n, dtype=bool)
        if p.branch is not None:
            assert problem.root is not None and branch is not None
            on = branch == problem.root.choices.index(p.branch)
        active[p.name] = on
        y += np.where(on, p.weight * p.effect(columns[p.name]), 0.0)
    if problem.interaction:
        a, b, w = problem.interaction
        by = {p.name: p for p in problem.params}
        y += w * by[a].effect(columns[a]) * by[b].effect(columns[b])
    rows: list[dict[str, Any]] = []
    for i in range(n):
        row: dict[str, Any] = {}
        if problem.root is not None and branch is not None:
            row[problem.root.name] = problem.root.choices[branch[i]]
        for p in problem.params:
            if active[p.name][i]:
                v = columns[p.name][i]
                row[p.name] = (
                    p.choices[int(v)]
                    if p.kind == "cat"
                    else (int(v) if p.kind == "int" else float(v))
                )
        rows.append(row)
    return rows, y


def _study(lib: Any, problem: Problem, rows: list[dict[str, Any]], y: np.ndarray) -> Any:
    dists = {p.name: _distribution(lib, p) for p in problem.params}
    if problem.root is not None:
        dists[problem.root.name] = _distribution(lib, problem.root)
    study = lib.create_study()
    study.add_trials(
        [
            lib.trial.create_trial(
                params=row, distributions={k: dists[k] for k in row}, value=float(v)
            )
            for row, v in zip(rows, y)
        ]
    )
    return study


def _evaluator(lib: Any, name: str, seed: int) -> Any:
    imp = lib.importance
    if name == "shap":
        if lib is podbor:
            from podbor.integration import ShapleyImportanceEvaluator
        else:
            from optuna_integration import ShapleyImportanceEvaluator
        return ShapleyImportanceEvaluator(seed=seed)
    if name == "fanova":
        return imp.FanovaImportanceEvaluator(seed=seed)
    if name == "mdi":
        return imp.MeanDecreaseImpurityImportanceEvaluator(seed=seed)
    return imp.PedAnovaImportanceEvaluator()


def _spearman(estimate: dict[str, float], truth: dict[str, float]) -> float:
    names = [n for n in estimate if n in truth]
    if len(names) < 2:
        return float("nan")
    from scipy.stats import spearmanr

    a = [estimate[n] for n in names]
    b = [truth[n] for n in names]
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


@dataclass
class Cell:
    rho: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def _measure(lib: Any, study: Any, evaluator: Any, repeats: int) -> tuple[dict[str, float], float]:
    times = []
    result: dict[str, float] = {}
    for _ in range(repeats):
        start = time.perf_counter()
        result = lib.importance.get_param_importances(study, evaluator=evaluator)
        times.append(time.perf_counter() - start)
    return result, min(times)


def run(
    problems: Sequence[str],
    sizes: Sequence[int],
    seeds: Sequence[int],
    repeats: int,
    evaluators: Sequence[str] = EVALUATORS,
) -> dict[tuple[str, int, str, str], Cell]:
    libs: dict[str, Any] = {"podbor": podbor}
    if optuna is not None:
        libs["optuna"] = optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    warnings.simplefilter("ignore")
    cells: dict[tuple[str, int, str, str], Cell] = {}
    # warm-up: imports (scikit-learn) and first-call costs are not timed
    for lib in libs.values():
        rows, y = _draw(MIXED, 30, 0)
        for ev in evaluators:
            _measure(lib, _study(lib, MIXED, rows, y), _evaluator(lib, ev, 0), 1)
    for pname in problems:
        problem = PROBLEMS[pname]
        truth = problem.truth()
        for n in sizes:
            for seed in seeds:
                rows, y = _draw(problem, n, seed)
                for lib_name, lib in libs.items():
                    study = _study(lib, problem, rows, y)
                    for ev in evaluators:
                        result, seconds = _measure(lib, study, _evaluator(lib, ev, seed), repeats)
                        cell = cells.setdefault((pname, n, ev, lib_name), Cell())
                        cell.rho.append(_spearman(result, truth))
                        cell.seconds.append(seconds)
    return cells


def table(
    cells: dict[tuple[str, int, str, str], Cell],
    problems: Sequence[str],
    sizes: Sequence[int],
    with_optuna: bool,
    evaluators: Sequence[str] = EVALUATORS,
) -> str:
    head = "| problem | trials | evaluator | ρ podbor |"
    rule = "|---|---:|---|---:|"
    if with_optuna:
        head += " ρ Optuna | ms podbor | ms Optuna | time ratio |"
        rule += "---:|---:|---:|---:|"
    else:
        head += " ms podbor |"
        rule += "---:|"
    lines = [head, rule]
    for pname in problems:
        for n in sizes:
            for ev in evaluators:
                mine = cells[(pname, n, ev, "podbor")]
                rho = statistics.fmean(mine.rho)
                ms = 1e3 * statistics.median(mine.seconds)
                line = f"| {pname} | {n} | {ev} | {rho:.3f} |"
                if with_optuna:
                    peer = cells[(pname, n, ev, "optuna")]
                    prho = statistics.fmean(peer.rho)
                    pms = 1e3 * statistics.median(peer.seconds)
                    line += f" {prho:.3f} | {ms:.1f} | {pms:.1f} | {ms / pms:.2f} |"
                else:
                    line += f" {ms:.1f} |"
                lines.append(line)
    if with_optuna:
        lines.append("")
        lines.append("| evaluator | mean ρ podbor | mean ρ Optuna | median time ratio |")
        lines.append("|---|---:|---:|---:|")
        for ev in evaluators:
            ours = [c for k, c in cells.items() if k[2] == ev and k[3] == "podbor"]
            theirs = [c for k, c in cells.items() if k[2] == ev and k[3] == "optuna"]
            ratios = [
                statistics.median(m.seconds) / statistics.median(p.seconds)
                for m, p in zip(ours, theirs)
            ]
            lines.append(
                f"| {ev} | {statistics.fmean(r for c in ours for r in c.rho):.3f} | "
                f"{statistics.fmean(r for c in theirs for r in c.rho):.3f} | "
                f"{statistics.median(ratios):.2f} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 300, 1000])
    parser.add_argument("--seeds", type=int, default=3, help="random trial sets per size")
    parser.add_argument("--repeats", type=int, default=1, help="timed calls per cell (min kept)")
    parser.add_argument(
        "--evaluators",
        nargs="+",
        default=list(EVALUATORS),
        choices=list(EVALUATORS + OPTIONAL_EVALUATORS),
    )
    parser.add_argument("--quick", action="store_true", help="100 and 300 trials, 2 seeds")
    args = parser.parse_args(argv)
    sizes, n_seeds = (args.sizes, args.seeds)
    if args.quick:
        sizes, n_seeds = [100, 300], 2
    if optuna is None:
        print("Optuna is not installed: podbor's columns only.")
    for pname in args.problems:
        truth = PROBLEMS[pname].truth()
        shares = ", ".join(f"{k} {v:.3f}" for k, v in sorted(truth.items(), key=lambda kv: -kv[1]))
        print(f"{pname}: {PROBLEMS[pname].notes}\n  truth: {shares}")
    cells = run(args.problems, sizes, list(range(n_seeds)), args.repeats, args.evaluators)
    print()
    print(table(cells, args.problems, sizes, optuna is not None, args.evaluators))


if __name__ == "__main__":
    main()
