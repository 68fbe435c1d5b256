"""holdout_split: sizes, stratification, reproducibility, input types and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from podbor.exceptions import InvalidArgumentError
from podbor.validation import HoldoutSplit, holdout_split


def _data(n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(2 * n).reshape(n, 2)
    y = np.arange(n) % 2
    return X, y


@pytest.mark.parametrize(
    ("val_size", "test_size", "expected"),
    [
        pytest.param(0.2, 0.2, (12, 4, 4), id="fractions"),
        pytest.param(0.25, 0.1, (13, 5, 2), id="fractions-round-up"),
        pytest.param(3, 5, (12, 3, 5), id="counts"),
        pytest.param(0.5, 2, (8, 10, 2), id="mixed"),
        pytest.param(0, 0.3, (14, 0, 6), id="no-validation"),
        pytest.param(0.3, 0.0, (14, 6, 0), id="no-test"),
    ],
)
def test_sizes(val_size: Any, test_size: Any, expected: tuple[int, int, int]) -> None:
    X, y = _data()
    parts = holdout_split(X, y, val_size=val_size, test_size=test_size, seed=0)
    assert (len(parts.X_train), len(parts.X_val), len(parts.X_test)) == expected
    assert (len(parts.y_train), len(parts.y_val), len(parts.y_test)) == expected


def test_parts_partition_the_data_and_keep_rows_aligned() -> None:
    X, y = _data()
    X_tr, X_val, X_te, y_tr, y_val, y_te = holdout_split(X, y, seed=1)
    rows = np.concatenate([X_tr, X_val, X_te])
    assert sorted(rows[:, 0].tolist()) == X[:, 0].tolist()
    for X_part, y_part in ((X_tr, y_tr), (X_val, y_val), (X_te, y_te)):
        np.testing.assert_array_equal(X_part[:, 0] // 2 % 2, y_part)


def test_empty_parts_keep_the_input_type() -> None:
    X, y = _data()
    parts = holdout_split(X, y, val_size=0, test_size=0.25, seed=0)
    assert isinstance(parts.X_val, np.ndarray)
    assert parts.X_val.shape == (0, 2)
    assert parts.y_val.shape == (0,)


def test_without_y_the_y_parts_are_none() -> None:
    X, _ = _data()
    parts = holdout_split(X, seed=0)
    assert isinstance(parts, HoldoutSplit)
    assert parts.y_train is None and parts.y_val is None and parts.y_test is None


def test_same_seed_same_split_and_other_seed_differs() -> None:
    X, y = _data(50)
    a = holdout_split(X, y, seed=3)
    b = holdout_split(X, y, seed=np.random.default_rng(3))
    c = holdout_split(X, y, seed=4)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert not np.array_equal(a.X_test, c.X_test)


def test_no_shuffle_takes_consecutive_blocks() -> None:
    X, y = _data(10)
    parts = holdout_split(X, y, val_size=2, test_size=3, shuffle=False)
    assert parts.y_train.tolist() == y[:5].tolist()
    np.testing.assert_array_equal(parts.X_val, X[5:7])
    np.testing.assert_array_equal(parts.X_test, X[7:])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stratified_parts_keep_class_proportions(seed: int) -> None:
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    X = np.arange(100)
    parts = holdout_split(X, y, val_size=0.2, test_size=0.2, stratify=True, seed=seed)
    for part, n in ((parts.y_train, 60), (parts.y_val, 20), (parts.y_test, 20)):
        assert len(part) == n
        np.testing.assert_array_equal(np.bincount(part, minlength=3), np.array([6, 3, 1]) * n // 10)


def test_stratify_by_given_labels() -> None:
    X, y = _data(40)
    groups = np.repeat([0, 1], 20)
    parts = holdout_split(X, y, val_size=0.25, test_size=0.25, stratify=groups, seed=0)
    assert np.bincount(parts.X_test[:, 0] // 40, minlength=2).tolist() == [5, 5]


def test_pandas_inputs_stay_pandas() -> None:
    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b"], index=np.arange(100, 120))
    series = pd.Series(y, index=frame.index)
    parts = holdout_split(frame, series, stratify=True, seed=0)
    assert isinstance(parts.X_train, pd.DataFrame) and isinstance(parts.y_test, pd.Series)
    assert parts.X_train.index.equals(parts.y_train.index)
    assert list(parts.X_val.columns) == ["a", "b"]


def test_lists_and_sparse_matrices() -> None:
    X, y = _data(10)
    parts = holdout_split(X.tolist(), y.tolist(), val_size=2, test_size=2, seed=0)
    assert isinstance(parts.X_train, list) and len(parts.X_train) == 6
    assert isinstance(parts.y_val, list)
    sparse = holdout_split(scipy.sparse.coo_matrix(X), y, val_size=2, test_size=2, seed=0)
    assert scipy.sparse.issparse(sparse.X_test) and sparse.X_test.shape == (2, 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"val_size": 0.5, "test_size": 0.5}, "val_size \\+ test_size < 1", id="sum-1"),
        pytest.param({"val_size": 0.7, "test_size": 0.6}, "'test_size'", id="sum-above-1"),
        pytest.param({"val_size": 1.0}, "'val_size'.*\\[0.0, 1.0\\)", id="fraction-1"),
        pytest.param({"test_size": -0.1}, "'test_size'", id="negative"),
        pytest.param({"test_size": 20}, "n_samples=20", id="count-too-large"),
        pytest.param({"val_size": 10, "test_size": 10}, "at least one training", id="no-train"),
        pytest.param({"val_size": "0.2"}, "'val_size'", id="string"),
        pytest.param({"test_size": True}, "'test_size'", id="bool"),
        pytest.param({"test_size": float("nan")}, "'test_size'", id="nan"),
        pytest.param({"val_size": np.int64(-1)}, "'val_size'.*n_samples=20", id="np-negative"),
    ],
)
def test_bad_sizes(kwargs: dict[str, Any], match: str) -> None:
    X, y = _data()
    with pytest.raises(InvalidArgumentError, match=match):
        holdout_split(X, y, **kwargs)


def test_error_messages_follow_the_house_shape() -> None:
    X, y = _data()
    with pytest.raises(ValueError) as info:
        holdout_split(X, y, val_size=0.6, test_size=0.5)
    message = str(info.value)
    assert message.startswith("The 'test_size' parameter of holdout_split must be")
    assert message.endswith("Got 0.5 instead.")


@pytest.mark.parametrize(
    ("y", "kwargs", "match"),
    [
        pytest.param([0] * 9 + [1], {}, "class 1 has 1", id="singleton-class"),
        pytest.param(None, {}, "'stratify'.*y is None", id="no-y"),
        pytest.param([0, 1] * 5, {"shuffle": False}, "'shuffle'", id="no-shuffle"),
        pytest.param([0, 1, 2, 3] * 5, {"test_size": 2}, "hold each of the 4 classes", id="tiny"),
    ],
)
def test_bad_stratification(y: Any, kwargs: dict[str, Any], match: str) -> None:
    X = np.arange(len(y) if y is not None else 10)
    with pytest.raises(InvalidArgumentError, match=match):
        holdout_split(X, y, stratify=True, **kwargs)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        pytest.param(np.zeros((0, 2)), None, "'X'.*at least one sample", id="empty"),
        pytest.param(np.zeros((5, 2)), np.zeros(4), "'y'.*as many samples as X \\(5\\)", id="len"),
        pytest.param(3.0, None, "'X'", id="scalar"),
    ],
)
def test_bad_data(X: Any, y: Any, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        holdout_split(X, y)
