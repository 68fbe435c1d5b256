"""Storage conformance checks of the caller's input: what every storage refuses, with the same
error, before storing anything (the rules of ``podbor.storages._input_rules``)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from podbor.distributions import FloatDistribution
from podbor.storages._base import BaseStorage
from podbor.storages._input_rules import MAX_JSON_DEPTH, MAX_NAME_LENGTH
from podbor.testing._storage_common import MIN

__all__ = ["InputChecks"]

_BAD_NAMES: list[tuple[Any, type[Exception]]] = [
    (3, TypeError),
    (("a",), TypeError),
    (b"name", TypeError),
    ("a\x00b", ValueError),
    ("\ud800", ValueError),
    ("x" * (MAX_NAME_LENGTH + 1), ValueError),
]
_BAD_IDS = ["int", "tuple", "bytes", "NUL", "lone surrogate", "too long"]


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


class InputChecks:
    """The input half of :class:`~podbor.testing.storages.StorageConformance`."""

    @pytest.mark.parametrize(("name", "error"), _BAD_NAMES, ids=_BAD_IDS)
    def test_a_bad_study_name_is_refused(
        self, storage: BaseStorage, name: Any, error: type[Exception]
    ) -> None:
        with pytest.raises(error, match="'study_name' parameter"):
            storage.create_new_study([MIN], name)
        with pytest.raises(error, match="'study_name' parameter"):
            storage.get_study_id_from_name(name)
        assert storage.get_all_studies() == []

    def test_the_longest_name_is_kept(self, storage: BaseStorage) -> None:
        name = "n" * MAX_NAME_LENGTH
        study_id = storage.create_new_study([MIN], name)
        storage.set_study_user_attr(study_id, name, 1)
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, name, 0.5, FloatDistribution(0, 1))
        assert storage.get_study_id_from_name(name) == study_id
        assert storage.get_study_user_attrs(study_id) == {name: 1}
        assert storage.get_trial(trial_id).params == {name: 0.5}

    @pytest.mark.parametrize(("key", "error"), _BAD_NAMES, ids=_BAD_IDS)
    def test_a_bad_attribute_key_or_param_name_is_refused(
        self, storage: BaseStorage, key: Any, error: type[Exception]
    ) -> None:
        study_id = storage.create_new_study([MIN], "s")
        trial_id = storage.create_new_trial(study_id)
        with pytest.raises(error, match="'key' parameter"):
            storage.set_study_user_attr(study_id, key, 1)
        with pytest.raises(error, match="'key' parameter"):
            storage.set_trial_system_attr(trial_id, key, 1)
        with pytest.raises(error, match="'param_name' parameter"):
            storage.set_trial_param(trial_id, key, 0.5, FloatDistribution(0, 1))
        assert storage.get_study_user_attrs(study_id) == {}
        trial = storage.get_trial(trial_id)
        assert (trial.system_attrs, trial.params) == ({}, {})

    def test_attribute_values_come_back_as_json(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "s")
        storage.set_study_user_attr(study_id, "k", {1: (2, 3)})
        assert storage.get_study_user_attrs(study_id) == {"k": {"1": [2, 3]}}
        scalars: dict[str, Any] = {
            "i": 2**63 - 1,
            "j": -(2**63),
            "big": 2**63,
            "f": -0.0,
            "b": True,
            "n": None,
        }
        scalars |= {"s": 'ü "quoted" <script>', "inf": math.inf}
        trial_id = storage.create_new_trial(study_id)
        for key, value in scalars.items():
            storage.set_trial_user_attr(trial_id, key, value)
        back = storage.get_trial(trial_id).user_attrs
        assert back == scalars
        assert {key: type(value) for key, value in back.items()} == {
            key: type(value) for key, value in scalars.items()
        }
        with pytest.raises(ValueError, match="JSON-serializable"):
            storage.set_trial_user_attr(trial_id, "huge", 10**5000)  # past ``json``'s digits
        assert "huge" not in storage.get_trial(trial_id).user_attrs

    @pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000])
    def test_a_too_deeply_nested_value_is_refused(self, storage: BaseStorage, depth: int) -> None:
        study_id = storage.create_new_study([MIN], "s")
        trial_id = storage.create_new_trial(study_id)
        with pytest.raises(ValueError, match=f"at most {MAX_JSON_DEPTH} deep"):
            storage.set_study_system_attr(study_id, "k", _nested(depth))
        with pytest.raises(ValueError, match=f"at most {MAX_JSON_DEPTH} deep"):
            storage.set_trial_user_attr(trial_id, "k", _nested(depth))
        storage.set_trial_user_attr(trial_id, "k", _nested(MAX_JSON_DEPTH))
        assert storage.get_study_system_attrs(study_id) == {}
        assert storage.get_trial(trial_id).user_attrs == {"k": _nested(MAX_JSON_DEPTH)}

    @pytest.mark.parametrize("step", [2**31, -(2**31) - 1, 2**63, 1.5])
    def test_a_step_no_database_stores_is_refused(self, storage: BaseStorage, step: Any) -> None:
        trial_id = storage.create_new_trial(storage.create_new_study([MIN], "s"))
        with pytest.raises(ValueError, match="'step' parameter"):
            storage.set_trial_intermediate_value(trial_id, step, 1.0)
        storage.set_trial_intermediate_value(trial_id, 2**31 - 1, 1.0)
        assert storage.get_trial(trial_id).intermediate_values == {2**31 - 1: 1.0}

    def test_a_trial_number_outside_64_bits_is_not_found(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "s")
        with pytest.raises(KeyError):
            storage.get_trial_id_from_study_id_trial_number(study_id, 2**63)
