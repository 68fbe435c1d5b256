"""Benchmark problems: define-by-run objectives with a declared search space and known optima.

Every problem is an ``objective(trial) -> float`` written with the define-by-run API
(``trial.suggest_float`` / ``suggest_int`` / ``suggest_categorical``), so the same function runs on
podbor and on Optuna (whose trials are duck-typed alike). Each also declares its search space as
data (:class:`Float`, :class:`Int`, :class:`Categorical` and :class:`Branch` for a categorical that
selects its own sub-parameters), which is what a define-and-run library such as Hyperopt needs;
:class:`ValuesTrial` then replays given values through the same objective and checks every
``suggest_*`` call against the declaration (:func:`check_declared_space`).

Synthetic problems have a known optimum ``f*``. The scikit-learn tasks (cross-validated scores on
the data sets that ship with scikit-learn, maximized) do not: the benchmark uses the best value
any method found. scikit-learn is imported only when such a task runs.

Test functions and their optima: Branin, Hartmann-6, Rosenbrock, Ackley, Levy and
Styblinski–Tang as defined in Surjanovic & Bingham, *Virtual Library of Simulation Experiments*
(Simon Fraser University, 2013).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


# -- the declarative search space -----------------------------------------------------------------
@dataclass(frozen=True)
class Float:
    """``trial.suggest_float(name, low, high, step=step, log=log)``."""

    name: str
    low: float
    high: float
    log: bool = False
    step: float | None = None


@dataclass(frozen=True)
class Int:
    """``trial.suggest_int(name, low, high, step=step, log=log)``."""

    name: str
    low: int
    high: int
    log: bool = False
    step: int = 1


@dataclass(frozen=True)
class Categorical:
    """``trial.suggest_categorical(name, choices)``."""

    name: str
    choices: tuple[Any, ...]


@dataclass(frozen=True)
class Branch:
    """A categorical whose choice decides which further parameters are suggested."""

    name: str
    options: tuple[tuple[str, tuple[Spec, ...]], ...]

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(choice for choice, _ in self.options)


Spec = Float | Int | Categorical | Branch
Space = tuple[Spec, ...]


@dataclass(frozen=True)
class Problem:
    """One benchmark problem.

    Attributes:
        name: Short id, used on the command line and in the tables.
        objective: ``objective(trial) -> float``, define-by-run.
        space: The same search space, declared.
        direction: ``"minimize"`` or ``"maximize"``.
        optimum: The best attainable value ``f*``, or None when unknown.
        group: ``"synthetic"``, ``"sklearn"`` or ``"highdim"``.
    """

    name: str
    objective: Callable[[Any], float]
    space: Space
    direction: str = "minimize"
    optimum: float | None = None
    group: str = "synthetic"


def all_specs(space: Sequence[Spec]) -> dict[str, Spec]:
    """Every declared parameter by name, those inside branches included."""
    specs: dict[str, Spec] = {}
    for spec in space:
        specs[spec.name] = spec
        if isinstance(spec, Branch):
            for _, sub in spec.options:
                specs.update(all_specs(sub))
    return specs


# -- replaying values through an objective ----------------------------------------------------------
class ValuesTrial:
    """A duck-typed trial that returns given values and checks each call against the declaration.

    Used to run a define-by-run objective on values proposed elsewhere (Hyperopt), and to check
    that an objective suggests exactly what its problem declares.

    Args:
        values: Parameter name → value (numbers are clipped into their range, ints rounded).
        space: The problem's declared search space.
    """

    def __init__(self, values: dict[str, Any], space: Sequence[Spec]) -> None:
        self._values = values
        self._specs = all_specs(space)
        self.params: dict[str, Any] = {}

    def _spec(self, name: str, expected: Spec) -> Any:
        declared = self._specs.get(name)
        if declared != expected:
            raise ValueError(f"suggest of {expected!r} does not match the declaration {declared!r}")
        if name not in self._values:
            raise KeyError(f"no value given for {name!r}")
        return self._values[name]

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        raw = self._spec(name, Float(name, low, high, log, step))
        value = float(min(max(float(raw), low), high))
        self.params[name] = value
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        raw = self._spec(name, Int(name, low, high, log, step))
        value = int(min(max(low + step * round((float(raw) - low) / step), low), high))
        self.params[name] = value
        return value

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        declared = self._specs.get(name)
        if not isinstance(declared, (Branch, Categorical)) or declared.choices != tuple(choices):
            raise ValueError(
                f"suggest_categorical({name!r}, {choices!r}) does not match {declared!r}"
            )
        value = self._values[name]
        self.params[name] = value
        return value


def sample_declared(space: Sequence[Spec], rng: np.random.Generator) -> dict[str, Any]:
    """Draw values for the parameters active under randomly chosen branches."""
    values: dict[str, Any] = {}
    for spec in space:
        if isinstance(spec, Branch):
            choice, sub = spec.options[int(rng.integers(len(spec.options)))]
            values[spec.name] = choice
            values.update(sample_declared(sub, rng))
        elif isinstance(spec, Categorical):
            values[spec.name] = spec.choices[int(rng.integers(len(spec.choices)))]
        elif spec.log:
            values[spec.name] = math.exp(rng.uniform(math.log(spec.low), math.log(spec.high)))
        else:
            values[spec.name] = rng.uniform(spec.low, spec.high)
    return values


def check_declared_space(problem: Problem, seed: int = 0) -> float:
    """Run the objective once on declared values; raise if it suggests anything else.

    Returns:
        The objective's value.
    """
    values = sample_declared(problem.space, np.random.default_rng(seed))
    trial = ValuesTrial(values, problem.space)
    value = float(problem.objective(trial))
    if set(trial.params) != set(values):
        raise ValueError(
            f"{problem.name}: suggested {sorted(trial.params)}, declared active {sorted(values)}"
        )
    return value


# -- synthetic test functions (pure numpy) --------------------------------------------------------
def branin(x1: float, x2: float) -> float:
    """Branin–Hoo on ``[-5, 10] x [0, 15]``; ``f* = 0.397887`` at three points."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(x: FloatArray) -> float:
    """Hartmann-6 on ``[0, 1]^6`` (shape ``6``); ``f* = -3.32237``."""
    return float(-_H6_ALPHA @ np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)))


def rosenbrock(x: FloatArray) -> float:
    """Rosenbrock (shape ``d``); ``f* = 0`` at ``(1, …, 1)``."""
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley(x: FloatArray) -> float:
    """Ackley (shape ``d``); ``f* = 0`` at the origin."""
    return float(
        -20 * np.exp(-0.2 * np.sqrt(np.mean(x**2)))
        - np.exp(np.mean(np.cos(2 * np.pi * x)))
        + 20
        + math.e
    )


def levy(x: FloatArray) -> float:
    """Levy (shape ``d``); ``f* = 0`` at ``(1, …, 1)``."""
    w = 1 + (x - 1) / 4
    head = np.sin(np.pi * w[0]) ** 2
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
    return float(head + body + tail)


STYBLINSKI_TANG_MIN = -39.16616570377142  # per dimension, at x = -2.903534


def styblinski_tang(x: FloatArray) -> float:
    """Styblinski–Tang (shape ``d``); ``f* = -39.16617 d``."""
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def _box(trial: Any, d: int, low: float, high: float) -> FloatArray:
    return np.array([trial.suggest_float(f"x{i}", low, high) for i in range(d)])


def _box_space(d: int, low: float, high: float) -> Space:
    return tuple(Float(f"x{i}", low, high) for i in range(d))


def _branin_objective(trial: Any) -> float:
    return branin(trial.suggest_float("x1", -5.0, 10.0), trial.suggest_float("x2", 0.0, 15.0))


def _box_problem(
    name: str, f: Callable[[FloatArray], float], d: int, low: float, high: float, optimum: float
) -> Problem:
    def objective(trial: Any) -> float:
        return f(_box(trial, d, low, high))

    return Problem(name, objective, _box_space(d, low, high), optimum=optimum)


# -- many parameters (group "highdim": run only when asked for) -------------------------------------
def _dummy_hartmann(x: FloatArray) -> float:
    """Hartmann-6 on the first 6 of 20 coordinates; the other 14 do nothing."""
    return hartmann6(x[:6])


def _levy_styblinski(x: FloatArray, k: int = 10) -> float:
    """Levy on coordinates ``0..k-1`` plus Styblinski–Tang on ``k..2k-1``; the others do nothing
    (``k = 10`` in 50 dimensions, ``k = 5`` in 20)."""
    return levy(x[:k]) + styblinski_tang(x[k : 2 * k])


_EMBEDDING = np.random.default_rng(20261205).standard_normal((2, 100)) * 0.25
"""A fixed projection of ``[-1, 1]^100`` onto two directions (each row's norm is about 2.5)."""
_EMBEDDING_20 = np.random.default_rng(20261206).standard_normal((2, 20)) * 0.56
"""The same for ``[-1, 1]^20``."""


def _embedded_branin(x: FloatArray, matrix: FloatArray = _EMBEDDING) -> float:
    """Branin on a 2-dimensional linear embedding of ``[-1, 1]^d``: ``u = clip(A x)``."""
    u = np.clip(matrix @ x, -1.0, 1.0)
    return branin(-5.0 + 7.5 * (u[0] + 1.0), 7.5 * (u[1] + 1.0))


def _highdim(
    name: str, f: Callable[[FloatArray], float], d: int, low: float, high: float, optimum: float
) -> Problem:
    problem = _box_problem(name, f, d, low, high, optimum)
    return Problem(problem.name, problem.objective, problem.space, optimum=optimum, group="highdim")


# -- hyper-parameter-shaped synthetic problems -------------------------------------------------------
def _log_scale_objective(trial: Any) -> float:
    """A quadratic bowl in log10 of parameters spanning six decades; ``f* = 0``."""
    lr = math.log10(trial.suggest_float("lr", 1e-5, 1e1, log=True)) + 2.5
    wd = math.log10(trial.suggest_float("weight_decay", 1e-5, 1e1, log=True)) + 4.0
    eps = math.log10(trial.suggest_float("eps", 1e-5, 1e1, log=True))
    batch = math.log2(trial.suggest_int("batch_size", 8, 1024, log=True)) - 6.0
    return lr**2 + wd**2 + 0.5 * lr * wd + 0.5 * eps**2 + 0.25 * batch**2


_LOG_SCALE_SPACE: Space = (
    Float("lr", 1e-5, 1e1, log=True),
    Float("weight_decay", 1e-5, 1e1, log=True),
    Float("eps", 1e-5, 1e1, log=True),
    Int("batch_size", 8, 1024, log=True),
)

_ACTIVATION_COST = {"relu": 0.3, "tanh": 0.6, "sigmoid": 1.0, "gelu": 0.0}
_OPTIMIZER_COST = {"sgd": 0.8, "adam": 0.0, "rmsprop": 0.4}


def _mixed_objective(trial: Any) -> float:
    """Ints, a log int, a stepped float and two categoricals; ``f* = 0``."""
    layers = trial.suggest_int("n_layers", 1, 8)
    width = trial.suggest_int("width", 16, 1024, log=True)
    activation = trial.suggest_categorical("activation", tuple(_ACTIVATION_COST))
    optimizer = trial.suggest_categorical("optimizer", tuple(_OPTIMIZER_COST))
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    lr = math.log10(trial.suggest_float("lr", 1e-4, 1e-1, log=True))
    best_lr = -1.5 if optimizer == "sgd" else -2.5  # the best lr depends on the optimizer
    return float(
        0.1 * (layers - 4) ** 2
        + 0.25 * (math.log2(width) - 8) ** 2
        + _ACTIVATION_COST[activation]
        + _OPTIMIZER_COST[optimizer]
        + 4 * (dropout - 0.2) ** 2
        + 0.5 * (lr - best_lr) ** 2
    )


_MIXED_SPACE: Space = (
    Int("n_layers", 1, 8),
    Int("width", 16, 1024, log=True),
    Categorical("activation", tuple(_ACTIVATION_COST)),
    Categorical("optimizer", tuple(_OPTIMIZER_COST)),
    Float("dropout", 0.0, 0.5, step=0.05),
    Float("lr", 1e-4, 1e-1, log=True),
)


def _conditional_objective(trial: Any) -> float:
    """Three branches with their own parameters; optima 0.3 (svm), 0 (forest), 0.6 (linear)."""
    kind = trial.suggest_categorical("kind", ("svm", "forest", "linear"))
    if kind == "svm":
        c = math.log10(trial.suggest_float("svm_C", 1e-3, 1e3, log=True))
        gamma = math.log10(trial.suggest_float("svm_gamma", 1e-4, 1e1, log=True))
        return 0.3 + 0.15 * ((c - 1.5) ** 2 + (gamma + 2.5) ** 2)
    if kind == "forest":
        trees = math.log10(trial.suggest_int("forest_n_trees", 10, 500, log=True) / 200)
        depth = trial.suggest_int("forest_depth", 1, 20)
        features = trial.suggest_float("forest_max_features", 0.1, 1.0)
        bootstrap = trial.suggest_categorical("forest_bootstrap", (True, False))
        return float(
            2 * trees**2
            + ((depth - 12) / 6) ** 2
            + 2 * (features - 0.35) ** 2
            + (0.0 if bootstrap else 0.2)
        )
    alpha = math.log10(trial.suggest_float("linear_alpha", 1e-6, 1e2, log=True))
    l1 = trial.suggest_float("linear_l1_ratio", 0.0, 1.0)
    return float(0.6 + 0.1 * (alpha + 3) ** 2 + (l1 - 0.7) ** 2)


_CONDITIONAL_SPACE: Space = (
    Branch(
        "kind",
        (
            ("svm", (Float("svm_C", 1e-3, 1e3, log=True), Float("svm_gamma", 1e-4, 1e1, log=True))),
            (
                "forest",
                (
                    Int("forest_n_trees", 10, 500, log=True),
                    Int("forest_depth", 1, 20),
                    Float("forest_max_features", 0.1, 1.0),
                    Categorical("forest_bootstrap", (True, False)),
                ),
            ),
            (
                "linear",
                (Float("linear_alpha", 1e-6, 1e2, log=True), Float("linear_l1_ratio", 0.0, 1.0)),
            ),
        ),
    ),
)


# -- offline tuning tasks on scikit-learn's bundled data sets ------------------------------------------
@functools.cache
def _dataset(name: str) -> tuple[Any, Any]:
    from sklearn import datasets

    loader = {
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
        "digits": datasets.load_digits,
    }[name]
    x, y = loader(return_X_y=True)
    if name == "digits":  # every other image (899 of 1,797) keeps a kNN trial near 0.05 s
        return x[::2], y[::2]
    return x, y


def _cv_score(model: Any, data: str, *, folds: int, classification: bool) -> float:
    import warnings

    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    x, y = _dataset(data)
    splitter = StratifiedKFold if classification else KFold
    cv = splitter(n_splits=folds, shuffle=True, random_state=0)
    scoring = "accuracy" if classification else "r2"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of extreme settings
        return float(np.mean(cross_val_score(model, x, y, cv=cv, scoring=scoring)))


def _svc_objective(trial: Any) -> float:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    c = trial.suggest_float("C", 1e-3, 1e3, log=True)
    gamma = trial.suggest_float("gamma", 1e-5, 1e1, log=True)
    model = make_pipeline(StandardScaler(), SVC(C=c, gamma=gamma))
    return _cv_score(model, "breast_cancer", folds=3, classification=True)


def _gradient_boosting_objective(trial: Any) -> float:
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=trial.suggest_int("n_estimators", 5, 25),
        learning_rate=trial.suggest_float("learning_rate", 1e-3, 1.0, log=True),
        max_depth=trial.suggest_int("max_depth", 1, 4),
        subsample=trial.suggest_float("subsample", 0.5, 1.0),
        random_state=0,
    )
    return _cv_score(model, "wine", folds=3, classification=True)


def _elastic_net_objective(trial: Any) -> float:
    from sklearn.linear_model import ElasticNet

    model = ElasticNet(
        alpha=trial.suggest_float("alpha", 1e-5, 10.0, log=True),
        l1_ratio=trial.suggest_float("l1_ratio", 0.0, 1.0),
        max_iter=5000,
    )
    return _cv_score(model, "diabetes", folds=5, classification=False)


def _knn_objective(trial: Any) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    model = KNeighborsClassifier(
        n_neighbors=trial.suggest_int("n_neighbors", 1, 50),
        weights=trial.suggest_categorical("weights", ("uniform", "distance")),
        p=trial.suggest_categorical("p", (1, 2)),
    )
    return _cv_score(model, "digits", folds=3, classification=True)


# -- the registry -------------------------------------------------------------------------------
PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem(
            "branin",
            _branin_objective,
            (Float("x1", -5.0, 10.0), Float("x2", 0.0, 15.0)),
            optimum=0.397887357729739,
        ),
        _box_problem("hartmann6", hartmann6, 6, 0.0, 1.0, -3.32236801141551),
        _box_problem("rosenbrock8", rosenbrock, 8, -5.0, 10.0, 0.0),
        _box_problem("ackley6", ackley, 6, -32.768, 32.768, 0.0),
        _box_problem("levy6", levy, 6, -10.0, 10.0, 0.0),
        _box_problem("styblinski_tang8", styblinski_tang, 8, -5.0, 5.0, 8 * STYBLINSKI_TANG_MIN),
        Problem("log_scale", _log_scale_objective, _LOG_SCALE_SPACE, optimum=0.0),
        Problem("mixed", _mixed_objective, _MIXED_SPACE, optimum=0.0),
        Problem("conditional", _conditional_objective, _CONDITIONAL_SPACE, optimum=0.0),
        _highdim("hartmann6_in20", _dummy_hartmann, 20, 0.0, 1.0, -3.32236801141551),
        _highdim(
            "levy_st_in20",
            functools.partial(_levy_styblinski, k=5),
            20,
            -5.0,
            5.0,
            5 * STYBLINSKI_TANG_MIN,
        ),
        _highdim(
            "branin_in20",
            functools.partial(_embedded_branin, matrix=_EMBEDDING_20),
            20,
            -1.0,
            1.0,
            0.397887357729739,
        ),
        _highdim("rosenbrock20", rosenbrock, 20, -5.0, 10.0, 0.0),
        _highdim("levy_st_in50", _levy_styblinski, 50, -5.0, 5.0, 10 * STYBLINSKI_TANG_MIN),
        _highdim("branin_in100", _embedded_branin, 100, -1.0, 1.0, 0.397887357729739),
        Problem(
            "svc_breast_cancer",
            _svc_objective,
            (Float("C", 1e-3, 1e3, log=True), Float("gamma", 1e-5, 1e1, log=True)),
            direction="maximize",
            group="sklearn",
        ),
        Problem(
            "gb_wine",
            _gradient_boosting_objective,
            (
                Int("n_estimators", 5, 25),
                Float("learning_rate", 1e-3, 1.0, log=True),
                Int("max_depth", 1, 4),
                Float("subsample", 0.5, 1.0),
            ),
            direction="maximize",
            group="sklearn",
        ),
        Problem(
            "elasticnet_diabetes",
            _elastic_net_objective,
            (Float("alpha", 1e-5, 10.0, log=True), Float("l1_ratio", 0.0, 1.0)),
            direction="maximize",
            group="sklearn",
        ),
        Problem(
            "knn_digits",
            _knn_objective,
            (
                Int("n_neighbors", 1, 50),
                Categorical("weights", ("uniform", "distance")),
                Categorical("p", (1, 2)),
            ),
            direction="maximize",
            group="sklearn",
        ),
    )
}


def has_sklearn() -> bool:
    """True when scikit-learn can be imported (the ``sklearn`` problems need it)."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return False
    return True


def select(names: Sequence[str] | None) -> list[Problem]:
    """Problems by name or group (``synthetic``, ``sklearn``, ``highdim``, ``all``); None: every
    runnable one. ``all`` leaves out ``highdim`` (20-100 parameters, long runs): ask for it."""
    wanted = list(names) if names else ["all"]
    chosen: list[Problem] = []
    for name in wanted:
        if name in PROBLEMS:
            matches = [PROBLEMS[name]]
        elif name in ("synthetic", "sklearn", "highdim", "all"):
            matches = [
                p
                for p in PROBLEMS.values()
                if name == p.group or (name == "all" and p.group != "highdim")
            ]
        else:
            raise SystemExit(f"unknown problem {name!r}; known: {', '.join(PROBLEMS)}")
        chosen.extend(p for p in matches if p not in chosen)
    if not has_sklearn():
        skipped = [p.name for p in chosen if p.group == "sklearn"]
        if skipped:
            print(f"(skipping {', '.join(skipped)}: scikit-learn is not installed)")
        chosen = [p for p in chosen if p.group != "sklearn"]
    return chosen
