"""Tune a DistributedDataParallel training on scikit-learn's digits with TorchDistributedTrial.

``--nprocs`` processes (2 by default, on the CPU with the gloo backend) train one small MLP
together: each process takes its share of every batch, ``DistributedDataParallel`` averages the
gradients, and the validation accuracy is summed over the processes. Rank 0 runs
``study.optimize``; the other ranks run the same objective once per trial with
``TorchDistributedTrial(None)``, so every rank gets rank 0's learning rate and width, and a
MedianPruner's decision stops the trial on every rank at the same epoch.

    python examples/pytorch_distributed.py [--n-trials 10] [--epochs 8] [--nprocs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import tempfile
import warnings

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import podbor
from podbor.integration.pytorch_distributed import TorchDistributedTrial

STUDY = "pytorch-distributed"
BATCH = 64


def shard(rank: int, nprocs: int) -> tuple[torch.Tensor, ...]:
    """This rank's share of a fixed 75/25 split of digits: every ``nprocs``-th sample."""
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    parts = (X_train, X_val, y_train, y_val)
    kinds = (torch.float32, torch.float32, torch.long, torch.long)
    return tuple(torch.tensor(np.asarray(a)[rank::nprocs], dtype=k) for a, k in zip(parts, kinds))


def objective(trial: TorchDistributedTrial, data: tuple[torch.Tensor, ...], epochs: int) -> float:
    """Train for ``epochs``, reporting the accuracy after each; every rank calls this at once."""
    X_train, X_val, y_train, y_val = data
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    width = trial.suggest_int("width", 16, 128, log=True)
    torch.manual_seed(trial.number)  # DDP copies rank 0's initial weights to the others anyway
    model = DistributedDataParallel(
        nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, 10))
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    # The same number of steps on every rank: DDP's all-reduce runs once per step on all ranks.
    steps = -(-min_over_ranks(len(X_train)) // BATCH)
    generator = torch.Generator().manual_seed(trial.number)
    accuracy = 0.0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(X_train), generator=generator)
        for batch in order.split(BATCH)[:steps]:
            optimizer.zero_grad()
            loss_fn(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            counts = torch.tensor([(model(X_val).argmax(1) == y_val).sum().item(), len(y_val)])
        dist.all_reduce(counts)  # correct answers and samples over every rank's share
        accuracy = counts[0].item() / counts[1].item()
        trial.report(accuracy, epoch)  # rank 0's report is stored; all ranks hold the same value
        if trial.should_prune():  # one decision, taken on rank 0, the same on every rank
            raise podbor.TrialPruned(f"pruned at epoch {epoch} (accuracy {accuracy:.3f})")
    return accuracy


def min_over_ranks(n: int) -> int:
    size = torch.tensor([n])
    dist.all_reduce(size, op=dist.ReduceOp.MIN)
    return int(size.item())


def run_rank(rank: int, nprocs: int, folder: str, storage: str, args: argparse.Namespace) -> None:
    """One process: join the group, then run the study (rank 0) or follow its trials."""
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // nprocs))
    warnings.filterwarnings("ignore", category=podbor.exceptions.ExperimentalWarning)
    dist.init_process_group(
        "gloo",
        init_method="file://" + os.path.join(folder, "rendezvous"),
        rank=rank,
        world_size=nprocs,
        timeout=datetime.timedelta(minutes=2),
    )
    try:
        data = shard(rank, nprocs)
        if rank == 0:
            study = podbor.load_study(
                study_name=STUDY,
                storage=storage,
                sampler=podbor.samplers.TPESampler(seed=args.seed),
                pruner=podbor.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
            )
            study.optimize(
                lambda trial: objective(TorchDistributedTrial(trial), data, args.epochs),
                n_trials=args.n_trials,
            )
        else:
            for _ in range(args.n_trials):  # one call per trial of rank 0's optimize
                with contextlib.suppress(podbor.TrialPruned):  # rank 0's study records it
                    objective(TorchDistributedTrial(None), data, args.epochs)
    finally:
        dist.destroy_process_group()


def main(argv: list[str] | None = None) -> podbor.Study:
    """Run the study on ``--nprocs`` processes and print its best trial; return the study."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--nprocs", type=int, default=2)
    parser.add_argument(
        "--storage", default=None, help="e.g. sqlite:///ddp.db (default: a temp file)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        # The processes share the study through its storage: a database file by default.
        storage = args.storage or "sqlite:///" + os.path.join(folder, "study.db")
        podbor.create_study(
            study_name=STUDY, storage=storage, direction="maximize", load_if_exists=True
        )
        mp.spawn(run_rank, args=(args.nprocs, folder, storage, args), nprocs=args.nprocs)
        study = podbor.load_study(study_name=STUDY, storage=storage)
        if args.storage is None:  # the file goes with the folder: keep the study in memory
            memory = podbor.storages.InMemoryStorage()
            podbor.copy_study(from_study_name=STUDY, from_storage=storage, to_storage=memory)
            study = podbor.load_study(study_name=STUDY, storage=memory)
    pruned = sum(t.state == podbor.TrialState.PRUNED for t in study.trials)
    print(f"Best validation accuracy: {study.best_value:.4f}")
    print(f"Best parameters: {study.best_params}")
    print(f"Pruned trials: {pruned} of {len(study.trials)}")
    return study


if __name__ == "__main__":
    main()
