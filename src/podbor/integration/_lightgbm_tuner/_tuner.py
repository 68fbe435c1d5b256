"""LightGBMTuner (a hold-out validation set) and LightGBMTunerCV (cross-validation).

Both run the six-stage search of :class:`_LightGBMBaseTuner`; they differ in how one trial is
scored: :class:`LightGBMTuner` trains once with ``lightgbm.train`` and reads the score on the
last of ``valid_sets``, :class:`LightGBMTunerCV` runs ``lightgbm.cv`` and reads the mean over
folds. Their arguments, defaults and attributes are optuna-integration 5.0's.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from podbor.exceptions import invalid_argument
from podbor.integration._common import require
from podbor.integration._lightgbm_tuner._base import StudyCallback, _LightGBMBaseTuner
from podbor.integration._lightgbm_tuner._objective import _OptunaObjective, _OptunaObjectiveCV

if TYPE_CHECKING:
    import lightgbm as lgb

    from podbor.study import Study

__all__ = ["LightGBMTuner", "LightGBMTunerCV"]


class LightGBMTuner(_LightGBMBaseTuner):
    """Tune LightGBM's most influential parameters stepwise, scored on a validation set.

    The parameters are tuned in six stages, each from the best values of the stages before:
    ``feature_fraction``, ``num_leaves``, ``bagging_fraction`` with ``bagging_freq``,
    ``feature_fraction`` again (finer), ``lambda_l1`` with ``lambda_l2``, and
    ``min_child_samples`` — 68 trainings at most. Every training is one trial of :attr:`study`.
    The score is ``params["metric"]`` (the last one, if several; by default the objective's
    metric, ``binary_logloss`` when none is given) on the last of ``valid_sets``; ``auc``,
    ``ndcg``, ``map``, ``average_precision`` and ``auc_mu`` are maximized.

    Args:
        params: LightGBM's parameters; the tuned ones given here are only starting values.
            Aliases (``subsample``, ``reg_alpha``, ``mse``, ``num_boost_round``...) are accepted.
        train_set: The training ``lightgbm.Dataset``.
        num_boost_round: Boosting rounds per training (``params`` may override it, as in
            LightGBM).
        valid_sets: The validation ``lightgbm.Dataset`` (or a list; the last one is scored).
            Required.
        valid_names: Names of ``valid_sets`` (one per set).
        feval: A custom evaluation function, as in ``lightgbm.train``.
        feature_name: Deprecated: set it on the Dataset.
        categorical_feature: Deprecated: set it on the Dataset.
        keep_training_booster: As in ``lightgbm.train``.
        callbacks: LightGBM callbacks for every training (e.g. ``lightgbm.early_stopping``).
        time_budget: Seconds for the whole run; no trial starts after. None for no limit.
        sample_size: Train on the last ``sample_size`` rows only (None: all of them).
        study (podbor.Study | None): The study to record trials in, e.g. one from an earlier
            run to resume (its finished stages are skipped). A new in-memory study when None.
        optuna_callbacks: ``callback(study, frozen_trial)`` functions called after each trial.
        model_dir: A directory to save each trial's booster in (``<number>.pkl``), so that
            :meth:`get_best_booster` works after a resume or in parallel runs.
        show_progress_bar: Draw a tqdm bar per stage.
        optuna_seed: Seed of the stages' samplers (the name is Optuna's, for drop-in use).

    Example:
        >>> import numpy as np, lightgbm as lgb
        >>> X = np.random.default_rng(0).normal(size=(60, 3)); y = (X[:, 0] > 0).astype(int)
        >>> tuner = LightGBMTuner({"objective": "binary", "verbosity": -1, "num_threads": 1},
        ...     lgb.Dataset(X, y), valid_sets=lgb.Dataset(X, y), num_boost_round=3,
        ...     show_progress_bar=False, optuna_seed=0)
        >>> tuner.tune_min_data_in_leaf()
        >>> len(tuner.study.trials), tuner.best_score < 0.7
        (5, True)
    """

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        num_boost_round: int = 1000,
        valid_sets: list[lgb.Dataset] | tuple[lgb.Dataset, ...] | lgb.Dataset | None = None,
        valid_names: Any | None = None,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        keep_training_booster: bool = False,
        callbacks: list[Callable[..., Any]] | None = None,
        time_budget: float | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[StudyCallback] | None = None,
        model_dir: str | None = None,
        *,
        show_progress_bar: bool = True,
        optuna_seed: int | None = None,
    ) -> None:
        # a missing LightGBM is named first: without it no valid_sets could be built anyway
        require("lightgbm", package="LightGBM", extra="lightgbm", owner="LightGBMTuner")
        if valid_sets is None:
            raise invalid_argument(
                "valid_sets",
                None,
                "a lightgbm.Dataset or a list of them (the last one is scored)",
                owner="LightGBMTuner",
            )
        _check_valid_names(valid_sets, valid_names)
        super().__init__(
            params,
            train_set,
            callbacks=callbacks,
            num_boost_round=num_boost_round,
            feval=feval,
            feature_name=feature_name,
            categorical_feature=categorical_feature,
            time_budget=time_budget,
            sample_size=sample_size,
            study=study,
            optuna_callbacks=optuna_callbacks,
            show_progress_bar=show_progress_bar,
            model_dir=model_dir,
            optuna_seed=optuna_seed,
            owner="LightGBMTuner",
        )
        self.lgbm_kwargs["valid_sets"] = valid_sets
        self.lgbm_kwargs["valid_names"] = valid_names
        self.lgbm_kwargs["keep_training_booster"] = keep_training_booster

    def _create_objective(
        self,
        target_param_names: list[str],
        train_set: lgb.Dataset,
        step_name: str,
        pbar: Any | None,
    ) -> _OptunaObjective:
        return _OptunaObjective(
            target_param_names,
            self.lgbm_params,
            train_set,
            self.lgbm_kwargs,
            self.best_score,
            step_name=step_name,
            model_dir=self._model_dir,
            pbar=pbar,
            owner=self._owner,
        )

    def get_best_booster(self) -> lgb.Booster:
        """The booster of the best trial.

        It is kept in memory from this tuner's own run; after a resume, or when another process
        found it, it is loaded from ``model_dir``.

        Raises:
            ValueError: If no trial has completed, or the best booster was trained elsewhere and
                not saved under ``model_dir``.
        """
        kept, path = self._kept_or_saved_path(self._best_trial_number())
        if path is None:
            booster: lgb.Booster = kept
            return booster
        with open(path, "rb") as fin:
            loaded: lgb.Booster = pickle.load(fin)
        return loaded


class LightGBMTunerCV(_LightGBMBaseTuner):
    """As :class:`LightGBMTuner`, but each trial is scored by cross-validation (``lightgbm.cv``).

    The score of a trial is the mean over folds of the metric at the last round (the best
    round with early stopping).

    Args:
        params: As in :class:`LightGBMTuner`.
        train_set: The ``lightgbm.Dataset`` to cross-validate on.
        num_boost_round: Boosting rounds per fold.
        folds: Explicit folds: (train indices, test indices) pairs or a scikit-learn splitter.
        nfold: The number of folds when ``folds`` is None.
        stratified: Stratify the folds (classification).
        shuffle: Shuffle before splitting.
        feval: As in ``lightgbm.cv``.
        feature_name: Deprecated: set it on the Dataset.
        categorical_feature: Deprecated: set it on the Dataset.
        fpreproc: Preprocessing function, as in ``lightgbm.cv``.
        seed: Seed of the fold split.
        callbacks: LightGBM callbacks for every run.
        time_budget: Seconds for the whole run; None for no limit.
        sample_size: Use the last ``sample_size`` rows only.
        study (podbor.Study | None): The study to record trials in (or to resume).
        optuna_callbacks: ``callback(study, frozen_trial)`` functions called after each trial.
        show_progress_bar: Draw a tqdm bar per stage.
        model_dir: A directory to save each trial's fold boosters in (with
            ``return_cvbooster=True``).
        return_cvbooster: Keep the fold boosters, so that :meth:`get_best_booster` can return
            the best trial's ``lightgbm.CVBooster``.
        optuna_seed: Seed of the stages' samplers.

    Example:
        >>> import numpy as np, lightgbm as lgb
        >>> X = np.random.default_rng(0).normal(size=(60, 3)); y = (X[:, 0] > 0).astype(int)
        >>> tuner = LightGBMTunerCV({"objective": "binary", "verbosity": -1, "num_threads": 1},
        ...     lgb.Dataset(X, y), num_boost_round=3, nfold=3, return_cvbooster=True,
        ...     show_progress_bar=False, optuna_seed=0)
        >>> tuner.tune_min_data_in_leaf()
        >>> len(tuner.get_best_booster().boosters)
        3
    """

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        num_boost_round: int = 1000,
        folds: Iterator[tuple[Any, Any]] | Any | None = None,
        nfold: int = 5,
        stratified: bool = True,
        shuffle: bool = True,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        fpreproc: Callable[..., Any] | None = None,
        seed: int = 0,
        callbacks: list[Callable[..., Any]] | None = None,
        time_budget: float | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[StudyCallback] | None = None,
        *,
        show_progress_bar: bool = True,
        model_dir: str | None = None,
        return_cvbooster: bool = False,
        optuna_seed: int | None = None,
    ) -> None:
        if folds is None and (isinstance(nfold, bool) or not isinstance(nfold, int) or nfold < 2):
            raise invalid_argument("nfold", nfold, "an int >= 2", owner="LightGBMTunerCV")
        super().__init__(
            params,
            train_set,
            callbacks=callbacks,
            num_boost_round=num_boost_round,
            feval=feval,
            feature_name=feature_name,
            categorical_feature=categorical_feature,
            time_budget=time_budget,
            sample_size=sample_size,
            study=study,
            optuna_callbacks=optuna_callbacks,
            show_progress_bar=show_progress_bar,
            model_dir=model_dir,
            optuna_seed=optuna_seed,
            owner="LightGBMTunerCV",
        )
        self.lgbm_kwargs["folds"] = folds
        self.lgbm_kwargs["nfold"] = nfold
        self.lgbm_kwargs["stratified"] = stratified
        self.lgbm_kwargs["shuffle"] = shuffle
        self.lgbm_kwargs["seed"] = seed
        self.lgbm_kwargs["fpreproc"] = fpreproc
        self.lgbm_kwargs["return_cvbooster"] = return_cvbooster

    def _create_objective(
        self,
        target_param_names: list[str],
        train_set: lgb.Dataset,
        step_name: str,
        pbar: Any | None,
    ) -> _OptunaObjective:
        return _OptunaObjectiveCV(
            target_param_names,
            self.lgbm_params,
            train_set,
            self.lgbm_kwargs,
            self.best_score,
            step_name=step_name,
            model_dir=self._model_dir,
            pbar=pbar,
            owner=self._owner,
        )

    def get_best_booster(self) -> lgb.CVBooster:
        """The fold boosters (a ``lightgbm.CVBooster``) of the best trial.

        Raises:
            ValueError: Without ``return_cvbooster=True``; if no trial has completed; or if the
                best trial ran elsewhere and its boosters are not under ``model_dir``.
        """
        if self.lgbm_kwargs.get("return_cvbooster") is not True:
            raise invalid_argument(
                "return_cvbooster",
                self.lgbm_kwargs.get("return_cvbooster"),
                "True for get_best_booster() to have boosters to return",
                owner="LightGBMTunerCV",
            )
        kept, path = self._kept_or_saved_path(self._best_trial_number())
        if path is None:
            best: lgb.CVBooster = kept
            return best
        import lightgbm as lgb

        with open(path, "rb") as fin:
            boosters, best_iteration = pickle.load(fin)
        cvbooster = lgb.CVBooster()
        cvbooster.boosters = boosters
        cvbooster.best_iteration = best_iteration
        return cvbooster


def _check_valid_names(valid_sets: Any, valid_names: Any) -> None:
    """One name per validation set, when names are given."""
    if valid_names is None:
        return
    n_sets = len(valid_sets) if isinstance(valid_sets, (list, tuple)) else 1
    names = [valid_names] if isinstance(valid_names, str) else valid_names
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise invalid_argument(
            "valid_names",
            valid_names,
            "a name or a list of names, one per validation set",
            owner="LightGBMTuner",
            wrong_type=True,
        )
    if len(names) != n_sets:
        raise invalid_argument(
            "valid_names",
            valid_names,
            f"one name per entry of valid_sets ({n_sets} set(s), {len(names)} name(s))",
            owner="LightGBMTuner",
        )
