"""The stepwise search shared by :class:`LightGBMTuner` and :class:`LightGBMTunerCV`.

LightGBM's parameters interact, but a few matter most and can be tuned one small group at a
time, each group starting from the best values found so far. :meth:`_LightGBMBaseTuner.run`
does so in six stages, all in one podbor study:

1. ``feature_fraction`` on a grid of 7 points in [0.4, 1.0];
2. ``num_leaves`` with TPE, 20 trials;
3. ``bagging_fraction`` and ``bagging_freq`` with TPE, 10 trials;
4. ``feature_fraction`` again on a grid of 6 points within ±0.08 of the best;
5. ``lambda_l1`` and ``lambda_l2`` with TPE, 20 trials;
6. ``min_child_samples`` on the grid 5, 10, 25, 50, 100.

Each trial records its stage and its full parameters, so a tuner given a study that already
holds some stages skips them (their trials count against the stage's budget) and starts from
their best parameters. ``time_budget`` bounds the whole run in seconds: a stage starts no new
trial once it is spent.

The same stages, grids and ranges as optuna-integration's tuner, on podbor's samplers.
"""

from __future__ import annotations

import copy
import json
import os
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from podbor.exceptions import invalid_argument
from podbor.integration._common import require
from podbor.integration._lightgbm_tuner._alias import NUM_ROUND_ALIASES, canonicalize_params
from podbor.integration._lightgbm_tuner._objective import (
    DEFAULT_LIGHTGBM_PARAMETERS,
    LGBM_PARAMS_KEY,
    _OptunaObjective,
)
from podbor.integration._lightgbm_tuner._scoring import _BaseTuner
from podbor.integration._lightgbm_tuner._stage import StageSampler, stage_study, stage_trials
from podbor.samplers import BaseSampler, GridSampler, TPESampler
from podbor.study import Study, StudyDirection, create_study
from podbor.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    import lightgbm as lgb

__all__ = ["_LightGBMBaseTuner"]

StudyCallback = Callable[[Study, FrozenTrial], None]


class _LightGBMBaseTuner(_BaseTuner):
    """The stages, the study and the budget; subclasses say how one trial trains.

    The arguments are those of :class:`LightGBMTuner` that both tuners share.
    """

    def __init__(
        self,
        params: dict[str, Any],
        train_set: lgb.Dataset,
        callbacks: list[Callable[..., Any]] | None = None,
        num_boost_round: int = 1000,
        feval: Callable[..., Any] | None = None,
        feature_name: str | None = None,
        categorical_feature: str | None = None,
        time_budget: float | None = None,
        sample_size: int | None = None,
        study: Study | None = None,
        optuna_callbacks: list[StudyCallback] | None = None,
        *,
        show_progress_bar: bool = True,
        model_dir: str | None = None,
        optuna_seed: int | None = None,
        owner: str = "LightGBMTuner",
    ) -> None:
        require("lightgbm", package="LightGBM", extra="lightgbm", owner=owner)
        if not isinstance(params, dict):
            raise invalid_argument("params", params, "a dict of LightGBM parameters", owner=owner)
        params = {k: (v if callable(v) else copy.deepcopy(v)) for k, v in params.items()}
        super().__init__(params, None, owner=owner)
        canonicalize_params(self.lgbm_params)
        for alias in NUM_ROUND_ALIASES:  # LightGBM lets params override num_boost_round
            if alias in self.lgbm_params:
                num_boost_round = self.lgbm_params.pop(alias)
        _check_budget(time_budget, sample_size, num_boost_round, owner)
        self.auto_options: dict[str, Any] = {
            "time_budget": time_budget,
            "sample_size": sample_size,
            "show_progress_bar": show_progress_bar,
        }
        self.lgbm_kwargs = {
            "num_boost_round": num_boost_round,
            "feval": feval,
            "callbacks": callbacks,
        }
        self.train_set = train_set
        self.train_subset: lgb.Dataset | None = None
        _apply_dataset_options(train_set, feature_name, categorical_feature)
        self._start_time: float | None = None
        self._optuna_callbacks = optuna_callbacks
        self._best_booster_with_trial_number: tuple[Any, int] | None = None
        self._model_dir = model_dir
        self._optuna_seed = optuna_seed
        objective = self.lgbm_params.get("objective")
        self._custom_objective = objective if callable(objective) else None
        if self.lgbm_params.get("feature_pre_filter", False):
            warnings.warn(
                "feature_pre_filter=True is replaced by False: LightGBM must keep every split "
                "candidate for the tuner to vary min_child_samples.",
                UserWarning,
                stacklevel=3,
            )
        self.lgbm_params["feature_pre_filter"] = False
        self.study = self._checked_study(study)
        if model_dir is not None:
            os.makedirs(model_dir, exist_ok=True)

    def _checked_study(self, study: Study | None) -> Study:
        wanted = "maximize" if self.higher_is_better() else "minimize"
        if study is None:
            return create_study(direction=wanted)
        n = len(study.directions)
        if n > 1:
            raise invalid_argument(
                "study",
                f"<study with {n} objectives>",
                f"a single-objective study that {wanted}s the metric",
                owner=self._owner,
            )
        expected = StudyDirection.MAXIMIZE if wanted == "maximize" else StudyDirection.MINIMIZE
        if study.direction != expected:
            raise ValueError(
                f"Study direction is inconsistent with the metric {self._metric_name()!r}: "
                f"the 'study' of {self._owner} must {wanted} it; "
                f"create it with direction={wanted!r}."
            )
        return study

    # -- results ----------------------------------------------------------------------------
    @property
    def best_score(self) -> float:
        """The best validation score so far (the worst possible one before any trial)."""
        try:
            return float(self.study.best_value)
        except ValueError:
            return float(self._worst_score())

    @property
    def best_params(self) -> dict[str, Any]:
        """The LightGBM parameters of the best trial (the tuned values and the user's own).

        Before any trial: LightGBM's defaults of the tuned parameters, updated by ``params``.
        """
        params: dict[str, Any] | None = None
        try:
            stored = self.study.best_trial.system_attrs.get(LGBM_PARAMS_KEY)
        except ValueError:
            stored = None
        if isinstance(stored, str):
            params = json.loads(stored)
        if params is None:
            params = copy.deepcopy(DEFAULT_LIGHTGBM_PARAMETERS)
            params.update(self.lgbm_params)
        if self._custom_objective is not None:  # stored by name; give the callable back
            params["objective"] = self._custom_objective
        return params

    # -- the stages ---------------------------------------------------------------------------
    def run(self) -> None:
        """Tune the six stages in turn (those a resumed study already holds are skipped)."""
        canonicalize_params(self.lgbm_params)
        self.sample_train_set()
        self.tune_feature_fraction()
        self.tune_num_leaves()
        self.tune_bagging()
        self.tune_feature_fraction_stage2()
        self.tune_regularization_factors()
        self.tune_min_data_in_leaf()

    def sample_train_set(self) -> None:
        """Train on the last ``sample_size`` rows only, when ``sample_size`` is given."""
        size = self.auto_options["sample_size"]
        if size is None:
            return
        self.train_set.construct()
        n_rows = int(self.train_set.num_data())
        if n_rows > size:
            self.train_subset = self.train_set.subset(list(range(n_rows - size, n_rows)))

    def tune_feature_fraction(self, n_trials: int = 7) -> None:
        """Stage 1: ``feature_fraction`` on ``n_trials`` evenly spaced points of [0.4, 1.0]."""
        grid = [float(v) for v in np.linspace(0.4, 1.0, n_trials)]
        sampler = GridSampler({"feature_fraction": grid}, seed=self._optuna_seed)
        self._tune_params(["feature_fraction"], len(grid), sampler, "feature_fraction")

    def tune_num_leaves(self, n_trials: int = 20) -> None:
        """Stage 2: ``num_leaves`` with TPE."""
        sampler = TPESampler(seed=self._optuna_seed)
        self._tune_params(["num_leaves"], n_trials, sampler, "num_leaves")

    def tune_bagging(self, n_trials: int = 10) -> None:
        """Stage 3: ``bagging_fraction`` and ``bagging_freq`` with TPE."""
        sampler = TPESampler(seed=self._optuna_seed)
        self._tune_params(["bagging_fraction", "bagging_freq"], n_trials, sampler, "bagging")

    def tune_feature_fraction_stage2(self, n_trials: int = 6) -> None:
        """Stage 4: ``feature_fraction`` again, on a finer grid within ±0.08 of the best."""
        best = float(self.best_params["feature_fraction"])
        points = np.linspace(best - 0.08, best + 0.08, n_trials)
        grid = [float(v) for v in points if 0.4 <= v <= 1.0]
        if not grid:
            return
        sampler = GridSampler({"feature_fraction": grid}, seed=self._optuna_seed)
        self._tune_params(["feature_fraction"], len(grid), sampler, "feature_fraction_stage2")

    def tune_regularization_factors(self, n_trials: int = 20) -> None:
        """Stage 5: ``lambda_l1`` and ``lambda_l2`` with TPE."""
        sampler = TPESampler(seed=self._optuna_seed)
        names = ["lambda_l1", "lambda_l2"]
        self._tune_params(names, n_trials, sampler, "regularization_factors")

    def tune_min_data_in_leaf(self) -> None:
        """Stage 6: ``min_child_samples`` on the grid 5, 10, 25, 50, 100."""
        grid = [5, 10, 25, 50, 100]
        sampler = GridSampler({"min_child_samples": grid}, seed=self._optuna_seed)
        self._tune_params(["min_child_samples"], len(grid), sampler, "min_child_samples")

    def _tune_params(
        self,
        target_param_names: list[str],
        n_trials: int,
        sampler: BaseSampler,
        step_name: str,
    ) -> _OptunaObjective:
        """Run what is left of stage ``step_name``: ``n_trials`` less its finished trials."""
        pbar = None
        if self.auto_options["show_progress_bar"]:
            import tqdm

            pbar = tqdm.tqdm(total=n_trials, ascii=True)
        self.lgbm_params.update(self.best_params)  # start from the best values so far
        train_set = self.train_subset if self.train_subset is not None else self.train_set
        objective = self._create_objective(target_param_names, train_set, step_name, pbar)
        finished = stage_trials(self.study, step_name, (TrialState.COMPLETE, TrialState.PRUNED))
        remaining = n_trials - len(finished)
        if self._start_time is None:
            self._start_time = time.time()
        timeout: float | None = None
        if self.auto_options["time_budget"] is not None:
            timeout = self.auto_options["time_budget"] - (time.time() - self._start_time)
        try:
            if remaining > 0 and (timeout is None or timeout > 0):
                stage = stage_study(self.study, StageSampler(sampler, step_name))
                stage.optimize(
                    objective,
                    n_trials=remaining,
                    timeout=timeout,
                    catch=(),
                    callbacks=self._optuna_callbacks,
                )
        finally:
            if pbar is not None:
                pbar.close()
        if objective.best_booster_with_trial_number is not None:
            self._best_booster_with_trial_number = objective.best_booster_with_trial_number
        self.lgbm_params.update(self.best_params)
        return objective

    def _create_objective(
        self,
        target_param_names: list[str],
        train_set: lgb.Dataset,
        step_name: str,
        pbar: Any | None,
    ) -> _OptunaObjective:
        raise NotImplementedError

    # -- the best booster ---------------------------------------------------------------------
    def _best_trial_number(self) -> int:
        try:
            return self.study.best_trial.number
        except ValueError:
            raise ValueError(
                f"{self._owner} has no best booster: no trial has completed yet (call run())."
            ) from None

    def _kept_or_saved_path(self, number: int) -> tuple[Any, str | None]:
        """The best booster kept in memory, else the file it was saved to (or neither)."""
        kept = self._best_booster_with_trial_number
        if kept is not None and kept[1] == number:
            return kept[0], None
        if self._model_dir is None:
            raise ValueError(
                f"The best booster (trial {number}) was trained by another {self._owner} "
                "(a resumed or parallel run) and was not saved: pass the same 'model_dir' to "
                "every tuner that shares the study."
            )
        path = os.path.join(self._model_dir, f"{number}.pkl")
        if not os.path.exists(path):
            raise ValueError(
                f"The best booster (trial {number}) is not in model_dir={self._model_dir!r}; "
                "parallel tuners must share model_dir (e.g. on a network file system)."
            )
        return None, path


def _check_budget(time_budget: Any, sample_size: Any, num_boost_round: Any, owner: str) -> None:
    real = (int, float, np.integer, np.floating)
    if time_budget is not None and (
        isinstance(time_budget, bool) or not isinstance(time_budget, real) or not time_budget > 0
    ):
        raise invalid_argument(
            "time_budget", time_budget, "None or a number of seconds > 0", owner=owner
        )
    integral = (int, np.integer)
    if sample_size is not None and (
        isinstance(sample_size, bool) or not isinstance(sample_size, integral) or sample_size < 1
    ):
        raise invalid_argument("sample_size", sample_size, "None or an int >= 1", owner=owner)
    if isinstance(num_boost_round, bool) or not isinstance(num_boost_round, integral):
        raise invalid_argument("num_boost_round", num_boost_round, "an int >= 1", owner=owner)
    if num_boost_round < 1:
        raise invalid_argument("num_boost_round", num_boost_round, "an int >= 1", owner=owner)


def _apply_dataset_options(train_set: Any, feature_name: Any, categorical_feature: Any) -> None:
    """Set feature names / categorical features on the Dataset (LightGBM >= 4.6 dropped them
    from ``train`` and ``cv``; optuna-integration warns about the same arguments)."""
    for value, setter in (
        (feature_name, "set_feature_name"),
        (categorical_feature, "set_categorical_feature"),
    ):
        if value is None or value == "auto":
            continue
        warnings.warn(
            f"Passing {setter.removeprefix('set_')!r} to the tuner is deprecated (LightGBM "
            "4.6 removed it from train and cv); set it on the lightgbm.Dataset instead.",
            FutureWarning,
            stacklevel=4,
        )
        getattr(train_set, setter)(value)
