"""The ``podbor`` command line (``podbor.cli.main``, the console script and ``python -m podbor``).

Storage-backed commands run twice: against an in-memory storage injected into the CLI (always),
and against a ``sqlite:///`` URL in a temporary directory, which is skipped until
``podbor.storages.get_storage`` accepts such URLs.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.cli import STORAGE_ENV_VAR, _output, main
from podbor.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)
from podbor.storages import BaseStorage, InMemoryStorage

MEMORY_URL = "memory://cli-tests"
UNSUPPORTED_URL = "unsupported-scheme://nowhere"


def _sqlite_urls_work() -> bool:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        try:
            storage = podbor.storages.get_storage("sqlite:///" + os.path.join(tmp, "probe.db"))
        except Exception:
            return False
        storage.remove_session()
        return True


requires_sqlite = pytest.mark.skipif(
    not _sqlite_urls_work(),
    reason="podbor.storages.get_storage does not accept sqlite:/// URLs yet (no SQL storage)",
)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "podbor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


# -- without a storage ------------------------------------------------------------------------
def test_version_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"], capsys) == (0, f"podbor {podbor.__version__}\n", "")


def test_version_with_python_dash_m() -> None:
    done = run_subprocess("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"podbor {podbor.__version__}\n", "")


def test_version_with_console_script() -> None:
    script = Path(sys.executable).with_name("podbor")
    if not script.exists():
        pytest.skip("the podbor console script is not installed next to this interpreter")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, f"podbor {podbor.__version__}\n")


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for command in (
        "studies",
        "trials",
        "best-trial",
        "best-trials",
        "create-study",
        "delete-study",
        "ask",
        "tell",
        "storage",
        "copy-study",
    ):
        assert command in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([], capsys)
    assert (code, out) == (2, "")
    assert "usage: podbor" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["studies"],
        ["trials", "--study-name", "s"],
        ["best-trial", "--study-name", "s"],
        ["best-trials", "--study-name", "s"],
        ["create-study"],
        ["delete-study", "--study-name", "s"],
        ["ask", "--study-name", "s"],
        ["tell", "--study-name", "s", "--trial-number", "0", "--values", "1"],
        ["storage", "upgrade"],
    ],
    ids=lambda argv: argv[0],
)
def test_missing_storage_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STORAGE_ENV_VAR, raising=False)
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert f"usage: podbor {argv[0]}" in err
    assert "--storage" in err and STORAGE_ENV_VAR in err


def test_missing_study_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["trials", "--storage", UNSUPPORTED_URL], capsys)
    assert code == 2
    assert "--study-name" in err


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["studies", "--storage", UNSUPPORTED_URL, "-f", "xml"], capsys)
    assert code == 2
    assert "xml" in err


def test_unsupported_url_is_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["studies", "--storage", UNSUPPORTED_URL], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_unsupported_url_in_a_subprocess_has_no_traceback() -> None:
    done = run_subprocess("studies", "--storage", UNSUPPORTED_URL)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("podbor: error: ")
    assert "Traceback" not in done.stderr


def test_storage_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STORAGE_ENV_VAR, UNSUPPORTED_URL)
    code, _, err = run(["studies"], capsys)
    assert code == 1  # the URL was read (and refused), not missing (which would be 2)
    assert err.startswith("podbor: error: ")


def test_password_in_the_url_is_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["studies", "--storage", "nosuchdb://user:hunter2@host/db"], capsys)
    assert code == 1
    assert "hunter2" not in err


# -- with a storage: in memory (always) and SQLite (once it is supported) ------------------------
_MEMORY: dict[str, BaseStorage] = {}


def open_storage(url: str) -> BaseStorage:
    """What the CLI opens for ``url`` in these tests: the shared in-memory storage, or the real one."""
    return _MEMORY[url] if url == MEMORY_URL else podbor.storages.get_storage(url)


@pytest.fixture(params=["memory", pytest.param("sqlite", marks=requires_sqlite)])
def url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A storage URL the CLI can open; ``memory://`` is served by one fresh InMemoryStorage."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setitem(_MEMORY, MEMORY_URL, InMemoryStorage())
    monkeypatch.setattr("podbor.cli._storage.get_storage", open_storage)
    return MEMORY_URL


@pytest.fixture
def study_url(url: str) -> str:
    """The URL of a storage holding the study ``demo``: x = 0, 1, 2 → values 1, 0, 1."""
    study = podbor.create_study(storage=open_storage(url), study_name="demo")
    for k in range(3):
        study.enqueue_trial({"x": float(k)})
    study.optimize(lambda t: (t.suggest_float("x", 0, 10) - 1) ** 2, n_trials=3)
    return url


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    code, out, err = run([*argv, "-f", "json"], capsys)
    assert code == 0, err
    return json.loads(out)


def test_create_study_prints_the_name(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["create-study", "--storage", url, "--study-name", "s"], capsys)[:2] == (0, "s\n")
    summary = run_json(["studies", "--storage", url], capsys)
    assert summary[0]["name"] == "s" and summary[0]["directions"] == ["MINIMIZE"]


def test_create_study_generates_a_name(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["create-study", "--storage", url, "--direction", "maximize"], capsys)
    assert code == 0
    name = out.strip()
    assert name.startswith("no-name-")
    assert run_json(["studies", "--storage", url], capsys)[0]["directions"] == ["MAXIMIZE"]


def test_create_study_with_several_directions(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["create-study", "--storage", url, "--study-name", "mo"]
    assert run([*argv, "--directions", "minimize", "maximize"], capsys)[0] == 0
    directions = run_json(["studies", "--storage", url], capsys)[0]["directions"]
    assert directions == ["MINIMIZE", "MAXIMIZE"]


def test_create_study_twice(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["create-study", "--storage", url, "--study-name", "s"]
    assert run(argv, capsys)[0] == 0
    code, out, err = run(argv, capsys)
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: ") and "'s'" in err
    assert run([*argv, "--skip-if-exists"], capsys)[:2] == (0, "s\n")


def test_storage_before_the_command(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--storage", url, "create-study", "--study-name", "s"], capsys)[:2] == (0, "s\n")


def test_storage_from_the_environment_is_used(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STORAGE_ENV_VAR, url)
    assert run(["create-study", "--study-name", "s"], capsys)[:2] == (0, "s\n")
    assert [s["name"] for s in run_json(["studies"], capsys)] == ["s"]


def test_studies_json(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    [summary] = run_json(["studies", "--storage", study_url], capsys)
    assert summary["name"] == "demo"
    assert summary["directions"] == ["MINIMIZE"]
    assert summary["n_trials"] == 3
    assert isinstance(summary["datetime_start"], str)  # ISO 8601


def test_studies_table(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["studies", "--storage", study_url], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("+-") and lines[0] == lines[2] == lines[-1]
    assert lines[1].split("|")[1:-1] == [
        " name ",
        " directions ",
        " n_trials ",
        " datetime_start      ",
    ]
    assert "| demo | MINIMIZE   |        3 |" in lines[3]


def test_studies_yaml(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["studies", "--storage", study_url, "-f", "yaml"], capsys)
    assert code == 0
    assert out.startswith("- name: demo\n  directions:\n    - MINIMIZE\n  n_trials: 3\n")


def test_studies_of_an_empty_storage(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    open_storage(url)  # a read needs an existing storage (test_cli_hardening: none is created)
    assert run_json(["studies", "--storage", url], capsys) == []


def test_trials_json(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    trials = run_json(["trials", "--storage", study_url, "--study-name", "demo"], capsys)
    assert [t["number"] for t in trials] == [0, 1, 2]
    assert [t["params"] for t in trials] == [{"x": 0.0}, {"x": 1.0}, {"x": 2.0}]
    assert [t["value"] for t in trials] == [1.0, 0.0, 1.0]
    assert {t["state"] for t in trials} == {"COMPLETE"}
    assert all(isinstance(t["duration"], float) for t in trials)


def test_trials_table_has_a_column_per_parameter(
    study_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["trials", "--storage", study_url, "--study-name", "demo"], capsys)
    assert code == 0
    header = [c.strip() for c in out.splitlines()[1].split("|")[1:-1]]
    assert header == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_x",
        "state",
    ]
    assert len(out.splitlines()) == 3 + 3 + 1


def test_trials_show_the_default_samplers_choice(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    study = podbor.create_study(storage=open_storage(url), study_name="auto")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    trials = run_json(["trials", "--storage", url, "--study-name", "auto"], capsys)
    assert [t["sampler"].split(":")[0] for t in trials] == ["qmc", "qmc"]
    code, out, _ = run(["trials", "--storage", url, "--study-name", "auto"], capsys)
    assert code == 0
    header = [c.strip() for c in out.splitlines()[1].split("|")[1:-1]]
    assert header[-2:] == ["sampler", "state"]


def test_best_trial(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    best = run_json(["best-trial", "--storage", study_url, "--study-name", "demo"], capsys)
    assert (best["number"], best["value"], best["params"]) == (1, 0.0, {"x": 1.0})


def test_best_trial_yaml(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["best-trial", "--storage", study_url, "--study-name", "demo", "-f", "yaml"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert out.startswith("number: 1\nvalue: 0.0\n")
    assert "params:\n  x: 1.0\n" in out


def test_best_trial_without_completed_trials(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    podbor.create_study(storage=open_storage(url), study_name="empty")
    code, _, err = run(["best-trial", "--storage", url, "--study-name", "empty"], capsys)
    assert code == 1
    assert err.startswith("podbor: error: ")


def test_best_trial_of_a_multi_objective_study(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    study = podbor.create_study(
        storage=open_storage(url), study_name="mo", directions=["minimize", "minimize"]
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.params["x"]), n_trials=3)
    code, _, err = run(["best-trial", "--storage", url, "--study-name", "mo"], capsys)
    assert code == 1
    assert "best-trials" in err
    front = run_json(["best-trials", "--storage", url, "--study-name", "mo"], capsys)
    assert len(front) == 3 and all(len(t["values"]) == 2 for t in front)


def test_delete_study(study_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["delete-study", "--storage", study_url, "--study-name", "demo"]
    assert run(argv, capsys)[:2] == (0, "")
    assert run_json(["studies", "--storage", study_url], capsys) == []
    code, _, err = run(argv, capsys)
    assert code == 1
    assert err.startswith("podbor: error: ") and "demo" in err


@pytest.mark.parametrize("command", ["trials", "best-trial", "best-trials", "delete-study"])
def test_missing_study(url: str, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    open_storage(url)  # the storage exists; the study does not
    code, out, err = run([command, "--storage", url, "--study-name", "nope"], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: ") and "'nope'" in err
    assert err.count("\n") == 1


@requires_sqlite
def test_subprocess_round_trip_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    created = run_subprocess("create-study", "--storage", url, "--study-name", "s", "-q")
    assert (created.returncode, created.stdout) == (0, "s\n"), created.stderr
    env = {**os.environ, STORAGE_ENV_VAR: url}
    listed = run_subprocess("studies", "-f", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [s["name"] for s in json.loads(listed.stdout)] == ["s"]


# -- ask and tell ---------------------------------------------------------------------------------
SPACE = {
    "x": FloatDistribution(-1.0, 1.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 9),
    "c": CategoricalDistribution(["a", "b", None]),
}
SPACE_JSON = json.dumps({name: json.loads(distribution_to_json(d)) for name, d in SPACE.items()})


def ask(url: str, capsys: pytest.CaptureFixture[str], *extra: str) -> Any:
    """``podbor ask`` on the study ``s`` with its default (JSON) output, parsed."""
    code, out, err = run(["ask", "--storage", url, "--study-name", "s", *extra], capsys)
    assert code == 0, err
    return json.loads(out)


def tell(url: str, capsys: pytest.CaptureFixture[str], number: int, *extra: str) -> Any:
    argv = ["tell", "--storage", url, "--study-name", "s", "--trial-number", str(number)]
    return run_json([*argv, *extra], capsys)


def assert_in_space(params: dict[str, Any]) -> None:
    assert set(params) == set(SPACE)
    for name, distribution in SPACE.items():
        assert distribution.contains_external(params[name]), (name, params[name])
    assert isinstance(params["n"], int)


@pytest.fixture
def s_url(url: str) -> str:
    """The URL of a storage holding the empty single-objective study ``s``."""
    podbor.create_study(storage=open_storage(url), study_name="s")
    return url


@requires_sqlite
def test_shell_style_ask_tell_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    assert run(["create-study", "--storage", url, "--study-name", "s"], capsys)[:2] == (0, "s\n")
    asked = [ask(url, capsys, "--search-space", SPACE_JSON) for _ in range(3)]
    assert [a["number"] for a in asked] == [0, 1, 2]
    for a in asked:
        assert_in_space(a["params"])
    assert tell(url, capsys, 0, "--values", "0.5") == {
        "number": 0,
        "state": "COMPLETE",
        "value": 0.5,
    }
    assert tell(url, capsys, 1, "--state", "pruned")["state"] == "PRUNED"
    assert tell(url, capsys, 2, "--state", "fail") == {"number": 2, "state": "FAIL", "value": None}
    trials = run_json(["trials", "--storage", url, "--study-name", "s"], capsys)
    assert [(t["number"], t["state"]) for t in trials] == [
        (0, "COMPLETE"),
        (1, "PRUNED"),
        (2, "FAIL"),
    ]
    assert [t["params"] for t in trials] == [a["params"] for a in asked]
    assert trials[0]["value"] == 0.5


def test_ask_prints_number_and_params(s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = ask(s_url, capsys, "--search-space", SPACE_JSON)
    assert first["number"] == 0
    assert_in_space(first["params"])
    assert ask(s_url, capsys) == {"number": 1, "params": {}}  # no search space: no parameters


def test_ask_accepts_distributions_as_json_strings(
    s_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    space = json.dumps({name: distribution_to_json(d) for name, d in SPACE.items()})
    assert_in_space(ask(s_url, capsys, "--search-space", space)["params"])


@pytest.mark.parametrize("fmt", ["table", "yaml"])
def test_ask_in_other_formats(fmt: str, s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["ask", "--storage", s_url, "--study-name", "s", "-f", fmt]
    code, out, _ = run([*argv, "--search-space", SPACE_JSON], capsys)
    assert code == 0
    if fmt == "table":
        assert [c.strip() for c in out.splitlines()[1].split("|")[1:-1]] == [
            "number",
            "params_c",
            "params_lr",
            "params_n",
            "params_x",
        ]
    else:
        assert out.startswith("number: 0\nparams:\n  x: ")


def test_ask_claims_an_enqueued_trial(s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    study = podbor.load_study(study_name="s", storage=open_storage(s_url))
    study.enqueue_trial({"x": 0.25, "c": "b"})
    first = ask(s_url, capsys, "--search-space", SPACE_JSON)
    assert first["number"] == 0
    assert (first["params"]["x"], first["params"]["c"]) == (0.25, "b")
    assert_in_space(first["params"])  # the others sampled as usual
    assert ask(s_url, capsys)["number"] == 1  # the queue is empty now


def test_tell_a_finished_trial(s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ask(s_url, capsys)
    tell(s_url, capsys, 0, "--values", "1.5")
    argv = ["tell", "--storage", s_url, "--study-name", "s", "--trial-number", "0"]
    code, out, err = run([*argv, "--values", "2"], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: ") and err.count("\n") == 1
    assert "already finished" in err and "--skip-if-finished" in err
    again = tell(s_url, capsys, 0, "--values", "2", "--skip-if-finished")
    assert again == {"number": 0, "state": "COMPLETE", "value": 1.5}  # unchanged


def test_tell_nan_makes_the_trial_fail(s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    ask(s_url, capsys)
    with pytest.warns(UserWarning, match="NaN"):
        told = tell(s_url, capsys, 0, "--values", "nan")
    assert told == {"number": 0, "state": "FAIL", "value": None}


def test_tell_a_multi_objective_trial(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    podbor.create_study(storage=open_storage(url), study_name="s", directions=["minimize"] * 2)
    ask(url, capsys)
    told = tell(url, capsys, 0, "--values", "-1e-3", "-inf")  # negative numbers, not options
    assert told == {"number": 0, "state": "COMPLETE", "values": [-0.001, "-inf"]}  # JSON: "-inf"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--state", "pruned", "--values", "1"], "values"),
        (["--state", "fail", "--values", "1"], "values"),
        ([], "values"),
        (["--values", "1", "2"], "--values"),  # the study has one objective
    ],
    ids=["pruned-with-values", "fail-with-values", "no-values", "two-values"],
)
def test_tell_refuses_values_that_do_not_fit(
    extra: list[str], message: str, s_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ask(s_url, capsys)
    argv = ["tell", "--storage", s_url, "--study-name", "s", "--trial-number", "0"]
    code, out, err = run([*argv, *extra], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: ") and message in err and err.count("\n") == 1
    [trial] = podbor.load_study(study_name="s", storage=open_storage(s_url)).trials
    assert trial.state == podbor.TrialState.RUNNING  # still there to be told correctly


def test_tell_an_unknown_trial(s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["tell", "--storage", s_url, "--study-name", "s", "--trial-number", "7"]
    code, _, err = run([*argv, "--values", "1"], capsys)
    assert code == 1 and "7" in err


@pytest.mark.parametrize(
    ("space", "named"),
    [
        ('{"x": ', "--search-space"),
        ("[1, 2]", "--search-space"),
        ('{"x": 3}', "--search-space['x']"),
        ('{"x": {"name": "NormalDistribution", "attributes": {}}}', "--search-space['x']"),
        ('{"x": {"name": "FloatDistribution", "attributes": {"low": 1}}}', "--search-space['x']"),
        ('{"x": {"name": "FloatDistribution", "attributes": {"low": 2, "high": 1}}}', "'low'"),
        ('{"c": {"name": "CategoricalDistribution", "attributes": {}}}', "choices"),
    ],
    ids=[
        "invalid-json",
        "not-an-object",
        "not-a-distribution",
        "unknown-distribution",
        "missing-attribute",
        "low-above-high",
        "no-choices",
    ],
)
def test_ask_with_a_bad_search_space(
    space: str, named: str, s_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["ask", "--storage", s_url, "--study-name", "s", "--search-space", space], capsys
    )
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: --search-space") and err.count("\n") == 1
    assert named in err
    assert podbor.load_study(study_name="s", storage=open_storage(s_url)).trials == []


def test_ask_with_a_search_space_that_conflicts_with_the_study(
    s_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ask(s_url, capsys, "--search-space", SPACE_JSON)
    as_int = json.dumps({"x": json.loads(distribution_to_json(IntDistribution(0, 3)))})
    code, _, err = run(
        ["ask", "--storage", s_url, "--study-name", "s", "--search-space", as_int], capsys
    )
    assert code == 1 and "IntDistribution" in err
    trials = podbor.load_study(study_name="s", storage=open_storage(s_url)).trials
    assert [t.state.name for t in trials] == ["RUNNING", "FAIL"]  # not left RUNNING


def test_ask_with_an_unknown_sampler(s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("NoSuchSampler", "BaseSampler", "__doc__"):
        code, out, err = run(
            ["ask", "--storage", s_url, "--study-name", "s", "--sampler", name], capsys
        )
        assert (code, out) == (1, "")
        assert "--sampler" in err and repr(name) in err
        assert (
            "AutoSampler, BruteForceSampler, CmaEsSampler, GPSampler, GridSampler, "
            "NSGAIIISampler, NSGAIISampler, PartialFixedSampler, QMCSampler, RandomSampler, "
            "TPESampler" in err
        )


def test_ask_with_a_seeded_sampler(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    storage = open_storage(url)
    seeded = ["--search-space", SPACE_JSON, "--sampler", "RandomSampler"]
    params = []
    for name in ("a", "b"):
        podbor.create_study(storage=storage, study_name=name)
        argv = ["ask", "--storage", url, "--study-name", name, *seeded]
        params.append(run_json([*argv, "--sampler-kwargs", '{"seed": 3}'], capsys)["params"])
    assert params[0] == params[1]


def test_ask_with_a_partially_fixed_sampler(s_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    kwargs = {"fixed_params": {"n": 4}, "base_sampler": {"name": "RandomSampler", "kwargs": {}}}
    sampler = ["--sampler", "PartialFixedSampler", "--sampler-kwargs", json.dumps(kwargs)]
    assert ask(s_url, capsys, "--search-space", SPACE_JSON, *sampler)["params"]["n"] == 4
    kwargs["base_sampler"] = "RandomSampler"
    sampler[-1] = json.dumps(kwargs)
    assert ask(s_url, capsys, "--search-space", SPACE_JSON, *sampler)["params"]["n"] == 4


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--sampler-kwargs", '{"seed": 1}'], "--sampler"),
        (["--sampler", "RandomSampler", "--sampler-kwargs", '{"sed": 1}'], "--sampler-kwargs"),
        (["--sampler", "RandomSampler", "--sampler-kwargs", "[1]"], "--sampler-kwargs"),
        (["--sampler", "PartialFixedSampler"], "--sampler-kwargs"),
        (["--direction", "maximize"], "--create-if-missing"),
    ],
    ids=[
        "kwargs-without-sampler",
        "unknown-kwarg",
        "kwargs-not-an-object",
        "missing-kwarg",
        "direction",
    ],
)
def test_ask_with_bad_options(
    extra: list[str], named: str, s_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["ask", "--storage", s_url, "--study-name", "s", *extra], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: ") and named in err and err.count("\n") == 1


def test_ask_a_missing_study(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["ask", "--storage", url, "--study-name", "new"]
    code, _, err = run(argv, capsys)
    assert code == 1 and "'new'" in err and "--create-if-missing" in err
    created = run_json([*argv, "--create-if-missing", "--direction", "maximize"], capsys)
    assert created == {"number": 0, "params": {}}
    assert run_json(["studies", "--storage", url], capsys)[0]["directions"] == ["MAXIMIZE"]
    code, _, err = run([*argv, "--create-if-missing", "--direction", "minimize"], capsys)
    assert code == 1 and "MAXIMIZE" in err  # exists with another direction


@requires_sqlite
def test_ask_with_python_dash_m(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    podbor.create_study(storage=url, study_name="s")
    done = run_subprocess(
        "ask", "--storage", url, "--study-name", "s", "--search-space", SPACE_JSON
    )
    assert done.returncode == 0, done.stderr
    asked = json.loads(done.stdout)
    assert asked["number"] == 0
    assert_in_space(asked["params"])


# -- storage upgrade ------------------------------------------------------------------------------
def set_schema_version(path: Path, version: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE podbor_version_info SET schema_version = ?", (version,))


def schema_version(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return str(db.execute("SELECT schema_version FROM podbor_version_info").fetchone()[0])


@requires_sqlite
def test_storage_upgrade_of_a_current_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    podbor.create_study(storage=url, study_name="s")
    head = podbor.storages.RDBStorage(url).get_head_version()
    code, out, _ = run(["storage", "upgrade", "--storage", url], capsys)
    assert (code, out) == (0, f"The storage is already at schema {head}.\n")


@requires_sqlite
def test_storage_upgrade_of_an_old_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.db"
    url = f"sqlite:///{path}"
    podbor.create_study(storage=url, study_name="s")
    set_schema_version(path, "0")
    code, out, err = run(["studies", "--storage", url], capsys)
    assert (code, out) == (1, "")
    assert "podbor storage upgrade" in err and err.count("\n") == 1
    head = podbor.storages.RDBStorage(url, skip_compatibility_check=True).get_head_version()
    code, out, _ = run(["--storage", url, "storage", "upgrade"], capsys)
    assert (code, out) == (0, f"Upgraded the storage from schema 0 to {head}.\n")
    assert schema_version(path) == head
    assert [s["name"] for s in run_json(["studies", "--storage", url], capsys)] == ["s"]


@requires_sqlite
def test_storage_upgrade_leaves_a_newer_database_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.db"
    podbor.create_study(storage=f"sqlite:///{path}", study_name="s")
    set_schema_version(path, "99")
    code, out, err = run(["storage", "upgrade", "--storage", f"sqlite:///{path}"], capsys)
    assert (code, out) == (1, "")
    assert "schema 99" in err and "Upgrade podbor" in err
    assert schema_version(path) == "99"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite:///{tmp}/missing.db", "there is no file"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        (MEMORY_URL, "not a database URL"),
        (UNSUPPORTED_URL, "not a database URL"),
    ],
    ids=["missing-file", "sqlite-memory", "sqlite-memory-explicit", "memory", "unsupported"],
)
def test_storage_upgrade_needs_an_existing_database(
    url: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["storage", "upgrade", "--storage", url.format(tmp=tmp_path)], capsys)
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: --storage ") and reason in err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_storage_upgrade_of_an_in_memory_storage(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "podbor.cli._storage.open_storage_to_upgrade", lambda url: InMemoryStorage()
    )
    code, _, err = run(["storage", "upgrade", "--storage", MEMORY_URL], capsys)
    assert code == 1
    assert "database storage" in err and "InMemoryStorage" in err


def test_storage_without_a_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["storage", "--storage", UNSUPPORTED_URL], capsys)
    assert (code, out) == (2, "")
    assert "usage: podbor storage" in err


# -- copy-study ---------------------------------------------------------------------------------
OPTUNA_FIXTURES = Path(__file__).parent / "storages" / "optuna_fixtures"


def test_copy_study_from_an_optuna_journal_to_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"journal://{OPTUNA_FIXTURES / 'optuna-5.0.journal'}"
    target = f"sqlite:///{tmp_path}/copy.db"
    code, out, err = run(["copy-study", "--from-storage", source, "--to-storage", target], capsys)
    assert code == 0, err
    assert "single" in out and "multi" in out
    listed = run_json(["studies", "--storage", target], capsys)
    assert [(s["name"], s["n_trials"]) for s in listed] == [("single", 7), ("multi", 4)]


def test_copy_study_of_named_studies_to_optuna_format_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{OPTUNA_FIXTURES / 'optuna-3.6.sqlite3'}"
    exported = f"journal:{tmp_path}/optuna.log"
    copied = run_json(
        [
            "copy-study",
            "--from-storage",
            source,
            "--to-storage",
            exported,
            "--study-name",
            "multi",
            "--study-name",
            "single",
            "--to-format",
            "optuna",
        ],
        capsys,
    )
    assert copied == [{"name": "multi"}, {"name": "single"}]
    assert json.loads((tmp_path / "optuna.log").read_text().splitlines()[0])["op_code"] == 0
    back = f"journal:{tmp_path}/podbor.log"
    assert (
        run_json(["copy-study", "--from-storage", exported, "--to-storage", back], capsys) == copied
    )
    backend = podbor.storages.JournalFileBackend(str(tmp_path / "podbor.log"))
    storage = podbor.storages.JournalStorage(backend)
    assert podbor.get_all_study_names(storage) == ["multi", "single"]


def test_copy_study_of_a_damaged_source_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "damaged.log"
    damaged.write_bytes((OPTUNA_FIXTURES / "optuna-4.9.journal").read_bytes()[:-40])
    target = tmp_path / "copy.db"
    code, out, err = run(
        [
            "copy-study",
            "--from-storage",
            f"journal:{damaged}",
            "--to-storage",
            f"sqlite:///{target}",
        ],
        capsys,
    )
    assert (code, out) == (1, "")
    assert err.startswith("podbor: error: ") and err.count("\n") == 1
    assert "line 65" in err and "Nothing was written" in err
    assert not target.exists()


def test_copy_study_masks_passwords(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        [
            "copy-study",
            "--from-storage",
            "nosuchdb://user:hunter2@host/db",
            "--to-storage",
            "nosuchdb://user:swordfish@host/db",
        ],
        capsys,
    )
    assert code == 1 and err.startswith("podbor: error: ")
    assert "hunter2" not in err and "swordfish" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["copy-study", "--to-storage", "sqlite://"],
        ["copy-study", "--from-storage", "sqlite://"],
        [
            "copy-study",
            "--from-storage",
            "sqlite://",
            "--to-storage",
            "sqlite://",
            "--to-format",
            "csv",
        ],
        [
            "--storage",
            "sqlite://",
            "copy-study",
            "--from-storage",
            "sqlite://",
            "--to-storage",
            "sqlite://",
        ],
    ],
    ids=["no source", "no destination", "unknown format", "with --storage"],
)
def test_copy_study_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert (code, out) == (2, "")
    assert "usage: podbor copy-study" in err


def test_copy_study_ignores_the_storage_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STORAGE_ENV_VAR, UNSUPPORTED_URL)
    source = f"journal:{OPTUNA_FIXTURES / 'optuna-4.0.journal'}"
    code, _, err = run(
        [
            "copy-study",
            "--from-storage",
            source,
            "--to-storage",
            f"journal:{tmp_path}/c.log",
            "--study-name",
            "single",
        ],
        capsys,
    )
    assert code == 0, err


def test_copy_study_with_python_dash_m(tmp_path: Path) -> None:
    done = run_subprocess(
        "copy-study",
        "--from-storage",
        f"sqlite:///{OPTUNA_FIXTURES / 'optuna-5.0.sqlite3'}",
        "--to-storage",
        f"sqlite:///{tmp_path}/c.db",
        "--to-format",
        "optuna",
        "-f",
        "json",
        "-q",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"name": "single"}, {"name": "multi"}]
    with sqlite3.connect(tmp_path / "c.db") as conn:
        assert conn.execute("SELECT library_version FROM version_info").fetchall() == [("5.0.0",)]


# -- output formats -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (0.5, "0.5"),
        (1e-05, "1.0e-05"),
        (float("inf"), ".inf"),
        (float("-inf"), "-.inf"),
        ("plain_word-1.0", "plain_word-1.0"),
        ("yes", '"yes"'),
        ("null", '"null"'),
        ("", '""'),
        ("a: b", '"a: b"'),
        ("2026-01-01T10:00:00", '"2026-01-01T10:00:00"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("10", '"10"'),
    ],
    ids=repr,
)
def test_yaml_scalars(value: Any, expected: str) -> None:
    assert _output.to_yaml(value) == expected


def test_yaml_nesting() -> None:
    data = [{"a": 1, "b": {"c": [1, 2]}, "d": [], "e": {}}, {"a": 2}]
    assert _output.to_yaml(data) == (
        "- a: 1\n  b:\n    c:\n      - 1\n      - 2\n  d: []\n  e: {}\n- a: 2"
    )


def test_json_has_no_bare_infinity(capsys: pytest.CaptureFixture[str]) -> None:
    _output.emit([{"value": float("inf")}], "json")
    out = capsys.readouterr().out
    assert json.loads(out) == [{"value": "inf"}]


@pytest.mark.parametrize(("flag", "level"), [("-q", "WARNING"), ("-v", "DEBUG")])
def test_verbosity_flags_apply_to_the_command_only(
    flag: str, level: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    def open_and_record(url: str) -> BaseStorage:
        seen.append(podbor.logging.get_verbosity())
        return InMemoryStorage()

    monkeypatch.setattr("podbor.cli._main.open_storage", open_and_record)
    before = podbor.logging.get_verbosity()
    assert main([flag, "studies", "--storage", UNSUPPORTED_URL]) == 0
    assert seen == [getattr(podbor.logging, level)]
    assert podbor.logging.get_verbosity() == before
