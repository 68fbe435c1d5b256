"""The optimization methods the benchmarks compare: a registry of name → :class:`Method`.

podbor's samplers are always there (TPE and GP once ``podbor.samplers`` exports them); the peers
(Optuna, Hyperopt) only when they are installed in the environment that runs the benchmark. They
are never dependencies of podbor: see ``benchmarks/README.md`` for the separate environment.

Every method runs a problem through one loop, :func:`run`, which returns each trial's objective
value (and, if asked, the seconds each trial took): ``ask`` → objective → ``tell`` for podbor and
Optuna, ``fmin`` with the problem's declared space translated to ``hp.*`` expressions for
Hyperopt. ``kind`` pairs a podbor method with its peers (the same algorithm) in the tables.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from problems import Branch, Categorical, Float, Int, Spec, ValuesTrial


@dataclass(frozen=True)
class Method:
    """One optimization method.

    Attributes:
        name: Id on the command line and in the tables, e.g. ``"podbor-tpe-mv"``.
        library: ``"podbor"``, ``"optuna"`` or ``"hyperopt"``.
        kind: The algorithm (``"random"``, ``"qmc"``, ``"tpe"``, ``"tpe-mv"``, ``"tpe-mv-group"``,
            ``"gp"``); a podbor method and the peers of the same kind are compared side by side.
        make_sampler: ``seed → sampler`` for podbor and Optuna; None for Hyperopt.
    """

    name: str
    library: str
    kind: str
    make_sampler: Callable[[int], Any] | None = None


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _podbor_methods() -> list[Method]:
    import podbor.samplers as s

    methods = [
        Method("podbor-random", "podbor", "random", lambda seed: s.RandomSampler(seed=seed)),
        Method(
            "podbor-qmc",
            "podbor",
            "qmc",
            lambda seed: s.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False),
        ),
    ]
    tpe = getattr(s, "TPESampler", None)
    if tpe is not None:
        methods += [
            Method(  # the default is multivariate + grouped: ask for the other modes explicitly
                "podbor-tpe", "podbor", "tpe", lambda seed: tpe(seed=seed, multivariate=False)
            ),
            Method(
                "podbor-tpe-mv",
                "podbor",
                "tpe-mv",
                lambda seed: tpe(seed=seed, multivariate=True, group=False),
            ),
            Method(
                "podbor-tpe-mv-group",
                "podbor",
                "tpe-mv-group",
                lambda seed: tpe(seed=seed, multivariate=True, group=True),
            ),
            Method(  # TPESampler's default with the default sampler's cap on kernels
                "podbor-tpe-capped",
                "podbor",
                "tpe-capped",
                lambda seed: tpe(seed=seed, multivariate=True, group=True, max_kernels=1000),
            ),
        ]
    gp = getattr(s, "GPSampler", None)
    if gp is not None:
        methods.append(Method("podbor-gp", "podbor", "gp", lambda seed: gp(seed=seed)))
    auto = getattr(s, "AutoSampler", None)
    if auto is not None:
        # The default sampler exactly as create_study() builds it ("podbor-auto"; before the
        # reproducible cost rule of issue 24 this name had the cost rule off and the default
        # was "podbor-auto-cost"), and the same with the cost rule off.
        methods += [
            Method("podbor-auto", "podbor", "auto", lambda seed: auto(seed=seed)),
            Method(
                "podbor-auto-nocost",
                "podbor",
                "auto-nocost",
                lambda seed: auto(seed=seed, max_overhead_fraction=None),
            ),
            Method(  # the default with TPE's kernels uncapped (what does the cap cost?)
                "podbor-auto-uncapped",
                "podbor",
                "auto-uncapped",
                lambda seed: auto(seed=seed, max_tpe_kernels=None),
            ),
            Method(  # the default with TPE above 12 parameters (is the GP worth it at 13-20?)
                "podbor-auto-gp12",
                "podbor",
                "auto-gp12",
                lambda seed: auto(seed=seed, max_gp_params=12),
            ),
        ]
    cma = getattr(s, "CmaEsSampler", None)
    if cma is not None and _installed("cmaes"):
        methods.append(
            Method(
                "podbor-cmaes",
                "podbor",
                "cmaes",
                lambda seed: cma(seed=seed, warn_independent_sampling=False),
            )
        )
    return methods


def _optuna_methods() -> list[Method]:
    if not _installed("optuna"):
        return []
    import optuna.samplers as s

    methods = [
        Method("optuna-random", "optuna", "random", lambda seed: s.RandomSampler(seed=seed)),
        Method(
            "optuna-qmc",
            "optuna",
            "qmc",
            lambda seed: s.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False),
        ),
        Method(  # Optuna 5's TPESampler is multivariate unless told otherwise
            "optuna-tpe", "optuna", "tpe", lambda seed: s.TPESampler(seed=seed, multivariate=False)
        ),
        Method(
            "optuna-tpe-mv",
            "optuna",
            "tpe-mv",
            lambda seed: s.TPESampler(seed=seed, multivariate=True),
        ),
        Method(
            "optuna-tpe-mv-group",
            "optuna",
            "tpe-mv-group",
            lambda seed: s.TPESampler(seed=seed, multivariate=True, group=True),
        ),
        Method(  # for parallel workers (benchmarks/parallel.py)
            "optuna-tpe-mv-liar",
            "optuna",
            "tpe-mv-liar",
            lambda seed: s.TPESampler(seed=seed, multivariate=True, constant_liar=True),
        ),
    ]
    if _installed("cmaes"):
        methods.append(
            Method(
                "optuna-cmaes",
                "optuna",
                "cmaes",
                lambda seed: s.CmaEsSampler(seed=seed, warn_independent_sampling=False),
            )
        )
    if _installed("torch"):  # Optuna's GPSampler is built on PyTorch
        methods.append(Method("optuna-gp", "optuna", "gp", lambda seed: s.GPSampler(seed=seed)))
    return methods


def _hyperopt_methods() -> list[Method]:
    if not _installed("hyperopt"):
        return []
    return [Method("hyperopt-tpe", "hyperopt", "tpe")]


def _skopt_methods() -> list[Method]:
    if not _installed("skopt"):
        return []
    return [Method("skopt-gp", "skopt", "gp")]


def registry() -> dict[str, Method]:
    """Every method runnable in this environment, by name."""
    found = (*_podbor_methods(), *_optuna_methods(), *_hyperopt_methods(), *_skopt_methods())
    return {m.name: m for m in found}


def select(names: Sequence[str] | None, *, exclude_kinds: Sequence[str] = ()) -> list[Method]:
    """Methods by name (None: all available but ``exclude_kinds``); unknown names are an error,
    names of peers that are not installed are skipped with a note."""
    available = registry()
    if not names:
        return [m for m in available.values() if m.kind not in exclude_kinds]
    chosen = []
    for name in names:
        if name in available:
            chosen.append(available[name])
        elif name.split("-", 1)[0] in ("podbor", "optuna", "hyperopt", "skopt"):
            print(f"(skipping {name}: not available in this environment)")
        else:
            raise SystemExit(f"unknown method {name!r}; available: {', '.join(available)}")
    return chosen


def one_thread_per_process() -> None:
    """Give the processes started from now on one BLAS/OpenMP thread each (unless set already).

    The benchmarks spread runs over the CPUs; threads inside each run would only compete (a kNN
    trial on 2 cores ran 10x slower with 2 runs of 2 threads each)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def quiet() -> None:
    """Silence the libraries' per-trial logs (warnings are silenced by :func:`run`)."""
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    import podbor

    podbor.logging.set_verbosity(podbor.logging.ERROR)
    if _installed("optuna"):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)


def save_report(
    path: Path | None,
    config: dict[str, Any],
    summary: Any,
    runs: Sequence[Any],
    *,
    strict: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The report every script returns and, with ``--out PATH``, writes as JSON: its
    ``config``, ``extra`` entries, ``summary`` and ``runs`` (dataclasses). ``strict``: infinite
    and NaN floats become ``null`` (strict JSON) instead of ``Infinity``/``NaN``."""
    report = {"config": config, **extra, "summary": summary, "runs": [asdict(r) for r in runs]}
    if path is not None:
        path.write_text(json.dumps(_finite(report) if strict else report, indent=1))
    return report


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """One JSON line, in one ``write`` to a file opened for appending (workers share it)."""
    line = (json.dumps(record) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def _finite(obj: Any) -> Any:
    """``obj`` with every infinite or NaN float as None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def run_all(function: Callable[[Any], Any], tasks: Sequence[Any], jobs: int) -> list[Any]:
    """``function`` over ``tasks`` in ``jobs`` spawned processes (inline with one job), in the
    order they end, with a progress line on stderr every tenth."""
    import multiprocessing
    import sys

    done: list[Any] = []
    with contextlib.ExitStack() as stack:
        if jobs <= 1:
            results: Any = map(function, tasks)
        else:
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(jobs))
            results = pool.imap_unordered(function, tasks, chunksize=1)
        for result in results:
            done.append(result)
            if len(done) % max(1, len(tasks) // 10) == 0:
                print(f"  {len(done)}/{len(tasks)} runs done", file=sys.stderr, flush=True)
    return done


# -- running a study ------------------------------------------------------------------------------
@dataclass
class RunResult:
    """What one study left: each trial's value (NaN if it failed), its seconds (sampler +
    objective) and the objective's share of them."""

    values: list[float]
    seconds: list[float]
    objective_seconds: list[float] = field(default_factory=list)
    study: Any = None  # podbor and Optuna: the study itself, for measures that need it


Extend = Callable[[RunResult], bool]
"""``result → True`` to run one more trial after the first ``n_trials`` (see :func:`run`)."""


class _Timed:
    """The objective, timed: the seconds of each call go to ``seconds``."""

    def __init__(self, objective: Callable[[Any], float]) -> None:
        self.objective = objective
        self.seconds: list[float] = []

    def __call__(self, trial: Any) -> float:
        start = time.perf_counter()
        try:
            return self.objective(trial)
        finally:
            self.seconds.append(time.perf_counter() - start)


def run(
    method: Method,
    objective: Callable[[Any], float],
    space: Sequence[Spec],
    *,
    direction: str,
    seed: int,
    n_trials: int,
    time_limit: float | None = None,
    extend: Extend | None = None,
    max_trials: int | None = None,
) -> RunResult:
    """Run ``n_trials`` trials of ``objective`` (stopping early after ``time_limit`` seconds),
    then more while ``extend(result so far)`` is true, up to ``max_trials`` in all.

    Warnings (experimental features, independent sampling, convergence) are silenced.
    """
    timed = _Timed(objective)
    limit = n_trials if extend is None else max(n_trials, max_trials or n_trials)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method.library == "hyperopt":
            result = _run_hyperopt(
                timed, space, direction, seed, n_trials, limit, time_limit, extend
            )
        elif method.library == "skopt":
            result = _run_skopt(timed, space, direction, seed, n_trials, limit, time_limit, extend)
        else:
            result = _run_study(method, timed, direction, seed, n_trials, limit, time_limit, extend)
    result.objective_seconds = timed.seconds[: len(result.values)]
    return result


def _more(result: RunResult, n_trials: int, limit: int, extend: Extend | None, stop: bool) -> bool:
    """Whether to run another trial."""
    n = len(result.values)
    if stop or n >= limit:
        return False
    return n < n_trials or (extend is not None and extend(result))


def _run_study(
    method: Method,
    objective: Callable[[Any], float],
    direction: str,
    seed: int,
    n_trials: int,
    limit: int,
    time_limit: float | None,
    extend: Extend | None,
) -> RunResult:
    lib = __import__(method.library)
    assert method.make_sampler is not None
    study = lib.create_study(sampler=method.make_sampler(seed), direction=direction)
    result = RunResult([], [], study=study)
    values, seconds = result.values, result.seconds
    start = time.perf_counter()
    stop = False
    while _more(result, n_trials, limit, extend, stop):
        t0 = time.perf_counter()
        trial = study.ask()
        try:
            value = float(objective(trial))
        except Exception:  # a failed trial is told as such and scores nothing
            study.tell(trial, state=lib.trial.TrialState.FAIL)
            value = math.nan
        else:
            study.tell(trial, value)
        t1 = time.perf_counter()
        values.append(value)
        seconds.append(t1 - t0)
        stop = time_limit is not None and t1 - start > time_limit
    return result


def hyperopt_space(space: Sequence[Spec]) -> dict[str, Any]:
    """Translate a declared space into Hyperopt's ``hp`` expressions (a dict of name → expression)."""
    from hyperopt import hp

    out: dict[str, Any] = {}
    for spec in space:
        if isinstance(spec, Branch):
            out[spec.name] = hp.choice(
                spec.name,
                [{spec.name: choice, **hyperopt_space(sub)} for choice, sub in spec.options],
            )
        elif isinstance(spec, Categorical):
            out[spec.name] = hp.choice(spec.name, list(spec.choices))
        elif isinstance(spec, Int):
            out[spec.name] = _hyperopt_int(spec)
        else:
            out[spec.name] = _hyperopt_float(spec)
    return out


def _hyperopt_float(spec: Float) -> Any:
    from hyperopt import hp

    if spec.log:
        return hp.loguniform(spec.name, math.log(spec.low), math.log(spec.high))
    if spec.step is not None:
        return spec.low + hp.quniform(spec.name, 0.0, spec.high - spec.low, spec.step)
    return hp.uniform(spec.name, spec.low, spec.high)


def _hyperopt_int(spec: Int) -> Any:
    from hyperopt import hp

    if spec.log:
        return hp.qloguniform(spec.name, math.log(spec.low), math.log(spec.high), 1)
    if spec.step != 1:
        return spec.low + spec.step * hp.uniformint(
            spec.name, 0, (spec.high - spec.low) // spec.step
        )
    return hp.uniformint(spec.name, spec.low, spec.high)


def _flatten(sample: dict[str, Any]) -> dict[str, Any]:
    """Hyperopt's evaluated space (branches nest dicts) → a flat name → value dict."""
    flat: dict[str, Any] = {}
    for name, value in sample.items():
        if isinstance(value, dict):
            flat.update(_flatten(value))
        else:
            flat[name] = value
    return flat


def _run_hyperopt(
    objective: Callable[[Any], float],
    space: Sequence[Spec],
    direction: str,
    seed: int,
    n_trials: int,
    limit: int,
    time_limit: float | None,
    extend: Extend | None,
) -> RunResult:
    from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, tpe

    sign = 1.0 if direction == "minimize" else -1.0
    values: list[float] = []
    stamps: list[float] = []

    def loss(sample: dict[str, Any]) -> dict[str, Any]:
        stamps.append(time.perf_counter())  # the gap between calls is Hyperopt's own time
        try:
            value = float(objective(ValuesTrial(_flatten(sample), space)))
        except Exception:
            values.append(math.nan)
            return {"status": STATUS_FAIL}
        values.append(value)
        return {"loss": sign * value, "status": STATUS_OK}

    start = time.perf_counter()
    trials, rng = Trials(), np.random.default_rng(seed)
    result = RunResult(values, [])
    target = n_trials
    while True:  # fmin resumes from `trials`; ten more evaluations per call once extending
        fmin(
            loss,
            hyperopt_space(space),
            algo=tpe.suggest,
            max_evals=target,
            trials=trials,
            rstate=rng,
            show_progressbar=False,
            timeout=None if time_limit is None else math.ceil(time_limit),
        )
        # a trial's time: from the previous objective call to this one (Hyperopt's proposal,
        # its bookkeeping, and the previous objective: the same span as ask + objective + tell)
        result.seconds = [b - a for a, b in zip([start, *stamps[:-1]], stamps)]
        if len(values) < target or not _more(result, n_trials, limit, extend, False):
            return result
        target = min(len(values) + 10, limit)


# -- scikit-optimize ------------------------------------------------------------------------------
def _skopt_dimensions(space: Sequence[Spec]) -> list[tuple[str, Any]]:
    """(name, skopt dimension) for every declared parameter, the branches' ones flattened (skopt
    has no conditional spaces: a user gives it every parameter, and the objective reads the
    active ones). A stepped float becomes an integer index of its grid."""
    from problems import all_specs
    from skopt.space import Categorical as SkCategorical
    from skopt.space import Integer as SkInteger
    from skopt.space import Real as SkReal

    dims: list[tuple[str, Any]] = []
    for name, spec in all_specs(space).items():
        if isinstance(spec, Branch):
            dims.append((name, SkCategorical([c for c, _ in spec.options], name=name)))
        elif isinstance(spec, Categorical):
            dims.append((name, SkCategorical(list(spec.choices), name=name)))
        elif isinstance(spec, Float) and spec.step is not None:
            n = round((spec.high - spec.low) / spec.step)
            dims.append((name, SkInteger(0, n, name=name)))
        elif isinstance(spec, Float):
            prior = "log-uniform" if spec.log else "uniform"
            dims.append((name, SkReal(spec.low, spec.high, prior=prior, name=name)))
        else:
            prior = "log-uniform" if spec.log else "uniform"
            dims.append((name, SkInteger(spec.low, spec.high, prior=prior, name=name)))
    return dims


def _run_skopt(
    objective: Callable[[Any], float],
    space: Sequence[Spec],
    direction: str,
    seed: int,
    n_trials: int,
    limit: int,
    time_limit: float | None,
    extend: Extend | None,
) -> RunResult:
    """``skopt.Optimizer`` with its defaults (GP, ``gp_hedge``, 10 initial points), ask/tell."""
    from problems import all_specs
    from skopt import Optimizer

    sign = 1.0 if direction == "minimize" else -1.0
    dims = _skopt_dimensions(space)
    specs = all_specs(space)
    optimizer = Optimizer([d for _, d in dims], random_state=seed)
    result = RunResult([], [])
    start = time.perf_counter()
    stop = False
    while _more(result, n_trials, limit, extend, stop):
        t0 = time.perf_counter()
        x = optimizer.ask()
        values: dict[str, Any] = {}
        for (name, _), v in zip(dims, x):
            spec = specs[name]
            if isinstance(spec, Float) and spec.step is not None:
                v = spec.low + spec.step * int(v)
            values[name] = v.item() if isinstance(v, np.generic) else v
        try:
            value = float(objective(ValuesTrial(values, space)))
        except Exception:
            value = math.nan
        # a failed trial is told as the worst value seen so far (skopt has no failed state)
        seen = [sign * v for v in result.values if not math.isnan(v)]
        told = sign * value if not math.isnan(value) else (max(seen) if seen else 0.0)
        optimizer.tell(x, told)
        t1 = time.perf_counter()
        result.values.append(value)
        result.seconds.append(t1 - t0)
        stop = time_limit is not None and t1 - start > time_limit
    return result
