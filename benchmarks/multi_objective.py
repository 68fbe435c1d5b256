"""Several objectives: the hypervolume each sampler reaches within 100 and 300 trials.

Each run is one study of ``--trials`` trials (``study.optimize``, one trial at a time) on one
problem; a budget ``B`` (``--budgets``, default 100 and 300) scores the run's first ``B`` trials
(a sampler is not told the budget). Constraints are set with ``trial.set_constraint``; a trial
is feasible when every constraint is ``<= 0``.

**Metric.** The objectives become losses (a maximized one negated), normalized per problem by a
fixed ideal point ``z*`` and nadir point ``z^nad``: ``f' = (f - z*) / (z^nad - z*)``. ``HV(P)``
is the volume that the points ``P`` dominate below the reference point ``(1.1, ..., 1.1)``
(``--reference-point``; ``podbor._hypervolume.compute_hypervolume``, points not strictly below
it dropped first). A run's **HV ratio** at budget ``B`` is ``HV(the feasible trials among its
first B) / HV(reference front)``, 0 without a feasible trial inside the box (a sampled front is a
little short of the true one: a ratio may exceed 1 slightly). Per problem and budget: the median
HV ratio over seeds, and the average rank (the methods of one (problem, seed, budget) ranked by
HV ratio, the highest 1, ties sharing the average rank). Overall per budget: the average rank
over all problems and seeds, the mean over problems of the median HV ratio, and the median
seconds per trial (from one trial's end to the next's: ask, sampler, objective, tell). Late
overhead: the median seconds per trial in the last sixth of the trials (251-300 of 300), in all
and less the objective's own time (the objective's time less its ``suggest_*`` calls, where a
sampler may sample lazily). Target: ``podbor-default`` has the best average rank at 100 and at
300 trials.

**Problems** (variables ``x1..xn`` floats in [0, 1] unless stated; ``z*``, ``z^nad``: the
reference front's minimum and maximum per objective):

* ``zdt1``, ``zdt2``, ``zdt3`` (Zitzler, Deb and Thiele 2000; ``n = 10``): ``f1 = x1``,
  ``g = 1 + 9 (x2 + ... + x10) / 9``, ``f2 = g h`` with ``h = 1 - sqrt(f1/g)`` (zdt1),
  ``1 - (f1/g)^2`` (zdt2), ``1 - sqrt(f1/g) - (f1/g) sin(10 pi f1)`` (zdt3). Reference front:
  ``g = 1`` at 2,000 values of ``f1`` evenly spaced on [0, 1] (zdt3: its non-dominated ones).
* ``dtlz2`` (Deb, Thiele, Laumanns and Zitzler 2005; 3 objectives, ``n = 7``, ``k = 5``):
  ``g = sum_{i=3..7} (xi - 0.5)^2``, ``ti = xi pi / 2``, ``f1 = (1+g) cos t1 cos t2``,
  ``f2 = (1+g) cos t1 sin t2``, ``f3 = (1+g) sin t1``. Reference front: the 5,000 points of a
  40,000-point Fibonacci lattice on the unit sphere that lie in the positive octant.
* ``dtlz7`` (3 objectives, ``n = 7``, ``k = 5``): ``f1 = x1``, ``f2 = x2``, ``g = 1 + 9/5
  sum_{i=3..7} xi``, ``f3 = (1+g) (3 - sum_{i=1,2} fi / (1+g) (1 + sin(3 pi fi)))``. Reference
  front: the non-dominated points of ``g = 1`` on a 150 x 150 grid of (x1, x2).
* ``c2dtlz2`` (C2-DTLZ2, Jain and Deb 2014; 2 objectives, ``n = 6``, ``k = 5``): DTLZ2 with
  ``M = 2`` (``f1 = (1+g) cos t1``, ``f2 = (1+g) sin t1``) and the constraint ``c = min(min_i
  ((fi - 1)^2 + sum_{j != i} fj^2 - r^2), sum_i (fi - 1/sqrt(2))^2 - r^2)`` with ``r = 0.2``
  (0.4 or 0.5, the radii for 3 and more objectives, would leave the whole 2-objective front
  feasible). Reference front: those of 2,000 points ``(cos t, sin t)``, ``t`` evenly spaced on
  [0, pi/2], with ``c <= 0`` (three arcs).
* ``vessel`` (pressure-vessel design; one objective, 4 constraints): thicknesses ``Ts = 0.0625
  k1``, ``Th = 0.0625 k2`` (``k1``, ``k2`` ints in [1, 99]), radius ``R`` and length ``L`` floats
  in [10, 200]; minimize ``0.6224 Ts R L + 1.7781 Th R^2 + 3.1661 Ts^2 L + 19.84 Ts^2 R``
  subject to ``c1 = 0.0193 R - Ts``, ``c2 = 0.00954 R - Th``, ``c3 = 1 - (pi R^2 L + 4/3 pi
  R^3) / 1,296,000`` and ``c4 = L - 240``. Best known cost 6059.714 (``k1 = 13``, ``k2 = 7``,
  ``R = 42.0984``, ``L = 176.6366``). HV ratio: ``max(0, (ref - best feasible cost) / (ref -
  6059.714))`` (``z* = 6059.714``, ``z^nad = ref``, reference point 1), ``ref = 36947.4``: the
  5th percentile of the costs of the feasible ones (40 %) of 1,000,000 uniform random designs
  drawn by ``numpy.random.default_rng(0)`` (``--self-check`` recomputes it). The 95th
  percentile (435,304) would give random search 0.95 and squeeze every method into [0.95, 1].
* ``digits_svc`` (scikit-learn; maximize accuracy, minimize size): every other image of
  ``load_digits`` (899, pixels / 16; all 1,797 took a median 0.18 s per evaluation, these 0.06
  s), ``PCA(n_components, random_state=0)`` then ``SVC(C, gamma, kernel)``: ``n_components`` log
  int in [2, 64], ``C`` log float in [1e-2, 1e3], ``gamma`` log float in [1e-5, 1e-1], ``kernel``
  in {rbf, poly, sigmoid}. Objectives: the mean accuracy over a 3-fold ``StratifiedKFold`` (no
  shuffling) and ``log10(n_SV n_components)``, ``n_SV`` the folds' mean number of support
  vectors. Deterministic; cached per process on the parameters rounded to 6 digits. Reference
  front (and ``z*``, ``z^nad``): the non-dominated trials of all the runs summarized together.

Methods: ``podbor-default`` (``AutoSampler(seed=seed)``, what ``create_study`` uses),
``podbor-nsga2``, ``podbor-tpe``, ``podbor-gp``, ``podbor-random`` (``NSGAIISampler``,
``TPESampler``, ``GPSampler``, ``RandomSampler``, each ``(seed=seed)``); with Optuna installed,
``optuna-nsga2``, ``optuna-tpe``, ``optuna-gp`` (needs PyTorch), ``optuna-random`` the same;
``podbor-tpe-mv`` is ``TPESampler(seed=seed, multivariate=True)`` (multivariate and grouped
with several objectives too). ::

    benchmarks/.venv/bin/python benchmarks/multi_objective.py --seeds 10 --jobs 2 \\
        --journal benchmarks/results/mo.jsonl --out benchmarks/results/mo.json
    benchmarks/.venv/bin/python benchmarks/multi_objective.py --quick
    benchmarks/.venv/bin/python benchmarks/multi_objective.py --self-check
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
import importlib.util
import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import methods as methods_mod
import numpy as np
from scipy.stats import rankdata

from podbor._hypervolume import compute_hypervolume, pareto_mask

REFERENCE_POINT = 1.1
VESSEL_BEST = 6059.714
VESSEL_REF = 36947.4  # the 5th percentile of random feasible costs: the docstring, _vessel_ref
C2_RADIUS = 0.2
DEFAULT_BUDGETS = (100, 300)


# -- problems ---------------------------------------------------------------------------------------
Evaluation = tuple[list[float], dict[str, float] | None]
"""The objective values (in the study's directions) and the named constraints (None: none)."""


@dataclass(frozen=True)
class Reference:
    """A reference front (losses), the ideal and nadir points, the normalized reference point."""

    front: np.ndarray
    ideal: np.ndarray
    nadir: np.ndarray
    point: float = REFERENCE_POINT

    def normalize(self, losses: np.ndarray) -> np.ndarray:
        scale = np.where(self.nadir > self.ideal, self.nadir - self.ideal, 1.0)
        return (losses - self.ideal) / scale

    @functools.cached_property
    def hv(self) -> float:
        return hypervolume(self.normalize(self.front), self.point)


@dataclass(frozen=True)
class Problem:
    name: str
    directions: tuple[str, ...]
    evaluate: Callable[[Any], Evaluation]
    reference: Callable[[], Reference] | None = None  # None: from the runs
    needs: str | None = None  # a module the problem imports

    def losses(self, values: Sequence[Sequence[float]]) -> np.ndarray:
        sign = np.array([-1.0 if d == "maximize" else 1.0 for d in self.directions])
        return np.asarray(values, dtype=float).reshape(-1, len(self.directions)) * sign


def _analytic(front: np.ndarray, filter_front: bool = False) -> Reference:
    front = front[pareto_mask(front)] if filter_front else front
    return Reference(front, front.min(axis=0), front.max(axis=0))


def _unit(trial: Any, n: int) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(1, n + 1)])


ZDT_H: dict[str, Callable[[Any, Any], Any]] = {
    "zdt1": lambda f1, g: 1 - np.sqrt(f1 / g),
    "zdt2": lambda f1, g: 1 - (f1 / g) ** 2,
    "zdt3": lambda f1, g: 1 - np.sqrt(f1 / g) - f1 / g * np.sin(10 * np.pi * f1),
}


def _synthetic(n: int, values: Callable[[np.ndarray], Any]) -> Callable[[Any], Evaluation]:
    """The objective of ``values`` of ``n`` floats ``x1..xn`` in [0, 1], no constraints."""
    return lambda trial: ([float(v) for v in values(_unit(trial, n))], None)


def zdt_values(name: str, x: np.ndarray) -> list[float]:
    g = 1 + 9 * x[1:].sum() / 9
    return [x[0], g * ZDT_H[name](x[0], g)]


def _zdt_front(name: str) -> Reference:
    f1 = np.linspace(0.0, 1.0, 2000)
    return _analytic(np.column_stack([f1, ZDT_H[name](f1, 1.0)]), filter_front=True)


def dtlz2_values(x: np.ndarray, m: int) -> list[float]:
    g = float(np.sum((x[m - 1 :] - 0.5) ** 2))
    t = x[: m - 1] * np.pi / 2
    cos = [float(np.prod(np.cos(t[: m - 1 - i]))) for i in range(m)]
    return [(1 + g) * cos[i] * (float(np.sin(t[m - 1 - i])) if i else 1.0) for i in range(m)]


def _dtlz2_front() -> Reference:
    i = np.arange(40_000)
    z = 1 - (2 * i + 1) / 40_000
    phi = i * np.pi * (3 - math.sqrt(5))  # the golden angle
    xyz = np.column_stack([np.sqrt(1 - z**2) * np.cos(phi), np.sqrt(1 - z**2) * np.sin(phi), z])
    return _analytic(xyz[(xyz >= 0).all(axis=1)])


def _dtlz7_f3(f: np.ndarray, g: Any) -> Any:
    return (1 + g) * (3 - np.sum(f / (1 + g) * (1 + np.sin(3 * np.pi * f)), axis=-1))


def dtlz7_values(x: np.ndarray) -> list[float]:
    return [x[0], x[1], _dtlz7_f3(x[:2], 1 + 9 / 5 * x[2:].sum())]


def _dtlz7_front() -> Reference:
    grid = np.stack(np.meshgrid(*[np.linspace(0, 1, 150)] * 2), axis=-1).reshape(-1, 2)
    return _analytic(np.column_stack([grid, _dtlz7_f3(grid, 1.0)]), filter_front=True)


def c2_constraint(f: np.ndarray) -> np.ndarray:
    """C2's constraint for each row of losses ``f``: feasible when ``<= 0``."""
    f = np.atleast_2d(f)
    sq = (f**2).sum(axis=1, keepdims=True)
    corners = (sq - f**2 + (f - 1) ** 2 - C2_RADIUS**2).min(axis=1)
    middle = ((f - 1 / math.sqrt(f.shape[1])) ** 2).sum(axis=1) - C2_RADIUS**2
    return np.minimum(corners, middle)


def _c2dtlz2(trial: Any) -> Evaluation:
    f = dtlz2_values(_unit(trial, 6), 2)
    return f, {"c": float(c2_constraint(np.array(f))[0])}


def _c2dtlz2_front() -> Reference:
    t = np.linspace(0.0, np.pi / 2, 2000)
    front = np.column_stack([np.cos(t), np.sin(t)])
    return _analytic(front[c2_constraint(front) <= 0])


def vessel_cost(ts: Any, th: Any, r: Any, length: Any) -> Any:
    return 0.6224 * ts * r * length + 1.7781 * th * r**2 + (3.1661 * length + 19.84 * r) * ts**2


def vessel_constraints(ts: Any, th: Any, r: Any, length: Any) -> list[Any]:
    volume = np.pi * r**2 * length + 4 / 3 * np.pi * r**3
    return [0.0193 * r - ts, 0.00954 * r - th, 1 - volume / 1_296_000, length - 240]


def _vessel(trial: Any) -> Evaluation:
    ts, th = (0.0625 * trial.suggest_int(k, 1, 99) for k in ("k1", "k2"))
    r, length = (trial.suggest_float(p, 10.0, 200.0) for p in ("R", "L"))
    cons = vessel_constraints(ts, th, r, length)
    return [vessel_cost(ts, th, r, length)], {f"c{i}": float(c) for i, c in enumerate(cons, 1)}


def _vessel_reference() -> Reference:
    best = np.array([VESSEL_BEST])
    return Reference(best.reshape(1, 1), best, np.array([VESSEL_REF]), point=1.0)


def _vessel_ref(n: int) -> float:
    """The 5th percentile of the costs of the feasible ones of ``n`` uniform random designs."""
    rng = np.random.default_rng(0)
    ts, th = (0.0625 * rng.integers(1, 100, n) for _ in range(2))
    r, length = rng.uniform(10, 200, n), rng.uniform(10, 200, n)
    feasible = np.all(np.array(vessel_constraints(ts, th, r, length)) <= 0, axis=0)
    return float(np.percentile(vessel_cost(ts, th, r, length)[feasible], 5))


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x[::2] / 16.0, y[::2]


@functools.cache
def _svc_scores(n_components: int, c: float, gamma: float, kernel: str) -> tuple[float, float]:
    from sklearn.decomposition import PCA
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    pca = PCA(n_components=n_components, random_state=0)
    pipe = make_pipeline(pca, SVC(C=c, gamma=gamma, kernel=kernel))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = cross_validate(pipe, *_digits(), cv=StratifiedKFold(3), return_estimator=True)
    n_sv = np.mean([est[-1].n_support_.sum() for est in cv["estimator"]])
    return float(np.mean(cv["test_score"])), float(np.log10(n_sv * n_components))


def _digits_svc(trial: Any) -> Evaluation:
    n = trial.suggest_int("n_components", 2, 64, log=True)
    c = trial.suggest_float("C", 1e-2, 1e3, log=True)
    gamma = trial.suggest_float("gamma", 1e-5, 1e-1, log=True)
    kernel = trial.suggest_categorical("kernel", ["rbf", "poly", "sigmoid"])
    return list(_svc_scores(n, float(f"{c:.6g}"), float(f"{gamma:.6g}"), kernel)), None


MIN2, MIN3, _p = ("minimize",) * 2, ("minimize",) * 3, functools.partial
PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        *(Problem(z, MIN2, _synthetic(10, _p(zdt_values, z)), _p(_zdt_front, z)) for z in ZDT_H),
        Problem("dtlz2", MIN3, _synthetic(7, lambda x: dtlz2_values(x, 3)), _dtlz2_front),
        Problem("dtlz7", MIN3, _synthetic(7, dtlz7_values), _dtlz7_front),
        Problem("c2dtlz2", MIN2, _c2dtlz2, _c2dtlz2_front),
        Problem("vessel", ("minimize",), _vessel, _vessel_reference),
        Problem("digits_svc", ("maximize", "minimize"), _digits_svc, None, needs="sklearn"),
    )
}
QUICK_PROBLEMS = ("zdt1", "c2dtlz2")


@functools.cache
def analytic_reference(name: str) -> Reference:
    make = PROBLEMS[name].reference
    assert make is not None
    return make()


def hypervolume(normalized: np.ndarray, point: float) -> float:
    """The hypervolume below ``(point, ..., point)`` of the rows strictly below it."""
    inside = normalized[(normalized < point).all(axis=1)]
    if inside.size == 0:
        return 0.0
    return float(compute_hypervolume(inside, np.full(inside.shape[1], point)))


# -- methods ----------------------------------------------------------------------------------------
SAMPLERS = {"nsga2": "NSGAIISampler", "tpe": "TPESampler", "gp": "GPSampler"}
SAMPLERS["random"] = "RandomSampler"
METHODS: dict[str, tuple[str, str]] = {  # name: (library, its sampler's class)
    "podbor-default": ("podbor", "AutoSampler"),
    **{f"{lib}-{k}": (lib, s) for lib in ("podbor", "optuna") for k, s in SAMPLERS.items()},
    "podbor-tpe-mv": ("podbor", "TPESampler"),
}
KWARGS: dict[str, dict[str, Any]] = {  # a method's arguments besides the seed
    "podbor-tpe-mv": {"multivariate": True},  # grouped too: podbor's default before session 32
}


def available(method: str) -> bool:
    """Whether the library (and PyTorch, for Optuna's GP) is installed and has the sampler."""
    library, sampler = METHODS[method]
    needed = [library] + (["torch"] if method == "optuna-gp" else [])
    if any(importlib.util.find_spec(m) is None for m in needed):
        return False
    return hasattr(importlib.import_module(f"{library}.samplers"), sampler)


QUICK_METHODS = ("podbor-default", "podbor-nsga2", "podbor-random", "optuna-nsga2")


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
    values: list[list[float]]  # per trial, in the study's directions
    constraints: list[list[float] | None]  # per trial (None: the problem has none)
    feasible: list[bool]
    seconds: list[float]  # per trial, from the previous trial's end (or create_study) to its end
    objective_seconds: list[float]  # per trial: the objective's share, less its suggest calls
    wall: float  # the whole study, create_study included

    def key(self) -> tuple[str, str, int, int]:
        return (self.method, self.problem, self.seed, self.trials)


class _SuggestTimer:
    """The trial, summing in ``seconds`` the time of its ``suggest_*`` calls (where a sampler may
    sample lazily: the sampler's time, not the objective's)."""

    def __init__(self, trial: Any) -> None:
        self.trial, self.seconds = trial, 0.0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.trial, name)
        return functools.partial(self._timed, attr) if name.startswith("suggest_") else attr

    def _timed(self, suggest: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        value = suggest(*args, **kwargs)
        self.seconds += time.perf_counter() - t0
        return value


def run_task(task: Task) -> Run:
    """One study (in a worker process, or inline with ``--jobs 1``); journaled if asked."""
    methods_mod.quiet()
    problem, (library, sampler_class) = PROBLEMS[task.problem], METHODS[task.method]
    lib = importlib.import_module(library)
    rec: dict[str, list[Any]] = {k: [] for k in ("values", "constraints", "seconds")}
    rec["objective_seconds"] = []

    def objective(trial: Any) -> float | list[float]:
        t0, timer = time.perf_counter(), _SuggestTimer(trial)
        values, cons = problem.evaluate(timer)
        own = time.perf_counter() - t0 - timer.seconds
        for key, value in (cons or {}).items():
            trial.set_constraint(key, value)
        rec["constraints"].append(None if cons is None else list(cons.values()))
        rec["objective_seconds"].append(round(own, 7))
        return values[0] if len(values) == 1 else values

    def callback(study: Any, trial: Any) -> None:
        now = time.perf_counter()
        rec["seconds"].append(round(now - last[0], 7))
        rec["values"].append(list(trial.values))
        last[0] = now

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental features, independent sampling
        sampler = getattr(lib.samplers, sampler_class)(
            seed=task.seed, **KWARGS.get(task.method, {})
        )
        study = lib.create_study(directions=list(problem.directions), sampler=sampler)
        last = [time.perf_counter()]
        study.optimize(objective, n_trials=task.trials, callbacks=[callback])
    feasible = [c is None or max(c) <= 0 for c in rec["constraints"]]
    wall = time.perf_counter() - start
    run = Run(
        task.method, task.problem, task.seed, task.trials, feasible=feasible, wall=wall, **rec
    )
    if task.journal is not None:
        methods_mod.append_jsonl(Path(task.journal), dataclasses.asdict(run))
    return run


def load_journal(path: Path | None) -> dict[tuple[str, str, int, int], Run]:
    """The runs of a journal (none if it does not exist), by (method, problem, seed, trials)."""
    found = {}
    for line in path.read_text().splitlines() if path is not None and path.exists() else []:
        try:
            run = Run(**json.loads(line))
        except (ValueError, TypeError):  # a line cut short by an interruption
            continue
        found[run.key()] = run
    return found


# -- the metric -------------------------------------------------------------------------------------
def feasible_losses(run: Run, budget: int | None = None) -> np.ndarray:
    """The losses of the feasible trials among the run's first ``budget`` trials (all: None)."""
    n = run.trials if budget is None else budget
    kept = [v for v, ok in zip(run.values[:n], run.feasible[:n]) if ok]
    return PROBLEMS[run.problem].losses(kept)


def reference_for(name: str, runs: Sequence[Run], point: float) -> Reference:
    """The analytic reference, or (``digits_svc``) the front of every trial of ``runs``; with
    the reference point ``point`` when there are several objectives."""
    if PROBLEMS[name].reference is not None:
        ref = analytic_reference(name)
    else:
        union = np.vstack([feasible_losses(r) for r in runs])
        ref = _analytic(union, filter_front=True)
    multi = len(PROBLEMS[name].directions) > 1
    return dataclasses.replace(ref, point=point) if multi and point != ref.point else ref


def hv_ratio(losses: np.ndarray, ref: Reference) -> float:
    return hypervolume(ref.normalize(losses), ref.point) / ref.hv


def late(values: Sequence[float], trials: int) -> Sequence[float]:
    """The last sixth of a run's per-trial values (trials 251-300 of 300)."""
    return values[trials - max(1, trials // 6) :]


def summarize(
    runs: Sequence[Run], names: list[str], budgets: list[int], point: float = REFERENCE_POINT
) -> dict[str, Any]:
    per_problem: dict[str, Any] = {}
    ranks: dict[int, dict[str, list[float]]] = {b: {m: [] for m in names} for b in budgets}
    medians: dict[int, dict[str, list[float]]] = {b: {m: [] for m in names} for b in budgets}
    for name in [p for p in PROBLEMS if any(r.problem == p for r in runs)]:
        mine = [r for r in runs if r.problem == name]
        ref = reference_for(name, mine, point)
        rows: dict[str, dict[str, Any]] = {m: {} for m in names if any(r.method == m for r in mine)}
        for b in budgets:
            ratio = {r.key(): hv_ratio(feasible_losses(r, b), ref) for r in mine}
            mine_ranks: dict[str, list[float]] = {m: [] for m in rows}
            for seed in sorted({r.seed for r in mine}):
                by_method = {r.method: ratio[r.key()] for r in mine if r.seed == seed}
                present = [m for m in names if m in by_method]
                for m, rank in zip(present, rankdata([-by_method[m] for m in present])):
                    mine_ranks[m].append(float(rank))
            for m in rows:
                median = float(np.median([ratio[r.key()] for r in mine if r.method == m]))
                rows[m].update(
                    {f"hv_ratio@{b}": median, f"rank@{b}": float(np.mean(mine_ranks[m]))}
                )
                medians[b][m].append(median)
                ranks[b][m] += mine_ranks[m]
        per_problem[name] = {
            "objectives": len(PROBLEMS[name].directions),
            "front_points": len(ref.front),
            "ideal": ref.ideal.tolist(),
            "nadir": ref.nadir.tolist(),
            "reference_point": ref.point,
            "front_hv": ref.hv,
            "methods": rows,
        }
    overall = {
        str(b): {
            m: {
                "average_rank": float(np.mean(ranks[b][m])),
                "mean_hv_ratio": float(np.mean(medians[b][m])),
                "seconds_per_trial": float(
                    np.median([s for r in runs if r.method == m for s in r.seconds[:b]])
                ),
            }
            for m in names
            if ranks[b][m]
        }
        for b in budgets
    }
    late_trials = {}
    for m in names:
        if theirs := [r for r in runs if r.method == m]:
            total = [late(r.seconds, r.trials) for r in theirs]
            own = [late(r.objective_seconds, r.trials) for r in theirs]
            sampler = [s - o for ts, os_ in zip(total, own) for s, o in zip(ts, os_)]
            late_trials[m] = {
                "seconds": float(np.median(np.concatenate(total))),
                "sampler_seconds": float(np.median(sampler)),
            }
    return {"budgets": budgets, "problems": per_problem, "overall": overall, "late": late_trials}


def _point(x: Sequence[float]) -> str:
    return "(" + ", ".join(f"{round(v, 6):.4g}" for v in x) + ")"


def print_tables(summary: dict[str, Any], trials: int) -> None:
    budgets = summary["budgets"]
    for name, info in summary["problems"].items():
        source = "analytic" if PROBLEMS[name].reference else "the runs' union"
        print(
            f"\n### {name}: {info['objectives']} objective(s); reference front: "
            f"{info['front_points']} points ({source}), ideal {_point(info['ideal'])}, nadir "
            f"{_point(info['nadir'])}, reference point {info['reference_point']}\n"
        )
        print("| method | " + " | ".join(f"HV ratio @{b} | rank @{b}" for b in budgets) + " |")
        print("|---|" + "---:|---:|" * len(budgets))
        for m, row in info["methods"].items():
            cells = [f"{row[f'hv_ratio@{b}']:.3f} | {row[f'rank@{b}']:.2f}" for b in budgets]
            print(f"| {m} | {' | '.join(cells)} |")
    for b in budgets:
        print(
            f"\n### overall @{b} trials: average rank over problems and seeds, mean over problems "
            "of the median HV ratio, median seconds per trial\n"
        )
        print("| method | average rank | HV ratio | s/trial |\n|---|---:|---:|---:|")
        table = summary["overall"][str(b)]
        for m, row in sorted(table.items(), key=lambda kv: kv[1]["average_rank"]):
            print(
                f"| {m} | {row['average_rank']:.2f} | {row['mean_hv_ratio']:.3f} | "
                f"{row['seconds_per_trial']:.4f} |"
            )
        if "podbor-default" in table:
            best = min(row["average_rank"] for row in table.values())
            hit = "yes" if table["podbor-default"]["average_rank"] <= best else "no"
            print(f"\ntarget @{b}: podbor-default has the best average rank: {hit}")
    first = trials - max(1, trials // 6) + 1
    print(f"\n### late in the study: median seconds per trial in trials {first}-{trials}\n")
    print("| method | s/trial | less the objective |\n|---|---:|---:|")
    for m, row in summary["late"].items():
        print(f"| {m} | {row['seconds']:.4f} | {row['sampler_seconds']:.4f} |")


# -- checks -----------------------------------------------------------------------------------------
def self_check() -> list[str]:
    """Points on the known fronts evaluate onto the reference fronts, whose own HV ratio is 1;
    the vessel's best design and reference cost. Returns the failures."""
    import podbor

    def evaluate(name: str, params: dict[str, Any]) -> Evaluation:
        return PROBLEMS[name].evaluate(podbor.trial.FixedTrial(params))

    def off_front(name: str, f: Sequence[float]) -> bool:  # 0.02: DTLZ2's lattice spacing
        ref = analytic_reference(name)
        gap = np.abs(ref.normalize(ref.front) - ref.normalize(np.array(f))).max(axis=1).min()
        return bool(gap > 0.02)

    failures = []
    expected = {  # f2 on the front (the rest 0), written out again here
        "zdt1": (0.3, 1 - math.sqrt(0.3)),
        "zdt2": (0.6, 1 - 0.6**2),
        "zdt3": (0.42, 1 - math.sqrt(0.42) - 0.42 * math.sin(4.2 * math.pi)),
    }
    for name, (x1, f2) in expected.items():
        f, _ = evaluate(name, {"x1": x1, **{f"x{i}": 0.0 for i in range(2, 11)}})
        if abs(f[1] - f2) > 1e-12 or off_front(name, f):
            failures.append(f"{name}: x1 = {x1}, the rest 0 gives {f}, not f2 = {f2} on the front")
    f, _ = evaluate("zdt1", {"x1": 0.3, **{f"x{i}": 1.0 for i in range(2, 11)}})
    if abs(f[1] - 10 * (1 - math.sqrt(0.03))) > 1e-12:
        failures.append(f"zdt1: x1 = 0.3, the rest 1 (g = 10) gives {f}")
    f, _ = evaluate("dtlz2", {"x1": 0.3, "x2": 0.7, **{f"x{i}": 0.5 for i in range(3, 8)}})
    if abs(np.linalg.norm(f) - 1) > 1e-12 or off_front("dtlz2", f):
        failures.append(f"dtlz2: {f} is not on the unit sphere's reference front")
    f, _ = evaluate("dtlz7", {f"x{i}": 0.0 for i in range(1, 8)})
    if not np.allclose(f, [0, 0, 6]) or off_front("dtlz7", f):
        failures.append(f"dtlz7: the corner gives {f}, not (0, 0, 6) on the front")
    for x1, ok in ((0.5, True), (0.02, True), (1 / 3, False)):
        f, cons = evaluate("c2dtlz2", {"x1": x1, **{f"x{i}": 0.5 for i in range(2, 7)}})
        c = (cons or {})["c"]
        if (c <= 0) != ok or (ok and off_front("c2dtlz2", f)):
            failures.append(f"c2dtlz2: x1 = {x1} gives {f}, c = {c:.3g}; feasible expected: {ok}")
    f, cons = evaluate("vessel", {"k1": 13, "k2": 7, "R": 42.0984456, "L": 176.6365958})
    if abs(f[0] - VESSEL_BEST) > 1e-3 or max((cons or {}).values()) > 1e-6:
        failures.append(f"vessel: the best known design costs {f[0]}, constraints {cons}")
    if abs(_vessel_ref(200_000) / VESSEL_REF - 1) > 0.02:
        failures.append(f"vessel: VESSEL_REF {VESSEL_REF} is not the 5th percentile it claims")
    for name in (n for n, p in PROBLEMS.items() if p.reference is not None):
        ref = analytic_reference(name)
        ratio = hv_ratio(ref.front, ref)
        print(f"{name}: {len(ref.front)} front points, HV {ref.hv:.4f}, own HV ratio {ratio:.6f}")
        if abs(ratio - 1) > 1e-6:
            failures.append(f"{name}: the reference front's own HV ratio is {ratio}")
    return failures


# -- command line -----------------------------------------------------------------------------------
def _budgets(text: str) -> list[int]:
    try:
        budgets = sorted({int(b) for b in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not integers separated by commas: {text!r}") from None
    if budgets[0] < 1:
        raise argparse.ArgumentTypeError(f"a budget must be >= 1: {text!r}")
    return budgets


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--problems", nargs="+", default=None, help=f"all, or from: {', '.join(PROBLEMS)}")
    add("--methods", nargs="+", default=None, help=f"default all, from: {', '.join(METHODS)}")
    add("--seeds", type=int, default=None, help="seeds 0..N-1 (default 10)")
    add("--trials", type=int, default=None, help="trials per study (default 300)")
    add("--budgets", type=_budgets, default=None, help="e.g. 100,300 (default), each <= --trials")
    add("--jobs", type=int, default=2, help="processes (default 2)")
    add("--reference-point", type=float, default=REFERENCE_POINT, help="normalized (default 1.1)")
    add("--out", type=Path, default=None, help="write the runs and summary as JSON")
    add("--journal", type=Path, default=None, help="append each run to this .jsonl; resume from it")
    quick = f"{' and '.join(QUICK_PROBLEMS)}, {', '.join(QUICK_METHODS)}"
    add("--quick", action="store_true", help=f"1 seed x 20 trials, budgets 10,20, {quick}")
    add("--self-check", action="store_true", help="check the problems' definitions and exit")
    args = parser.parse_args(argv)
    if args.quick:
        defaults: tuple[Any, ...] = (1, 20, [10, 20], QUICK_PROBLEMS, QUICK_METHODS)
    else:
        defaults = (10, 300, None, ["all"], list(METHODS))
    for option, default in zip(("seeds", "trials", "budgets", "problems", "methods"), defaults):
        if getattr(args, option) is None:
            setattr(args, option, default)
    for option in ("seeds", "trials", "jobs"):
        if getattr(args, option) < 1:
            parser.error(f"--{option} must be >= 1, not {getattr(args, option)}")
    if not args.reference_point > 1:
        parser.error(f"--reference-point must be > 1 (the nadir), not {args.reference_point}")
    if args.budgets is None:
        args.budgets = sorted({b for b in DEFAULT_BUDGETS if b < args.trials} | {args.trials})
    if args.budgets[-1] > args.trials:
        parser.error(f"--budgets {args.budgets[-1]} is above --trials {args.trials}")
    for option, known in (("problems", ["all", *PROBLEMS]), ("methods", list(METHODS))):
        for name in getattr(args, option):
            if name not in known:
                parser.error(f"--{option}: unknown {name!r}; available: {', '.join(known)}")
    args.problems = list(PROBLEMS) if "all" in args.problems else list(dict.fromkeys(args.problems))
    args.methods = list(dict.fromkeys(args.methods))
    return args


_note = functools.partial(print, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.self_check:
        failures = self_check()
        print("\n".join(failures) or "self-check passed")
        raise SystemExit(1 if failures else 0)
    methods_mod.one_thread_per_process()
    problems, names = [], []
    for p in args.problems:
        needs = PROBLEMS[p].needs
        if needs and importlib.util.find_spec(needs) is None:
            _note(f"(skipping {p}: {needs} is not installed)")
        else:
            problems.append(p)
    for m in args.methods:
        if available(m):
            names.append(m)
        else:
            _note(f"(skipping {m}: not available in this environment)")
    if not problems or not names:
        raise SystemExit("nothing to run: no available problem or no available method")
    journal = str(args.journal) if args.journal else None
    tasks = [
        Task(m, p, s, args.trials, journal)
        for p in problems
        for m in names
        for s in range(args.seeds)
    ]
    done = load_journal(args.journal)
    cached = [done[k] for t in tasks if (k := (t.method, t.problem, t.seed, t.trials)) in done]
    tasks = [t for t in tasks if (t.method, t.problem, t.seed, t.trials) not in done]
    _note(
        f"{len(problems)} problems x {len(names)} methods x {args.seeds} seeds x {args.trials} "
        f"trials: {len(tasks)} runs on {args.jobs} processes"
        + (f", {len(cached)} taken from {args.journal}" if cached else "")
    )
    start = time.perf_counter()
    fresh = methods_mod.run_all(run_task, tasks, args.jobs) if tasks else []
    elapsed = time.perf_counter() - start
    order = {m: i for i, m in enumerate(names)}
    runs = sorted(
        [*cached, *fresh], key=lambda r: (list(PROBLEMS).index(r.problem), order[r.method], r.seed)
    )
    summary = summarize(runs, names, args.budgets, args.reference_point)
    print_tables(summary, args.trials)
    print(f"\n{len(fresh)} runs in {elapsed:.0f} s")
    keys = ("seeds", "trials", "budgets", "reference_point", "jobs")
    config = {k: getattr(args, k) for k in keys}
    config |= {"problems": problems, "methods": names, "seconds": elapsed}
    return methods_mod.save_report(args.out, config, summary, runs, strict=True)


if __name__ == "__main__":
    main()
