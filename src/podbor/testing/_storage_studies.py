"""Storage conformance checks of studies: creating, naming, deleting, attributes, listing."""

from __future__ import annotations

import pytest

from podbor._study_direction import StudyDirection
from podbor.exceptions import DuplicatedStudyError, StudyNotFoundError
from podbor.storages._base import BaseStorage
from podbor.storages._input_rules import DEFAULT_STUDY_NAME_PREFIX
from podbor.testing._storage_common import JSON_VALUES, MAX, MIN, UNKNOWN_ID, typed

__all__ = ["StudyChecks"]


class StudyChecks:
    """The study half of :class:`~podbor.testing.storages.StorageConformance`."""

    def test_create_study_and_read_it_back(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "study-a")
        assert storage.get_study_name_from_id(study_id) == "study-a"
        assert storage.get_study_id_from_name("study-a") == study_id
        assert storage.get_study_directions(study_id) == [MIN]
        assert storage.get_study_user_attrs(study_id) == {}
        assert storage.get_study_system_attrs(study_id) == {}
        assert storage.get_all_trials(study_id) == []
        assert storage.get_n_trials(study_id) == 0

    def test_an_empty_name_is_kept(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "")
        assert storage.get_study_name_from_id(study_id) == ""
        assert storage.get_study_id_from_name("") == study_id

    def test_study_ids_are_distinct(self, storage: BaseStorage) -> None:
        ids = [storage.create_new_study([MIN], f"s{i}") for i in range(5)]
        assert len(set(ids)) == 5

    def test_generated_names_are_unique(self, storage: BaseStorage) -> None:
        ids = [storage.create_new_study([MIN]) for _ in range(10)]
        names = [storage.get_study_name_from_id(i) for i in ids]
        assert len(set(names)) == 10
        assert all(name.startswith(DEFAULT_STUDY_NAME_PREFIX) for name in names)
        assert [storage.get_study_id_from_name(n) for n in names] == ids

    def test_duplicate_name_raises(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "taken")
        with pytest.raises(DuplicatedStudyError):
            storage.create_new_study([MAX], "taken")
        with pytest.raises(ValueError, match="taken"):
            storage.create_new_study([MIN], "taken")
        assert storage.get_study_id_from_name("taken") == study_id
        assert storage.get_study_directions(study_id) == [MIN]
        assert len(storage.get_all_studies()) == 1

    def test_study_not_found_lists_existing_names(self, storage: BaseStorage) -> None:
        storage.create_new_study([MIN], "alpha")
        storage.create_new_study([MIN], "beta")
        with pytest.raises(StudyNotFoundError) as info:
            storage.get_study_id_from_name("gamma")
        assert isinstance(info.value, KeyError)
        message = str(info.value)
        assert "gamma" in message and "alpha" in message and "beta" in message

    @pytest.mark.parametrize(
        "call",
        [
            "get_study_name_from_id",
            "get_study_directions",
            "get_study_user_attrs",
            "get_study_system_attrs",
            "get_all_trials",
            "create_new_trial",
            "delete_study",
            "get_n_trials",
        ],
    )
    def test_unknown_study_id_raises(self, storage: BaseStorage, call: str) -> None:
        storage.create_new_study([MIN], "exists")
        with pytest.raises(StudyNotFoundError):
            getattr(storage, call)(UNKNOWN_ID)

    def test_unknown_study_id_raises_on_attribute_update(self, storage: BaseStorage) -> None:
        with pytest.raises(StudyNotFoundError):
            storage.set_study_user_attr(UNKNOWN_ID, "k", 1)
        with pytest.raises(StudyNotFoundError):
            storage.set_study_system_attr(UNKNOWN_ID, "k", 1)

    def test_delete_study(self, storage: BaseStorage) -> None:
        doomed = storage.create_new_study([MIN], "doomed")
        kept = storage.create_new_study([MAX], "kept")
        doomed_trial = storage.create_new_trial(doomed)
        kept_trial = storage.create_new_trial(kept)
        storage.delete_study(doomed)
        with pytest.raises(StudyNotFoundError):
            storage.get_study_id_from_name("doomed")
        with pytest.raises(KeyError):
            storage.get_study_name_from_id(doomed)
        with pytest.raises(KeyError):
            storage.get_trial(doomed_trial)
        with pytest.raises(KeyError):
            storage.delete_study(doomed)
        assert [s.study_name for s in storage.get_all_studies()] == ["kept"]
        assert storage.get_trial(kept_trial).number == 0
        reborn = storage.create_new_study([MIN], "doomed")  # the name is free again
        assert storage.get_n_trials(reborn) == 0

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_study_attrs(self, storage: BaseStorage, kind: str) -> None:
        study_id = storage.create_new_study([MIN], "attrs")
        other = storage.create_new_study([MIN], "other")
        setter = getattr(storage, f"set_study_{kind}_attr")
        getter = getattr(storage, f"get_study_{kind}_attrs")
        for key, value in JSON_VALUES.items():
            setter(study_id, key, value)
        assert typed(getter(study_id)) == typed(JSON_VALUES)
        setter(study_id, "int", -1)
        assert getter(study_id)["int"] == -1
        returned = getter(study_id)
        returned["nested"]["a"]["b"].append("mutated")
        returned["new"] = 1
        assert getter(study_id)["nested"] == JSON_VALUES["nested"]
        assert "new" not in getter(study_id)
        assert getter(other) == {}

    @pytest.mark.parametrize(
        "directions", [[MIN], [MAX], [MIN, MAX, MIN]], ids=["minimize", "maximize", "multi"]
    )
    def test_directions(self, storage: BaseStorage, directions: list[StudyDirection]) -> None:
        study_id = storage.create_new_study(directions, "d")
        assert storage.get_study_directions(study_id) == directions
        (frozen,) = storage.get_all_studies()
        assert frozen.directions == directions

    def test_get_all_studies(self, storage: BaseStorage) -> None:
        assert storage.get_all_studies() == []
        first = storage.create_new_study([MIN], "first")
        second = storage.create_new_study([MAX, MIN], "second")
        storage.set_study_user_attr(first, "nested", JSON_VALUES["nested"])
        storage.set_study_system_attr(second, "list", JSON_VALUES["list"])
        storage.create_new_trial(first)
        by_name = {s.study_name: s for s in storage.get_all_studies()}
        assert sorted(by_name) == ["first", "second"]
        assert by_name["first"]._study_id == first
        assert by_name["second"]._study_id == second
        assert by_name["first"].directions == [MIN]
        assert by_name["second"].directions == [MAX, MIN]
        assert by_name["first"].user_attrs == {"nested": JSON_VALUES["nested"]}
        assert by_name["second"].system_attrs == {"list": JSON_VALUES["list"]}
        storage.delete_study(first)
        assert [s.study_name for s in storage.get_all_studies()] == ["second"]
