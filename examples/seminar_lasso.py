"""Seminar example 2: tune the L1 penalty of a Lasso regression on a train/validation split.

The seminar used the Boston housing data, which scikit-learn no longer ships; this is the same
code on ``sklearn.datasets.load_diabetes``. Run it with ``python examples/seminar_lasso.py``;
add ``--storage sqlite:///demo.db`` to keep the trials in a database.
"""

import argparse

import sklearn.datasets
import sklearn.linear_model
import sklearn.metrics
import sklearn.model_selection

import podbor as optuna

parser = argparse.ArgumentParser(description="Seminar example 2: Lasso's alpha on diabetes.")
parser.add_argument("--storage", default=None, help="database URL (default: in memory)")
args = parser.parse_args()
storage_options = (
    {}
    if args.storage is None
    else {"storage": args.storage, "study_name": "seminar-lasso", "load_if_exists": True}
)


# ---- the seminar's code (load_boston → load_diabetes) -----------------------------------------
# (kept as the seminar wrote it, quotes and all, so the formatter leaves it alone)
# fmt: off
def objective(trial):
    # hyperparameter setting
    alpha = trial.suggest_uniform('alpha', 0.0, 2.0)

    # data loading and train-test split
    X, y = sklearn.datasets.load_diabetes(return_X_y=True)
    X_train, X_val, y_train, y_val = sklearn.model_selection.train_test_split(X, y, random_state=0)

    # model training and evaluation
    model = sklearn.linear_model.Lasso(alpha=alpha)
    model.fit(X_train, y_train)
    y_pred = model.predict(X_val)
    error = sklearn.metrics.mean_squared_error(y_val, y_pred)

    # output: evaluation score
    return error

study = optuna.create_study(direction='minimize', **storage_options)
study.optimize(objective, n_trials=20)

print('Minimum mean squared error: ' + str(study.best_value))
print('Best parameter: ' + str(study.best_params))

print(study.trials_dataframe())  # all results
# fmt: on
