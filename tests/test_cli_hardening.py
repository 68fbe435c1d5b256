"""The command line under hostile input: one line on stderr, exit code 1, no traceback, no file
created by a read, and names printed with their control characters escaped (issue 17, point 9).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podbor
from podbor.cli import main
from podbor.storages import BaseStorage, InMemoryStorage

DEEP = "[" * 5000 + "]" * 5000
HUGE = str(10**400)
MEMORY_URL = "memory://cli-hardening"
_MEMORY: dict[str, BaseStorage] = {}


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, out: str, err: str) -> None:
    assert (code, out) == (1, ""), err
    assert err.startswith("podbor: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite storage holding the single-objective study ``s`` with one finished trial."""
    url = f"sqlite:///{tmp_path}/cli.db"
    study = podbor.create_study(storage=url, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    return url


@pytest.fixture
def memory_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """``memory://`` served by one fresh in-memory storage holding the study ``s``."""
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="s")
    monkeypatch.setitem(_MEMORY, MEMORY_URL, storage)
    monkeypatch.setattr("podbor.cli._storage.get_storage", lambda url: _MEMORY[url])
    return MEMORY_URL


# -- reads create nothing -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["studies"],
        ["trials", "--study-name", "s"],
        ["best-trial", "--study-name", "s"],
        ["best-trials", "--study-name", "s"],
        ["delete-study", "--study-name", "s"],
        ["tell", "--study-name", "s", "--trial-number", "0", "--values", "1"],
    ],
    ids=lambda c: c[0],
)
def test_a_read_of_a_missing_file_creates_nothing(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "typo.db"
    code, out, err = run([*command, "--storage", f"sqlite:///{path}"])
    assert_one_line_error(code, out, err)
    assert "there is no file" in err and str(path) in err
    assert not path.exists()
    assert os.listdir(tmp_path) == []


# -- deeply nested JSON and huge numbers --------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "text"),
    [
        ("--search-space", DEEP),
        ("--search-space", json.dumps({"x": "PLACEHOLDER"}).replace('"PLACEHOLDER"', DEEP)),
        ("--search-space", json.dumps({"x": "[" * 5000})),
        (
            "--search-space",
            json.dumps({"x": {"name": "FloatDistribution", "attributes": "A"}}).replace(
                '"A"', DEEP
            ),
        ),
        ("--sampler-kwargs", '{"seed": ' + DEEP + "}"),
    ],
    ids=["space", "distribution", "distribution-text", "attributes", "sampler-kwargs"],
)
def test_deeply_nested_json_is_one_line(memory_url: str, option: str, text: str) -> None:
    extra = ["--sampler", "RandomSampler"] if option == "--sampler-kwargs" else []
    code, out, err = run(
        ["ask", "--storage", memory_url, "--study-name", "s", *extra, option, text]
    )
    assert_one_line_error(code, out, err)
    assert option in err and "nested too deeply" in err
    assert len(err) < 1000  # the value is cut short, not printed whole


@pytest.mark.parametrize(
    "attributes",
    [
        {"low": 0, "high": HUGE},
        {"low": 0, "high": 1, "step": HUGE},
        {"low": "-" + HUGE, "high": 0},
    ],
)
@pytest.mark.parametrize("kind", ["FloatDistribution", "IntDistribution"])
def test_huge_numbers_in_a_search_space(
    memory_url: str, kind: str, attributes: dict[str, Any]
) -> None:
    spec = json.dumps({"x": {"name": kind, "attributes": {"log": False, **attributes}}})
    spec = spec.replace(f'"{HUGE}"', HUGE)  # a JSON number with 401 digits
    code, out, err = run(
        ["ask", "--storage", memory_url, "--study-name", "s", "--search-space", spec]
    )
    assert_one_line_error(code, out, err)
    assert "--search-space['x']" in err


def test_a_huge_trial_number_is_one_line(sqlite_url: str) -> None:
    argv = ["tell", "--storage", sqlite_url, "--study-name", "s", "--trial-number", HUGE]
    assert_one_line_error(*run([*argv, "--values", "1"]))


@pytest.mark.parametrize("choices", ['"abc"', '{"a": 1, "b": 2}', "3", "null"])
@pytest.mark.parametrize("as_text", [False, True], ids=["object", "json-text"])
def test_choices_must_be_a_json_array(memory_url: str, choices: str, as_text: bool) -> None:
    dist = '{"name": "CategoricalDistribution", "attributes": {"choices": ' + choices + "}}"
    spec = json.dumps({"c": dist}) if as_text else '{"c": ' + dist + "}"
    code, out, err = run(
        ["ask", "--storage", memory_url, "--study-name", "s", "--search-space", spec]
    )
    assert_one_line_error(code, out, err)
    assert "--search-space['c']" in err and "choices" in err
    assert podbor.load_study(study_name="s", storage=_MEMORY[MEMORY_URL]).trials == []


def test_choices_as_a_json_array_still_work(memory_url: str) -> None:
    dist = {"name": "CategoricalDistribution", "attributes": {"choices": ["a", "b"]}}
    argv = ["ask", "--storage", memory_url, "--study-name", "s"]
    code, out, err = run([*argv, "--search-space", json.dumps({"c": dist})])
    assert code == 0, err
    assert json.loads(out)["params"]["c"] in ("a", "b")


# -- control characters are escaped in tables ---------------------------------------------------
@pytest.mark.parametrize("name", ["\x1b[31mred", "two\nlines", "bell\x07", "del\x7f", "\u202eltr"])
def test_control_characters_are_escaped(memory_url: str, name: str) -> None:
    storage = _MEMORY[MEMORY_URL]
    study = podbor.create_study(storage=storage, study_name=name)
    study.optimize(lambda t: len(str(t.suggest_categorical(name, [name]))), n_trials=1)
    for argv in (
        ["studies"],
        ["trials", "--study-name", name],
        ["create-study", "--study-name", name + "2"],
    ):
        code, out, err = run([*argv, "--storage", memory_url, "-f", "table"])
        assert code == 0, err
        assert all(ch.isprintable() for line in out.splitlines() for ch in line)
        assert repr(name)[1:-1] in out
    # json and yaml escape them too, and read back as the same name
    code, out, _ = run(["studies", "--storage", memory_url, "-f", "json"])
    assert name in [s["name"] for s in json.loads(out)]
    assert all(ch.isprintable() or ch == "\n" for ch in out)


# -- generated inputs ---------------------------------------------------------------------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
_distribution = st.fixed_dictionaries(
    {
        "name": st.sampled_from(
            ["FloatDistribution", "IntDistribution", "CategoricalDistribution", "Nope"]
        ),
        "attributes": st.dictionaries(
            st.sampled_from(["low", "high", "step", "log", "choices", "q"]), _json, max_size=5
        ),
    }
)
_space = st.one_of(
    _json.map(json.dumps),
    st.dictionaries(st.text(min_size=1, max_size=6), _distribution | _json, max_size=3).map(
        json.dumps
    ),
    st.integers(min_value=1, max_value=3000).map(lambda n: '{"x": ' + "[" * n + "]" * n + "}"),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(space=_space)
def test_any_search_space_is_accepted_or_one_line(space: str) -> None:
    _check_search_space(space)


@pytest.mark.slow
@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(space=_space)
def test_any_search_space_is_accepted_or_one_line_long(space: str) -> None:
    _check_search_space(space)


def _check_search_space(space: str) -> None:
    storage = InMemoryStorage()
    podbor.create_study(storage=storage, study_name="s")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("podbor.cli._storage.get_storage", lambda url: storage)
        code, out, err = run(
            ["ask", "--storage", MEMORY_URL, "--study-name", "s", f"--search-space={space}"]
        )
    if code == 0:
        assert err == "" or "Traceback" not in err
        assert json.loads(out)["number"] == 0
    else:
        assert_one_line_error(code, out, err)
    # never a trial left RUNNING by a refused search space
    states = [t.state for t in podbor.load_study(study_name="s", storage=storage).trials]
    assert podbor.trial.TrialState.RUNNING not in states or code == 0


@settings(max_examples=40)
@given(name=st.text(min_size=1, max_size=12))
def test_any_study_name_prints_on_one_line_per_row(name: str) -> None:
    storage = InMemoryStorage()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("podbor.cli._storage.get_storage", lambda url: storage)
        argv = ["create-study", "--storage", MEMORY_URL, f"--study-name={name}", "-q"]
        code, out, err = run(argv)
        if code != 0:
            assert_one_line_error(code, out, err)
            return
        assert out.count("\n") == 1 and all(ch.isprintable() for ch in out[:-1])
        code, out, err = run(["studies", "--storage", MEMORY_URL])
    assert code == 0, err
    assert len(out.splitlines()) == 5  # rule, header, rule, the study, rule
    assert all(ch.isprintable() for line in out.splitlines() for ch in line)


def test_storage_upgrade_writes_no_schema_into_an_empty_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code = main(["storage", "upgrade", "--storage", f"sqlite:///{empty}"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("podbor: error: ") and err.count("\n") == 1
    assert "holds no podbor database" in err
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]
