"""Dashboard speed: podbor's dashboard against optuna-dashboard on the same study.

For each study size (10^3, 10^4, 10^5 trials), backend (SQLite, PostgreSQL) and dashboard it
starts the server as a subprocess on a free port, opens the study page in a headless Chromium
and prints:

* **first plot**: seconds from navigating to the study page until the first plot with drawn
  points is in the page (podbor: ``#plots .plot[data-state=drawn]``; optuna-dashboard: a
  ``.js-plotly-plot`` whose traces hold points), measured by the page's own clock
  (``performance.now()``); the median of ``--repeats`` fresh loads, and the first load after the
  server started, with an empty browser cache ("cold"), apart;
* **ratio**: podbor's median over optuna-dashboard's (below 1: podbor is faster);
* **API p50 / p95**: response time of each JSON endpoint the page calls, over ``--requests``
  requests after a warm-up (the main table shows the study endpoint; ``--out`` has them all);
* **RSS**: the server's resident memory after the page loads and the API timings.

The study (one objective, five parameters incl. a log float, an int and a categorical, ~17 %
PRUNED trials with intermediate values, ~3 % FAIL) is generated once per size and cached under
``benchmarks/.cache/dashboard/``; optuna-dashboard opens an Optuna-format copy made by
``podbor copy-study --to-format optuna`` (see ``_dashboard_studies.py``). PostgreSQL needs
``--postgres-url`` (or ``PODBOR_BENCH_POSTGRES_URL``, or a server started by
``scripts/postgres.sh start``; when none is running this script starts one and stops it).

Usage (optuna-dashboard lives in the benchmark environment, never in podbor's dependencies)::

    benchmarks/.venv/bin/pip install optuna-dashboard==0.21.0 selenium psutil 'psycopg[binary]'
    benchmarks/.venv/bin/python benchmarks/dashboard.py                # all sizes and backends
    benchmarks/.venv/bin/python benchmarks/dashboard.py --sizes 1000 10000 --backends sqlite
    benchmarks/.venv/bin/python benchmarks/dashboard.py --quick        # 10^3 trials, SQLite
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import _dashboard_measure as measure  # siblings: the script's folder is on sys.path
import _dashboard_studies as studies

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ("podbor", "optuna-dashboard")
BACKENDS = ("sqlite", "postgresql")


@dataclass
class Cell:
    """One dashboard on one study."""

    dashboard: str
    n_trials: int
    backend: str
    first_plot_median: float | None = None
    first_plot_cold: float | None = None
    first_plot_warm: list[float] = field(default_factory=list)
    plot: str = ""
    api: dict[str, dict[str, Any]] = field(default_factory=dict)
    rss_mb: float | None = None
    error: str = ""


def _podbor_command(arg: str | None) -> str:
    if arg:
        return arg
    main_env = ROOT / ".venv" / "bin" / "podbor"
    return str(main_env if main_env.exists() else Path(sys.executable).with_name("podbor"))


def _server_command(dashboard: str, url: str, port: int, podbor_cmd: str) -> list[str]:
    if dashboard == "podbor":
        return [podbor_cmd, "dashboard", "--storage", url, "--port", str(port)]
    exe = str(Path(sys.executable).with_name("optuna-dashboard"))
    return [exe, url, "--port", str(port), "--host", "127.0.0.1"]


def _study_id(dashboard: str, server: measure.Server) -> int:
    _, body = server.get("/api/studies")
    key = "name" if dashboard == "podbor" else "study_name"
    for study in body["studies" if dashboard == "podbor" else "study_summaries"]:
        if study[key] == studies.STUDY_NAME:
            return int(study["study_id"])
    raise RuntimeError(f"{dashboard}: study {studies.STUDY_NAME!r} not listed")


def _api_paths(dashboard: str, server: measure.Server, sid: int, n_trials: int) -> dict[str, str]:
    """The endpoints each page calls to show a study, by a name shared across dashboards."""
    if dashboard == "podbor":
        _, detail = server.get(f"/api/studies/{sid}")
        return {
            "studies": "/api/studies",
            "study": f"/api/studies/{sid}",
            "plot": f"/api/studies/{sid}/plots/history",
            "trials": f"/api/studies/{sid}/trials?sort=params.lr&limit=50",
            "poll": f"/api/studies/{sid}/changes?cursor={detail['cursor']}",
        }
    return {
        "studies": "/api/studies",
        "study": f"/api/studies/{sid}?after=0",
        "importances": f"/api/studies/{sid}/param_importances",
        "poll": f"/api/studies/{sid}?after={n_trials}",
    }


def _page_url(dashboard: str, port: int, sid: int) -> str:
    if dashboard == "podbor":
        return f"http://127.0.0.1:{port}/#/studies/{sid}"
    return f"http://127.0.0.1:{port}/dashboard/studies/{sid}"


def run_cell(
    dashboard: str, url: str, n_trials: int, backend: str, args: argparse.Namespace, logs: Path
) -> Cell:
    """Start the dashboard on ``url``, time its page and its API, read its memory."""
    cell = Cell(dashboard, n_trials, backend)
    port = measure.free_port()
    command = _server_command(dashboard, url, port, _podbor_command(args.podbor_cmd))
    log = logs / f"{dashboard}-{backend}-{n_trials}.log"
    try:
        with measure.Server(command, port, log) as server:
            sid = _study_id(dashboard, server)
            driver = measure.browser(args.timeout)
            try:
                page_url = _page_url(dashboard, port, sid)
                times = measure.time_first_plot(
                    driver,
                    dashboard,
                    page_url,
                    args.repeats,
                    args.timeout,
                    args.page_budget,
                    settle=server.wait_idle,
                )
            finally:
                measure.close_browser(driver)
            cell.first_plot_cold, cell.first_plot_warm = times.cold, times.warm
            cell.first_plot_median, cell.plot, cell.error = times.median, times.plot, times.error
            cell.rss_mb = server.rss_mb()
            paths = _api_paths(dashboard, server, sid, n_trials)
            for lat in measure.time_api(server, paths, args.requests, args.api_budget):
                cell.api[lat.endpoint] = {
                    "path": lat.path,
                    "p50": lat.p50,
                    "p95": lat.p95,
                    "n": len(lat.samples),
                }
            cell.rss_mb = max(cell.rss_mb, server.rss_mb())
    except Exception as exc:  # a dashboard that fails is reported, the others still run
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        cell.error = cell.error or f"{type(exc).__name__}: {first_line}"[:300]
    return cell


def _postgres_base(arg: str | None) -> tuple[str, bool]:
    """A PostgreSQL server URL, and whether this script started it (and must stop it)."""
    if arg:
        return arg, False
    if os.environ.get("PODBOR_BENCH_POSTGRES_URL"):
        return os.environ["PODBOR_BENCH_POSTGRES_URL"], False
    state = ROOT / ".pg" / "url"
    if state.exists():
        return state.read_text().strip(), False
    out = subprocess.run(
        [str(ROOT / "scripts" / "postgres.sh"), "start"], check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1], True


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def _fmt_ms(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.1f}" if x < 0.1 else f"{x * 1000:.0f}"


def _api_cell(cell: Cell | None, endpoint: str) -> str:
    if cell is None or endpoint not in cell.api:
        return "—"
    a = cell.api[endpoint]
    return f"{_fmt_ms(a['p50'])} / {_fmt_ms(a['p95'])}"


def _plot_cell(cell: Cell | None) -> str:
    if cell is None:
        return "—"
    if cell.first_plot_median is None:
        return f"error: {cell.error}" if cell.error else "—"
    return f"{_fmt_s(cell.first_plot_median)} ({_fmt_s(cell.first_plot_cold)})"


def format_tables(cells: list[Cell]) -> str:
    """The summary table (one row per size and backend) and the per-endpoint latency table."""
    by = {(c.n_trials, c.backend, c.dashboard): c for c in cells}
    keys = sorted(
        {(c.n_trials, c.backend) for c in cells}, key=lambda k: (k[0], BACKENDS.index(k[1]))
    )
    lines = [
        "Time to first plot: median of warm loads (cold first load); API: the study endpoint's "
        "p50 / p95 in ms; RSS: server memory after the page loaded.",
        "",
        "| trials | backend | podbor first plot | optuna-dashboard first plot | ratio | "
        "podbor API p50/p95 | optuna-dashboard API p50/p95 | podbor RSS | optuna-dashboard RSS |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, backend in keys:
        p, o = by.get((n, backend, "podbor")), by.get((n, backend, "optuna-dashboard"))
        ratio = "—"
        if p and o and p.first_plot_median and o.first_plot_median:
            ratio = f"{p.first_plot_median / o.first_plot_median:.2f}"
        rss = [f"{c.rss_mb:.0f} MiB" if c and c.rss_mb else "—" for c in (p, o)]
        lines.append(
            f"| {n:,} | {backend} | {_plot_cell(p)} | {_plot_cell(o)} | {ratio} | "
            f"{_api_cell(p, 'study')} | {_api_cell(o, 'study')} | {rss[0]} | {rss[1]} |"
        )
    lines += ["", "API response time per endpoint, p50 / p95 in ms (requests):", ""]
    lines += [
        "| trials | backend | dashboard | endpoint | path | p50 / p95 |",
        "|---:|---|---|---|---|---:|",
    ]
    for n, backend in keys:
        for dash in DASHBOARDS:
            cell = by.get((n, backend, dash))
            for endpoint, a in (cell.api if cell else {}).items():
                lines.append(
                    f"| {n:,} | {backend} | {dash} | {endpoint} | `{a['path']}` | "
                    f"{_fmt_ms(a['p50'])} / {_fmt_ms(a['p95'])} ({a['n']}) |"
                )
    lines += ["", *targets(cells)]
    errors = [c for c in cells if c.error]
    for c in errors:
        lines.append(f"error: {c.dashboard} {c.backend} {c.n_trials:,}: {c.error}")
    return "\n".join(lines)


def targets(cells: list[Cell]) -> list[str]:
    """Whether podbor meets issue 20's targets in the cells measured."""
    by = {(c.n_trials, c.backend, c.dashboard): c for c in cells}
    out = []
    for (n, backend, dash), c in sorted(by.items()):
        if dash != "podbor":
            continue
        if n == 10_000:
            peer = by.get((n, backend, "optuna-dashboard"))
            if c.first_plot_median and peer and peer.first_plot_median:
                ratio = c.first_plot_median / peer.first_plot_median
                verdict = "met" if ratio <= 0.5 else "NOT met"
                out.append(
                    f"target 10,000 {backend}: first plot <= 1/2 of optuna-dashboard's: "
                    f"{ratio:.2f} -> {verdict}"
                )
            else:
                out.append(f"target 10,000 {backend}: not measured")
        if n == 100_000:
            if c.first_plot_median is not None:
                verdict = "met" if c.first_plot_median < 2.0 else "NOT met"
                out.append(
                    f"target 100,000 {backend}: first plot < 2 s: "
                    f"{_fmt_s(c.first_plot_median)} (cold {_fmt_s(c.first_plot_cold)}) -> {verdict}"
                )
            else:
                out.append(f"target 100,000 {backend}: not measured")
    return out


def _run_study(
    n: int, backend: str, pg_url: str, args: argparse.Namespace, logs: Path
) -> list[Cell]:
    """Every dashboard on the ``n``-trial study of ``backend`` (the peer first)."""
    print(f"{n:,} trials on {backend}:", flush=True)
    try:
        loc = (
            studies.sqlite_study(n, args.cache)
            if backend == "sqlite"
            else studies.postgres_study(n, pg_url, args.cache)
        )
    except Exception as exc:  # e.g. the database server went away: the other studies still run
        print(f"  no study: {type(exc).__name__}: {exc}", flush=True)
        return [
            Cell(d, n, backend, error=f"no study: {type(exc).__name__}") for d in args.dashboards
        ]
    cells = []
    try:
        for dash in reversed(args.dashboards):
            url = loc.podbor_url if dash == "podbor" else loc.optuna_url
            start = time.perf_counter()
            cell = run_cell(dash, url, n, backend, args, logs)
            took = time.perf_counter() - start
            print(f"  {dash}: first plot {_plot_cell(cell)}, {took:.0f} s", flush=True)
            cells.append(cell)
    finally:
        loc.cleanup()
    return cells


def _write(args: argparse.Namespace, cells: list[Cell]) -> None:
    if args.out:
        config = vars(args) | {"out": str(args.out), "cache": str(args.cache)}
        report = {"config": config, "cells": [asdict(c) for c in cells]}
        args.out.write_text(json.dumps(report, indent=1, default=str))


def main(argv: list[str] | None = None) -> list[Cell]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--dashboards", nargs="+", choices=DASHBOARDS, default=list(DASHBOARDS))
    parser.add_argument("--repeats", type=int, default=5, help="warm page loads (default: 5)")
    parser.add_argument("--requests", type=int, default=20, help="requests per endpoint (20)")
    parser.add_argument(
        "--api-budget",
        type=float,
        default=30.0,
        help="seconds per endpoint after which it stops repeating (default: 30)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds to wait for a page's first plot (default: 600)",
    )
    parser.add_argument(
        "--page-budget",
        type=float,
        default=300.0,
        help="seconds of page loads per cell after which no warm load starts "
        "(there is always one; default: 300)",
    )
    parser.add_argument("--postgres-url", help="a PostgreSQL server (default: see the module doc)")
    parser.add_argument(
        "--podbor-cmd",
        help="the podbor CLI that serves the dashboard "
        "(default: .venv/bin/podbor, else this environment's)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=studies.CACHE,
        help="where the generated studies are kept (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, help="write every measurement as JSON here")
    parser.add_argument("--quick", action="store_true", help="10^3 trials on SQLite only, 2 loads")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.backends, args.repeats, args.requests = [1_000], ["sqlite"], 2, 5
    pg_url, started = None, False
    cells: list[Cell] = []
    try:
        if "postgresql" in args.backends:
            pg_url, started = _postgres_base(args.postgres_url)
        logs = args.cache / "logs"  # the servers' output, kept for a look after a failure
        logs.mkdir(parents=True, exist_ok=True)
        for n in args.sizes:
            for backend in args.backends:
                cells += _run_study(n, backend, str(pg_url), args, logs)
                _write(args, cells)  # after each study: an interrupted run keeps what it measured
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop"], check=False)
    print()
    print(format_tables(cells))
    return cells


if __name__ == "__main__":
    main()
