"""The wall-clock view of ``sample_efficiency.py``: regret within a budget of *time*, not trials.

A sampler that thinks longer per trial gets fewer trials in the same time. This view charges each
method the seconds it really took per trial (its proposal, the study's bookkeeping, and for the
scikit-learn problems the objective itself) plus, for the synthetic problems, a simulated cost
``c`` per evaluation (``--costs``: 0, 10 ms, 100 ms, 1 s by default). The budget of a scenario is

    T = trials x (c + allowance)

that is, the objective's time for ``--trials`` evaluations plus ``--allowance`` seconds per
trial (default 50 ms) for the sampler: a delay per trial no user notices. ``c`` is the simulated
cost for a synthetic problem, and for a scikit-learn problem the median measured time of its
objective over all runs. A method's score in a scenario is the best value among the trials that
ended within ``T`` (the first trial's value if none did), as a normalized regret with the same
denominator as the per-evaluation view. Runs go on after ``--trials`` trials until they have
spent enough time for every scenario (or reach ``--max-trials``); a run that stopped at
``--max-trials`` before ``T`` is scored with its last trial and counted in ``capped``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import problems as problems_mod
from scipy.stats import rankdata


class _Run(Protocol):
    method: str
    problem: str
    values: list[float]
    trial_seconds: list[float] | None
    objective_seconds: list[float] | None


def cost_label(cost: float) -> str:
    """``0.01`` → ``"10ms"``, ``1.0`` → ``"1s"``."""
    if cost == 0:
        return "0"
    return f"{cost:g}s" if cost >= 1 else f"{cost * 1e3:g}ms"


def needs_more(
    seconds: Sequence[float], objective: Sequence[float], n_trials: int, allowance: float
) -> bool:
    """Whether a run has not yet spent the time its widest scenario's budget needs.

    With trial times ``s_i`` (objective included) and a simulated cost ``c``, the trials end at
    ``sum(s_i) + n c``; once ``n >= trials`` and ``sum(s_i) >= trials x (real cost + allowance)``
    every budget ``trials x (c + real cost + allowance)`` is passed. 10 % margin for the median
    objective time of other runs being a little higher.
    """
    real = float(np.median(objective)) if len(objective) else 0.0
    return sum(seconds) < 1.1 * n_trials * (real + allowance)


def summarize(
    runs: Sequence[_Run],
    n_trials: int,
    method_names: list[str],
    problem_info: dict[str, dict[str, Any]],
    costs: Sequence[float],
    allowance: float,
) -> dict[str, Any]:
    """Median normalized regret within each scenario's budget, and ranks per method."""
    scenarios: dict[str, dict[str, Any]] = {}
    regret: dict[str, dict[str, float]] = {m: {} for m in method_names}
    capped: dict[str, int] = {m: 0 for m in method_names}
    for name, info in problem_info.items():
        problem = problems_mod.PROBLEMS[name]
        sign = 1.0 if problem.direction == "minimize" else -1.0
        f_star = sign * info["f_star"]
        mine = [r for r in runs if r.problem == name and r.trial_seconds is not None]
        if not mine:
            continue
        if problem.group == "sklearn":
            objective = [s for r in mine for s in (r.objective_seconds or [])]
            real = float(np.median(objective)) if objective else 0.0
            plan = [(f"{name}@real", 0.0, real)]
        else:
            plan = [(f"{name}@{cost_label(c)}", c, c) for c in costs]
        for key, simulated, budget_cost in plan:
            budget = n_trials * (budget_cost + allowance)
            scenarios[key] = {
                "problem": name,
                "cost": budget_cost,
                "simulated": problem.group != "sklearn",
                "budget_seconds": budget,
            }
            for method in method_names:
                scores = []
                for r in (r for r in mine if r.method == method):
                    assert r.trial_seconds is not None
                    ends = np.cumsum(np.asarray(r.trial_seconds) + simulated)
                    curve = np.minimum.accumulate(
                        np.nan_to_num(sign * np.asarray(r.values, dtype=float), nan=np.inf)
                    )
                    within = int(np.searchsorted(ends, budget, side="right"))
                    if within >= len(curve) and ends[-1] < budget:
                        capped[method] += 1
                    best = curve[max(within, 1) - 1]
                    scores.append((best - f_star) / info["denominator"])
                if scores:
                    regret[method][key] = float(np.median(scores))
    ranks: dict[str, dict[str, float]] = {m: {} for m in method_names}
    for key in scenarios:
        present = [m for m in method_names if key in regret[m]]
        for m, rank in zip(present, rankdata([regret[m][key] for m in present])):
            ranks[m][key] = float(rank)
    groups = {"all": list(scenarios)}
    for c in costs:
        groups[f"cost {cost_label(c)}"] = [
            k for k, s in scenarios.items() if s["simulated"] and s["cost"] == c
        ]
    groups["sklearn (real cost)"] = [k for k, s in scenarios.items() if not s["simulated"]]
    groups = {g: keys for g, keys in groups.items() if keys}
    ran = [m for m in method_names if regret[m]]
    return {
        "costs": list(costs),
        "allowance": allowance,
        "scenarios": scenarios,
        "median_regret": regret,
        "average_rank": {
            g: {m: float(np.mean([ranks[m][k] for k in keys if k in ranks[m]])) for m in ran}
            for g, keys in groups.items()
        },
        "mean_regret": {
            g: {m: float(np.mean([regret[m][k] for k in keys if k in regret[m]])) for m in ran}
            for g, keys in groups.items()
        },
        "capped_runs": {m: capped[m] for m in ran},
    }


def print_tables(summary: dict[str, Any], method_names: list[str], short: Any) -> None:
    """The per-scenario table, then average ranks per cost group."""
    regret = summary["median_regret"]
    keys = list(summary["scenarios"])
    if not keys:
        return
    ran = [m for m in method_names if regret.get(m)]
    width = max(6, *(len(short(m)) for m in ran))
    kwidth = max(len("scenario"), *(len(k) for k in keys))
    print(
        f"\nwall-clock view: median normalized regret within T = trials x (cost + "
        f"{summary['allowance']:g} s); synthetic costs simulated, scikit-learn ones measured"
    )
    header = f"{'scenario':{kwidth}} {'T (s)':>7} " + " ".join(f"{short(m):>{width}}" for m in ran)
    print(header)
    print("-" * len(header))
    for k in keys:
        cells = " ".join(
            f"{regret[m][k]:{width}.2f}" if k in regret[m] else f"{'—':>{width}}" for m in ran
        )
        print(f"{k:{kwidth}} {summary['scenarios'][k]['budget_seconds']:7.2f} {cells}")
    print("\nwall-clock view: average rank (mean regret) per group of scenarios")
    gwidth = max(len("group"), *(len(g) for g in summary["average_rank"]))
    header = f"{'group':{gwidth}} " + " ".join(f"{short(m):>{width + 7}}" for m in ran)
    print(header)
    print("-" * len(header))
    for group, by_method in summary["average_rank"].items():
        cells = " ".join(
            f"{by_method[m]:{width}.2f} ({summary['mean_regret'][group][m]:4.2f})" for m in ran
        )
        print(f"{group:{gwidth}} {cells}")
    capped = {m: n for m, n in summary["capped_runs"].items() if n}
    if capped:
        print(
            f"(run x scenario cells that ended before the budget, at --max-trials or on a faster objective than the median: {capped})"
        )
