"""Tests of the argument checks (``podbor._validation``): one rule and one message per kind."""

from __future__ import annotations

import ast
import fractions
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from podbor import _validation
from podbor._validation import (
    check_bool,
    check_choice,
    check_instance,
    check_int,
    check_optional_int,
    check_optional_real,
    check_positive_int,
    check_real,
    check_seed,
    is_int,
    is_real,
)
from podbor.exceptions import InvalidArgumentError, safe_repr

OWNER = "Owner"
Check = Callable[[Any], Any]


# -- predicates ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "int_", "real"),
    [
        pytest.param(3, True, True, id="int"),
        pytest.param(np.int64(3), True, True, id="np-int64"),
        pytest.param(np.uint8(3), True, True, id="np-uint8"),
        pytest.param(3.0, False, True, id="float"),
        pytest.param(np.float32(0.5), False, True, id="np-float32"),
        pytest.param(math.nan, False, True, id="nan-is-a-float"),
        pytest.param(fractions.Fraction(1, 3), False, True, id="fraction"),
        pytest.param(True, False, False, id="bool"),
        pytest.param(np.bool_(True), False, False, id="np-bool"),
        pytest.param(1 + 0j, False, False, id="complex"),
        pytest.param("1", False, False, id="str"),
        pytest.param(None, False, False, id="none"),
    ],
)
def test_predicates(value: Any, int_: bool, real: bool) -> None:
    assert is_int(value) is int_
    assert is_real(value) is real


# -- accepted values, normalized -------------------------------------------------------
@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        pytest.param(lambda v: check_bool(v, "flag", owner=OWNER), False, False, id="bool"),
        pytest.param(lambda v: check_int(v, "n", owner=OWNER), -7, -7, id="int-unbounded"),
        pytest.param(
            lambda v: check_int(v, "n", owner=OWNER, minimum=0, maximum=3), np.int64(3), 3, id="np"
        ),
        pytest.param(lambda v: check_optional_int(v, "n", owner=OWNER), None, None, id="opt-int"),
        pytest.param(lambda v: check_positive_int(v, "n", owner=OWNER), 1, 1, id="positive"),
        pytest.param(lambda v: check_seed(v, owner=OWNER), np.uint32(5), 5, id="seed"),
        pytest.param(lambda v: check_seed(v, owner=OWNER), None, None, id="seed-none"),
        pytest.param(lambda v: check_real(v, "x", owner=OWNER), 2, 2.0, id="real-from-int"),
        pytest.param(lambda v: check_real(v, "x", owner=OWNER), -math.inf, -math.inf, id="inf"),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER, minimum=0.0), math.inf, math.inf, id="+inf"
        ),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER, minimum=0.0, maximum=1.0),
            fractions.Fraction(1, 2),
            0.5,
            id="fraction",
        ),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER, minimum=0.0, maximum=1.0), 1, 1.0, id="max"
        ),
        pytest.param(lambda v: check_optional_real(v, "x", owner=OWNER), None, None, id="opt"),
        pytest.param(
            lambda v: check_choice(v, "kind", ("a", "b"), owner=OWNER), np.str_("b"), "b", id="str"
        ),
        pytest.param(
            lambda v: check_choice(v, "kind", ("a",), owner=OWNER, allow_none=True),
            None,
            None,
            id="choice-none",
        ),
        pytest.param(
            lambda v: check_instance(v, "n", (bool, int), owner=OWNER, allowed="a flag"),
            True,
            True,
            id="instance-bool-listed",
        ),
    ],
)
def test_accepted_values_come_back_normalized(check: Check, value: Any, expected: Any) -> None:
    result = check(value)
    assert result == expected
    assert type(result) is type(expected)


# -- refused values, one message shape -------------------------------------------------
@pytest.mark.parametrize(
    ("check", "value", "allowed"),
    [
        pytest.param(lambda v: check_bool(v, "x", owner=OWNER), 1, "True or False", id="bool-1"),
        pytest.param(
            lambda v: check_bool(v, "x", owner=OWNER), np.bool_(True), "True or False", id="np"
        ),
        pytest.param(lambda v: check_int(v, "x", owner=OWNER), 3.0, "an int", id="int-float"),
        pytest.param(lambda v: check_int(v, "x", owner=OWNER), True, "an int", id="int-bool"),
        pytest.param(
            lambda v: check_int(v, "x", owner=OWNER, minimum=2), 1, "an int >= 2", id="int-min"
        ),
        pytest.param(
            lambda v: check_int(v, "x", owner=OWNER, maximum=2), 3, "an int <= 2", id="int-max"
        ),
        pytest.param(
            lambda v: check_int(v, "x", owner=OWNER, minimum=0, maximum=2),
            -1,
            "an int in [0, 2]",
            id="int-range",
        ),
        pytest.param(
            lambda v: check_int(v, "x", owner=OWNER, minimum=1, allowed="'auto' or an int >= 1"),
            "soon",
            "'auto' or an int >= 1",
            id="int-allowed",
        ),
        pytest.param(
            lambda v: check_optional_int(v, "x", owner=OWNER, minimum=0),
            -1,
            "an int >= 0 or None",
            id="opt-int",
        ),
        pytest.param(
            lambda v: check_positive_int(v, "x", owner=OWNER), 0, "an int >= 1", id="positive"
        ),
        pytest.param(
            lambda v: check_seed(v, owner=OWNER, name="x"), -1, "an int >= 0 or None", id="seed"
        ),
        pytest.param(
            lambda v: check_seed(v, owner=OWNER, name="x"),
            False,
            "an int >= 0 or None",
            id="seed-bool",
        ),
        pytest.param(lambda v: check_real(v, "x", owner=OWNER), "1", "a real number", id="str"),
        pytest.param(lambda v: check_real(v, "x", owner=OWNER), True, "a real number", id="bool"),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER), math.nan, "a real number", id="nan"
        ),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER), 10**400, "a real number", id="too-large"
        ),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER, finite=True),
            math.inf,
            "a finite number",
            id="finite",
        ),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER, minimum=0.0, include_minimum=False),
            0.0,
            "a number > 0.0",
            id="open-min",
        ),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER, maximum=1.0, include_maximum=False),
            1.0,
            "a number < 1.0",
            id="open-max",
        ),
        pytest.param(
            lambda v: check_real(
                v, "x", owner=OWNER, minimum=0.0, maximum=1.0, include_minimum=False
            ),
            0,
            "a number in (0.0, 1.0]",
            id="half-open",
        ),
        pytest.param(
            lambda v: check_real(v, "x", owner=OWNER, maximum=1.0),
            math.inf,
            "a number <= 1.0",
            id="inf-above-max",
        ),
        pytest.param(
            lambda v: check_optional_real(v, "x", owner=OWNER, minimum=0.0, finite=True),
            -0.5,
            "a finite number >= 0.0 or None",
            id="opt-real",
        ),
        pytest.param(
            lambda v: check_instance(v, "x", int, owner=OWNER, allowed="an int"),
            True,
            "an int",
            id="instance-bool-as-int",
        ),
        pytest.param(
            lambda v: check_instance(v, "x", str, owner=OWNER, allowed="a str", allow_none=True),
            3,
            "a str or None",
            id="instance-or-none",
        ),
        pytest.param(
            lambda v: check_choice(v, "x", (1, 2), owner=OWNER), True, "one of 1, 2", id="choice"
        ),
        pytest.param(
            lambda v: check_choice(v, "x", (1.0, 2.0), owner=OWNER),
            1,
            "one of 1.0, 2.0",
            id="choice-int-for-float",
        ),
        pytest.param(
            lambda v: check_choice(v, "x", ("a",), owner=OWNER, allow_none=True),
            "b",
            "one of 'a' or None",
            id="choice-or-none",
        ),
    ],
)
def test_refused_values_get_the_one_message(check: Check, value: Any, allowed: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check(value)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == (
        f"The 'x' parameter of {OWNER} must be {allowed}. Got {safe_repr(value)} instead."
    )


def test_check_seed_names_another_argument() -> None:
    with pytest.raises(InvalidArgumentError, match=r"^The 'random_state' parameter of Owner"):
        check_seed(-3, owner=OWNER, name="random_state")


def test_validation_imports_only_the_standard_library_and_exceptions() -> None:
    tree = ast.parse(Path(_validation.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name if isinstance(node, ast.Import) else str(node.module)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    outside = {
        name
        for name in imported
        if name.split(".")[0] not in sys.stdlib_module_names and name != "__future__"
    }
    assert outside == {"podbor.exceptions"}


# -- properties ------------------------------------------------------------------------
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(np.int64),
    st.floats(),
    st.floats(width=32).map(np.float32),
    st.fractions(),
    st.decimals(),
    st.complex_numbers(max_magnitude=10),
    st.booleans().map(np.bool_),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
)
BOUND = st.one_of(st.none(), st.integers(min_value=-5, max_value=5))
REAL_BOUND = st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-5, 5))
NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)


def _assert_named(err: InvalidArgumentError, name: str, value: Any) -> None:
    message = str(err)
    assert message.startswith(f"The '{name}' parameter of {OWNER} must be ")
    assert message.endswith(f"Got {value!r} instead.")


@given(value=ANY_VALUE, name=NAMES, minimum=BOUND, maximum=BOUND)
def test_check_int_returns_an_int_in_range_or_names_the_argument(
    value: Any, name: str, minimum: int | None, maximum: int | None
) -> None:
    try:
        result = check_int(value, name, owner=OWNER, minimum=minimum, maximum=maximum)
    except InvalidArgumentError as err:
        _assert_named(err, name, value)
        return
    assert type(result) is int and result == value
    assert not isinstance(value, (bool, np.bool_))
    assert minimum is None or result >= minimum
    assert maximum is None or result <= maximum


@given(
    value=ANY_VALUE,
    name=NAMES,
    minimum=REAL_BOUND,
    maximum=REAL_BOUND,
    include_minimum=st.booleans(),
    include_maximum=st.booleans(),
    finite=st.booleans(),
)
def test_check_real_returns_a_float_in_range_or_names_the_argument(
    value: Any,
    name: str,
    minimum: float | None,
    maximum: float | None,
    include_minimum: bool,
    include_maximum: bool,
    finite: bool,
) -> None:
    try:
        result = check_real(
            value,
            name,
            owner=OWNER,
            minimum=minimum,
            maximum=maximum,
            include_minimum=include_minimum,
            include_maximum=include_maximum,
            finite=finite,
        )
    except InvalidArgumentError as err:
        _assert_named(err, name, value)
        return
    assert type(result) is float and not math.isnan(result)
    assert is_real(value) and result == float(value)
    assert not finite or math.isfinite(result)
    if minimum is not None:
        assert result >= minimum if include_minimum else result > minimum
    if maximum is not None:
        assert result <= maximum if include_maximum else result < maximum


@given(value=ANY_VALUE, name=NAMES)
def test_every_helper_returns_or_names_the_argument(value: Any, name: str) -> None:
    checks: list[Callable[[], Any]] = [
        lambda: check_bool(value, name, owner=OWNER),
        lambda: check_optional_int(value, name, owner=OWNER, minimum=0),
        lambda: check_positive_int(value, name, owner=OWNER),
        lambda: check_seed(value, owner=OWNER, name=name),
        lambda: check_optional_real(value, name, owner=OWNER, maximum=0.0),
        lambda: check_instance(value, name, (int, str), owner=OWNER, allowed="an int or a str"),
        lambda: check_choice(value, name, (0, "a", None, 1.5), owner=OWNER),
    ]
    for check in checks:
        try:
            check()
        except InvalidArgumentError as err:
            _assert_named(err, name, value)


@given(value=st.booleans() | st.booleans().map(np.bool_))
def test_bools_never_pass_as_numbers(value: Any) -> None:
    numeric: list[Callable[[], Any]] = [
        lambda: check_int(value, "x", owner=OWNER),
        lambda: check_optional_int(value, "x", owner=OWNER),
        lambda: check_positive_int(value, "x", owner=OWNER),
        lambda: check_seed(value, owner=OWNER),
        lambda: check_real(value, "x", owner=OWNER),
        lambda: check_optional_real(value, "x", owner=OWNER),
        lambda: check_instance(value, "x", (int, float), owner=OWNER, allowed="a number"),
        lambda: check_choice(value, "x", (0, 1, 0.0, 1.0), owner=OWNER),
    ]
    for check in numeric:
        with pytest.raises(InvalidArgumentError):
            check()


NANS = st.sampled_from([math.nan, -math.nan, np.float64("nan"), np.float32("nan")])


@given(
    value=NANS,
    minimum=REAL_BOUND,
    maximum=REAL_BOUND,
    include_minimum=st.booleans(),
    include_maximum=st.booleans(),
)
def test_nan_never_passes_as_a_real(
    value: Any,
    minimum: float | None,
    maximum: float | None,
    include_minimum: bool,
    include_maximum: bool,
) -> None:
    bounds: dict[str, Any] = {
        "minimum": minimum,
        "maximum": maximum,
        "include_minimum": include_minimum,
        "include_maximum": include_maximum,
    }
    with pytest.raises(InvalidArgumentError):
        check_real(value, "x", owner=OWNER, **bounds)
    with pytest.raises(InvalidArgumentError):
        check_optional_real(value, "x", owner=OWNER, **bounds)
