"""The runnable examples in ``examples/``: each exits 0 and prints its best result.

Each example runs as ``python examples/NAME.py`` in a subprocess, as a user would run it; the
three seminar examples take about one to three seconds each. Two longer runs are marked slow:
``run_all.py`` (what ``make demo`` runs), and one example run twice on a SQLite storage, which is
also skipped until ``podbor.storages.get_storage`` accepts ``sqlite:///`` URLs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import podbor

pytest.importorskip("pandas", reason="the examples print study.trials_dataframe()")
pytest.importorskip("sklearn", reason="the Lasso and ridge examples use scikit-learn")

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
SEMINAR_EXAMPLES = {
    "seminar_quadratic.py": "Minimum objective value",
    "seminar_lasso.py": "Minimum mean squared error",
    "seminar_conditional.py": "Minimum mean squared error",
}
BEST_PARAMS = re.compile(r"^Best parameter: \{.+\}$", re.MULTILINE)


def _sqlite_urls_work() -> bool:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        try:
            storage = podbor.storages.get_storage("sqlite:///" + os.path.join(tmp, "probe.db"))
        except Exception:
            return False
        storage.remove_session()
        return True


def run_example(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES_DIR / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def best_value(stdout: str, label: str) -> float:
    """The number on the line ``<label>: <number>``."""
    match = re.search(rf"^{label}: (\S+)$", stdout, re.MULTILINE)
    assert match is not None, f"no '{label}: …' line in:\n{stdout}"
    return float(match.group(1))


@pytest.mark.parametrize("name", sorted(SEMINAR_EXAMPLES))
def test_seminar_example_prints_its_best_result(name: str) -> None:
    done = run_example(name)
    assert done.returncode == 0, done.stderr
    value = best_value(done.stdout, SEMINAR_EXAMPLES[name])
    assert value >= 0.0
    assert BEST_PARAMS.search(done.stdout)
    # The trials dataframe (pandas elides middle columns when they exceed the display width).
    assert "number" in done.stdout and re.search(r"\[\d+ rows x \d+ columns\]", done.stdout)
    assert "Traceback" not in done.stderr


def test_quadratic_finds_the_neighbourhood_of_two() -> None:
    done = run_example("seminar_quadratic.py")
    assert done.returncode == 0, done.stderr
    # 100 random draws on [-100, 100]: the best one misses x = 2 by more than 10 with
    # probability (1 - 20/200) ** 100 < 3e-5, i.e. (x - 2) ** 2 > 100.
    assert best_value(done.stdout, "Minimum objective value") < 100.0


@pytest.mark.slow
@pytest.mark.skipif(not _sqlite_urls_work(), reason="get_storage does not accept sqlite:/// yet")
def test_example_keeps_its_trials_in_a_storage(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/demo.db"
    for _ in range(2):
        done = run_example("seminar_lasso.py", "--storage", url)
        assert done.returncode == 0, done.stderr
    study = podbor.load_study(study_name="seminar-lasso", storage=url)
    assert len(study.trials) == 40  # the second run continued the same study


@pytest.mark.slow
def test_run_all_runs_every_example() -> None:
    done = run_example("run_all.py")
    assert done.returncode == 0, done.stderr
    summary = done.stdout.split("Best results", 1)[1]
    for name, label in SEMINAR_EXAMPLES.items():
        assert re.search(rf"^{name} +{label}: \S+; Best parameter: \{{", summary, re.MULTILINE)
