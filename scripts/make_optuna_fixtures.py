"""Write the Optuna fixtures of tests/storages/optuna_fixtures/ with a real Optuna release.

podbor never depends on Optuna. This script runs in a separate virtual environment that has
one Optuna release installed, and writes, for that release:

* ``optuna-<X.Y>.sqlite3``  an RDB storage (SQLite) as that release writes it;
* ``optuna-<X.Y>.journal``  a journal file as that release writes it;
* ``optuna-<X.Y>.sqlite3.json`` and ``optuna-<X.Y>.journal.json``  what Optuna itself reads
  back from each file (studies, directions, attributes and every trial), which the tests of
  ``podbor.copy_study`` compare podbor's reading with.

Both files hold the same three studies, written through Optuna's public API: ``single`` (one
objective; every trial state, every kind of parameter, reports with ±inf and NaN, attributes),
``deleted`` (created, given a trial, then deleted: readers must skip it) and ``multi`` (two
objectives, NSGA-II with constraints, a failed trial).

The script sets the time zone to Asia/Tokyo before Optuna is imported, so that the fixtures
show whether a reader converts the times each release stores (Optuna 5 stores UTC) correctly;
the JSON records the zone, and the tests read the fixtures in it.

Run it once per release, e.g. from the repository root::

    python3 -m venv /tmp/optuna-envs/5.0
    /tmp/optuna-envs/5.0/bin/pip install 'optuna==5.0.*'
    /tmp/optuna-envs/5.0/bin/python scripts/make_optuna_fixtures.py tests/storages/optuna_fixtures

The fixtures committed were written by Optuna 3.6.2, 4.0.0, 4.9.0 and 5.0.0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)
from optuna.trial import TrialState

TIME_ZONE = "Asia/Tokyo"


def _journal_storage(path: Path) -> Any:
    try:
        from optuna.storages.journal import JournalFileBackend as backend  # Optuna >= 4.0
    except ImportError:
        from optuna.storages import JournalFileStorage as backend  # Optuna 3.x
    return optuna.storages.JournalStorage(backend(str(path)))


SPACE = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "s": FloatDistribution(0.0, 10.0, step=0.5),
    "n": IntDistribution(1, 10),
    "nl": IntDistribution(1, 1024, log=True),
    "ns": IntDistribution(0, 10, step=2),
    "c": CategoricalDistribution(["a", "b", "c"]),
    "flag": CategoricalDistribution([True, False]),
    "opt": CategoricalDistribution([None, 1, 2.5, "x"]),
}


def _suggest_all(trial: Any) -> None:
    trial.suggest_float("x", -5.0, 5.0)
    trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    trial.suggest_float("s", 0.0, 10.0, step=0.5)
    trial.suggest_int("n", 1, 10)
    trial.suggest_int("nl", 1, 1024, log=True)
    trial.suggest_int("ns", 0, 10, step=2)
    trial.suggest_categorical("c", ["a", "b", "c"])
    trial.suggest_categorical("flag", [True, False])
    trial.suggest_categorical("opt", [None, 1, 2.5, "x"])


def _set_system_attr(study: Any, trial_id: int, key: str, value: Any) -> None:
    """Through the storage: ``Trial.set_system_attr`` is gone in Optuna 5.0."""
    study._storage.set_trial_system_attr(trial_id, key, value)


def _fill_single(study: Any) -> None:
    """Trial 0-1 added, 2 COMPLETE, 3 PRUNED, 4 FAIL, 5 RUNNING, 6 WAITING (by number)."""
    study.set_user_attr("dataset", "digits")
    study.set_user_attr("folds", [1, 2, {"k": None}])
    study._storage.set_study_system_attr(study._study_id, "sampler_state", {"seed": 0})
    params = {"x": 1.5, "lr": 0.001, "s": 2.5, "n": 3, "nl": 64, "ns": 4}
    params.update({"c": "b", "flag": False, "opt": None})
    study.add_trial(
        optuna.trial.create_trial(
            params=params,
            distributions=SPACE,
            value=0.25,
            user_attrs={"note": "added", "nested": {"a": [1, 2.5, "z"]}},
            system_attrs={"constraints": [0.5, -1.0], "origin": "add_trial"},
            intermediate_values={0: 1.0, 1: math.inf, 2: math.nan, 3: -math.inf, 7: 0.5},
        )
    )
    study.add_trial(
        optuna.trial.create_trial(
            params={"x": 0.0}, distributions={"x": SPACE["x"]}, value=-math.inf
        )
    )

    done = study.ask()
    _suggest_all(done)
    done.report(3.0, 0)
    done.report(math.nan, 1)
    done.report(math.inf, 2)
    done.set_user_attr("epoch", 3)
    _set_system_attr(study, done._trial_id, "constraints", [-0.25])
    study.tell(done, 1.75)

    pruned = study.ask()
    pruned.suggest_float("x", -5.0, 5.0)
    pruned.report(9.0, 0)
    pruned.report(8.5, 4)
    study.tell(pruned, state=TrialState.PRUNED)

    failed = study.ask()
    failed.suggest_int("n", 1, 10)
    study.tell(failed, state=TrialState.FAIL)

    running = study.ask()
    running.suggest_categorical("c", ["a", "b", "c"])
    running.report(0.125, 0)

    study.enqueue_trial({"x": 2.0, "c": "a"}, user_attrs={"queued": True})


def _fill_multi(study: Any) -> None:
    study.set_user_attr("objectives", ["loss", "accuracy"])

    def objective(trial: Any) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        k = trial.suggest_int("k", 1, 5)
        if trial.number == 2:
            raise ValueError("a failing trial")
        trial.set_user_attr("k_squared", k * k)
        return x * k, 1.0 - x

    study.optimize(objective, n_trials=4, catch=(ValueError,))


def _write(storage: Any) -> None:
    random_sampler = optuna.samplers.RandomSampler(seed=0)
    single = optuna.create_study(
        storage=storage, study_name="single", direction="minimize", sampler=random_sampler
    )
    _fill_single(single)
    deleted = optuna.create_study(storage=storage, study_name="deleted", direction="maximize")
    deleted.add_trial(optuna.trial.create_trial(value=1.0))
    optuna.delete_study(study_name="deleted", storage=storage)
    sampler = optuna.samplers.NSGAIISampler(
        seed=0, constraints_func=lambda t: [t.params["x"] - 0.5]
    )
    multi = optuna.create_study(
        storage=storage,
        study_name="multi",
        directions=["minimize", "maximize"],
        sampler=sampler,
    )
    _fill_multi(multi)


def _float(value: float | None) -> Any:
    """A float as JSON can hold it exactly: finite floats as numbers, others as strings."""
    if value is None or math.isfinite(value):
        return value
    return repr(value)  # 'inf', '-inf', 'nan'


def _time(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _dump_trial(trial: Any) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": None if trial.values is None else [_float(v) for v in trial.values],
        "datetime_start": _time(trial.datetime_start),
        "datetime_complete": _time(trial.datetime_complete),
        "params": trial.params,
        "distributions": {
            name: json.loads(distribution_to_json(d)) for name, d in trial.distributions.items()
        },
        "user_attrs": trial.user_attrs,
        "system_attrs": trial.system_attrs,
        "intermediate_values": {
            str(step): _float(v) for step, v in sorted(trial.intermediate_values.items())
        },
    }


def _dump(storage: Any) -> dict[str, Any]:
    studies = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        studies.append(
            {
                "name": study.study_name,
                "directions": [d.name for d in study.directions],
                "user_attrs": study.user_attrs,
                "system_attrs": study._storage.get_study_system_attrs(study._study_id),
                "trials": [_dump_trial(t) for t in study.get_trials(deepcopy=False)],
            }
        )
    return {"optuna_version": optuna.__version__, "time_zone": TIME_ZONE, "studies": studies}


def _open(url: str) -> Any:
    """An Optuna storage for a database URL or a ``journal:PATH`` (as podbor names files)."""
    if url.startswith("journal:"):
        path = url[len("journal:") :]
        return _journal_storage(Path(path[2:] if path.startswith("//") else path))
    return optuna.storages.RDBStorage(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", help="the fixture folder to write")
    parser.add_argument(
        "--dump",
        metavar="URL",
        help="instead, print what Optuna reads from URL (a database URL or journal:PATH) as "
        "JSON, in the time zone of the environment (the optional test of podbor's export)",
    )
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.dump:
        print(json.dumps(_dump(_open(args.dump)), sort_keys=True))
        return
    if args.out is None:
        parser.error("give the fixture folder, or --dump URL")
    os.environ["TZ"] = TIME_ZONE
    time.tzset()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    version = ".".join(optuna.__version__.split(".")[:2])
    rdb, journal = out / f"optuna-{version}.sqlite3", out / f"optuna-{version}.journal"
    for path in (rdb, journal):
        path.unlink(missing_ok=True)
    for path, storage in ((rdb, f"sqlite:///{rdb}"), (journal, _journal_storage(journal))):
        _write(storage)
        if isinstance(storage, str):  # read back through a fresh storage object
            storage = optuna.storages.RDBStorage(storage)
        else:
            storage = _journal_storage(journal)
        expected = _dump(storage)
        Path(f"{path}.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path} and {path}.json")
    _compact(rdb)


def _compact(path: Path) -> None:
    """Rewrite the SQLite file with small pages (its rows are unchanged): a few KiB, not 100."""
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA page_size = 512")
    connection.execute("VACUUM")
    connection.close()


if __name__ == "__main__":
    main()
