"""The objective of one stage: suggest the stage's parameters, train, return the validation score.

:class:`_OptunaObjective` trains with ``lightgbm.train`` and scores the booster on the last
validation set; :class:`_OptunaObjectiveCV` cross-validates with ``lightgbm.cv`` and scores the
mean over folds at the last round. Both keep the best booster seen in the stage (so that
:meth:`LightGBMTuner.get_best_booster` needs no reload), save each trial's booster under
``model_dir`` when given, and record on the trial the full LightGBM parameters it ran with (so
that a resumed tuner knows the best parameters without the boosters).

The search ranges are the tuner's, as in Optuna: ``lambda_l1`` and ``lambda_l2`` log-uniform in
[1e-8, 10], ``num_leaves`` in [2, 2 ** max_depth] (``max_depth`` 8 when not positive),
``feature_fraction`` and ``bagging_fraction`` in [0.4, 1], ``bagging_freq`` in [1, 7],
``min_child_samples`` in [5, 100].
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import time
from typing import TYPE_CHECKING, Any

from podbor.exceptions import invalid_argument
from podbor.integration._lightgbm_tuner._scoring import _BaseTuner
from podbor.integration._lightgbm_tuner._stage import STEP_NAME_KEY

if TYPE_CHECKING:
    import lightgbm as lgb

    from podbor.trial import Trial

__all__ = [
    "AVERAGE_ITERATION_TIME_KEY",
    "DEFAULT_LIGHTGBM_PARAMETERS",
    "ELAPSED_SECS_KEY",
    "LGBM_PARAMS_KEY",
    "TUNED_PARAMETERS",
    "_OptunaObjective",
    "_OptunaObjectiveCV",
]

# Trial system attributes (Optuna's keys, so that the meaning carries over).
ELAPSED_SECS_KEY = "lightgbm_tuner:elapsed_secs"
AVERAGE_ITERATION_TIME_KEY = "lightgbm_tuner:average_iteration_time"
LGBM_PARAMS_KEY = "lightgbm_tuner:lgbm_params"

DEFAULT_LIGHTGBM_PARAMETERS: dict[str, Any] = {
    "lambda_l1": 0.0,
    "lambda_l2": 0.0,
    "num_leaves": 31,
    "feature_fraction": 1.0,
    "bagging_fraction": 1.0,
    "bagging_freq": 0,
    "min_child_samples": 20,
}
"""LightGBM's own defaults of the tuned parameters: the starting point of the search."""

TUNED_PARAMETERS = frozenset(DEFAULT_LIGHTGBM_PARAMETERS)

_DEFAULT_TREE_DEPTH = 8  # bounds num_leaves by 2 ** depth when max_depth is not positive
_EPS = 1e-12  # lets a fraction's range include 1.0 exactly after clipping


def _json_params(params: dict[str, Any]) -> str:
    """``params`` as JSON; a callable objective is stored by its name."""
    out = dict(params)
    objective = out.get("objective")
    if callable(objective):
        out["objective"] = getattr(objective, "__name__", repr(objective))
    return json.dumps(out, default=repr)


class _OptunaObjective(_BaseTuner):
    """Suggest ``target_param_names``, train with ``lightgbm.train``, return the score.

    Args:
        target_param_names: The parameters this stage tunes (a subset of the seven).
        lgbm_params: The parameters to train with; the suggested values are written into it.
        train_set: The training ``lightgbm.Dataset``.
        lgbm_kwargs: The other arguments of ``lightgbm.train``.
        best_score: The best score before this stage (the booster is kept only if it beats it).
        step_name: The stage's name.
        model_dir: Where to save each trial's booster as ``<trial number>.pkl``, or None.
        pbar: A tqdm progress bar to advance, or None.
    """

    def __init__(
        self,
        target_param_names: list[str],
        lgbm_params: dict[str, Any],
        train_set: lgb.Dataset,
        lgbm_kwargs: dict[str, Any],
        best_score: float,
        step_name: str,
        model_dir: str | None,
        pbar: Any | None = None,
        *,
        owner: str = "LightGBMTuner",
    ) -> None:
        super().__init__(lgbm_params, lgbm_kwargs, owner=owner)
        unknown = [p for p in target_param_names if p not in TUNED_PARAMETERS]
        if unknown:
            raise NotImplementedError(
                f"The stepwise tuner cannot tune {unknown}; it tunes {sorted(TUNED_PARAMETERS)}."
            )
        self.target_param_names = list(target_param_names)
        self.train_set = train_set
        self.best_score = best_score
        self.step_name = step_name
        self.model_dir = model_dir
        self.pbar = pbar
        self.trial_count = 0
        self.best_booster_with_trial_number: tuple[Any, int] | None = None

    # -- the search space -----------------------------------------------------------------
    def _preprocess(self, trial: Trial) -> None:
        if self.pbar is not None:
            self.pbar.set_description(f"{self.step_name}, val_score: {self.best_score:.6f}")
        names = self.target_param_names
        params = self.lgbm_params
        if "lambda_l1" in names:
            params["lambda_l1"] = trial.suggest_float("lambda_l1", 1e-8, 10.0, log=True)
        if "lambda_l2" in names:
            params["lambda_l2"] = trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True)
        if "num_leaves" in names:
            depth = params.get("max_depth", _DEFAULT_TREE_DEPTH)
            depth = depth if isinstance(depth, int) and depth > 0 else _DEFAULT_TREE_DEPTH
            params["num_leaves"] = trial.suggest_int("num_leaves", 2, 2**depth)
        if "feature_fraction" in names:
            value = trial.suggest_float("feature_fraction", 0.4, 1.0 + _EPS)
            params["feature_fraction"] = min(value, 1.0)
        if "bagging_fraction" in names:
            value = trial.suggest_float("bagging_fraction", 0.4, 1.0 + _EPS)
            params["bagging_fraction"] = min(value, 1.0)
        if "bagging_freq" in names:
            params["bagging_freq"] = trial.suggest_int("bagging_freq", 1, 7)
        if "min_child_samples" in names:
            params["min_child_samples"] = trial.suggest_int("min_child_samples", 5, 100)

    # -- one trial --------------------------------------------------------------------------
    def __call__(self, trial: Trial) -> float:
        import lightgbm as lgb

        self._preprocess(trial)
        start = time.time()
        kwargs = dict(self.lgbm_kwargs)
        # LightGBM binds a Dataset to the parameters of its first training; copies keep each
        # trial free to change min_child_samples and the other dataset parameters.
        kwargs["valid_sets"] = _copy_sets(kwargs.get("valid_sets"))
        booster = lgb.train(self.lgbm_params, copy.copy(self.train_set), **kwargs)
        score = self._get_booster_best_score(booster)
        elapsed = time.time() - start
        rounds = max(int(booster.current_iteration()), 1)
        self._save(trial.number, booster)
        if self.compare_validation_metrics(score, self.best_score):
            self.best_score = score
            self.best_booster_with_trial_number = (booster, trial.number)
        self._postprocess(trial, elapsed, elapsed / rounds)
        return score

    def _save(self, number: int, model: Any) -> None:
        if self.model_dir is None:
            return
        with open(os.path.join(self.model_dir, f"{number}.pkl"), "wb") as fout:
            pickle.dump(model, fout)

    def _postprocess(
        self, trial: Trial, elapsed_secs: float, average_iteration_time: float
    ) -> None:
        if self.pbar is not None:
            self.pbar.set_description(f"{self.step_name}, val_score: {self.best_score:.6f}")
            self.pbar.update(1)
        trial.set_system_attr(ELAPSED_SECS_KEY, elapsed_secs)
        trial.set_system_attr(AVERAGE_ITERATION_TIME_KEY, average_iteration_time)
        trial.set_system_attr(STEP_NAME_KEY, self.step_name)
        trial.set_system_attr(LGBM_PARAMS_KEY, _json_params(self.lgbm_params))
        self.trial_count += 1


class _OptunaObjectiveCV(_OptunaObjective):
    """As :class:`_OptunaObjective`, but scores a ``lightgbm.cv`` run (mean at its last round).

    With ``return_cvbooster=True`` in ``lgbm_kwargs`` the fold boosters of the best trial are
    kept, and saved under ``model_dir`` as ``(boosters, best_iteration)``.
    """

    def __call__(self, trial: Trial) -> float:
        import lightgbm as lgb

        self._preprocess(trial)
        start = time.time()
        cv_results = lgb.cv(self.lgbm_params, copy.copy(self.train_set), **self.lgbm_kwargs)
        scores = self._get_cv_scores(cv_results)
        if not scores:
            raise invalid_argument(
                "num_boost_round", 0, "at least one boosting round", owner=self._owner
            )
        score = scores[-1]
        elapsed = time.time() - start
        cvbooster: Any = (
            cv_results.get("cvbooster") if self.lgbm_kwargs.get("return_cvbooster") else None
        )
        if cvbooster is not None:
            self._save(trial.number, (cvbooster.boosters, cvbooster.best_iteration))
        if self.compare_validation_metrics(score, self.best_score):
            self.best_score = score
            if cvbooster is not None:
                self.best_booster_with_trial_number = (cvbooster, trial.number)
        self._postprocess(trial, elapsed, elapsed / len(scores))
        return score


def _copy_sets(sets: Any) -> Any:
    if isinstance(sets, list):
        return [copy.copy(s) for s in sets]
    if isinstance(sets, tuple):
        return tuple(copy.copy(s) for s in sets)
    return copy.copy(sets)
