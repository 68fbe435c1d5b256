"""Tests of ``podbor.distributions``: validation, the step grid, representations and JSON."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    DiscreteUniformDistribution,
    FloatDistribution,
    IntDistribution,
    IntLogUniformDistribution,
    IntUniformDistribution,
    LogUniformDistribution,
    UniformDistribution,
    _convert_old_distribution_to_new_distribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from podbor.exceptions import InvalidArgumentError, PodborError, safe_repr


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


# -- strategies shared by the property tests -----------------------------------------------
@st.composite
def float_distributions(draw: st.DrawFn) -> FloatDistribution:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(1e-8, 1e4))
        high = draw(st.floats(low, 1e4))
        return FloatDistribution(low, high, log=True)
    low = draw(st.floats(-1e3, 1e3))
    high = draw(st.floats(low, low + 1e3))
    if kind == "plain":
        return FloatDistribution(low, high)
    step = draw(st.floats(1e-3, 1e2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # high moved onto the grid
        return FloatDistribution(low, high, step=step)


@st.composite
def int_distributions(draw: st.DrawFn) -> IntDistribution:
    if draw(st.booleans()):
        low = draw(st.integers(1, 1000))
        return IntDistribution(low, draw(st.integers(low, low + 10_000)), log=True)
    low = draw(st.integers(-1000, 1000))
    high = draw(st.integers(low, low + 1000))
    step = draw(st.integers(1, 50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return IntDistribution(low, high, step=step)


choice_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)
categorical_distributions = st.lists(choice_values, min_size=1, max_size=8).map(
    lambda choices: CategoricalDistribution(tuple(choices))
)
distributions = st.one_of(float_distributions(), int_distributions(), categorical_distributions)


# -- validation ------------------------------------------------------------------------------
INVALID = [
    pytest.param(lambda: FloatDistribution(2.0, 1.0), "low", "2.0", id="float-low-above-high"),
    pytest.param(lambda: IntDistribution(5, 1), "low", "5", id="int-low-above-high"),
    pytest.param(lambda: FloatDistribution(0.0, 1.0, log=True), "low", "0.0", id="float-log-zero"),
    pytest.param(lambda: FloatDistribution(-1.0, 1.0, log=True), "low", "-1.0", id="float-log-neg"),
    pytest.param(lambda: IntDistribution(0, 10, log=True), "low", "0", id="int-log-zero"),
    pytest.param(
        lambda: FloatDistribution(1.0, 2.0, log=True, step=0.5), "step", "0.5", id="float-step-log"
    ),
    pytest.param(lambda: IntDistribution(1, 9, log=True, step=2), "step", "2", id="int-step-log"),
    pytest.param(lambda: FloatDistribution(0.0, 1.0, step=0.0), "step", "0.0", id="float-step-0"),
    pytest.param(
        lambda: FloatDistribution(0.0, 1.0, step=-0.1), "step", "-0.1", id="float-step-neg"
    ),
    pytest.param(lambda: IntDistribution(0, 10, step=0), "step", "0", id="int-step-0"),
    pytest.param(lambda: IntDistribution(0, 10, step=-2), "step", "-2", id="int-step-neg"),
    pytest.param(lambda: CategoricalDistribution([]), "choices", "[]", id="empty-list"),
    pytest.param(lambda: CategoricalDistribution(()), "choices", "()", id="empty-tuple"),
    pytest.param(lambda: CategoricalDistribution("ab"), "choices", "'ab'", id="choices-a-string"),
    pytest.param(lambda: FloatDistribution(0.0, math.inf), "high", "inf", id="float-high-inf"),
    pytest.param(lambda: FloatDistribution(-math.inf, 0.0), "low", "-inf", id="float-low-ninf"),
    pytest.param(lambda: FloatDistribution(math.nan, 1.0), "low", "nan", id="float-low-nan"),
    pytest.param(lambda: FloatDistribution(0.0, 1.0, step=math.inf), "step", "inf", id="step-inf"),
    pytest.param(lambda: IntDistribution(0, math.inf), "high", "inf", id="int-high-inf"),  # type: ignore[arg-type]
    pytest.param(lambda: IntDistribution(0.5, 3), "low", "0.5", id="int-low-fraction"),  # type: ignore[arg-type]
    pytest.param(lambda: FloatDistribution(True, 2.0), "low", "True", id="float-low-bool"),
    pytest.param(lambda: FloatDistribution("0", 1.0), "low", "'0'", id="float-low-str"),  # type: ignore[arg-type]
    pytest.param(
        lambda: FloatDistribution(0.0, 10**400), "high", safe_repr(10**400), id="float-huge"
    ),
    pytest.param(lambda: IntDistribution(0, 10**400), "high", safe_repr(10**400), id="int-huge"),
    pytest.param(lambda: IntDistribution(True, 3), "low", "True", id="int-low-bool"),
    pytest.param(
        lambda: IntDistribution(0, 2**53 + 1), "high", str(2**53 + 1), id="int-past-2**53"
    ),
    pytest.param(
        lambda: IntDistribution(-(2**60), 0, step=3), "low", str(-(2**60)), id="int-low-past-2**53"
    ),
    pytest.param(lambda: IntDistribution(0, 1e300), "high", "1e+300", id="int-high-huge-float"),  # type: ignore[arg-type]
    pytest.param(
        lambda: FloatDistribution(-1e308, 1e308), "high", "1e+308", id="float-width-overflows"
    ),
    pytest.param(
        lambda: FloatDistribution(0.0, 1e300, step=1e-300), "step", "1e-300", id="grid-overflows"
    ),
    pytest.param(
        lambda: FloatDistribution(-1e308, 1e308, step=1e300), "high", "1e+308", id="grid-too-wide"
    ),
    pytest.param(lambda: FloatDistribution(0.0, 1.0, step=True), "step", "True", id="step-bool"),
]


@pytest.mark.parametrize(("build", "argument", "value"), INVALID)
def test_invalid_arguments_name_the_argument_and_the_value(
    build: Callable[[], BaseDistribution], argument: str, value: str
) -> None:
    with pytest.raises(ValueError) as info:
        build()
    assert isinstance(info.value, InvalidArgumentError)
    assert isinstance(info.value, PodborError)
    message = str(info.value)
    assert f"The '{argument}' parameter of " in message
    assert f"Got {value} instead." in message


def test_int_bounds_may_be_integral_floats() -> None:
    dist = IntDistribution(1.0, np.float64(5.0), step=2.0)  # type: ignore[arg-type]
    assert (dist.low, dist.high, dist.step) == (1, 5, 2)
    assert all(type(v) is int for v in (dist.low, dist.high, dist.step))


# -- the step grid ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "expected_high"),
    [
        pytest.param(lambda: FloatDistribution(0.0, 1.0, step=0.3), 0.9, id="float-0.3"),
        pytest.param(lambda: FloatDistribution(0.1, 1.05, step=0.1), 1.0, id="float-decimal"),
        pytest.param(lambda: FloatDistribution(-1.0, 1.0, step=0.75), 0.5, id="float-negative"),
        pytest.param(lambda: IntDistribution(0, 10, step=3), 9, id="int-3"),
        pytest.param(lambda: IntDistribution(-7, 4, step=5), 3, id="int-negative"),
    ],
)
def test_high_off_the_grid_is_moved_down_with_a_warning(
    build: Callable[[], FloatDistribution | IntDistribution], expected_high: float
) -> None:
    with pytest.warns(UserWarning, match="high is replaced by") as record:
        dist = build()
    assert dist.high == pytest.approx(expected_high, abs=1e-12)
    assert dist.contains_external(dist.high)
    assert record[0].filename == __file__  # the warning points at the caller's line


def test_float_high_warning_points_at_the_constructing_line() -> None:
    with pytest.warns(UserWarning, match="high is replaced by 0.9") as record:
        FloatDistribution(0.0, 1.0, step=0.3)
    assert record[0].filename == __file__


def test_int_high_warning_points_at_the_constructing_line() -> None:
    with pytest.warns(UserWarning, match="high is replaced by 9") as record:
        IntDistribution(0, 10, step=3)
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: FloatDistribution(0.0, 1.0, step=0.1), id="float-0.1"),
        pytest.param(lambda: FloatDistribution(0.0, 1.0, step=0.25), id="float-0.25"),
        pytest.param(lambda: FloatDistribution(0.5, 0.5, step=0.1), id="float-single"),
        pytest.param(lambda: IntDistribution(1, 10, step=3), id="int-3"),
    ],
)
def test_high_on_the_grid_is_kept_without_warning(
    build: Callable[[], FloatDistribution | IntDistribution],
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dist = build()
    assert dist.contains_external(dist.high)


def test_float_step_grid_keeps_the_exact_high() -> None:
    assert FloatDistribution(0.0, 1.0, step=0.1).high == 1.0


# -- single and contains ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        pytest.param(FloatDistribution(1.0, 1.0), True, id="float-point"),
        pytest.param(FloatDistribution(0.0, 1.0), False, id="float-range"),
        pytest.param(FloatDistribution(2.0, 2.0, log=True), True, id="float-log-point"),
        pytest.param(FloatDistribution(0.0, 0.0, step=0.5), True, id="float-step-point"),
        pytest.param(FloatDistribution(0.0, 0.5, step=0.5), False, id="float-step-two"),
        pytest.param(IntDistribution(3, 3), True, id="int-point"),
        pytest.param(IntDistribution(3, 4), False, id="int-two"),
        pytest.param(IntDistribution(3, 3, log=True), True, id="int-log-point"),
        pytest.param(CategoricalDistribution(("a",)), True, id="cat-one"),
        pytest.param(CategoricalDistribution(("a", "b")), False, id="cat-two"),
    ],
)
def test_single(dist: BaseDistribution, expected: bool) -> None:
    assert dist.single() is expected


@pytest.mark.parametrize(
    ("dist", "value", "expected"),
    [
        pytest.param(FloatDistribution(0.0, 1.0), 0.5, True, id="float-inside"),
        pytest.param(FloatDistribution(0.0, 1.0), 1.0, True, id="float-high"),
        pytest.param(FloatDistribution(0.0, 1.0), 0, True, id="float-int-value"),
        pytest.param(FloatDistribution(0.0, 1.0), 1.5, False, id="float-above"),
        pytest.param(FloatDistribution(0.0, 1.0), -0.1, False, id="float-below"),
        pytest.param(FloatDistribution(0.0, 1.0), math.nan, False, id="float-nan"),
        pytest.param(FloatDistribution(0.0, 1.0), "0.5", False, id="float-str"),
        pytest.param(FloatDistribution(0.0, 1.0), True, False, id="float-bool"),
        pytest.param(FloatDistribution(0.0, 1.0, step=0.25), 0.75, True, id="step-on-grid"),
        pytest.param(FloatDistribution(0.0, 1.0, step=0.25), 0.3, False, id="step-off-grid"),
        pytest.param(FloatDistribution(1e-3, 1.0, log=True), 1e-4, False, id="log-below"),
        pytest.param(IntDistribution(0, 10, step=2), 4, True, id="int-on-grid"),
        pytest.param(IntDistribution(0, 10, step=2), 5, False, id="int-off-grid"),
        pytest.param(IntDistribution(0, 10, step=2), 12, False, id="int-above"),
        pytest.param(IntDistribution(0, 10), None, False, id="int-none"),
        pytest.param(IntDistribution(0, 10), True, False, id="int-bool"),
        pytest.param(CategoricalDistribution(("a", 1, None)), "a", True, id="cat-str"),
        pytest.param(CategoricalDistribution(("a", 1, None)), None, True, id="cat-none"),
        pytest.param(CategoricalDistribution(("a", 1, None)), "b", False, id="cat-missing"),
        pytest.param(CategoricalDistribution(("a", 1, None)), True, False, id="cat-true-not-1"),
        pytest.param(CategoricalDistribution((True, "x")), 1, False, id="cat-1-not-true"),
    ],
)
def test_contains_external(dist: BaseDistribution, value: Any, expected: bool) -> None:
    assert dist.contains_external(value) is expected


# -- representations -------------------------------------------------------------------------
CHOICES = (None, True, 1, False, 0, 1.5, "1", 1.0, "")


@pytest.mark.parametrize("index", range(len(CHOICES)), ids=[repr(c) for c in CHOICES])
def test_categorical_internal_repr_keeps_each_choice_apart(index: int) -> None:
    dist = CategoricalDistribution(CHOICES)
    choice = CHOICES[index]
    assert dist.to_internal_repr(choice) == float(index)
    back = dist.to_external_repr(float(index))
    assert back == choice
    assert type(back) is type(choice)


@pytest.mark.parametrize(
    ("choices", "value", "index"),
    [
        pytest.param((1, True), True, 1, id="true-after-1"),
        pytest.param((True, 1), 1, 1, id="1-after-true"),
        pytest.param((0, False), False, 1, id="false-after-0"),
        pytest.param((1.0, 1), 1, 1, id="int-after-float"),
        pytest.param((None, "None"), None, 0, id="none-vs-str"),
    ],
)
def test_categorical_internal_repr_matches_the_type_exactly(
    choices: tuple[Any, ...], value: Any, index: int
) -> None:
    assert CategoricalDistribution(choices).to_internal_repr(value) == float(index)


def test_categorical_numpy_scalars_become_python_scalars() -> None:
    import numpy as np

    dist = CategoricalDistribution((np.int64(3), np.float64(0.5), np.bool_(True)))
    assert dist.choices == (3, 0.5, True)
    assert [type(c) for c in dist.choices] == [int, float, bool]


@pytest.mark.parametrize(
    ("dist", "value"),
    [
        pytest.param(CategoricalDistribution(("a", "b")), "c", id="cat-missing"),
        pytest.param(CategoricalDistribution((1, 2)), True, id="cat-bool-for-int"),
        pytest.param(FloatDistribution(0.0, 1.0), "x", id="float-str"),
        pytest.param(FloatDistribution(0.0, 1.0), math.nan, id="float-nan"),
        pytest.param(IntDistribution(1, 3, log=True), 0, id="int-log-zero"),
        pytest.param(FloatDistribution(1.0, 3.0, log=True), -1.0, id="float-log-negative"),
        pytest.param(FloatDistribution(0.0, 1.0), [], id="float-list"),
        pytest.param(IntDistribution(0, 3), math.inf, id="int-inf"),
        pytest.param(FloatDistribution(0.0, 1.0), 10**400, id="float-past-float-range"),
        pytest.param(IntDistribution(0, 3), -(10**400), id="int-past-float-range"),
    ],
)
def test_to_internal_repr_rejects_foreign_values(dist: BaseDistribution, value: Any) -> None:
    with pytest.raises(ValueError):
        dist.to_internal_repr(value)


@pytest.mark.parametrize(
    ("dist", "internal", "external", "kind"),
    [
        pytest.param(FloatDistribution(0.0, 1.0), 0.25, 0.25, float, id="float"),
        pytest.param(IntDistribution(0, 10), 3.0, 3, int, id="int"),
        pytest.param(IntDistribution(0, 10), 2.9999999, 3, int, id="int-rounds"),
        pytest.param(CategoricalDistribution(("a", "b")), 1.0, "b", str, id="categorical"),
    ],
)
def test_to_external_repr(
    dist: BaseDistribution, internal: float, external: Any, kind: type
) -> None:
    value = dist.to_external_repr(internal)
    assert value == external
    assert type(value) is kind


# -- equality and JSON -----------------------------------------------------------------------
def test_equal_distributions_hash_equal() -> None:
    a, b = FloatDistribution(0.0, 1.0, log=False), FloatDistribution(0, 1)
    assert a == b
    assert hash(a) == hash(b)
    assert FloatDistribution(0.0, 1.0) != IntDistribution(0, 1)
    assert CategoricalDistribution(["a", "b"]) == CategoricalDistribution(("a", "b"))
    assert hash(CategoricalDistribution(["a", "b"])) == hash(CategoricalDistribution(("a", "b")))


@given(distributions)
def test_json_round_trip(dist: BaseDistribution) -> None:
    text = distribution_to_json(dist)
    payload = json.loads(text)
    assert payload["name"] == type(dist).__name__
    back = json_to_distribution(text)
    assert type(back) is type(dist)
    assert back == dist
    if isinstance(dist, CategoricalDistribution):
        assert isinstance(back, CategoricalDistribution)
        assert [type(c) for c in back.choices] == [type(c) for c in dist.choices]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("not json", id="not-json"),
        pytest.param('{"name": "NormalDistribution", "attributes": {}}', id="unknown-name"),
        pytest.param('{"attributes": {}}', id="no-name"),
        pytest.param("[1, 2]", id="a-list"),
    ],
)
def test_json_to_distribution_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="'json_str'"):
        json_to_distribution(text)


# -- compatibility within a study ------------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(FloatDistribution(0, 1), FloatDistribution(-5, 5), id="float-range"),
        pytest.param(FloatDistribution(0, 1), FloatDistribution(0, 1, step=0.5), id="float-step"),
        pytest.param(IntDistribution(0, 5), IntDistribution(2, 9, step=7), id="int-range"),
        pytest.param(
            FloatDistribution(1, 2, log=True), FloatDistribution(0.1, 5, log=True), id="float-log"
        ),
        pytest.param(
            CategoricalDistribution(("a", "b")), CategoricalDistribution(["a", "b"]), id="cat"
        ),
    ],
)
def test_compatible_distributions_pass(old: BaseDistribution, new: BaseDistribution) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_distribution_compatibility(old, new) is None  # no error, no warning


@pytest.mark.parametrize(
    ("old", "new", "mentions"),
    [
        pytest.param(
            FloatDistribution(0, 1), IntDistribution(0, 1), "IntDistribution", id="float-to-int"
        ),
        pytest.param(
            IntDistribution(0, 1),
            CategoricalDistribution((0, 1)),
            "CategoricalDistribution",
            id="int-to-cat",
        ),
        pytest.param(
            FloatDistribution(1, 2), FloatDistribution(1, 2, log=True), "log", id="float-log-flip"
        ),
        pytest.param(
            IntDistribution(1, 2, log=True), IntDistribution(1, 2), "log", id="int-log-flip"
        ),
        pytest.param(
            CategoricalDistribution(("a", "b")),
            CategoricalDistribution(("a", "c")),
            "('a', 'c')",
            id="cat-choices",
        ),
    ],
)
def test_incompatible_distributions_raise(
    old: BaseDistribution, new: BaseDistribution, mentions: str
) -> None:
    with pytest.raises(ValueError, match="different parameter name") as info:
        check_distribution_compatibility(old, new)
    assert mentions in str(info.value)


# -- Optuna parity: what Optuna accepts, reads and warns about ---------------------------------
@pytest.mark.parametrize(
    ("dist", "value", "internal"),
    [
        pytest.param(IntDistribution(1, 10), "3", 3.0, id="int-numeric-str"),
        pytest.param(IntDistribution(1, 10), True, 1.0, id="int-bool"),
        pytest.param(FloatDistribution(0.0, 5.0), "-1.5", -1.5, id="float-numeric-str"),
        pytest.param(FloatDistribution(0.0, 5.0), False, 0.0, id="float-bool"),
    ],
)
def test_to_internal_repr_converts_like_optuna(
    dist: BaseDistribution, value: Any, internal: float
) -> None:
    assert dist.to_internal_repr(value) == internal
    assert not dist.contains_external(value)  # membership stays about real numbers


@pytest.mark.parametrize(
    "choice",
    [pytest.param({"a": 1}, id="dict"), pytest.param([1, 2], id="list"), pytest.param(_Opaque())],
)
def test_unusual_categorical_choice_warns_and_is_kept(choice: Any) -> None:
    with pytest.warns(UserWarning, match="can be stored outside of memory"):
        dist = CategoricalDistribution([choice, "x"])
    assert dist.choices[0] is choice
    assert dist.to_internal_repr(choice) == 0.0
    assert hash(dist) == hash(dist)


def test_categorical_with_nan_equals_a_fresh_copy() -> None:
    choices = (None, True, 1, 1.0, math.nan, math.inf, "")
    dist = CategoricalDistribution(choices)
    again = json_to_distribution(distribution_to_json(dist))
    assert again == dist
    assert hash(again) == hash(dist)
    check_distribution_compatibility(dist, again)
    assert CategoricalDistribution((1, 2)) != CategoricalDistribution((True, 2))


@pytest.mark.parametrize(
    ("low", "high", "step", "expected"),
    [
        pytest.param(0.2, 0.3, 0.1, False, id="two-points-despite-binary-floats"),
        pytest.param(0.7, 0.8, 0.1, False, id="two-points-0.7"),
        pytest.param(2.22, 2.22, 0.1, True, id="one-point"),
    ],
)
def test_float_step_single_counts_in_decimals(
    low: float, high: float, step: float, expected: bool
) -> None:
    assert FloatDistribution(low, high, step=step).single() is expected


@pytest.mark.parametrize(
    ("build", "new"),
    [
        pytest.param(lambda: UniformDistribution(0, 10), FloatDistribution(0, 10), id="uniform"),
        pytest.param(
            lambda: LogUniformDistribution(1, 10),
            FloatDistribution(1, 10, log=True),
            id="log-uniform",
        ),
        pytest.param(
            lambda: DiscreteUniformDistribution(0, 10, 2),
            FloatDistribution(0, 10, step=2),
            id="discrete-uniform",
        ),
        pytest.param(
            lambda: IntUniformDistribution(0, 10, step=2),
            IntDistribution(0, 10, step=2),
            id="int-uniform",
        ),
        pytest.param(
            lambda: IntLogUniformDistribution(1, 10),
            IntDistribution(1, 10, log=True),
            id="int-log-uniform",
        ),
    ],
)
def test_deprecated_distributions_warn_and_convert(
    build: Callable[[], BaseDistribution], new: BaseDistribution
) -> None:
    with pytest.warns(FutureWarning, match="deprecated") as caught:
        old = build()
    assert caught[0].filename == __file__
    assert isinstance(old, type(new))
    with pytest.warns(FutureWarning, match="issues/2941") as caught:
        assert _convert_old_distribution_to_new_distribution(old) == new
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _convert_old_distribution_to_new_distribution(new) is new
    check_distribution_compatibility(old, new)
    assert json_to_distribution(distribution_to_json(old)) == new
    old_json = json.dumps({"name": type(old).__name__, "attributes": old._asdict()})
    assert json_to_distribution(old_json) == new


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('{"type": "int", "low": 1, "high": 9}', IntDistribution(1, 9), id="int"),
        pytest.param(
            '{"type": "float", "low": 0.001, "high": 100, "log": true}',
            FloatDistribution(0.001, 100.0, log=True),
            id="float-log",
        ),
        pytest.param(
            '{"type": "categorical", "choices": ["a", NaN]}',
            CategoricalDistribution(("a", math.nan)),
            id="categorical",
        ),
        pytest.param(
            '{"name": "IntDistribution", "attributes": {"low": 1, "high": 9, "step": 2}}',
            IntDistribution(1, 9, step=2),
            id="named-without-log",
        ),
    ],
)
def test_json_to_distribution_reads_optunas_forms(text: str, expected: BaseDistribution) -> None:
    assert json_to_distribution(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"type": "unknown", "low": 1.0, "high": 2.0}', id="unknown-type"),
        pytest.param('{"type": "float", "low": 0.0, "high": -100.0}', id="empty-range"),
        pytest.param('{"type": "int", "low": 1, "high": 100, "step": 0}', id="int-step-0"),
        pytest.param('{"type": "categorical", "choices": []}', id="no-choices"),
    ],
)
def test_json_to_distribution_rejects_bad_abbreviations(text: str) -> None:
    with pytest.raises(ValueError):
        json_to_distribution(text)


# -- the edges of what is accepted (issue 17) --------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "step"),
    [
        pytest.param(-(2**53), 2**53, 1, id="int-widest"),
        pytest.param(2**53 - 10, 2**53, 3, id="int-top-step"),
        pytest.param(0, 2**53, 2**52 + 1, id="int-huge-step"),
        pytest.param(0, 10, 10**30, id="int-step-past-range"),
    ],
)
def test_int_bounds_up_to_2_53_keep_the_grid_exact(low: int, high: int, step: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dist = IntDistribution(low, high, step=step)
    assert (dist.high - dist.low) % step == 0
    for value in (dist.low, dist.high):
        assert dist.to_external_repr(dist.to_internal_repr(value)) == value  # exact in a float
        assert dist.contains_external(value)


@pytest.mark.parametrize(
    ("low", "high", "step", "expected_high"),
    [
        pytest.param(0.0, 1e300, 1e-7, 1e300, id="finer-than-float-resolution"),
        pytest.param(0.0, 1e10, 1e-10, 1e10, id="1e20-points"),
        pytest.param(-1e307, 1e307, 3e306, 8e306, id="wide-coarse-grid"),
        pytest.param(5e-324, 1e-300, 5e-324, 1e-300, id="subnormal-step"),
    ],
)
def test_huge_float_grids_are_computed_exactly(
    low: float, high: float, step: float, expected_high: float
) -> None:
    # Optuna raises decimal.InvalidOperation here; podbor computes the grid in exact decimals.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dist = FloatDistribution(low, high, step=step)
    assert math.isclose(dist.high, expected_high, rel_tol=1e-12)
    assert dist.low <= dist.high <= high
    assert not dist.single()


def test_distribution_classes_lists_every_class_by_optunas_names() -> None:
    from podbor.distributions import DISTRIBUTION_CLASSES

    names = [cls.__name__ for cls in DISTRIBUTION_CLASSES]
    assert names[0] == "IntDistribution" and names[-1] == "CategoricalDistribution"
    assert set(names) == {
        "IntDistribution",
        "IntLogUniformDistribution",
        "IntUniformDistribution",
        "FloatDistribution",
        "UniformDistribution",
        "LogUniformDistribution",
        "DiscreteUniformDistribution",
        "CategoricalDistribution",
    }
    assert all(issubclass(cls, BaseDistribution) for cls in DISTRIBUTION_CLASSES)
