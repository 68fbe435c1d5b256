"""examples/terminator.py runs as a user runs it and the terminator stops its study."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "terminator.py"


def test_example_stops_before_the_budget() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--n-trials", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    stopped = re.search(r"stopped the study after (\d+) of 60 trials", done.stdout)
    assert stopped is not None, done.stdout
    assert 20 <= int(stopped.group(1)) < 60  # not before the default min_n_trials
    best = re.search(r"^Best value: (\S+)$", done.stdout, re.MULTILINE)
    assert best is not None and 0.9 < float(best.group(1)) <= 1.0
    assert "Best parameters: {'C': " in done.stdout
