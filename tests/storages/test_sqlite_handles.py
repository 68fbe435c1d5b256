"""Several RDBStorage handles on one SQLite file in one process, while another process writes.

Opening a handle reads the file's header first; POSIX drops every lock a process holds on a
file when it closes any descriptor of it, so reading the header of a file that this process
already has open would release the other handles' locks: a writer elsewhere could then
checkpoint and remove the WAL under them (stale reads, "database disk image is malformed").
"""

from __future__ import annotations

import subprocess
import sys

import podbor

_WRITER = (
    "import podbor; podbor.logging.set_verbosity(podbor.logging.WARNING); "
    "s = podbor.load_study(study_name='s', storage={url!r}); "
    "s.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=2)"
)


def test_a_second_handle_does_not_disturb_the_first(sqlite_url: str) -> None:
    podbor.create_study(storage=sqlite_url, study_name="s")  # a handle dropped at once
    first = podbor.load_study(study_name="s", storage=sqlite_url)
    assert first.trials == []
    subprocess.run([sys.executable, "-c", _WRITER.format(url=sqlite_url)], check=True)
    assert len(first.trials) == 2
    second = podbor.load_study(study_name="s", storage=sqlite_url)
    second.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    subprocess.run([sys.executable, "-c", _WRITER.format(url=sqlite_url)], check=True)
    assert len(first.trials) == len(second.trials) == 6
