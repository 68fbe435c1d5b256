"""Which hyperparameters of a decision tree mattered: SHAP importances beside the default ones.

A study tunes scikit-learn's ``DecisionTreeRegressor`` on the diabetes data (3-fold
cross-validated mean squared error, minimized). Then the parameters' importances are computed
twice: by ``ShapleyImportanceEvaluator`` (``podbor.integration.shap``: a random forest fitted to
the trials, explained by SHAP's ``TreeExplainer``; a parameter's importance is its mean absolute
SHAP value) and by ``get_param_importances``' default evaluator, PED-ANOVA. Both are shown
normalized to sum to 1; the last column is the mean absolute SHAP value itself, in units of the
objective (how far, on average, the parameter moved a trial's predicted error from the mean).

    python examples/shap_importance.py [--n-trials 40] [--n-trees 64] [--seed 0]

Needs ``pip install podbor[shap]`` (SHAP and scikit-learn).
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_diabetes
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeRegressor

import podbor
from podbor.importance import get_param_importances
from podbor.integration.shap import ShapleyImportanceEvaluator


def make_objective(seed: int):  # type: ignore[no-untyped-def]
    X, y = load_diabetes(return_X_y=True)

    def objective(trial: podbor.trial.BaseTrial) -> float:
        model = DecisionTreeRegressor(
            max_depth=trial.suggest_int("max_depth", 1, 12),
            min_samples_leaf=trial.suggest_int("min_samples_leaf", 1, 64, log=True),
            max_features=trial.suggest_categorical("max_features", ["sqrt", "log2", None]),
            random_state=seed,
        )
        scores = cross_val_score(model, X, y, cv=3, scoring="neg_mean_squared_error")
        return float(-scores.mean())

    return objective


def main(argv: list[str] | None = None) -> podbor.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--n-trees", type=int, default=64, help="trees of the SHAP forest")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study = podbor.create_study(sampler=podbor.samplers.TPESampler(seed=args.seed))
    study.optimize(make_objective(args.seed), n_trials=args.n_trials)
    print(f"Best value: {study.best_value:.1f} (mean squared error, 3-fold cross-validation)")
    print(f"Best parameters: {study.best_params}")

    evaluator = ShapleyImportanceEvaluator(n_trees=args.n_trees, seed=args.seed)
    mean_abs_shap = evaluator.evaluate(study)
    shap_shares = get_param_importances(study, evaluator=evaluator)
    default_shares = get_param_importances(study)  # PED-ANOVA

    print("\nParameter importances (normalized to sum to 1), most important by SHAP first")
    print(f"{'parameter':<18}{'SHAP':>8}{'PED-ANOVA':>11}{'mean |SHAP|':>13}")
    for name in shap_shares:
        print(
            f"{name:<18}{shap_shares[name]:>8.3f}{default_shares[name]:>11.3f}"
            f"{mean_abs_shap[name]:>13.1f}"
        )
    return study


if __name__ == "__main__":
    main()
