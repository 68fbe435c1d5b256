"""``TorchDistributedTrial`` on two CPU processes (gloo), and the DDP digits example.

Behaviours ported from optuna-integration's tests/test_pytorch_distributed.py (which needs
``mpirun``): here two processes are spawned per test. Each pair costs seconds (both import
PyTorch), so the protocol checks share one pair: :func:`_protocol` runs them all in order on
both ranks and returns what each rank saw, and the test compares the two. The example trains
with ``DistributedDataParallel`` on a second pair.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.util
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("torch") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("PyTorch must be installed under CI=true (make test installs it)")
    pytest.skip("PyTorch is not installed", allow_module_level=True)

import torch
import torch.distributed as dist

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.integration.pytorch_distributed import TorchDistributedTrial
from podbor.storages import JournalStorage
from podbor.storages.journal import JournalFileBackend
from podbor.trial import FixedTrial, TrialState

pytestmark = pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROPERTIES = (
    "number",
    "params",
    "distributions",
    "user_attrs",
    "system_attrs",
    "constraints",
    "datetime_start",
)


# -- running a function on two ranks ------------------------------------------------------------
def _spawn(target: Callable[[int, Path], Any], folder: Path, world: int = 2) -> list[Any]:
    """``target(rank, folder)`` on ``world`` gloo processes; what each rank returned."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_rank, args=(target, r, world, str(folder))) for r in range(world)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + 120
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join()
    results, failures = [], []
    for rank, p in enumerate(procs):
        out = folder / f"rank{rank}.pickle"
        if not out.exists():
            failures.append(f"rank {rank} left no result (exit code {p.exitcode})")
            continue
        status, value = pickle.loads(out.read_bytes())
        if status == "error":
            failures.append(f"rank {rank} raised:\n{value}")
        results.append(value)
    if failures:
        pytest.fail("\n".join(failures))
    return results


def _rank(target: Callable[[int, Path], Any], rank: int, world: int, folder: str) -> None:
    torch.set_num_threads(1)  # two ranks share a small machine
    warnings.filterwarnings("ignore", category=podbor.exceptions.ExperimentalWarning)
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    try:
        dist.init_process_group(
            "gloo",
            init_method="file://" + os.path.join(folder, "rendezvous"),
            rank=rank,
            world_size=world,
            timeout=datetime.timedelta(seconds=30),  # a rank left waiting fails, not hangs
        )
        try:
            result: tuple[str, Any] = ("ok", target(rank, Path(folder)))
        finally:
            dist.destroy_process_group()
    except BaseException:
        result = ("error", traceback.format_exc())
    Path(folder, f"rank{rank}.pickle").write_bytes(pickle.dumps(result))


def _outcome(call: Callable[[], Any]) -> tuple[str, Any, list[str]]:
    """``("ok", value, [])`` or ``(exception type, message, its notes)``: picklable."""
    try:
        return ("ok", call(), [])
    except Exception as err:
        return (type(err).__name__, str(err), list(getattr(err, "__notes__", [])))


class _Stubborn(Exception):
    """An exception pickle can write but not read back (its ``__init__`` takes two arguments)."""

    def __init__(self, value: Any, step: Any) -> None:
        super().__init__(f"refused {value} at {step}")


class _RefusingTrial(FixedTrial):
    def report(self, value: float, step: int) -> None:
        raise _Stubborn(value, step)


_SCHEDULE = {False: [0.9, 0.9, 0.9, 0.9], True: [0.9, 0.7, 0.3, 0.2]}


def _pruned_objective(log: list[Any]) -> Callable[[Any], float]:
    """An objective whose ``bad`` trials fall under the ThresholdPruner(lower=0.5) at epoch 2."""

    def objective(inner: Any) -> float:
        trial = TorchDistributedTrial(inner)
        bad = trial.suggest_categorical("bad", (False, True))
        value = 0.0
        for epoch, value in enumerate(_SCHEDULE[bool(bad)]):
            trial.report(value, epoch)
            if trial.should_prune():  # the same answer on both ranks, or they would part here
                log.append((trial.number, epoch, "pruned"))
                raise podbor.TrialPruned()
        log.append((trial.number, len(_SCHEDULE[bool(bad)]), "complete"))
        return value

    return objective


def _protocol(rank: int, folder: Path) -> dict[str, Any]:
    """Every check of the calls' protocol, in order, on both ranks; what this rank saw."""
    seen: dict[str, Any] = {}
    storage = JournalStorage(JournalFileBackend(str(folder / "journal.log"))) if rank == 0 else None

    # The trial of a study on rank 0, None elsewhere; an ExperimentalWarning, as Optuna's.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = inner = None
        if rank == 0:
            study = podbor.create_study(
                study_name="shared",
                storage=storage,
                pruner=podbor.pruners.ThresholdPruner(lower=0.5),
            )
            inner = study.ask()
        trial = TorchDistributedTrial(inner)
    seen["warnings"] = sorted({w.category.__name__ for w in caught})
    seen["start"] = (trial.number, trial.params, trial.datetime_start)

    seen["suggest"] = [
        trial.suggest_float("x", 0, 1),
        trial.suggest_float("x", 0, 1),
        trial.suggest_float("lr", 1e-5, 1, log=True),
        trial.suggest_float("q", 0, 1, step=0.25),
        trial.suggest_int("n", 0, 10),
        trial.suggest_int("s", 0, 10, 2),  # optuna-integration's positional step
        trial.suggest_int("il", 1, 128, log=True),
        trial.suggest_categorical("c", ("a", "b", "c")),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        seen["deprecated"] = [
            trial.suggest_uniform("u", 0, 1),
            trial.suggest_loguniform("lu", 1e-3, 1),
            trial.suggest_discrete_uniform("du", 0, 10, 2),
        ]
    trial.set_user_attr("dataset", "digits")
    trial.set_user_attr("batch_size", 128)
    trial.set_system_attr("seen_by", f"rank {rank}")  # rank 0's value is the one kept
    trial.set_constraint("memory", -1.0)
    trial.report(0.9, 0)
    trial.report(0.8, 1)
    seen["should_prune"] = trial.should_prune()

    # Rank 0's error is raised on every rank, whatever the others passed; the ranks stay in step.
    seen["errors"] = [
        _outcome(lambda: trial.suggest_float("bad", 1.0, 0.0 if rank == 0 else 2.0)),
        _outcome(lambda: trial.suggest_categorical("x", ("a", "b"))),  # x is a float already
        _outcome(lambda: trial.report("abc", 2)),
        _outcome(lambda: trial.set_user_attr("tensor", torch.ones(2))),  # not JSON
    ]
    seen["after_errors"] = trial.suggest_int("n", 0, 10)
    seen["properties"] = {name: getattr(trial, name) for name in PROPERTIES}

    # Reading a property is local: one rank reads while the other waits at a barrier.
    for reader in (0, 1):
        if rank == reader:
            seen[f"read_alone_{reader}"] = [getattr(trial, name) for name in PROPERTIES]
        dist.barrier()

    # A rank that makes another call than rank 0 is told so (rank 0 cannot know).
    seen["diverged"] = _outcome(lambda: trial.suggest_float("p" if rank == 0 else "q", 0, 1))
    seen["in_step_again"] = trial.suggest_float("p", 0, 1)
    if study is not None:
        study.tell(inner, 1.0)

    # Pruning inside study.optimize: both ranks stop at the same epoch; then replay a frozen trial.
    log: list[Any] = []
    objective = _pruned_objective(log)
    if rank == 0:
        pruning = podbor.create_study(
            study_name="pruning",
            storage=storage,
            pruner=podbor.pruners.ThresholdPruner(lower=0.5),
        )
        pruning.enqueue_trial({"bad": False})
        pruning.enqueue_trial({"bad": True})
        pruning.optimize(objective, n_trials=2)
        seen["replay"] = objective(pruning.trials[0])  # a FrozenTrial (Optuna's issue #4697)
    else:
        for _ in range(2):
            with contextlib.suppress(podbor.TrialPruned):
                objective(None)
        seen["replay"] = objective(None)
    seen["pruning_log"] = log

    # A FixedTrial on rank 0.
    fixed = TorchDistributedTrial(FixedTrial({"lr": 0.01, "n": 3}, number=7) if rank == 0 else None)
    seen["fixed"] = [
        fixed.number,
        fixed.suggest_float("lr", 1e-4, 1, log=True),
        fixed.suggest_int("n", 1, 4),
        fixed.should_prune(),
        fixed.params,
    ]
    # An error the other ranks cannot unpickle, and a result pickle refuses: both still travel.
    refusing = TorchDistributedTrial(_RefusingTrial({}) if rank == 0 else None)
    seen["unpicklable_error"] = _outcome(lambda: refusing.report(0.5, 0))
    seen["unsendable_result"] = _outcome(lambda: fixed.set_user_attr("hook", lambda: None))

    # Wrong arguments: every rank raises, not only the one that passed the wrong trial.
    seen["both_wrong"] = _outcome(lambda: TorchDistributedTrial(FixedTrial({}) if rank else None))
    seen["rank0_wrong"] = _outcome(lambda: TorchDistributedTrial(None))
    seen["rank1_wrong"] = _outcome(lambda: TorchDistributedTrial(FixedTrial({})))
    seen["bad_group"] = _outcome(lambda: TorchDistributedTrial(None, group="world"))  # type: ignore[arg-type]

    # Explicit groups (every rank takes part in making one): both ranks, and rank 0 alone.
    pair, alone = dist.new_group([0, 1]), dist.new_group([0])
    one = FixedTrial({"a": 1}) if rank == 0 else None
    seen["explicit_group"] = TorchDistributedTrial(one, group=pair).suggest_int("a", 0, 2)
    seen["group_of_one"] = _outcome(
        lambda: TorchDistributedTrial(one, group=alone).suggest_int("a", 0, 2)
    )

    # A default group that cannot carry CPU tensors (NCCL) gets one gloo twin, made once.
    real = dist.get_backend
    dist.get_backend = lambda group=None: "nccl"  # type: ignore[assignment]
    try:
        first, second = TorchDistributedTrial(one), TorchDistributedTrial(one)
        seen["twin"] = [
            first._group is not dist.group.WORLD,
            first._group is second._group,
            second.suggest_int("a", 0, 2),
        ]
    finally:
        dist.get_backend = real
    return seen


# -- the tests ----------------------------------------------------------------------------------
def test_two_ranks_share_one_trial(tmp_path: Path) -> None:
    r0, r1 = _spawn(_protocol, tmp_path)
    for key in (
        "warnings",
        "start",
        "suggest",
        "deprecated",
        "should_prune",
        "after_errors",
        "properties",
        "in_step_again",
        "replay",
        "pruning_log",
        "fixed",
        "explicit_group",
        "twin",
    ):
        assert r0[key] == r1[key], key
    assert r0["warnings"] == ["ExperimentalWarning"]
    assert r0["start"][:2] == (0, {}) and isinstance(r0["start"][2], datetime.datetime)

    x, x_again, lr, q, n, s, il, c = r0["suggest"]
    assert x == x_again and 0 <= x <= 1 and 1e-5 <= lr <= 1 and q in (0, 0.25, 0.5, 0.75, 1)
    assert 0 <= n <= 10 and s in range(0, 11, 2) and 1 <= il <= 128 and c in ("a", "b", "c")
    assert [type(v) for v in r1["suggest"]] == [float] * 4 + [int] * 3 + [str]
    u, lu, du = r0["deprecated"]
    assert 0 <= u <= 1 and 1e-3 <= lu <= 1 and du in range(0, 11, 2)
    assert r0["should_prune"] is False and r0["after_errors"] == n

    shown = r1["properties"]
    assert shown["number"] == 0
    names = ["x", "lr", "q", "n", "s", "il", "c", "u", "lu", "du"]
    assert shown["params"] == dict(zip(names, r0["suggest"][1:] + r0["deprecated"]))
    assert shown["distributions"]["lr"] == FloatDistribution(1e-5, 1, log=True)
    assert shown["distributions"]["s"] == IntDistribution(0, 10, step=2)
    assert shown["distributions"]["c"] == CategoricalDistribution(("a", "b", "c"))
    assert shown["user_attrs"] == {"dataset": "digits", "batch_size": 128}
    assert shown["system_attrs"]["seen_by"] == "rank 0"
    assert shown["constraints"] == {"memory": -1.0}
    assert r0["read_alone_0"] == r1["read_alone_1"] == list(shown.values())

    # What rank 0 reported and set is in the study's storage.
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    stored = podbor.load_study(study_name="shared", storage=storage).trials[0]
    assert stored.state == TrialState.COMPLETE
    assert stored.intermediate_values == {0: 0.9, 1: 0.8}
    assert stored.params == {**shown["params"], "p": r0["in_step_again"]}
    assert stored.user_attrs == shown["user_attrs"]
    assert stored.system_attrs["seen_by"] == "rank 0"

    # Rank 0's errors, with the same type and message on rank 1 (plus a note saying where).
    bad_type = "InvalidArgumentTypeError"  # a TypeError; the others are ValueErrors
    kinds = ["InvalidArgumentError", "InvalidArgumentError", bad_type, "InvalidArgumentError"]
    assert [e[0] for e in r0["errors"]] == kinds
    assert [e[:2] for e in r1["errors"]] == [e[:2] for e in r0["errors"]]
    assert "must be <= high (0.0)" in r0["errors"][0][1]  # rank 0's arguments, not rank 1's
    assert all(e[2] == [] for e in r0["errors"])
    if sys.version_info >= (3, 11):  # exceptions take notes from 3.11 on
        note = "(raised by the trial on rank 0; seen on rank 1)"
        assert all(e[2] == [note] for e in r1["errors"])

    assert r0["diverged"][0] == "ok"
    kind, message, _ = r1["diverged"]
    assert kind == "RuntimeError"
    assert "rank 1 called suggest_float('q')" in message
    assert "rank 0 called suggest_float('p')" in message

    # Trial 1 was pruned at epoch 2 on both ranks (stored once, by rank 0); trial 0 replays.
    assert r0["pruning_log"] == [(0, 4, "complete"), (1, 2, "pruned"), (0, 4, "complete")]
    pruning = podbor.load_study(study_name="pruning", storage=storage)
    assert [t.state for t in pruning.trials] == [TrialState.COMPLETE, TrialState.PRUNED]
    assert pruning.trials[1].intermediate_values == {0: 0.9, 1: 0.7, 2: 0.3}
    assert r0["replay"] == 0.9

    assert r0["fixed"] == [7, 0.01, 3, False, {"lr": 0.01, "n": 3}]
    assert r0["unpicklable_error"][:2] == ("_Stubborn", "refused 0.5 at 0")
    kind, message, _ = r1["unpicklable_error"]
    assert kind == "RuntimeError" and "_Stubborn" in message and "refused 0.5 at 0" in message
    for seen in (r0, r1):
        kind, message, _ = seen["unsendable_result"]
        assert kind == "RuntimeError" and "could not be sent" in message

    assert r0["both_wrong"][0] == r1["both_wrong"][0] == "InvalidArgumentError"
    assert "on rank 0" in r0["both_wrong"][1] and "None on rank 1" in r1["both_wrong"][1]
    assert r0["rank0_wrong"][0] == r1["rank0_wrong"][0] == "InvalidArgumentError"
    assert "failed on rank 0" in r1["rank0_wrong"][1]
    assert r0["rank1_wrong"][0] == r1["rank1_wrong"][0] == "InvalidArgumentError"
    assert "failed on rank 1" in r0["rank1_wrong"][1]
    assert r0["bad_group"][0] == r1["bad_group"][0] == "InvalidArgumentTypeError"

    assert r0["explicit_group"] == 1
    assert r0["group_of_one"][:2] == ("ok", 1)
    assert r1["group_of_one"][0] == "InvalidArgumentError"
    assert "belongs to" in r1["group_of_one"][1]
    assert r0["twin"] == [True, True, 1]


def test_without_a_process_group_it_is_a_runtime_error() -> None:
    if dist.is_initialized():  # pragma: no cover - no test of this process initializes one
        pytest.skip("a process group is initialized in this process")
    with pytest.raises(RuntimeError, match="torch distributed is not initialized"):
        TorchDistributedTrial(FixedTrial({}))


def test_a_missing_pytorch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"needs PyTorch.*pip install podbor\[torch\]"):
        TorchDistributedTrial(None)


def test_importing_the_module_imports_no_torch() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, podbor.integration.pytorch_distributed; print('torch' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_ddp_example_prunes_a_terrible_learning_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))  # for this process and the ranks it spawns
    import pytorch_distributed

    url = "sqlite:///" + str(tmp_path / "ddp.db")
    study = podbor.create_study(
        study_name=pytorch_distributed.STUDY, storage=url, direction="maximize"
    )
    for params in ({"lr": 0.01, "width": 64}, {"lr": 0.02, "width": 32}, {"lr": 1.0, "width": 16}):
        study.enqueue_trial(params)
    study = pytorch_distributed.main(["--storage", url, "--n-trials", "3", "--epochs", "4"])
    good, fine, terrible = study.trials
    assert good.state == fine.state == TrialState.COMPLETE
    assert good.value > 0.85 and fine.value > 0.85  # digits is easy, even in four epochs
    assert terrible.state == TrialState.PRUNED
    assert terrible.params == {"lr": 1.0, "width": 16}
    assert len(terrible.intermediate_values) < 4  # stopped early, on both ranks at once
    assert max(terrible.intermediate_values.values()) < 0.5
