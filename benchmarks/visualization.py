"""Plot time: every plot function of podbor and Optuna, plotly and matplotlib, on big studies.

The studies are built once per size, before anything is timed, with ``create_trial`` and
``add_trials`` and the SAME trials for both libraries: ``--sizes`` COMPLETE trials (default
1,000 and 10,000) over 10 parameters (seven floats, a log float ``lr``, an int ``n`` and a
categorical ``kind``), each with five intermediate values; and a 2-objective study of the
same parameters for the Pareto front and the hypervolume history (reference point: the worst
value of each objective plus 10% of its range). A plot's time is the median over ``--repeats``
calls of the plot function alone, after one untimed call on a 20-trial study (imports and
first-call caches): the figure object is built, a matplotlib figure is not rendered to pixels
and is closed after each call, outside the timing. A cell stops repeating
once it has spent ``--max-seconds``. Warnings are silenced.

Optuna 5.0 is an optional peer, timed in the same run on the same trials: without it the table
shows podbor alone (and says so). A plot that podbor does not have yet shows as ``missing``; one
that Optuna does not have (``plot_gp``, ``plot_sampler_decisions``) as ``—``; ``plot_gp`` (an
exact Gaussian process) is timed up to 2,000 trials only::

    benchmarks/.venv/bin/python benchmarks/visualization.py
    benchmarks/.venv/bin/python benchmarks/visualization.py --quick
    benchmarks/.venv/bin/python benchmarks/visualization.py --plots contour slice --backends plotly
    benchmarks/.venv/bin/python benchmarks/visualization.py --out v.json   # later, podbor only:
    benchmarks/.venv/bin/python benchmarks/visualization.py --reuse-optuna v.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

PLOTS = (
    "plot_optimization_history",
    "plot_intermediate_values",
    "plot_edf",
    "plot_parallel_coordinate",
    "plot_slice",
    "plot_contour",
    "plot_rank",
    "plot_param_importances",
    "plot_timeline",
    "plot_pareto_front",
    "plot_hypervolume_history",
    "plot_sampler_decisions",
    "plot_gp",
)
MULTI_OBJECTIVE = ("plot_pareto_front", "plot_hypervolume_history")
BACKENDS = ("plotly", "matplotlib")
N_STEPS = 5  # intermediate values per trial
WARM_UP_TRIALS = 20  # the study each plot function draws once, untimed, before it is timed
KINDS = ("svm", "tree", "knn", "linear")
SIZE_LIMITS = {"plot_gp": 2000}  # an exact GP on 10,000 trials takes far longer than a plot should


# -- the trials -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trials:
    """Library-neutral trials: parameters, one or two objective values, intermediate values."""

    params: list[dict[str, Any]]
    values: np.ndarray  # (n_trials, 2): the first column is the single objective
    intermediate: np.ndarray  # (n_trials, N_STEPS)


def make_trials(n_trials: int, seed: int = 0) -> Trials:
    rng = np.random.default_rng(seed)
    floats = rng.uniform(-5.0, 5.0, size=(n_trials, 7))
    lr = 10.0 ** rng.uniform(-5.0, -1.0, size=n_trials)
    n = rng.integers(1, 101, size=n_trials)
    kind = rng.integers(0, len(KINDS), size=n_trials)
    f = (
        (floats**2).sum(axis=1) / 7
        + (np.log10(lr) + 3) ** 2
        + n / 50
        + kind * 0.5
        + rng.normal(0, 0.1, n_trials)
    )
    g = (floats[:, 0] - 2) ** 2 + np.abs(np.log10(lr) + 2) + rng.normal(0, 0.1, n_trials)
    params = [
        {
            **{f"f{j}": float(floats[i, j]) for j in range(7)},
            "lr": float(lr[i]),
            "n": int(n[i]),
            "kind": KINDS[kind[i]],
        }
        for i in range(n_trials)
    ]
    steps = np.linspace(2.0, 0.0, N_STEPS)
    intermediate = f[:, None] + steps[None, :] * rng.uniform(0.5, 1.5, size=(n_trials, 1))
    return Trials(params, np.column_stack([f, g]), intermediate)


def build_study(lib: Any, trials: Trials, *, multi: bool) -> Any:
    """A study of ``lib`` (podbor or optuna) holding ``trials``, added with ``add_trials``."""
    d = lib.distributions
    dists = {f"f{j}": d.FloatDistribution(-5.0, 5.0) for j in range(7)}
    dists["lr"] = d.FloatDistribution(1e-5, 1e-1, log=True)
    dists["n"] = d.IntDistribution(1, 100)
    dists["kind"] = d.CategoricalDistribution(list(KINDS))
    directions = ["minimize", "minimize"] if multi else ["minimize"]
    study = lib.create_study(directions=directions, sampler=lib.samplers.RandomSampler(seed=0))
    frozen = []
    for i, params in enumerate(trials.params):
        kwargs: dict[str, Any] = {"params": params, "distributions": dists}
        if multi:
            kwargs["values"] = [float(v) for v in trials.values[i]]
        else:
            kwargs["value"] = float(trials.values[i, 0])
            kwargs["intermediate_values"] = {
                s: float(v) for s, v in enumerate(trials.intermediate[i])
            }
        frozen.append(lib.trial.create_trial(**kwargs))
    study.add_trials(frozen)
    return study


def reference_point(trials: Trials) -> list[float]:
    low, high = trials.values.min(axis=0), trials.values.max(axis=0)
    return [float(v) for v in high + 0.1 * (high - low)]


# -- timing ---------------------------------------------------------------------------------------
@dataclass
class Cell:
    plot: str
    backend: str
    n_trials: int
    podbor: float | None  # median seconds; None when missing
    optuna: float | None
    podbor_note: str = ""  # "missing", "error: ..." or ""
    optuna_note: str = ""


def find_plot(library: str, backend: str, plot: str) -> Callable[..., Any] | None:
    module = f"{library}.visualization" + (".matplotlib" if backend == "matplotlib" else "")
    try:
        return getattr(importlib.import_module(module), plot)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return None


def plot_arguments(plot: str, trials: Trials) -> dict[str, Any]:
    if plot == "plot_hypervolume_history":
        return {"reference_point": reference_point(trials)}
    if plot == "plot_gp":
        return {"param": "f0"}
    return {}


def time_call(
    call: Callable[[], Any], repeats: int, max_seconds: float, close: Callable[[], None]
) -> float:
    """Median seconds of ``call()`` over ``repeats`` calls (fewer once ``max_seconds`` is spent)."""
    times: list[float] = []
    spent = 0.0
    while len(times) < repeats and (not times or spent < max_seconds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        spent += times[-1]
        close()
    return statistics.median(times)


def measure(
    library: str,
    backend: str,
    plot: str,
    study: Any,
    kwargs: dict[str, Any],
    repeats: int,
    max_seconds: float,
    warm_up: Any = None,
) -> tuple[float | None, str]:
    """Median seconds of one plot function of one library and backend (or why there is none).

    ``warm_up`` is a small study plotted once, untimed, before the timed calls.
    """
    function = find_plot(library, backend, plot)
    if function is None:
        return None, "missing" if library == "podbor" else "—"
    close = _closer(backend)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if warm_up is not None:  # imports and first-call caches stay out of the timing
                function(warm_up, **kwargs)
                close()
            return time_call(lambda: function(study, **kwargs), repeats, max_seconds, close), ""
    except Exception as err:
        close()
        return None, f"error: {type(err).__name__}: {' '.join(str(err).split())[:120]}"


def _closer(backend: str) -> Callable[[], None]:
    if backend != "matplotlib":
        return lambda: None
    plt = importlib.import_module("matplotlib.pyplot")
    return lambda: plt.close("all")


# -- the table ------------------------------------------------------------------------------------
def _fmt(seconds: float | None, note: str) -> str:
    if seconds is None:
        return ":".join(note.split(":")[:2]) if note else "—"  # "error: MemoryError"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ratio(cell: Cell) -> str:
    if cell.podbor is None or cell.optuna is None or cell.optuna == 0:
        return "—"
    return f"{cell.podbor / cell.optuna:.3f}"


def table_rows(cells: Sequence[Cell]) -> list[list[str]]:
    return [
        [
            c.plot,
            c.backend,
            f"{c.n_trials:,}",
            _fmt(c.podbor, c.podbor_note),
            _fmt(c.optuna, c.optuna_note),
            _ratio(c),
        ]
        for c in cells
    ]


HEADER = ["plot", "backend", "n_trials", "podbor median", "Optuna median", "ratio podbor/Optuna"]


def print_table(cells: Sequence[Cell]) -> None:
    rows = table_rows(cells)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADER)]
    line = "  ".join(h.ljust(w) for h, w in zip(HEADER, widths))
    print(f"\n{line}\n{'-' * len(line)}")
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    errors = [c for c in cells if "error" in c.podbor_note + c.optuna_note]
    for c in errors:
        for lib, note in (("podbor", c.podbor_note), ("Optuna", c.optuna_note)):
            if note.startswith("error"):
                print(f"  {lib} {c.plot} ({c.backend}, {c.n_trials}): {note}")


def markdown(cells: Sequence[Cell], config: dict[str, Any]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join("---" for _ in HEADER) + "|",
        *("| " + " | ".join(r) + " |" for r in table_rows(cells)),
    ]
    return f"Configuration: `{json.dumps(config)}`\n\n" + "\n".join(lines) + "\n"


# -- main -----------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=5, help="calls per cell (median)")
    parser.add_argument(
        "--max-seconds", type=float, default=20.0, help="stop repeating a cell after this long"
    )
    parser.add_argument("--plots", nargs="+", default=None, help=f"default: all of {PLOTS}")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--no-optuna", action="store_true", help="time podbor alone")
    parser.add_argument("--out", type=Path, default=None, help="write the cells as JSON")
    parser.add_argument(
        "--reuse-optuna",
        type=Path,
        default=None,
        metavar="FILE",
        help="take Optuna's times from an earlier --out file instead of timing Optuna again",
    )
    parser.add_argument("--markdown", type=Path, default=None, help="write the table as markdown")
    parser.add_argument(
        "--memory-gb",
        type=float,
        default=8.0,
        help="address-space limit of this process: a plot that needs more fails with "
        "MemoryError instead of exhausting the machine (Optuna's contour on 10,000 trials "
        "allocates 10,000 x 10,000 matrices); 0 for none",
    )
    parser.add_argument("--quick", action="store_true", help="1,000 trials only, 2 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats = [1000], 2
    plots = args.plots or list(PLOTS)
    unknown = [p for p in plots if p not in PLOTS and f"plot_{p}" not in PLOTS]
    if unknown:
        parser.error(f"unknown plots {unknown}; choose among {', '.join(PLOTS)}")
    args.plots = [p if p in PLOTS else f"plot_{p}" for p in plots]
    return args


def load_optuna(skip: bool) -> Any | None:
    if skip:
        return None
    try:
        import optuna
    except ImportError:
        print("Optuna is not installed: timing podbor alone.", file=sys.stderr)
        return None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna


def build_studies(libraries: dict[str, Any], n_trials: int, seed: int) -> dict[Any, Any]:
    """(library, multi-objective?) → a study of ``n_trials`` identical trials."""
    trials = make_trials(n_trials, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            (name, multi): build_study(lib, trials, multi=multi)
            for name, lib in libraries.items()
            for multi in (False, True)
        }


def load_reused(path: Path | None) -> dict[tuple[str, str, int], tuple[float | None, str]]:
    """Optuna's cells of an earlier ``--out`` file: (plot, backend, n_trials) → (median, note)."""
    if path is None:
        return {}
    cells = json.loads(path.read_text())["cells"]
    return {
        (c["plot"], c["backend"], c["n_trials"]): (c["optuna"], c["optuna_note"]) for c in cells
    }


def limit_memory(gigabytes: float) -> None:
    """Cap this process's address space (POSIX only; elsewhere, or with 0, no cap)."""
    try:
        import resource
    except ImportError:
        return
    if gigabytes > 0:
        cap = int(gigabytes * 2**30)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))


def save(args: argparse.Namespace, config: dict[str, Any], cells: Sequence[Cell]) -> None:
    """Write ``--out`` (JSON) and ``--markdown``; called after every cell, so a crash loses none."""
    if args.out:
        report = {"config": config, "cells": [asdict(c) for c in cells]}
        args.out.write_text(json.dumps(report, indent=1))
    if args.markdown:
        args.markdown.write_text(markdown(cells, config))


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    limit_memory(args.memory_gb)
    import matplotlib

    matplotlib.use("Agg")
    import podbor

    podbor.logging.set_verbosity(podbor.logging.ERROR)
    reused = load_reused(args.reuse_optuna)
    optuna = load_optuna(args.no_optuna or bool(reused))
    libraries = {"podbor": podbor, **({"optuna": optuna} if optuna is not None else {})}
    config = {
        "sizes": args.sizes,
        "repeats": args.repeats,
        "max_seconds": args.max_seconds,
        "memory_gb": args.memory_gb,
        "optuna": getattr(optuna, "__version__", None),
        "optuna_reused_from": str(args.reuse_optuna) if reused else None,
        "podbor": podbor.__version__,
    }
    cells: list[Cell] = []
    for n_trials in args.sizes:
        studies = build_studies(libraries, n_trials, seed=0)
        smalls = build_studies(libraries, WARM_UP_TRIALS, seed=1)
        trials = make_trials(n_trials)
        for plot in args.plots:
            kwargs = plot_arguments(plot, trials)
            multi = plot in MULTI_OBJECTIVE
            for backend in args.backends:
                if n_trials > SIZE_LIMITS.get(plot, n_trials):
                    note = f"skipped (over {SIZE_LIMITS[plot]:,} trials)"
                    cells.append(Cell(plot, backend, n_trials, None, None, note, "—"))
                    save(args, config, cells)
                    continue
                timed = {"optuna": reused.get((plot, backend, n_trials), (None, "not run"))}
                for name in libraries:
                    timed[name] = measure(
                        name,
                        backend,
                        plot,
                        studies[(name, multi)],
                        kwargs,
                        args.repeats,
                        args.max_seconds,
                        warm_up=smalls[(name, multi)],
                    )
                (ours, our_note), (theirs, their_note) = timed["podbor"], timed["optuna"]
                cell = Cell(plot, backend, n_trials, ours, theirs, our_note, their_note)
                cells.append(cell)
                save(args, config, cells)
                print(
                    f"  {plot} {backend} {n_trials}: podbor {_fmt(cell.podbor, cell.podbor_note)}"
                    f", Optuna {_fmt(cell.optuna, cell.optuna_note)}",
                    file=sys.stderr,
                    flush=True,
                )
    if optuna is None and not reused:
        print("\n(Optuna not timed: podbor alone.)")
    print_table(cells)
    report = [asdict(c) for c in cells]
    return report


if __name__ == "__main__":
    main()
