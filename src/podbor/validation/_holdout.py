"""The seminar's hold-out split: train / validation / test, optionally stratified.

Pure numpy: scikit-learn is not needed. The row-indexing helpers here (:func:`n_rows`,
:func:`take_rows`) are shared with the cross-validation module.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from podbor._validation import check_int, check_real, is_int
from podbor.exceptions import invalid_argument

__all__ = ["HoldoutSplit", "holdout_split", "n_rows", "take_rows"]

_OWNER = "holdout_split"


class HoldoutSplit(NamedTuple):
    """The six parts of a hold-out split; unpacks as a plain 6-tuple.

    The ``y_*`` fields are None when no ``y`` was given. Each part keeps the type of its input
    (numpy array, pandas object, list, scipy sparse matrix).
    """

    X_train: Any
    X_val: Any
    X_test: Any
    y_train: Any
    y_val: Any
    y_test: Any


def n_rows(data: Any, name: str, owner: str) -> int:
    """Return the number of samples (rows) of an array-like.

    Raises:
        InvalidArgumentError: If ``data`` has no length (a scalar, None, …).

    Example:
        >>> n_rows([[1, 2], [3, 4], [5, 6]], "X", "demo")
        3
    """
    shape = getattr(data, "shape", None)
    if shape is None and hasattr(data, "__array__"):
        shape = np.asarray(data).shape
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    if isinstance(data, (str, bytes)) or not hasattr(data, "__len__"):
        raise invalid_argument(
            name, data, "an array-like of samples (array, list, frame)", owner=owner
        )
    return len(data)


def take_rows(data: Any, indices: np.ndarray) -> Any:
    """Select rows by position, keeping the container's type.

    Args:
        data: A numpy array, pandas object, scipy sparse matrix or list (or None).
        indices: Integer positions, shape ``(k,)``.

    Example:
        >>> import numpy as np
        >>> take_rows(["a", "b", "c"], np.array([2, 0]))
        ['c', 'a']
    """
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[indices]
    if not hasattr(data, "shape") and hasattr(data, "__array__"):
        data = np.asarray(data)  # array-likes that only convert (no len, no indexing)
    import scipy.sparse  # here, not at import: scipy.sparse costs ~0.2 s to import

    if scipy.sparse.issparse(data) and data.format not in ("csr", "csc"):
        data = data.tocsr()  # COO, DIA, … cannot be indexed by row
    if hasattr(data, "shape"):
        return data[indices]
    return [data[int(i)] for i in indices]


def holdout_split(
    X: Any,
    y: Any = None,
    *,
    val_size: float | int = 0.2,
    test_size: float | int = 0.2,
    stratify: bool | Any = False,
    seed: int | np.random.Generator | None = None,
    shuffle: bool = True,
) -> HoldoutSplit:
    """Split data into train, validation and test parts (the seminar's hold-out scheme).

    Train on the train part, choose hyperparameters by the validation part, and score the final
    model once on the test part. For k-fold cross-validation on the training data instead,
    pass ``val_size=0`` and use :func:`~podbor.validation.cross_validate` on the train part.

    Sizes follow :func:`sklearn.model_selection.train_test_split`: a float in ``[0, 1)`` is a
    fraction of the samples, rounded up; an int is a number of samples. A size of ``0`` (or
    ``0.0``) gives an *empty* part of the same type as the input, so the result always has six
    parts. The train part gets the rest and must keep at least one sample.

    Args:
        X: Samples, shape ``(n_samples, ...)``: numpy array, pandas frame, list or sparse matrix.
        y: Targets, shape ``(n_samples,)``, or None.
        val_size: Size of the validation part.
        test_size: Size of the test part.
        stratify: True to keep the class proportions of ``y`` in every part, or an array of
            labels, shape ``(n_samples,)``, to stratify by; False for a plain split.
            Proportions are met as closely as whole samples allow (largest remainder).
        seed: Seed or ``numpy.random.Generator`` for the shuffle; None for a random one.
        shuffle: Shuffle before splitting. Without shuffling the parts are consecutive: train
            first, then validation, then test (stratification needs shuffling).

    Returns:
        ``(X_train, X_val, X_test, y_train, y_val, y_test)`` as a :class:`HoldoutSplit`; the
        ``y_*`` parts are None when ``y`` is None.

    Raises:
        InvalidArgumentError: (a ``ValueError``) for sizes out of range or summing to the whole
            data set, a train part left empty, ``X`` and ``y`` of different lengths, or a
            stratification that cannot hold (a class with a single sample, a part smaller than
            the number of classes).

    Example:
        >>> import numpy as np
        >>> X, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
        >>> X_tr, X_val, X_te, y_tr, y_val, y_te = holdout_split(
        ...     X, y, val_size=0.2, test_size=0.2, stratify=True, seed=0)
        >>> len(X_tr), len(X_val), len(X_te)
        (6, 2, 2)
        >>> sorted(y_val.tolist())
        [0, 1]
    """
    n = n_rows(X, "X", _OWNER)
    if n == 0:
        raise invalid_argument("X", X, "an array-like with at least one sample", owner=_OWNER)
    if y is not None and n_rows(y, "y", _OWNER) != n:
        raise invalid_argument(
            "y", y, f"an array-like with as many samples as X ({n})", owner=_OWNER
        )
    n_val, n_test = _part_sizes(n, val_size, test_size)
    labels = _stratify_labels(stratify, y, n, shuffle)
    rng = np.random.default_rng(seed)
    if labels is not None:
        train, val, test = _stratified_indices(labels, n_val, n_test, rng, (val_size, test_size))
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        n_train = n - n_val - n_test
        train, val, test = (
            order[:n_train],
            order[n_train : n_train + n_val],
            order[n_train + n_val :],
        )
    return HoldoutSplit(
        take_rows(X, train),
        take_rows(X, val),
        take_rows(X, test),
        take_rows(y, train),
        take_rows(y, val),
        take_rows(y, test),
    )


def _part_size(name: str, size: Any, n: int) -> int:
    if is_int(size):
        allowed = f"an int in [0, n_samples) (n_samples={n})"
        return check_int(size, name, owner=_OWNER, minimum=0, maximum=n - 1, allowed=allowed)
    fraction = check_real(
        size,
        name,
        owner=_OWNER,
        minimum=0.0,
        maximum=1.0,
        include_maximum=False,
        allowed="a float in [0.0, 1.0) or an int >= 0",
    )
    return math.ceil(fraction * n)


def _part_sizes(n: int, val_size: Any, test_size: Any) -> tuple[int, int]:
    n_val = _part_size("val_size", val_size, n)
    n_test = _part_size("test_size", test_size, n)
    fractions = [s for s in (val_size, test_size) if not is_int(s)]
    if len(fractions) == 2 and float(val_size) + float(test_size) >= 1.0:
        raise invalid_argument(
            "test_size",
            test_size,
            f"a fraction with val_size + test_size < 1 (val_size={val_size})",
            owner=_OWNER,
        )
    if n - n_val - n_test < 1:
        raise invalid_argument(
            "test_size",
            test_size,
            f"small enough to leave at least one training sample (n_samples={n}, "
            f"val_size={val_size} gives {n_val}, test_size gives {n_test})",
            owner=_OWNER,
        )
    return n_val, n_test


def _stratify_labels(stratify: Any, y: Any, n: int, shuffle: bool) -> np.ndarray | None:
    if stratify is False or stratify is None:
        return None
    if stratify is True:
        if y is None:
            raise invalid_argument(
                "stratify", True, "False when y is None (there are no classes)", owner=_OWNER
            )
        source = y
    else:
        if n_rows(stratify, "stratify", _OWNER) != n:
            raise invalid_argument(
                "stratify", stratify, f"True, False or {n} labels, one per sample", owner=_OWNER
            )
        source = stratify
    if not shuffle:
        raise invalid_argument(
            "shuffle",
            False,
            "True when stratify is used (strata are drawn at random)",
            owner=_OWNER,
        )
    labels = np.asarray(source)
    if labels.ndim != 1:
        raise invalid_argument(
            "stratify", stratify, "labels of shape (n_samples,) (one column)", owner=_OWNER
        )
    return labels


def _allocate(counts: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` among classes in proportion to ``counts`` (largest remainder)."""
    if total == 0:
        return np.zeros_like(counts)
    quota = counts * total / counts.sum()
    base: np.ndarray = np.floor(quota).astype(int)
    order = np.lexsort((rng.random(len(counts)), -(quota - base)))
    base[order[: total - int(base.sum())]] += 1
    return base


def _stratified_indices(
    labels: np.ndarray,
    n_val: int,
    n_test: int,
    rng: np.random.Generator,
    sizes: tuple[Any, Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if counts.min() < 2:
        rare = classes[int(np.argmin(counts))]
        rare = rare.item() if isinstance(rare, np.generic) else rare
        raise invalid_argument(
            "stratify",
            True,
            f"labels whose every class has at least 2 samples (class {rare!r} has 1)",
            owner=_OWNER,
        )
    n_train = len(labels) - n_val - n_test
    for name, size, n_part in (("val_size", sizes[0], n_val), ("test_size", sizes[1], n_test)):
        if 0 < n_part < len(classes):
            raise invalid_argument(
                name,
                size,
                f"0 or large enough to hold each of the {len(classes)} classes "
                f"(it gives {n_part} samples)",
                owner=_OWNER,
            )
    if n_train < len(classes):
        raise invalid_argument(
            "test_size",
            sizes[1],
            f"small enough to leave each of the {len(classes)} classes in the train part "
            f"(it keeps {n_train} samples)",
            owner=_OWNER,
        )
    test_counts = _allocate(counts, n_test, rng)
    val_counts = _allocate(counts - test_counts, n_val, rng)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(inverse == c))
        n_c_test, n_c_val = int(test_counts[c]), int(val_counts[c])
        parts[2].append(members[:n_c_test])
        parts[1].append(members[n_c_test : n_c_test + n_c_val])
        parts[0].append(members[n_c_test + n_c_val :])
    train, val, test = (rng.permutation(np.concatenate(p)).astype(int) for p in parts)
    return train, val, test
