"""The other process of the dashboard's browser tests: it writes the studies the page shows.

The browser tests check the page against a study that a separate process wrote (and keeps
writing), as a worker does while a user watches the dashboard. Run as a script:

    python tests/dashboard/dashboard_writer.py studies URL      # the fixed studies below
    python tests/dashboard/dashboard_writer.py big URL N        # a study "big" of N trials
    python tests/dashboard/dashboard_writer.py finish URL STUDY NUMBER VALUE
    python tests/dashboard/dashboard_writer.py add URL STUDY VALUE   # one more COMPLETE trial
    python tests/dashboard/dashboard_writer.py serve   # the same commands, one a line on stdin

The tests keep one ``serve`` process per module, so that a command does not pay Python's and
podbor's start-up again.

The studies: ``main`` (single objective, 24 complete + 2 pruned + 1 failed + 2 running trials,
parameters of each kind, intermediate values, the default sampler's decisions, user attributes),
``multi`` (two objectives, 10 complete trials) and a study whose name, parameters, attributes and
note are HTML (:data:`HOSTILE`), which must be shown as text.
"""

from __future__ import annotations

import math
import shlex
import sys
from collections.abc import Callable

import podbor
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.samplers import AutoSampler
from podbor.storages import BaseStorage, get_storage
from podbor.trial import TrialState, create_trial

HOSTILE = "<script>alert(1)</script>"
HOSTILE_PARAM = '<img src=x onerror="alert(2)">'
HOSTILE_CHOICE = "<b>bold</b> & \"quoted\" 'single' ü 日本"
HOSTILE_NOTE = "<script>alert(3)</script>\nsecond line & <i>not italic</i>"
NOTE_KEY = "dashboard:note"

DISTS = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 9, step=2),
    "kind": CategoricalDistribution(["svm", "tree", "knn"]),
}


def main_params(i: int, n: int = 24) -> dict[str, object]:
    """The params of the i-th complete trial of ``main``: spread, some ties in ``n`` and ``kind``."""
    return {
        "x": -5.0 + 10.0 * ((i * 7) % n) / (n - 1),
        "lr": 10.0 ** (-5 + 4 * ((i * 5) % n) / (n - 1)),
        "n": 1 + 2 * (i % 5),
        "kind": ["svm", "tree", "knn"][i % 3],
    }


def main_value(params: dict[str, object]) -> float:
    x, lr, n = (float(params[name]) for name in ("x", "lr", "n"))  # type: ignore[arg-type]
    return x * x + math.log10(lr) + n / 10 + (1.0 if params["kind"] == "tree" else 0.0)


_STORAGES: dict[str, BaseStorage] = {}


def storage_of(url: str) -> BaseStorage:
    """One storage per URL for the whole process.

    Opening a SQLite file again while this process holds connections on it would cancel
    SQLite's POSIX locks (podbor checks the file's header with open()/close()), and another
    process could then delete the WAL file this one still writes to.
    """
    if url not in _STORAGES:
        _STORAGES[url] = get_storage(url)
    return _STORAGES[url]


def write_studies(url: str) -> None:
    storage = storage_of(url)
    study = podbor.create_study(storage=storage, study_name="main")
    study.set_user_attr("owner", "tests")
    trials = []
    for i in range(24):
        params = main_params(i)
        value = main_value(params)
        choice = "qmc: start-up" if i < 5 else "tpe: 4 parameters"
        trials.append(
            create_trial(
                value=value,
                params=params,
                distributions=DISTS,
                intermediate_values={0: value + 2.0, 1: value + 1.0, 2: value},
                user_attrs={"fold": i % 2},
                system_attrs={AutoSampler.SYSTEM_ATTR: choice},
            )
        )
    trials.append(
        create_trial(
            state=TrialState.PRUNED,
            params={"x": 1.0, "lr": 1e-3, "n": 3, "kind": "svm"},
            distributions=DISTS,
            intermediate_values={0: 9.0, 1: 8.0},
        )
    )
    trials.append(
        create_trial(
            state=TrialState.PRUNED,
            params={"x": -1.0, "lr": 1e-4, "n": 5, "kind": "tree"},
            distributions=DISTS,
            intermediate_values={0: 7.0},
        )
    )
    trials.append(
        create_trial(
            state=TrialState.FAIL,
            params={"x": 2.0, "lr": 1e-2, "n": 5, "kind": "knn"},
            distributions=DISTS,
        )
    )
    study.add_trials(trials)
    for _ in range(2):  # two RUNNING trials, left for the tests to finish
        study.ask({"x": DISTS["x"]})

    multi = podbor.create_study(
        storage=storage, study_name="multi", directions=["minimize", "maximize"]
    )
    multi.set_metric_names(["loss", "accuracy"])
    multi.add_trials(
        create_trial(
            values=[float(i), float((i * 3) % 10)],
            params={"x": float(i), "y": float(9 - i)},
            distributions={"x": FloatDistribution(0, 10), "y": FloatDistribution(0, 10)},
        )
        for i in range(10)
    )

    hostile = podbor.create_study(storage=storage, study_name=HOSTILE)
    hostile.set_user_attr(HOSTILE_PARAM, HOSTILE_CHOICE)
    dists = {
        HOSTILE_PARAM: FloatDistribution(0, 1),
        "c": CategoricalDistribution([HOSTILE_CHOICE, HOSTILE]),
    }
    hostile.add_trials(
        create_trial(
            value=float(i),
            params={HOSTILE_PARAM: i / 4, "c": [HOSTILE_CHOICE, HOSTILE][i % 2]},
            distributions=dists,
            user_attrs={HOSTILE: HOSTILE_CHOICE},
        )
        for i in range(4)
    )
    storage.set_study_system_attr(hostile._study_id, NOTE_KEY, HOSTILE_NOTE)


def write_big(url: str, n: int) -> None:
    """A study ``big`` of ``n`` COMPLETE trials over x and y: past 2,000 points the server
    sends WebGL traces (``scattergl``)."""
    study = podbor.create_study(storage=storage_of(url), study_name="big")
    dists: dict[str, BaseDistribution] = {
        "x": FloatDistribution(0, 1),
        "y": FloatDistribution(0, 1),
    }
    study.add_trials(
        create_trial(
            value=float(i % 97),
            params={"x": (i % 89) / 89, "y": (i % 83) / 83},
            distributions=dists,
        )
        for i in range(n)
    )


def finish(url: str, name: str, number: int, value: float) -> None:
    podbor.load_study(study_name=name, storage=storage_of(url)).tell(number, value)


def add(url: str, name: str, value: float) -> None:
    study = podbor.load_study(study_name=name, storage=storage_of(url))
    study.add_trial(create_trial(value=value, params={"x": 4.5}, distributions={"x": DISTS["x"]}))


COMMANDS: dict[str, Callable[..., None]] = {
    "studies": lambda url: write_studies(url),
    "big": lambda url, n: write_big(url, int(n)),
    "finish": lambda url, name, number, value: finish(url, name, int(number), float(value)),
    "add": lambda url, name, value: add(url, name, float(value)),
}


def serve() -> None:
    """Run the commands read from stdin, one a line (shell-quoted); answer ``ok`` or the error."""
    for line in sys.stdin:
        command, *args = shlex.split(line)
        try:
            COMMANDS[command](*args)
        except Exception as err:  # the test that sent the command reports it
            print(f"error {err!r}", flush=True)
        else:
            print("ok", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        COMMANDS[sys.argv[1]](*sys.argv[2:])
