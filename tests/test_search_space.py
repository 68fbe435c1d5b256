"""Tests of the one search-space encoding (``podbor._search_space``)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from podbor._search_space import SearchSpaceEncoder, from_unit, to_unit, transformed_bounds
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

unit_values = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20).map(np.array)


@st.composite
def continuous_floats(draw: st.DrawFn) -> FloatDistribution:
    if draw(st.booleans()):
        low = draw(st.floats(1e-8, 1e4))
        return FloatDistribution(low, draw(st.floats(low, 1e4)), log=True)
    low = draw(st.floats(-1e3, 1e3))
    return FloatDistribution(low, draw(st.floats(low, low + 1e3)))


@st.composite
def gridded(draw: st.DrawFn) -> FloatDistribution | IntDistribution:
    """Distributions on a grid ``low + k * step`` without a log scale."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # high moved onto the grid
        if draw(st.booleans()):
            low_i = draw(st.integers(-1000, 1000))
            return IntDistribution(
                low_i, draw(st.integers(low_i, low_i + 1000)), step=draw(st.integers(1, 50))
            )
        low = draw(st.floats(-1e3, 1e3))
        return FloatDistribution(
            low, draw(st.floats(low, low + 1e3)), step=draw(st.floats(1e-3, 1e2))
        )


@st.composite
def log_ints(draw: st.DrawFn) -> IntDistribution:
    low = draw(st.integers(1, 1000))
    return IntDistribution(low, draw(st.integers(low, low + 10_000)), log=True)


categoricals = st.integers(1, 20).map(lambda n: CategoricalDistribution(tuple(range(n))))
any_distribution = st.one_of(continuous_floats(), gridded(), log_ints(), categoricals)


def _n_points(dist: FloatDistribution | IntDistribution) -> int:
    assert dist.step is not None
    return round((dist.high - dist.low) / dist.step) + 1


def _grid_index(dist: FloatDistribution | IntDistribution, value: float) -> float:
    assert dist.step is not None
    return (value - dist.low) / dist.step


# -- decoding always lands inside the distribution -------------------------------------------
@given(any_distribution, unit_values)
def test_decoded_values_lie_inside_the_distribution(dist: BaseDistribution, u: np.ndarray) -> None:
    decoded = from_unit(dist, u)
    assert decoded.shape == u.shape
    for internal in decoded:
        assert dist.contains_external(dist.to_external_repr(float(internal))), (dist, internal)


@given(any_distribution, st.lists(st.floats(-10.0, 10.0), min_size=1, max_size=5).map(np.array))
def test_points_outside_the_cube_are_clipped_inside(dist: BaseDistribution, u: np.ndarray) -> None:
    for internal in from_unit(dist, u):
        assert dist.contains_external(dist.to_external_repr(float(internal)))


@given(gridded(), unit_values)
def test_steps_and_ints_land_on_the_grid(
    dist: FloatDistribution | IntDistribution, u: np.ndarray
) -> None:
    for internal in from_unit(dist, u):
        k = _grid_index(dist, float(internal))
        assert k == pytest.approx(round(k), abs=1e-6)


@given(log_ints(), unit_values)
def test_log_ints_decode_to_integers(dist: IntDistribution, u: np.ndarray) -> None:
    for internal in from_unit(dist, u):
        assert float(internal).is_integer()


# -- round trips ------------------------------------------------------------------------------
@given(continuous_floats(), st.floats(0.0, 1.0))
def test_continuous_round_trip(dist: FloatDistribution, u: float) -> None:
    value = from_unit(dist, np.array([u]))
    again = from_unit(dist, to_unit(dist, value))
    assert again[0] == pytest.approx(value[0], rel=1e-9, abs=1e-9)


@given(gridded(), st.data())
def test_grid_round_trip_is_exact_per_point(
    dist: FloatDistribution | IntDistribution, data: st.DataObject
) -> None:
    n = _n_points(dist)
    assert dist.step is not None
    k = data.draw(st.integers(0, n - 1))
    value = np.array([dist.low + k * dist.step])
    u = to_unit(dist, value)
    assert u[0] == pytest.approx((k + 0.5) / n, abs=1e-9)  # the centre of the k-th share
    again = from_unit(dist, u)
    assert round(_grid_index(dist, float(again[0]))) == k


@given(gridded(), unit_values)
def test_a_grid_decodes_as_a_categorical_of_its_size(
    dist: FloatDistribution | IntDistribution, u: np.ndarray
) -> None:
    """Grid point ``k`` owns exactly ``[k/n, (k+1)/n)``, as choice ``k`` of ``n`` does."""
    n = _n_points(dist)
    index = from_unit(CategoricalDistribution(tuple(range(n))), u)
    values = from_unit(dist, u)
    np.testing.assert_array_equal(np.round((values - dist.low) / dist.step), index)
    encoder = SearchSpaceEncoder({"x": dist})
    assert [encoder.decode(np.array([v]))["x"] for v in u] == values.tolist()


@pytest.mark.parametrize("n", [2, 4, 8, 64])
def test_boundaries_of_dyadic_grids_go_up(n: int) -> None:
    """``u = k/n`` (what an unscrambled Sobol' sequence hits) is grid point ``k``, never ``k - 1``."""
    dist = IntDistribution(0, n - 1)
    u = np.arange(n) / n
    assert from_unit(dist, u).tolist() == list(range(n))
    assert from_unit(IntDistribution(-n, n - 2, step=2), u).tolist() == list(range(-n, n - 1, 2))


@given(log_ints(), st.data())
def test_log_int_round_trip(dist: IntDistribution, data: st.DataObject) -> None:
    value = data.draw(st.integers(dist.low, dist.high))
    again = from_unit(dist, to_unit(dist, np.array([float(value)])))
    assert again[0] == value


@given(categoricals, st.data())
def test_categorical_round_trip(dist: CategoricalDistribution, data: st.DataObject) -> None:
    n = len(dist.choices)
    index = data.draw(st.integers(0, n - 1))
    u = to_unit(dist, np.array([float(index)]))
    assert u[0] == pytest.approx((index + 0.5) / n)
    assert from_unit(dist, u)[0] == index


@given(any_distribution, unit_values)
def test_encoding_is_in_the_unit_interval(dist: BaseDistribution, u: np.ndarray) -> None:
    encoded = to_unit(dist, from_unit(dist, u))
    assert np.all((encoded >= 0.0) & (encoded <= 1.0))


# -- log scale and equal shares --------------------------------------------------------------
@pytest.mark.parametrize(
    ("dist", "value", "expected"),
    [
        pytest.param(FloatDistribution(1e-4, 1.0, log=True), 1e-2, 0.5, id="geometric-mean"),
        pytest.param(FloatDistribution(1e-4, 1.0, log=True), 1e-3, 0.25, id="first-quarter"),
        pytest.param(FloatDistribution(1.0, 100.0, log=True), 1.0, 0.0, id="low"),
        pytest.param(FloatDistribution(1.0, 100.0, log=True), 100.0, 1.0, id="high"),
        pytest.param(FloatDistribution(-2.0, 2.0), 1.0, 0.75, id="linear"),
    ],
)
def test_float_encoding_positions(dist: FloatDistribution, value: float, expected: float) -> None:
    assert to_unit(dist, np.array([value]))[0] == pytest.approx(expected)


def test_log_int_bounds_are_widened_by_half_in_log_space() -> None:
    lo, hi, log = transformed_bounds(IntDistribution(1, 100, log=True))
    assert log is True
    assert lo == pytest.approx(math.log(0.5))
    assert hi == pytest.approx(math.log(100.5))


def test_log_scale_decoding_is_geometric() -> None:
    dist = FloatDistribution(1e-6, 1.0, log=True)
    decoded = from_unit(dist, np.linspace(0.0, 1.0, 7))
    np.testing.assert_allclose(decoded, np.logspace(-6, 0, 7), rtol=1e-9)


@pytest.mark.parametrize(
    "dist",
    [
        pytest.param(IntDistribution(0, 4), id="int"),
        pytest.param(IntDistribution(-3, 9, step=3), id="int-step"),
        pytest.param(FloatDistribution(0.0, 1.0, step=0.25), id="float-step"),
        pytest.param(FloatDistribution(0.1, 0.7, step=0.2), id="float-step-offset"),
        pytest.param(CategoricalDistribution(("a", "b", "c")), id="categorical"),
    ],
)
def test_grid_points_get_equal_shares_of_the_unit_interval(dist: BaseDistribution) -> None:
    n_samples = 60_000
    u = (np.arange(n_samples) + 0.5) / n_samples
    _, counts = np.unique(from_unit(dist, u), return_counts=True)
    n_points = len(dist.choices) if isinstance(dist, CategoricalDistribution) else None
    if n_points is None:
        assert isinstance(dist, (FloatDistribution, IntDistribution))
        n_points = _n_points(dist)
    assert len(counts) == n_points
    np.testing.assert_allclose(counts / n_samples, 1.0 / n_points, atol=2.0 / n_samples)


@pytest.mark.parametrize(
    "dist",
    [
        pytest.param(FloatDistribution(3.0, 3.0), id="float"),
        pytest.param(FloatDistribution(2.0, 2.0, log=True), id="float-log"),
        pytest.param(IntDistribution(7, 7), id="int"),
        pytest.param(CategoricalDistribution(("only",)), id="categorical"),
    ],
)
def test_single_value_distributions(dist: BaseDistribution) -> None:
    decoded = from_unit(dist, np.array([0.0, 0.3, 1.0]))
    assert len(set(decoded.tolist())) == 1
    assert dist.contains_external(dist.to_external_repr(float(decoded[0])))
    assert np.all((to_unit(dist, decoded) >= 0.0) & (to_unit(dist, decoded) <= 1.0))


# -- the encoder of many parameters ------------------------------------------------------------
def test_encoder_describes_columns_in_sorted_order() -> None:
    enc = SearchSpaceEncoder(
        {
            "z": FloatDistribution(0.0, 1.0),
            "a": CategoricalDistribution(("x", "y", "w")),
            "m": IntDistribution(1, 4),
        }
    )
    assert enc.names == ["a", "m", "z"]
    assert enc.is_categorical.tolist() == [True, False, False]
    assert enc.n_choices.tolist() == [3, 0, 0]


def test_encoder_encodes_rows_and_decodes_them_back() -> None:
    enc = SearchSpaceEncoder(
        {
            "lr": FloatDistribution(1e-4, 1.0, log=True),
            "kind": CategoricalDistribution(("svm", "rf")),
            "n": IntDistribution(0, 9),
        }
    )
    rows = [{"lr": 1e-2, "kind": 1.0, "n": 3.0}, {"lr": 1.0, "kind": 0.0, "n": 9.0}]
    encoded = enc.encode(rows)
    assert encoded.shape == (2, 3)
    np.testing.assert_allclose(encoded[0], [0.75, 0.5, 0.35])  # kind, lr, n
    for row, point in zip(rows, encoded):
        decoded = enc.decode(point)
        assert decoded.keys() == row.keys()
        for name, value in row.items():
            assert decoded[name] == pytest.approx(value)


def test_encoder_of_no_trials_has_shape_zero_by_d() -> None:
    enc = SearchSpaceEncoder({"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)})
    assert enc.encode([]).shape == (0, 2)
