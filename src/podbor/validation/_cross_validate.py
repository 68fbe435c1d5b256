"""K-fold cross-validation inside an objective, reporting fold by fold so that pruners can stop it.

scikit-learn is imported inside the functions: ``import podbor.validation`` works without it.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from podbor._records.base_trial import BaseTrial
from podbor._study_direction import StudyDirection
from podbor._validation import check_instance, is_int, is_real
from podbor.exceptions import TrialPruned, invalid_argument
from podbor.validation._holdout import n_rows, take_rows

__all__ = ["CVResult", "cross_validate", "require_sklearn"]

_OWNER = "cross_validate"
_warned_studies: weakref.WeakSet[Any] = weakref.WeakSet()
_warned_lock = threading.Lock()

_CV_ALLOWED = "an int >= 2, a splitter or an iterable of (train, test) index pairs"

Scorer = Callable[[Any, Any, Any], Any]


def require_sklearn(what: str) -> None:
    """Raise an ``ImportError`` that says how to install scikit-learn when it is missing.

    Example:
        >>> require_sklearn("cross_validate")  # scikit-learn is installed here
    """
    try:
        import sklearn  # noqa: F401
    except ImportError as err:
        raise ImportError(
            f"{what} needs scikit-learn, which is not installed: pip install podbor[sklearn]"
        ) from err


@dataclass(frozen=True, eq=False)
class CVResult:
    """What :func:`cross_validate` returns; also readable as a dict (``result["mean"]``).

    Attributes:
        mean: Mean of ``scores`` (NaN if a fold failed and ``error_score`` was NaN).
        std: Standard deviation of ``scores``.
        scores: Test score of each fold, shape ``(n_splits,)``; greater is better.
        fit_times: Seconds spent fitting each fold, shape ``(n_splits,)``.
        score_times: Seconds spent scoring each fold, shape ``(n_splits,)``.
        train_scores: Training score of each fold, shape ``(n_splits,)``, when asked for.
        estimators: The fitted estimator of each fold, when asked for.
        errors: One line per fold whose fit or scoring failed (and got ``error_score``).

    Example:
        >>> import numpy as np
        >>> r = CVResult(mean=0.5, std=0.0, scores=np.array([0.5]), fit_times=np.zeros(1),
        ...              score_times=np.zeros(1))
        >>> r["mean"], sorted(r.as_dict())[:3]
        (0.5, ['errors', 'estimators', 'fit_times'])
    """

    mean: float
    std: float
    scores: np.ndarray
    fit_times: np.ndarray
    score_times: np.ndarray
    train_scores: np.ndarray | None = None
    estimators: list[Any] | None = None
    errors: tuple[str, ...] = field(default=())

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def keys(self) -> list[str]:
        """The field names, so that ``dict(result)`` works."""
        return self._keys()

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict."""
        return {key: getattr(self, key) for key in self._keys()}

    @classmethod
    def _keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class _Fold:
    score: float
    fit_time: float
    score_time: float
    train_score: float | None
    estimator: Any
    error: str | None


@dataclass
class _Folds:
    """The folds run so far."""

    done: list[_Fold] = field(default_factory=list)

    def store_on(self, trial: BaseTrial, n_splits: int) -> None:
        scores = [f.score for f in self.done]
        trial.set_user_attr("cv_scores", scores)
        trial.set_user_attr("cv_mean", float(np.mean(scores)) if scores else math.nan)
        trial.set_user_attr("cv_fit_times", [f.fit_time for f in self.done])
        trial.set_user_attr("cv_score_times", [f.score_time for f in self.done])
        trial.set_user_attr("cv_n_splits", n_splits)
        if self.done and self.done[0].train_score is not None:
            trial.set_user_attr("cv_train_scores", [f.train_score for f in self.done])

    def result(self, return_estimators: bool, return_train_score: bool) -> CVResult:
        scores = np.array([f.score for f in self.done], dtype=float)
        return CVResult(
            mean=float(np.mean(scores)),
            std=float(np.std(scores)),
            scores=scores,
            fit_times=np.array([f.fit_time for f in self.done], dtype=float),
            score_times=np.array([f.score_time for f in self.done], dtype=float),
            train_scores=(
                np.array([f.train_score for f in self.done], dtype=float)
                if return_train_score
                else None
            ),
            estimators=[f.estimator for f in self.done] if return_estimators else None,
            errors=tuple(f.error for f in self.done if f.error is not None),
        )


def cross_validate(
    trial: BaseTrial,
    estimator: Any,
    X: Any,
    y: Any = None,
    *,
    cv: Any = 5,
    scoring: str | Scorer | None = None,
    groups: Any = None,
    fit_params: Mapping[str, Any] | None = None,
    report: bool = True,
    prune: bool = True,
    error_score: float | str = np.nan,
    return_estimators: bool = False,
    return_train_score: bool = False,
) -> CVResult:
    """Cross-validate a clone of ``estimator`` fold after fold, letting the study prune it.

    After each fold the fold's score is reported with ``trial.report(score, step=fold_index)``
    and, when the study's pruner says so, :class:`~podbor.TrialPruned` is raised at once: a
    hopeless configuration costs one or two folds instead of all of them. The pruner is not
    asked after the last fold: the evaluation is complete by then. Pruners that compare
    folds pairwise with the best trial (:class:`~podbor.pruners.WilcoxonPruner`) or per step
    (:class:`~podbor.pruners.MedianPruner`) both fit, because every trial sees the same folds
    when ``cv`` is an int or a splitter without shuffling (or with a fixed ``random_state``).

    Scores follow scikit-learn: **greater is better** (losses are negated, as in
    ``"neg_mean_squared_error"``). A study whose objective returns ``cross_validate(...)["mean"]``
    must therefore use ``direction="maximize"``; with ``report=True`` a minimizing study gets a
    warning (once per study), since its pruner would stop the best trials.

    The per-fold scores are stored on the trial as user attributes ``"cv_scores"`` (the folds
    run so far when pruned), ``"cv_mean"``, ``"cv_fit_times"``, ``"cv_score_times"``,
    ``"cv_n_splits"`` (and ``"cv_train_scores"``). Reports use steps ``0 … n_splits - 1``, so
    call it once per trial.

    Args:
        trial: The trial of the objective (a live :class:`~podbor.Trial` or a
            :class:`~podbor.FixedTrial`, which never prunes).
        estimator: A scikit-learn estimator or pipeline; it is cloned, never fitted itself.
        X: Samples, shape ``(n_samples, n_features)`` (array, frame, sparse matrix, list).
        y: Targets, shape ``(n_samples,)`` or ``(n_samples, n_outputs)``, or None.
        cv: Number of folds (``StratifiedKFold`` for a classifier with a binary or multiclass
            ``y``, ``KFold`` otherwise, as :func:`sklearn.model_selection.check_cv` picks), a
            scikit-learn splitter (``KFold``, ``StratifiedKFold``, ``GroupKFold``, …) or an
            iterable of ``(train_indices, test_indices)`` pairs.
        scoring: A scorer name (``"accuracy"``, ``"neg_log_loss"``, …), a callable
            ``scorer(estimator, X, y) -> float``, or None for ``estimator.score``.
        groups: Group labels, shape ``(n_samples,)``, for group splitters.
        fit_params: Extra arguments of ``fit``; arrays with one entry per sample (e.g.
            ``sample_weight``) are cut to each fold's training rows.
        report: Report each fold's score to the trial (never in a multi-objective study, where
            pruning does not apply).
        prune: Raise ``TrialPruned`` when the pruner says so (needs ``report``).
        error_score: The score of a fold whose fit or scoring fails (with a
            ``FitFailedWarning``), or ``"raise"`` to let the error propagate.
        return_estimators: Keep each fold's fitted estimator in the result.
        return_train_score: Also score each fold on its training rows.

    Returns:
        A :class:`CVResult` with ``mean``, ``std``, ``scores`` and more.

    Raises:
        ~podbor.TrialPruned: When the pruner stops the trial.
        InvalidArgumentError: (a ``ValueError``) for a non-estimator, ``cv`` larger than the
            number of samples, a splitter that needs ``groups`` without them, an unknown
            scorer, or arrays of different lengths.
        ImportError: If scikit-learn is not installed.

    Example:
        >>> import podbor
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.neighbors import KNeighborsClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> def objective(trial):
        ...     model = KNeighborsClassifier(n_neighbors=trial.suggest_int("k", 1, 30))
        ...     return cross_validate(trial, model, X, y, cv=3)["mean"]
        >>> study = podbor.create_study(direction="maximize",
        ...                             pruner=podbor.pruners.MedianPruner(n_startup_trials=2))
        >>> study.optimize(objective, n_trials=4)
        >>> len(study.best_trial.user_attrs["cv_scores"])
        3
    """
    require_sklearn("cross_validate")
    _check_call(trial, estimator, error_score)
    scorer = make_scorer(estimator, scoring, _OWNER)
    splits = make_splits(cv, estimator, X, y, groups, _OWNER)
    sample_params = _sample_params(fit_params, n_rows(X, "X", _OWNER))
    report = report and _single_objective(trial)
    if report:
        _warn_if_minimizing(trial)
    folds = _Folds()
    for index, (train, test) in enumerate(splits):
        folds.done.append(
            _run_fold(
                estimator, X, y, train, test, scorer, sample_params, error_score, return_train_score
            )
        )
        if report:
            trial.report(folds.done[-1].score, step=index)
            last = index == len(splits) - 1  # pruning after the last fold would save nothing
            if prune and not last and trial.should_prune():
                folds.store_on(trial, len(splits))
                raise TrialPruned(f"Pruned after fold {index + 1} of {len(splits)}.")
    folds.store_on(trial, len(splits))
    return folds.result(return_estimators, return_train_score)


# -- argument checks -------------------------------------------------------------------
def _check_call(trial: Any, estimator: Any, error_score: Any) -> None:
    check_instance(
        trial, "trial", BaseTrial, owner=_OWNER, allowed="a podbor trial (Trial or FixedTrial)"
    )
    check_estimator_like(estimator, "estimator", _OWNER)
    check_error_score(error_score, _OWNER)


def check_estimator_like(estimator: Any, name: str, owner: str) -> None:
    """Raise unless ``estimator`` looks like a scikit-learn estimator (fit and get_params).

    Example:
        >>> try:
        ...     check_estimator_like(object(), "estimator", "demo")
        ... except ValueError as err:
        ...     print(type(err).__name__, "'estimator'" in str(err))
        InvalidArgumentError True
    """
    if isinstance(estimator, type) or not all(
        callable(getattr(estimator, m, None)) for m in ("fit", "get_params", "set_params")
    ):
        raise invalid_argument(
            name,
            estimator,
            "a scikit-learn estimator instance (with fit, get_params and set_params)",
            owner=owner,
        )


def check_error_score(error_score: Any, owner: str) -> None:
    """Raise unless ``error_score`` is ``"raise"`` or a number (NaN included).

    Example:
        >>> check_error_score(float("nan"), "demo")
    """
    if isinstance(error_score, str) and error_score == "raise":
        return
    if not is_real(error_score):
        raise invalid_argument("error_score", error_score, "'raise' or a number", owner=owner)


def make_scorer(estimator: Any, scoring: Any, owner: str) -> Scorer:
    """Turn ``scoring`` into a scorer ``(estimator, X, y) -> float`` (greater is better)."""
    from sklearn.metrics import check_scoring, get_scorer_names

    if scoring is not None and not (isinstance(scoring, str) or callable(scoring)):
        raise invalid_argument(
            "scoring", scoring, "a scorer name, a callable scorer or None (one metric)", owner=owner
        )
    if isinstance(scoring, str) and scoring not in get_scorer_names():
        raise invalid_argument(
            "scoring",
            scoring,
            "a name from sklearn.metrics.get_scorer_names() or a callable",
            owner=owner,
        )
    if scoring is None and not callable(getattr(estimator, "score", None)):
        raise invalid_argument(
            "scoring",
            None,
            f"a scorer name or callable, since {type(estimator).__name__} has no score method",
            owner=owner,
        )
    scorer = check_scoring(estimator, scoring=scoring)
    return scorer  # type: ignore[no-any-return]


def make_splits(
    cv: Any, estimator: Any, X: Any, y: Any, groups: Any, owner: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Resolve ``cv`` like :func:`sklearn.model_selection.check_cv` and list its folds.

    Raises:
        InvalidArgumentError: Naming ``cv``, ``y`` or ``groups`` for data the splitter cannot
            split.
    """
    from sklearn.base import is_classifier
    from sklearn.model_selection import check_cv

    n = n_rows(X, "X", owner)
    for name, values in (("y", y), ("groups", groups)):
        if values is not None and n_rows(values, name, owner) != n:
            raise invalid_argument(
                name, values, f"an array-like with one entry per sample of X ({n})", owner=owner
            )
    _check_cv_size(cv, n, owner)
    if not (
        is_int(cv)
        or callable(getattr(cv, "split", None))
        or (hasattr(cv, "__iter__") and not isinstance(cv, (str, bytes, Mapping)))
    ):
        raise invalid_argument("cv", cv, _CV_ALLOWED, owner=owner)
    splitter = check_cv(cv, y, classifier=is_classifier(estimator))
    _check_cv_size(getattr(splitter, "n_splits", None), n, owner, cv)
    try:
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y, groups)]
    except ValueError as err:
        if groups is None and "groups" in str(err):
            raise invalid_argument(
                "groups",
                None,
                f"group labels, one per sample, since {type(splitter).__name__} splits by group",
                owner=owner,
            ) from err
        raise invalid_argument(
            "cv", cv, f"a splitter that can split these data ({err})", owner=owner
        ) from err
    if not splits:
        raise invalid_argument("cv", cv, "a splitter that yields at least one fold", owner=owner)
    return splits


def _check_cv_size(n_splits: Any, n: int, owner: str, cv: Any = None) -> None:
    if not is_int(n_splits):
        return
    shown = n_splits if cv is None else cv
    if int(n_splits) < 2:
        raise invalid_argument("cv", shown, _CV_ALLOWED, owner=owner)
    if int(n_splits) > n:
        raise invalid_argument(
            "cv",
            shown,
            f"a number of folds <= the number of samples (n_samples={n})",
            owner=owner,
        )


def _sample_params(fit_params: Mapping[str, Any] | None, n: int) -> dict[str, tuple[Any, bool]]:
    """Each fit parameter, with whether it holds one entry per sample (to cut per fold)."""
    if fit_params is None:
        return {}
    if not isinstance(fit_params, Mapping):
        raise invalid_argument("fit_params", fit_params, "a dict of fit arguments", owner=_OWNER)
    out: dict[str, tuple[Any, bool]] = {}
    for key, value in fit_params.items():
        per_sample = hasattr(value, "__len__") and not isinstance(value, (str, bytes, dict))
        out[key] = (value, per_sample and _safe_len(value) == n)
    return out


def _safe_len(value: Any) -> int | None:
    try:
        return n_rows(value, "fit_params", _OWNER)
    except (TypeError, ValueError):
        return None


def _single_objective(trial: BaseTrial) -> bool:
    directions = getattr(getattr(trial, "study", None), "directions", None)
    return directions is None or len(directions) == 1


def _warn_if_minimizing(trial: BaseTrial) -> None:
    study = getattr(trial, "study", None)
    directions = getattr(study, "directions", None)
    if study is None or directions != [StudyDirection.MINIMIZE]:
        return
    with _warned_lock:
        if study in _warned_studies:
            return
        _warned_studies.add(study)
    warnings.warn(
        "cross_validate reports scikit-learn scores, where greater is better, but this study "
        "minimizes: its pruner would stop the best trials. Create the study with "
        "direction='maximize' (or pass report=False).",
        UserWarning,
        stacklevel=3,
    )


# -- one fold --------------------------------------------------------------------------
def _split_xy(
    estimator: Any, X: Any, y: Any, rows: np.ndarray, cols: np.ndarray | None
) -> tuple[Any, Any]:
    """Rows of X and y; for a pairwise (precomputed kernel) estimator also the train columns."""
    X_part = take_rows(X, rows)
    if cols is not None and _is_pairwise(estimator):
        X_part = X_part[:, cols]
    return X_part, take_rows(y, rows)


def _is_pairwise(estimator: Any) -> bool:
    from sklearn.utils import get_tags

    try:
        return bool(get_tags(estimator).input_tags.pairwise)
    except (AttributeError, TypeError):
        return False


def _run_fold(
    estimator: Any,
    X: Any,
    y: Any,
    train: np.ndarray,
    test: np.ndarray,
    scorer: Scorer,
    sample_params: dict[str, tuple[Any, bool]],
    error_score: float | str,
    return_train_score: bool,
) -> _Fold:
    from sklearn.base import clone

    model = clone(estimator)
    X_train, y_train = _split_xy(estimator, X, y, train, train)
    X_test, y_test = _split_xy(estimator, X, y, test, train)
    params = {k: take_rows(v, train) if cut else v for k, (v, cut) in sample_params.items()}
    start = time.perf_counter()
    fit_error = _fit(model, X_train, y_train, params, error_score)
    fit_time = time.perf_counter() - start
    if fit_error is not None:
        train_score = float(error_score) if return_train_score else None
        return _Fold(float(error_score), fit_time, 0.0, train_score, model, fit_error)
    start = time.perf_counter()
    score, error = _score(scorer, model, X_test, y_test, error_score)
    score_time = time.perf_counter() - start
    train_score = None
    if return_train_score:
        train_score, train_error = _score(scorer, model, X_train, y_train, error_score)
        error = error or train_error
    return _Fold(score, fit_time, score_time, train_score, model, error)


def _fit(
    model: Any, X: Any, y: Any, params: dict[str, Any], error_score: float | str
) -> str | None:
    try:
        model.fit(X, y, **params)
    except Exception as err:
        return _failed(err, "fit", error_score)
    return None


def _score(
    scorer: Scorer, model: Any, X: Any, y: Any, error_score: float | str
) -> tuple[float, str | None]:
    try:
        value = scorer(model, X, y)
    except Exception as err:
        message = _failed(err, "scoring", error_score)  # raises for error_score="raise"
        return float(error_score), message
    if not is_real(value):  # NaN passes: a fold may score NaN
        raise invalid_argument(
            "scoring",
            scorer,
            f"a scorer that returns one number (it returned {value!r})",
            owner=_OWNER,
        )
    return float(value), None


def _failed(err: Exception, stage: str, error_score: float | str) -> str:
    """Re-raise for ``error_score='raise'``; otherwise warn and describe the failure."""
    if isinstance(error_score, str):
        raise err
    from sklearn.exceptions import FitFailedWarning

    message = f"{stage} failed ({type(err).__name__}: {err}); the fold scores {error_score}"
    warnings.warn(message, FitFailedWarning, stacklevel=5)  # the caller of cross_validate
    return message
