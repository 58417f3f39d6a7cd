# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""AdaScale with DistributedDataParallel: a small CNN on scikit-learn's digits.

The ``S = 1`` recipe: batches of 16 images, SGD with momentum 0.9 at rate
0.02 (``--optimizer adamw``: AdamW at 0.002, weight decay 0.01), 30 epochs,
the rate divided by 10 at 50% and 75% of the budget.  Run it at scale
``S = workers x accumulation``; AdaScale adapts the rate and stops when the
scale-invariant iteration count ``tau`` reaches the recipe's budget::

    # S = 1: one process
    python docs/examples/torch_digits_cnn.py
    # S = 8: one process accumulating 8 micro-batches
    python docs/examples/torch_digits_cnn.py --accum 8
    # S = 8: two processes, 4 micro-batches each
    torchrun --nproc_per_node=2 docs/examples/torch_digits_cnn.py --accum 4
    # AdaScale's cost per step against plain DDP SGD, in the same processes
    torchrun --nproc_per_node=2 docs/examples/torch_digits_cnn.py --accum 4 \\
        --overhead 10

Rank 0 prints one JSON line: the validation accuracy along the run (every
``--eval-every`` scale-invariant iterations), the steps taken, the mean time
per step (after the first 10) and, with ``--target``, the first step whose
validation accuracy reached it.
"""

import argparse
import contextlib
import json
import math
import os
import time

import numpy as np
import torch
import torch.distributed as dist
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def data(seed=0):
    """Standardised 8x8 digits as (N, 1, 8, 8) float32 tensors, 80/20 split."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0 - 0.5) / 0.5
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.2, stratify=y,
                                          random_state=seed)
    as_images = lambda a: torch.tensor(a, dtype=torch.float32).reshape(-1, 1, 8, 8)  # noqa: E731
    return (as_images(Xtr), torch.tensor(ytr), as_images(Xva), torch.tensor(yva))


def network():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(32 * 4 * 4, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


class Batches:
    """A shared stream of shuffled epochs; sample ``k`` of each step is a slice."""

    def __init__(self, n, size, seed):
        self.n, self.size = n, size
        self.gen = torch.Generator().manual_seed(seed)
        self.order = torch.empty(0, dtype=torch.long)

    def step(self, n_samples):
        need = n_samples * self.size
        while self.order.numel() < need:
            self.order = torch.cat([self.order, torch.randperm(self.n,
                                                               generator=self.gen)])
        rows, self.order = self.order[:need], self.order[need:]
        return rows.reshape(n_samples, self.size)


def make_optimizer(model, args):
    """The S = 1 recipe's optimizer: SGD with momentum 0.9, or AdamW."""
    if args.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    return torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)


def accuracy(model, X, y):
    with torch.no_grad():
        return float((model(X).argmax(dim=1) == y).float().mean())


def train_step(ddp, opt, rows, Xtr, ytr, accum, rank, distributed):
    """Backward passes of one step's micro-batches, then the update."""
    for m in range(accum):
        idx = rows[rank * accum + m]
        # DDP decides at the forward whether this backward all-reduces
        quiet = distributed and m < accum - 1
        with ddp.no_sync() if quiet else contextlib.nullcontext():
            loss = torch.nn.functional.cross_entropy(ddp(Xtr[idx]), ytr[idx])
            (loss / accum).backward()
    opt.step()
    opt.zero_grad()


def overhead(batches, Xtr, ytr, args, rank, world, distributed, block=50):
    """Median ms per step of AdaScale and of plain SGD, in alternating blocks.

    Two copies of the network, each with its own DDP wrapper (DDP takes one
    communication hook for good): one trained by AdaScale, one by SGD.
    """
    from blitzlearn.torch import AdaScale

    runs = {}
    for mode in ("adascale", "plain"):
        torch.manual_seed(args.seed)
        model = network()
        ddp = (torch.nn.parallel.DistributedDataParallel(model) if distributed
               else model)
        sgd = make_optimizer(model, args)
        opt = sgd if mode == "plain" else AdaScale(
            sgd, num_gradients_to_accumulate=args.accum,
            ddp_model=ddp if distributed else None)
        runs[mode] = (ddp, opt)
    times = {"adascale": [], "plain": []}
    for b in range(2 * args.overhead + 2):
        mode = "adascale" if b % 2 == 0 else "plain"
        ddp, opt = runs[mode]
        for _ in range(block):
            rows = batches.step(world * args.accum)
            start = time.perf_counter()
            train_step(ddp, opt, rows, Xtr, ytr, args.accum, rank, distributed)
            if b >= 2:  # the first two blocks warm up
                times[mode].append(time.perf_counter() - start)
    if rank == 0:
        med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
        print(json.dumps({"S": world * args.accum, "ms_per_step": med,
                          "overhead": med["adascale"] / med["plain"] - 1.0}))
    if distributed:
        dist.destroy_process_group()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accum", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    parser.add_argument("--lr", type=float, default=None,
                        help="S = 1 rate (default: 0.02 for SGD, 0.002 for AdamW)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-every", type=float, default=50.0)
    parser.add_argument("--target", type=float, default=None)
    parser.add_argument("--plain", action="store_true",
                        help="plain DDP SGD at the S = 1 rate (timing baseline)")
    parser.add_argument("--steps", type=int, default=None,
                        help="stop after this many steps (timing runs)")
    parser.add_argument("--overhead", type=int, default=None, metavar="BLOCKS",
                        help="time BLOCKS blocks of 50 steps with AdaScale and as "
                             "many with plain SGD, alternating, and stop")
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = 0.02 if args.optimizer == "sgd" else 0.002

    from blitzlearn.torch import AdaScale

    torch.set_num_threads(1)
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    Xtr, ytr, Xva, yva = data(args.seed)
    batches = Batches(len(ytr), args.batch_size, args.seed)
    if args.overhead:
        return overhead(batches, Xtr, ytr, args, rank, world, distributed)
    torch.manual_seed(args.seed)
    model = network()
    ddp = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    sgd = make_optimizer(model, args)
    budget = args.epochs * math.ceil(len(ytr) / args.batch_size)
    sched = torch.optim.lr_scheduler.MultiStepLR(
        sgd, milestones=[budget // 2, 3 * budget // 4], gamma=0.1)
    opt = None if args.plain else AdaScale(
        sgd, num_gradients_to_accumulate=args.accum, scheduler=sched, budget=budget,
        ddp_model=ddp if distributed else None)
    n_samples = world * args.accum
    history, reached, step, tau, times = [], None, 0, 0.0, []
    next_eval = 0.0
    while (tau < budget) if args.steps is None else (step < args.steps):
        rows = batches.step(n_samples)
        start = time.perf_counter()
        train_step(ddp, sgd if opt is None else opt, rows, Xtr, ytr, args.accum,
                   rank, distributed)
        if opt is None:
            tau += 1.0
            sched.step()
        else:
            tau = opt.tau
        times.append(time.perf_counter() - start)
        step += 1
        if rank == 0 and tau >= next_eval:
            acc = accuracy(model, Xva, yva)
            history.append((step, round(tau, 1), acc))
            if reached is None and args.target is not None and acc >= args.target:
                reached = step
            next_eval += args.eval_every
    if rank == 0:
        acc = accuracy(model, Xva, yva)
        if reached is None and args.target is not None and acc >= args.target:
            reached = step
        print(json.dumps({
            "S": n_samples, "plain": args.plain, "steps": step, "tau": tau,
            "final_accuracy": acc, "best_accuracy": max(h[2] for h in history + [
                (0, 0, acc)]),
            "steps_to_target": reached,
            # steps after the first 10 (imports, kernel loading, allocator)
            "ms_per_step": 1e3 * float(np.mean(times[10:] or times)),
            "mean_gain": float(np.mean(opt.gain_history)) if opt else 1.0,
            "history": history}))
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
