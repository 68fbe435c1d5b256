"""BoTorchSampler and its candidates functions: real (tiny) BoTorch fits, the plumbing, the example.

Skipped without BoTorch, except under CI. A BoTorch fit and acquisition maximization takes about
a second on a CPU, so the studies that fit are short (a few trials after two or three startup
trials, one or two parameters); the checks of the plumbing (shapes, encoding, pending points,
errors) use a candidates function that fits nothing (:class:`Recorder`).
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import InvalidArgumentError
from podbor.samplers import RandomSampler
from podbor.trial import BaseTrial, TrialState, create_trial

if importlib.util.find_spec("botorch") is None:
    if os.environ.get("CI") == "true":
        raise RuntimeError("BoTorch must be installed under CI=true (make test installs it)")
    pytest.skip("BoTorch is not installed", allow_module_level=True)

import torch

import podbor.integration._botorch.sampler as sampler_module
from podbor.integration import botorch as integration
from podbor.integration._botorch.problem import check_problem
from podbor.integration._botorch.sampler import _finite, default_candidates_func
from podbor.integration._botorch.space import OneHotSpace
from podbor.integration.botorch import BoTorchSampler

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "botorch_sampler.py"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    level = podbor.logging.get_verbosity()
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=Warning)
        yield
    podbor.logging.set_verbosity(level)


class Recorder:
    """A candidates function that fits nothing: it keeps its arguments and returns ``answer``
    (a point drawn from torch's generator by default)."""

    def __init__(self, answer: Callable[[int], Any] | None = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.answer = answer

    def __call__(
        self,
        train_x: torch.Tensor,
        train_obj: torch.Tensor,
        train_con: torch.Tensor | None,
        bounds: torch.Tensor,
        pending_x: torch.Tensor | None,
    ) -> Any:
        self.calls.append((train_x, train_obj, train_con, bounds, pending_x))
        width = bounds.shape[1]
        if self.answer is not None:
            return self.answer(width)
        return torch.rand(1, width, dtype=bounds.dtype)


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> Recorder:
    """Replace the sampler's default candidates function ``name`` by one that records its
    arguments and runs the real function."""
    real = getattr(sampler_module, name)
    recorder = Recorder()

    def wrapped(*args: Any) -> Any:
        recorder(*args)
        return real(*args)

    monkeypatch.setattr(sampler_module, name, wrapped)
    return recorder


def quadratic(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_float("y", -2.0, 2.0)
    return (x - 0.7) ** 2 + (y + 0.4) ** 2


def mixed(trial: BaseTrial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    n = trial.suggest_int("n", 0, 4)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return x**2 + n + (kind != "b")


# -- imports ---------------------------------------------------------------------------------------
def test_importing_podbor_imports_neither_torch_nor_botorch() -> None:
    code = (
        "import sys, podbor, podbor.integration, podbor.integration.botorch\n"
        "print(sorted(m for m in ('torch', 'botorch', 'gpytorch') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_without_botorch_using_it_names_the_pip_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['botorch'] = None\n"
        "from podbor.integration.botorch import BoTorchSampler, qei_candidates_func\n"
        "for use in (lambda: BoTorchSampler(), lambda: qei_candidates_func(1, 2, None, 3, None)):\n"
        "    try:\n"
        "        use()\n"
        "    except ImportError as err:\n"
        "        print(err)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "BoTorchSampler needs BoTorch" in lines[0]
    assert "qei_candidates_func needs BoTorch" in lines[1]
    assert all("pip install podbor[botorch]" in line for line in lines)


def test_public_names_are_optuna_integrations() -> None:
    assert integration.__all__ == sorted(integration.__all__)
    assert set(integration.__all__) == {
        "BoTorchSampler",
        "ehvi_candidates_func",
        "logei_candidates_func",
        "qehvi_candidates_func",
        "qei_candidates_func",
        "qlogei_candidates_func",
        "qlogei_parego_candidates_func",
        "qnehvi_candidates_func",
        "qnei_candidates_func",
        "qparego_candidates_func",
        "qkg_candidates_func",
        "qhvkg_candidates_func",
    }


# -- the sampler with BoTorch's recipes ------------------------------------------------------------
def test_same_seed_gives_same_trials_and_leaves_torchs_generator_alone() -> None:
    runs = []
    for _ in range(2):
        study = podbor.create_study(sampler=BoTorchSampler(n_startup_trials=2, seed=3))
        state = torch.get_rng_state()
        study.optimize(quadratic, n_trials=4)
        assert torch.equal(torch.get_rng_state(), state)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    other = podbor.create_study(sampler=BoTorchSampler(n_startup_trials=2, seed=4))
    other.optimize(quadratic, n_trials=2)
    assert [t.params for t in other.trials] != runs[0][:2]


def test_one_objective_finds_the_quadratics_minimum_better_than_random() -> None:
    botorch_study = podbor.create_study(sampler=BoTorchSampler(n_startup_trials=5, seed=0))
    botorch_study.optimize(quadratic, n_trials=14)
    random_study = podbor.create_study(sampler=RandomSampler(seed=0))
    random_study.optimize(quadratic, n_trials=14)
    assert botorch_study.best_value < 0.05
    assert botorch_study.best_value < random_study.best_value
    x, y = botorch_study.best_params["x"], botorch_study.best_params["y"]
    assert abs(x - 0.7) < 0.25 and abs(y + 0.4) < 0.25


def test_two_objectives_use_qehvi_on_values_to_maximize(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = spy(monkeypatch, "qehvi_candidates_func")
    study = podbor.create_study(
        directions=["minimize", "maximize"], sampler=BoTorchSampler(n_startup_trials=2, seed=0)
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=4)
    assert len(recorder.calls) == 2
    train_x, train_obj, train_con, _, pending = recorder.calls[-1]
    values = np.array([t.values for t in study.trials[:3]])
    np.testing.assert_allclose(train_obj.numpy(), values * [-1.0, 1.0])
    assert train_x.shape == (3, 2) and train_con is None and pending is None
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_set_constraint_reaches_the_default_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    single = spy(monkeypatch, "logei_candidates_func")
    study = podbor.create_study(sampler=BoTorchSampler(n_startup_trials=3, seed=0))

    def objective(trial: BaseTrial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_constraint("x_at_least_0.3", 0.3 - x)
        return x

    study.optimize(objective, n_trials=5)
    assert len(single.calls) == 2
    train_con = single.calls[-1][2]
    assert train_con is not None
    recorded = [t.constraints["x_at_least_0.3"] for t in study.trials[:4]]
    np.testing.assert_allclose(train_con.numpy()[:, 0], recorded)
    assert 0.3 <= study.best_value < 0.6  # the best feasible trial

    multi = spy(monkeypatch, "qehvi_candidates_func")
    two = podbor.create_study(
        directions=["minimize", "minimize"], sampler=BoTorchSampler(n_startup_trials=3, seed=0)
    )

    def two_objectives(trial: BaseTrial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_constraint("x_at_least_0.3", 0.3 - x)
        return x, (1 - x) ** 2

    two.optimize(two_objectives, n_trials=4)
    assert len(multi.calls) == 1
    assert multi.calls[0][2] is not None and multi.calls[0][2].shape == (3, 1)


def test_deprecated_constraints_func_warns_and_is_evaluated() -> None:
    recorder = Recorder()
    with pytest.warns(FutureWarning, match="constraints_func"):
        sampler = BoTorchSampler(
            candidates_func=recorder,
            constraints_func=lambda t: [t.params["x"] - 0.5],
            n_startup_trials=2,
        )
    study = podbor.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    assert all(t.constraints == {"0": t.params["x"] - 0.5} for t in study.trials)
    train_con = recorder.calls[-1][2]
    np.testing.assert_allclose(
        train_con.numpy()[:, 0], [t.params["x"] - 0.5 for t in study.trials[:3]]
    )


# -- the plumbing ----------------------------------------------------------------------------------
def test_custom_candidates_func_gets_the_documented_tensors() -> None:
    recorder = Recorder()
    study = podbor.create_study(
        sampler=BoTorchSampler(candidates_func=recorder, n_startup_trials=3, seed=0)
    )
    study.optimize(mixed, n_trials=6)
    assert len(recorder.calls) == 3
    for k, (train_x, train_obj, train_con, bounds, pending) in enumerate(recorder.calls):
        n = 3 + k
        # columns: kind (3, one-hot), n, x: sorted by name
        assert train_x.shape == (n, 5) and train_obj.shape == (n, 1)
        assert train_x.dtype == train_obj.dtype == bounds.dtype == torch.float64
        assert train_con is None and pending is None
        np.testing.assert_array_equal(bounds.numpy(), [[0.0] * 5, [1.0] * 5])
        assert ((train_x >= 0) & (train_x <= 1)).all()
        np.testing.assert_array_equal(train_x[:, :3].sum(dim=1).numpy(), np.ones(n))
        np.testing.assert_allclose(train_obj[:, 0].numpy(), [-t.value for t in study.trials[:n]])


def test_consider_running_trials_hands_over_pending_points() -> None:
    recorder = Recorder()
    sampler = BoTorchSampler(
        candidates_func=recorder, n_startup_trials=2, consider_running_trials=True, seed=0
    )
    study = podbor.create_study(sampler=sampler)
    study.optimize(quadratic, n_trials=2)
    full = study.ask()
    quadratic(full)  # left running with both parameters
    partial = study.ask()
    partial.suggest_float("x", -2.0, 2.0)  # left running with one
    study.optimize(quadratic, n_trials=1)
    pending = recorder.calls[-1][4]
    assert pending is not None and pending.shape == (1, 2)
    expected = [(full.params["x"] + 2) / 4, (full.params["y"] + 2) / 4]
    np.testing.assert_allclose(pending.numpy()[0], expected)

    without = Recorder()
    study = podbor.create_study(
        sampler=BoTorchSampler(candidates_func=without, n_startup_trials=1, seed=0)
    )
    study.optimize(quadratic, n_trials=1)
    quadratic(study.ask())
    study.optimize(quadratic, n_trials=1)
    assert without.calls[-1][4] is None


def test_proposals_decode_inside_every_distribution() -> None:
    space = {
        "float": FloatDistribution(-3.5, 2.0),
        "log_float": FloatDistribution(1e-4, 10.0, log=True),
        "step_float": FloatDistribution(-0.5, 0.7, step=0.1),
        "int": IntDistribution(-5, 5),
        "log_int": IntDistribution(1, 1000, log=True),
        "step_int": IntDistribution(0, 12, step=3),
        "kind": CategoricalDistribution(("a", None, 2.5)),
    }
    answers = iter([-0.5, 1.5, 0.0, 1.0, 0.999])

    def edge(width: int) -> torch.Tensor:
        return torch.full((1, width), next(answers), dtype=torch.float64)

    study = podbor.create_study(
        sampler=BoTorchSampler(candidates_func=Recorder(edge), n_startup_trials=2, seed=0)
    )

    def objective(trial: BaseTrial) -> float:
        trial.suggest_float("float", -3.5, 2.0)
        trial.suggest_float("log_float", 1e-4, 10.0, log=True)
        trial.suggest_float("step_float", -0.5, 0.7, step=0.1)
        trial.suggest_int("int", -5, 5)
        trial.suggest_int("log_int", 1, 1000, log=True)
        trial.suggest_int("step_int", 0, 12, step=3)
        trial.suggest_categorical("kind", ("a", None, 2.5))
        return 0.0

    study.optimize(objective, n_trials=7)
    for trial in study.trials:
        for name, dist in space.items():
            value = trial.params[name]
            assert trial.distributions[name] == dist
            internal = dist.to_internal_repr(value)
            assert dist.to_external_repr(internal) == value, (name, value)
            if isinstance(dist, CategoricalDistribution):
                continue
            assert dist.low <= internal <= dist.high, (name, value)
            if dist.step is not None:
                steps = (internal - dist.low) / dist.step
                assert abs(steps - round(steps)) < 1e-9, (name, value)
    model_trials = study.trials[2:]
    assert model_trials[0].params["float"] == -3.5 and model_trials[1].params["float"] == 2.0
    assert model_trials[1].params["log_int"] == 1000 and model_trials[1].params["step_int"] == 12
    # a tie in the one-hot block goes to the first choice
    assert model_trials[3].params["kind"] == "a"


def test_the_largest_one_hot_column_picks_the_choice() -> None:
    dists = {"kind": CategoricalDistribution(("a", "b", "c")), "x": FloatDistribution(0, 1)}
    space = OneHotSpace(dists)
    assert space.decode(np.array([0.2, 0.9, 0.4, 0.25])) == {"kind": "b", "x": 0.25}
    trials = [
        create_trial(params={"kind": kind, "x": 0.5}, distributions=dists, value=0.0)
        for kind in ("c", "a")
    ]
    np.testing.assert_array_equal(space.encode_trials(trials), [[0, 0, 1, 0.5], [1, 0, 0, 0.5]])


def test_startup_trials_use_the_independent_sampler() -> None:
    independent = RandomSampler(seed=0)
    recorder = Recorder()
    sampler = BoTorchSampler(
        candidates_func=recorder, n_startup_trials=2, independent_sampler=independent
    )
    study = podbor.create_study(sampler=sampler)
    with mock.patch.object(
        independent, "sample_independent", wraps=independent.sample_independent
    ) as independent_calls:
        study.optimize(quadratic, n_trials=3)
    assert independent_calls.call_count == 4  # two startup trials, two parameters each
    assert len(recorder.calls) == 1


def test_conditional_parameters_go_to_the_independent_sampler() -> None:
    recorder = Recorder()
    study = podbor.create_study(
        sampler=BoTorchSampler(candidates_func=recorder, n_startup_trials=2, seed=0)
    )

    def objective(trial: BaseTrial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 2:
            return x + trial.suggest_float("y", 0.0, 1.0)
        return x

    study.optimize(objective, n_trials=5)
    assert all(call[0].shape[1] == 1 for call in recorder.calls)  # "x" only
    assert all(0.0 <= t.params.get("y", 0.0) <= 1.0 for t in study.trials)


@pytest.mark.parametrize(
    ("n_objectives", "constrained", "running", "expected"),
    [
        (1, False, False, "logei_candidates_func"),
        (1, True, False, "logei_candidates_func"),
        (1, False, True, "qei_candidates_func"),
        (2, True, True, "qehvi_candidates_func"),
        (3, False, False, "qehvi_candidates_func"),
        (4, False, False, "ehvi_candidates_func"),
        (4, True, False, "qparego_candidates_func"),
        (5, False, True, "qparego_candidates_func"),
    ],
)
def test_default_candidates_func(
    n_objectives: int, constrained: bool, running: bool, expected: str
) -> None:
    assert default_candidates_func(n_objectives, constrained, running).__name__ == expected


def test_infinite_values_are_clipped_to_the_finite_range() -> None:
    recorder = Recorder()
    study = podbor.create_study(
        sampler=BoTorchSampler(candidates_func=recorder, n_startup_trials=0, seed=0)
    )
    x = FloatDistribution(0, 1)
    for value, at in ((math.inf, 0.1), (-math.inf, 0.2), (1.0, 0.3), (3.0, 0.4)):
        study.add_trial(create_trial(params={"x": at}, distributions={"x": x}, value=value))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    np.testing.assert_array_equal(recorder.calls[0][1][:, 0].numpy(), [-3.0, -1.0, -1.0, -3.0])
    assert _finite(np.array([[np.inf], [np.inf]])).tolist() == [[0.0], [0.0]]


def test_missing_constraint_values_are_nan_and_count_as_violated() -> None:
    recorder = Recorder()
    study = podbor.create_study(
        sampler=BoTorchSampler(candidates_func=recorder, n_startup_trials=0, seed=0)
    )
    x = FloatDistribution(0, 1)
    study.add_trial(create_trial(params={"x": 0.1}, distributions={"x": x}, value=1.0))
    study.add_trial(
        create_trial(
            params={"x": 0.2},
            distributions={"x": x},
            value=2.0,
            system_attrs={"constraints:c": -1.0},
        )
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    train_con = recorder.calls[0][2]
    assert torch.isnan(train_con[0, 0]) and train_con[1, 0] == -1.0
    train_x, train_obj, _, bounds, _ = recorder.calls[0]
    problem = check_problem(
        train_x, train_obj, train_con, bounds, None, owner="test", n_objectives="one"
    )
    assert problem.feasible.tolist() == [False, True]


def test_device_by_name() -> None:
    recorder = Recorder()
    sampler = BoTorchSampler(candidates_func=recorder, n_startup_trials=1, device="cpu")
    assert sampler.device == torch.device("cpu")
    study = podbor.create_study(sampler=sampler)
    study.optimize(quadratic, n_trials=2)
    assert all(t.device == torch.device("cpu") for t in recorder.calls[0] if t is not None)


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_startup_trials": -1}, "n_startup_trials"),
        ({"n_startup_trials": 1.5}, "n_startup_trials"),
        ({"candidates_func": 3}, "candidates_func"),
        ({"constraints_func": "x"}, "constraints_func"),
        ({"consider_running_trials": "yes"}, "consider_running_trials"),
        ({"seed": -1}, "seed"),
        ({"independent_sampler": "random"}, "independent_sampler"),
        ({"device": "no-such-device"}, "device"),
        ({"device": 3.5}, "device"),
    ],
)
def test_bad_arguments_name_themselves(kwargs: dict[str, Any], name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(InvalidArgumentError, match=f"'{name}' parameter of BoTorchSampler"):
            BoTorchSampler(**kwargs)


@pytest.mark.parametrize(
    ("answer", "error", "match"),
    [
        (lambda w: torch.rand(2, w), InvalidArgumentError, r"Got a tensor of shape \(2, 2\)"),
        (lambda w: torch.rand(1, 1, w), InvalidArgumentError, r"shape \(1, 1, 2\)"),
        (lambda w: torch.rand(w - 1), InvalidArgumentError, r"shape \(1,\)"),
        (lambda w: torch.full((w,), math.nan), InvalidArgumentError, "nan"),
        (lambda w: [0.5] * w, TypeError, "Got list instead"),
    ],
)
def test_a_wrong_candidates_result_names_candidates_func(
    answer: Callable[[int], Any], error: type[Exception], match: str
) -> None:
    study = podbor.create_study(
        sampler=BoTorchSampler(candidates_func=Recorder(answer), n_startup_trials=1)
    )
    with pytest.raises(error, match=match) as raised:
        study.optimize(quadratic, n_trials=2)
    assert "'candidates_func' parameter of BoTorchSampler" in str(raised.value)


def test_candidates_functions_check_their_tensors() -> None:
    x = torch.rand(4, 2, dtype=torch.float64)
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    two = torch.rand(4, 2, dtype=torch.float64)
    with pytest.raises(InvalidArgumentError, match="'train_obj' parameter of logei_candidates"):
        integration.logei_candidates_func(x, two, None, bounds, None)
    with pytest.raises(InvalidArgumentError, match="'train_obj' parameter of qehvi_candidates"):
        integration.qehvi_candidates_func(x, two[:, :1], None, bounds, None)
    with pytest.raises(InvalidArgumentError, match="'bounds' parameter of qei_candidates_func"):
        integration.qei_candidates_func(x, two[:, :1], None, bounds[:, :1], None)
    with pytest.raises(InvalidArgumentError, match="'train_con' parameter of ehvi_candidates"):
        integration.ehvi_candidates_func(x, two, two[:, :1], bounds, None)


# -- every candidates function, once ---------------------------------------------------------------
SLOW = pytest.mark.slow
CASES = [
    ("logei_candidates_func", 1, True, False),
    ("qei_candidates_func", 1, False, True),
    ("qlogei_candidates_func", 1, True, True),
    ("qnei_candidates_func", 1, True, True),
    pytest.param("qkg_candidates_func", 1, False, True, marks=SLOW),
    ("ehvi_candidates_func", 2, False, False),
    ("qehvi_candidates_func", 2, True, True),
    ("qnehvi_candidates_func", 2, True, False),
    ("qparego_candidates_func", 3, True, True),
    ("qlogei_parego_candidates_func", 2, False, False),
    pytest.param("qhvkg_candidates_func", 2, True, False, marks=SLOW),
]


@pytest.mark.parametrize(("name", "n_objectives", "constrained", "pending"), CASES)
def test_each_candidates_function_proposes_a_point_inside_the_bounds(
    name: str, n_objectives: int, constrained: bool, pending: bool
) -> None:
    generator = torch.Generator().manual_seed(0)
    unit = torch.rand(6, 2, generator=generator, dtype=torch.float64)
    bounds = torch.tensor([[-1.0, 10.0], [1.0, 20.0]], dtype=torch.float64)
    train_x = bounds[0] + unit * (bounds[1] - bounds[0])
    columns = [-(unit - 0.3).pow(2).sum(dim=1), -(unit - 0.7).pow(2).sum(dim=1), unit[:, 0]]
    train_obj = torch.stack(columns[:n_objectives], dim=-1)
    train_con = (unit[:, :1] - 0.8) if constrained else None
    pending_x = train_x[:1] + 0.01 if pending else None
    func = getattr(integration, name)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        candidates = func(train_x, train_obj, train_con, bounds, pending_x)
    assert candidates.shape == (1, 2)
    assert ((candidates >= bounds[0]) & (candidates <= bounds[1])).all()


# -- the example -----------------------------------------------------------------------------------
def test_example_prints_the_feasible_pareto_front() -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--n-trials", "5", "--n-startup-trials", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert re.search(r"^Trials: 5, feasible: \d$", run.stdout, re.MULTILINE), run.stdout
    front = re.findall(r"^  trial \d+: f1=(\S+) f2=(\S+) ", run.stdout, re.MULTILINE)
    assert front, run.stdout
    assert all(0 <= float(f1) <= 136 and 0 <= float(f2) <= 50 for f1, f2 in front)
