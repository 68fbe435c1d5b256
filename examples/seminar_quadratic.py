"""Seminar example 1: minimize (x - 2)^2, exactly as in the seminar, with ``import podbor as optuna``.

Run it with ``python examples/seminar_quadratic.py``; add ``--storage sqlite:///demo.db`` to keep
the trials in a database (each run then adds 100 trials to the study ``seminar-quadratic``).
"""

import argparse

import podbor as optuna

parser = argparse.ArgumentParser(description="Seminar example 1: minimize (x - 2) ** 2.")
parser.add_argument("--storage", default=None, help="database URL (default: in memory)")
args = parser.parse_args()
storage_options = (
    {}
    if args.storage is None
    else {"storage": args.storage, "study_name": "seminar-quadratic", "load_if_exists": True}
)


# ---- the seminar's code -----------------------------------------------------------------------
# (kept as the seminar wrote it, quotes and all, so the formatter leaves it alone)
# fmt: off
def objective(trial):
    x = trial.suggest_uniform('x', -100, 100)
    return (x - 2) ** 2

study = optuna.create_study(direction='minimize', **storage_options)
study.optimize(objective, n_trials=100)

print('Minimum objective value: ' + str(study.best_value))
print('Best parameter: ' + str(study.best_params))

print(study.trials_dataframe())  # all results
# fmt: on
