"""Smoke test of the benchmark scripts: each main path runs on a tiny budget (no timing asserted).

Peers (Optuna, Hyperopt) and scikit-learn are optional: in podbor's own environment they are not
installed, and the benchmarks skip them with a note.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # the scripts import their siblings by name
    return __import__(name)


problems = _load("problems")
methods = _load("methods")
sample_efficiency = _load("sample_efficiency")
overhead = _load("overhead")
long_history = _load("long_history")


def _runnable(problem_name: str) -> bool:
    group = problems.PROBLEMS[problem_name].group
    return group != "sklearn" or importlib.util.find_spec("sklearn") is not None


@pytest.mark.parametrize("name", list(problems.PROBLEMS))
def test_objectives_suggest_exactly_the_declared_space(name: str) -> None:
    if not _runnable(name):
        pytest.skip("scikit-learn is not installed")
    problem = problems.PROBLEMS[name]
    value = problems.check_declared_space(problem, seed=1)
    assert np.isfinite(value)
    if problem.optimum is not None:  # every problem with a known optimum minimizes
        assert value >= problem.optimum - 1e-9


def test_sample_efficiency_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "se.json"
    argv = ["--seeds", "1", "--trials", "8", "--problems", "branin", "conditional"]
    report = sample_efficiency.main(
        [*argv, "--methods", "podbor-random", "--jobs", "1", "--out", str(out)]
    )
    assert json.loads(out.read_text())["config"]["trials"] == 8
    regret = report["summary"]["median_regret"]["podbor-random"]
    assert regret["branin"]["100%"] == pytest.approx(1.0)  # random is its own reference
    assert regret["conditional"]["25%"] >= 1.0
    assert len(report["runs"]) == 2 and all(len(r["values"]) == 8 for r in report["runs"])
    printed = capsys.readouterr().out
    assert "median normalized regret at 100%" in printed and "average rank" in printed


def test_sample_efficiency_journal_resumes(tmp_path: Path) -> None:
    journal = tmp_path / "runs.jsonl"
    argv = ["--seeds", "2", "--trials", "6", "--problems", "branin", "--jobs", "1"]
    first = sample_efficiency.main([*argv, "--methods", "podbor-random", "--journal", str(journal)])
    assert len(journal.read_text().splitlines()) == 2
    # A second invocation takes the journaled runs instead of running them again.
    again = sample_efficiency.main(
        [*argv, "--methods", "podbor-random", "podbor-auto", "--reuse", str(journal)]
    )
    by_task = {(r["method"], r["seed"]): r for r in again["runs"]}
    for run in first["runs"]:
        assert by_task[(run["method"], run["seed"])]["seconds"] == run["seconds"]
    assert {m for m, _ in by_task} == {"podbor-random", "podbor-auto"}


def test_sample_efficiency_wall_clock_view(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--seeds", "1", "--trials", "6", "--problems", "branin", "--jobs", "1"]
    argv += ["--wall-clock", "--costs", "0", "0.5", "--allowance", "0.001", "--max-trials", "40"]
    report = sample_efficiency.main([*argv, "--methods", "podbor-random", "podbor-qmc"])
    runs = report["runs"]
    # the runs went on past --trials until they had spent 1.1 x 6 x 1 ms (or 40 trials) ...
    assert all(len(r["values"]) >= 6 and len(r["trial_seconds"]) == len(r["values"]) for r in runs)
    assert all(len(r["values"]) == 40 or sum(r["trial_seconds"]) >= 1.1 * 6 * 0.001 for r in runs)
    # ... while the per-evaluation view still scores the first 6 trials
    assert report["summary"]["budgets"]["100%"] == 6
    view = report["summary"]["wall_clock"]
    assert set(view["scenarios"]) == {"branin@0", "branin@500ms"}
    assert view["scenarios"]["branin@500ms"]["budget_seconds"] == pytest.approx(6 * 0.501)
    # at 0.5 s per evaluation the budget holds about 6 trials: random is its own reference
    assert view["median_regret"]["podbor-random"]["branin@500ms"] == pytest.approx(1.0)
    assert set(view["average_rank"]) == {"all", "cost 0", "cost 500ms"}
    assert "wall-clock view" in capsys.readouterr().out


def test_noisy_benchmark_scores_the_true_value_of_the_reported_trial() -> None:
    noisy = _load("noisy")
    argv = ["--seeds", "2", "--trials", "10", "--problems", "branin", "--noise", "0.05", "0.5"]
    report = noisy.main([*argv, "--methods", "podbor-random", "podbor-qmc", "--jobs", "1"])
    regret = report["summary"]["median_regret"]
    assert set(regret) == {
        "podbor-random",
        "podbor-random+posterior",
        "podbor-qmc",
        "podbor-qmc+posterior",
    }
    for run in report["runs"]:
        noise = np.asarray(run["values"]) - np.asarray(run["true_values"])
        assert np.std(noise) > 0 and run["posterior_index"] in range(10)
    # the reported trial is never truly better than the best one found
    for by_scenario in regret.values():
        assert all(r["reported"] >= r["found"] for r in by_scenario.values())
    assert regret["podbor-random"]["branin@0.05"]["found"] == pytest.approx(1.0)


def test_parallel_benchmark_runs_workers_at_once() -> None:
    parallel = _load("parallel")
    argv = ["--seeds", "1", "--trials", "8", "--problems", "branin", "--workers", "1", "4"]
    report = parallel.main(
        [
            *argv,
            "--sleep",
            "0.01",
            "0.02",
            "--methods",
            "podbor-random",
            "podbor-auto",
            "--jobs",
            "1",
        ]
    )
    assert {(r["method"], r["workers"]) for r in report["runs"]} == {
        (m, k) for m in ("podbor-random", "podbor-auto") for k in (1, 4)
    }
    assert all(len(r["values"]) == 8 for r in report["runs"])
    summary = report["summary"]
    assert summary["ratio_to_sequential"]["podbor-random"]["1"] == pytest.approx(1.0)
    assert set(summary["average_rank"]["podbor-auto"]) == {"1", "4"}


def test_parallel_benchmark_with_worker_processes_on_one_journal() -> None:
    parallel = _load("parallel")
    argv = ["--seeds", "1", "--trials", "6", "--problems", "branin", "--workers", "1", "2"]
    argv += ["--sleep", "0", "0.01", "--mode", "processes", "--methods", "podbor-random"]
    report = parallel.main(argv)
    runs = report["runs"]
    assert {(r["workers"], r["mode"]) for r in runs} == {(1, "processes"), (2, "processes")}
    assert all(len(r["values"]) == 6 and all(np.isfinite(r["values"])) for r in runs)


def test_best_so_far_is_direction_aware() -> None:
    curve = sample_efficiency.best_so_far([3.0, float("nan"), 5.0, 1.0], sign=-1.0)
    assert curve.tolist() == [-3.0, -3.0, -5.0, -5.0]


def test_overhead_main(tmp_path: Path) -> None:
    out = tmp_path / "overhead.json"
    argv = ["--marks", "10", "20", "--window", "4", "--methods", "podbor-random", "podbor-qmc"]
    rows = overhead.main([*argv, "--out", str(out)])
    assert [r["method"] for r in rows] == ["podbor-random", "podbor-qmc"]
    assert all(r["per_trial"][20] is not None and r["per_trial"][20] > 0 for r in rows)
    assert json.loads(out.read_text())["marks"] == [10, 20]


def test_long_history_times_each_method_on_a_filled_study(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = long_history.measure("podbor-default", 40, 3)
    assert row.n_history == 40 and row.ms_per_trial > 0 and row.peak_mib > 0
    out = tmp_path / "history.json"
    argv = ["--sizes", "30", "60", "--methods", "podbor-default", "podbor-tpe", "--asks", "2"]
    assert long_history.main([*argv, "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "podbor-tpe" in table and "x @30" in table
    runs = json.loads(out.read_text())["runs"]
    assert [(r["method"], r["n_history"]) for r in runs] == [
        ("podbor-default", 30),
        ("podbor-tpe", 30),
        ("podbor-default", 60),
        ("podbor-tpe", 60),
    ]


def test_overhead_on_a_problem_of_the_suite() -> None:
    argv = ["--marks", "10", "--window", "4", "--methods", "podbor-auto"]
    [row] = overhead.main([*argv, "--problem", "conditional"])
    assert row["n_trials"] == 12 and row["per_trial"][10] > 0


def test_missing_peers_are_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    chosen = methods.select(["podbor-random", "optuna-tpe", "hyperopt-tpe"])
    installed = {m: importlib.util.find_spec(m) is not None for m in ("optuna", "hyperopt")}
    expected = ["podbor-random"] + [
        n for n, lib in (("optuna-tpe", "optuna"), ("hyperopt-tpe", "hyperopt")) if installed[lib]
    ]
    assert [m.name for m in chosen] == expected
    if not all(installed.values()):
        assert "not available in this environment" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        methods.select(["no-such-method"])


def test_hyperopt_adapter_runs_a_conditional_problem() -> None:
    pytest.importorskip("hyperopt")
    problem = problems.PROBLEMS["conditional"]
    method = methods.registry()["hyperopt-tpe"]
    result = methods.run(
        method, problem.objective, problem.space, direction="minimize", seed=0, n_trials=6
    )
    assert len(result.values) == 6 and all(np.isfinite(result.values))


def test_skopt_adapter_runs_a_conditional_problem() -> None:
    pytest.importorskip("skopt")
    problem = problems.PROBLEMS["conditional"]
    method = methods.registry()["skopt-gp"]
    result = methods.run(
        method, problem.objective, problem.space, direction="minimize", seed=0, n_trials=4
    )
    assert len(result.values) == 4 and all(np.isfinite(result.values))


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_pruning_search_counts_folds_and_scores_on_the_test_part(sampler: str) -> None:
    pytest.importorskip("sklearn")
    pruning = _load("pruning")
    base = pruning.run_search("svc-breast_cancer", "none", 0, 8, sampler)
    pruned = pruning.run_search("svc-breast_cancer", "percentile25", 0, 8, sampler)
    assert base.folds == 8 * 5 and base.pruned_trials == 0
    # each pruned trial stopped after 1 to 4 of its 5 folds
    assert 40 - 4 * pruned.pruned_trials <= pruned.folds <= 40 - pruned.pruned_trials
    assert 0.5 < base.test_score <= 1.0 and 0.5 < pruned.test_score <= 1.0


def test_storage_benchmark_measures_a_shared_sqlite_study(tmp_path: Path) -> None:
    storage = _load("storage")
    row = storage.run_one("podbor", "sqlite", 40, 2, None)
    assert (row.storage, row.n_trials, row.workers) == ("sqlite", 40, 2)
    assert row.trials_per_s > 0 and row.last_over_first is None  # too few trials for the ratio
    memory = storage.run_one("podbor", "memory", 30, 1, None)
    assert memory.trials_per_s > 0
    assert row.in_study_per_s is not None and row.in_study_per_s > 0


def test_storage_benchmark_times_reading_the_study_back() -> None:
    storage = _load("storage")
    row = storage.run_one("podbor", "journal", 30, 1, None, load=True)
    assert row.load_s is not None and row.load_s > 0 and row.load_mib is not None
    assert row.left_load_s is not None and row.first_load_s is not None
    if storage._has_optuna():  # the benchmark environment: Optuna reads a copy in its format
        assert row.optuna_load_s is not None and row.optuna_load_s > 0
        # and a journal its own storage wrote for the same trials
        assert row.optuna_own_load_s is not None and row.optuna_own_load_s > 0


def test_visualization_benchmark_times_a_plot(tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    visualization = _load("visualization")
    argv = ["--sizes", "30", "--repeats", "1", "--backends", "plotly", "--no-optuna"]
    argv += ["--memory-gb", "0"]  # no address-space cap on the test process
    cells = visualization.main([*argv, "--plots", "edf", "--markdown", str(tmp_path / "t.md")])
    assert [(c["plot"], c["n_trials"]) for c in cells] == [("plot_edf", 30)]
    assert cells[0]["podbor"] > 0
    assert "| plot_edf | plotly | 30 |" in (tmp_path / "t.md").read_text()


def test_hypervolume_benchmark_points_and_timer() -> None:
    hypervolume = _load("hypervolume")
    front = hypervolume.points(3, 50, "front", seed=0)
    assert front.shape == (50, 3) and np.allclose(np.linalg.norm(front, axis=1), 1.0)
    assert hypervolume.median_seconds(lambda: None, repeats=3) >= 0.0


def _python_with_optuna() -> str | None:
    """An interpreter that has Optuna: this one, else the benchmarks' own environment's."""
    import subprocess

    if importlib.util.find_spec("optuna") is not None:
        return sys.executable
    venv = BENCHMARKS / ".venv" / "bin" / "python"
    if not venv.exists():
        return None
    probe = subprocess.run([str(venv), "-c", "import optuna"], capture_output=True, check=False)
    return str(venv) if probe.returncode == 0 else None


def test_multi_fidelity_benchmark_prints_epochs_to_the_reference_score(tmp_path: Path) -> None:
    import subprocess

    python = _python_with_optuna()
    if python is None:
        pytest.skip("Optuna (the reference, TPE + Hyperband) is not installed")
    out, journal = tmp_path / "mf.json", tmp_path / "mf.jsonl"
    argv = ["--quick", "--problems", "lc_branin", "--seeds", "1", "--trials", "6", "--jobs", "1"]
    argv += ["--methods", "podbor-auto-hyperband", "podbor-auto-curve", "optuna-tpe-hyperband"]
    argv += ["--out", str(out), "--journal", str(journal)]
    script = str(BENCHMARKS / "multi_fidelity.py")
    done = subprocess.run([python, script, *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    firsts = [line.split(" | ")[0] for line in done.stdout.splitlines() if line.startswith("| ")]
    every = ["| podbor-auto-hyperband", "| podbor-auto-curve", "| optuna-tpe-hyperband"]
    assert firsts[:4] == ["| method", *every]  # the problem's table, methods as given
    assert firsts[4] == "| method" and sorted(firsts[5:]) == sorted(every)  # overall, by rank
    assert "### lc_branin: target" in done.stdout and "### overall" in done.stdout
    report = json.loads(out.read_text())
    assert {(r["method"], len(r["epochs"])) for r in report["runs"]} == {
        ("podbor-auto-hyperband", 6),
        ("podbor-auto-curve", 6),
        ("optuna-tpe-hyperband", 6),
    }
    for run in report["runs"]:  # a complete trial trained all 27 epochs, a pruned one (None) 1-27
        assert all(e == 27 or v is None for e, v in zip(run["epochs"], run["values"]))
        assert all(1 <= e <= 27 for e in run["epochs"])
    # a second invocation takes both runs from the journal instead of running them again
    again = subprocess.run([python, script, *argv], capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "0 runs on 1 processes, 3 taken from" in again.stderr
    assert len(journal.read_text().splitlines()) == 3


def test_multi_objective_benchmark_prints_hypervolume_ranks(tmp_path: Path) -> None:
    import subprocess

    out, journal = tmp_path / "mo.json", tmp_path / "mo.jsonl"
    argv = ["--quick", "--methods", "podbor-default", "podbor-random"]
    argv += ["--problems", "zdt1", "c2dtlz2", "--seeds", "1", "--trials", "12"]
    argv += ["--budgets", "6,12", "--jobs", "1", "--out", str(out), "--journal", str(journal)]
    script = str(BENCHMARKS / "multi_objective.py")
    done = subprocess.run(
        [sys.executable, script, *argv], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows.count("| method | HV ratio @6 | rank @6 | HV ratio @12 | rank @12 |") == 2
    assert rows.count("| method | average rank | HV ratio | s/trial |") == 2
    for title in ("### zdt1:", "### c2dtlz2:", "### overall @6 trials", "### overall @12 trials"):
        assert title in done.stdout
    report = json.loads(out.read_text())
    assert sorted((r["problem"], r["method"]) for r in report["runs"]) == [
        ("c2dtlz2", "podbor-default"),
        ("c2dtlz2", "podbor-random"),
        ("zdt1", "podbor-default"),
        ("zdt1", "podbor-random"),
    ]
    for run in report["runs"]:
        assert len(run["values"]) == len(run["seconds"]) == len(run["feasible"]) == 12
        if run["problem"] == "zdt1":  # unconstrained: every trial feasible
            assert run["constraints"] == [None] * 12 and all(run["feasible"])
        else:  # one constraint, C2's; feasible when <= 0
            assert [c[0] <= 0 for c in run["constraints"]] == run["feasible"]
    for info in report["summary"]["problems"].values():
        for row in info["methods"].values():
            assert 0.0 <= row["hv_ratio@6"] <= row["hv_ratio@12"] <= 1.01
    # a second invocation takes the four runs from the journal and prints the same tables
    again = subprocess.run(
        [sys.executable, script, *argv], capture_output=True, text=True, check=False
    )
    assert again.returncode == 0 and "0 runs on 1 processes, 4 taken from" in again.stderr
    assert [line for line in again.stdout.splitlines() if line.startswith("| ")] == rows
    assert len(journal.read_text().splitlines()) == 4
    # points on the known fronts land on the reference fronts, whose own HV ratio is 1
    check = subprocess.run(
        [sys.executable, script, "--self-check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0 and "self-check passed" in check.stdout, check.stdout


def test_scale_benchmark_quick_loses_no_trial(tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "scale.json"
    script = str(BENCHMARKS / "scale.py")
    done = subprocess.run(
        [sys.executable, script, "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "all checks held" in lines and "CHECK FAILED" not in done.stdout
    for title in ("### throughput", "### executors", "### faults"):
        assert any(line.startswith(title) for line in lines), title
    assert not any(line.startswith("### flatness") for line in lines)  # --quick: no 10^4 row

    def table(header: str) -> list[list[str]]:
        [at] = [i for i, line in enumerate(lines) if line.split() == header.split()]
        return [line.split() for line in itertools.takewhile(str.strip, lines[at + 2 :])]

    storage = table(
        "library storage trials workers seconds trials/s last/first vs optuna in-study/s vs optuna"
    )
    assert [row[:4] for row in storage] == [["podbor", "sqlite", "200", "1"]]
    ways = table("way workers trials seconds trials/s complete")
    dask = importlib.util.find_spec("distributed") is not None
    names = ["threads", "processes", *(["dask"] if dask else [])]
    assert [w[0] for w in ways] == names
    assert all(w[1:3] == ["2", "40"] and w[5] == "40" for w in ways)  # every trial COMPLETE
    fault, *restart = table(
        "storage workers kills trials complete fail retried lost gap-free seconds"
    )
    storage_name, workers, kills, trials, complete, fail, retried, lost, gap_free = fault[:9]
    assert (storage_name, workers, kills, trials, complete) == ("sqlite", "2", "2", "12", "12")
    assert lost == "0" and gap_free == "yes" and int(fail) <= 2 and int(retried) >= int(fail)
    if dask:  # the Dask scheduler killed mid-study, a new one on the same database
        [[storage_name, workers, kills, trials, complete, fail, retried, lost, gap_free, _]] = (
            restart
        )
        assert (storage_name, kills, trials, complete, lost, gap_free) == (
            "dask/sqlite",
            "1",
            "12",
            "12",
            "0",
            "yes",
        )
        assert int(fail) >= 1 and int(retried) == int(fail)
    report = json.loads(out.read_text())
    assert report["summary"]["problems"] == [] and len(report["executors"]) == len(names)
    faults = [(r["lost"], r["complete"], r["gap_free"]) for r in report["faults"]]
    assert faults == [(0, 12, True)] * (2 if dask else 1)


def test_optuna_gp_greenlet_names_what_is_missing_and_checks_its_options() -> None:
    optuna_gp_greenlet = _load("optuna_gp_greenlet")
    with pytest.raises(SystemExit):  # argparse's error, naming the options
        optuna_gp_greenlet.parse_args(["--trials", "0"])
    missing = optuna_gp_greenlet.missing_packages()
    if not missing:
        pytest.skip("Optuna, PyTorch and greenlet are all installed here")
    with pytest.raises(SystemExit, match="pip install " + missing[0]):
        optuna_gp_greenlet.main(["--problems", "branin:2"])
