"""Tests of the warning helpers (``podbor._deprecated``): deprecated and experimental API."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from podbor._deprecated import (
    experimental,
    warn_deprecated,
    warn_experimental,
    warn_experimental_argument,
)
from podbor.exceptions import ExperimentalWarning


@experimental("0.1.0")
class _Thing:
    def __init__(self, value: int = 1) -> None:
        self.value = value


@experimental("0.2.0", name="the helper")
def _helper(x: int) -> int:
    """Double x."""
    return 2 * x


def test_warn_deprecated_points_at_the_callers_caller() -> None:
    def deprecated_api() -> None:
        warn_deprecated("old", since="0.1.0", removed_in="2.0.0", replacement="new()")

    with pytest.warns(FutureWarning, match=r"old has been deprecated .* use new\(\) instead") as w:
        deprecated_api()
    assert w[0].filename == __file__


def test_warn_experimental_names_the_api_and_the_version() -> None:
    with pytest.warns(ExperimentalWarning, match=r"the 'group' argument is experimental .*0\.3"):
        warn_experimental("the 'group' argument", since="0.3.0", stacklevel=1)


@pytest.mark.parametrize(
    ("use", "expected", "match"),
    [
        pytest.param(lambda: _Thing(5).value, 5, "_Thing is experimental", id="class"),
        pytest.param(lambda: _helper(4), 8, "the helper is experimental", id="function"),
    ],
)
def test_experimental_warns_at_the_users_line_and_keeps_behaviour(
    use: Callable[[], Any], expected: Any, match: str
) -> None:
    with pytest.warns(ExperimentalWarning, match=match) as caught:
        assert use() == expected
    assert caught[0].filename == __file__


def test_experimental_keeps_names_and_docstrings() -> None:
    assert _helper.__name__ == "_helper"
    assert _helper.__doc__ == "Double x."
    assert _Thing.__name__ == "_Thing"


def test_podbors_own_use_of_experimental_api_is_silent() -> None:
    import podbor

    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentalWarning)
        study = podbor.create_study(sampler=podbor.samplers.AutoSampler(seed=0))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)  # quasi-random start


def test_experimental_refuses_what_is_neither_class_nor_function() -> None:
    with pytest.raises(TypeError, match="classes and functions"):
        experimental("0.1.0")(3)


class _Sampler:
    def __init__(self, group: bool = False) -> None:
        if group:
            warn_experimental_argument("group", owner="_Sampler")


def test_experimental_argument_warns_at_the_users_line() -> None:
    with pytest.warns(ExperimentalWarning, match="The 'group' argument of _Sampler") as caught:
        _Sampler(group=True)
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentalWarning)
        _Sampler()  # the default value is not experimental


def test_experimental_argument_from_podbors_own_code_is_silent() -> None:
    import sys
    import types

    source = (
        "from podbor._deprecated import warn_experimental_argument\n"
        "class S:\n"
        "    def __init__(self, group=False):\n"
        "        if group:\n"
        "            warn_experimental_argument('group', owner='S')\n"
        "def build():\n"
        "    return S(group=True)\n"
    )
    module = types.ModuleType("podbor._test_fake_sampler")
    exec(source, module.__dict__)  # a module of podbor, as far as the helper can tell
    sys.modules[module.__name__] = module
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module.build()  # podbor builds it: silent
            module.S(group=True)  # the user builds it: warns at this line
        assert [w.category for w in caught] == [ExperimentalWarning]
        assert caught[0].filename == __file__
    finally:
        del sys.modules[module.__name__]
