# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""One worker of the torch.distributed tests (run as a script, one per rank).

``python _torch_worker.py SCENARIO RANK WORLD PORT OUT ACCUM`` trains a small
float64 MLP with DDP (gloo, 127.0.0.1) and :class:`blitzlearn.torch.AdaScale`
on seeded synthetic data and writes what it saw to ``OUT.rankN.pt``.  Step
``t`` uses the gradient samples ``k = 0 .. K - 1`` of :func:`batch`; rank
``r`` takes samples ``r * ACCUM ... r * ACCUM + ACCUM - 1``.
"""

import os
import sys
from datetime import timedelta

import torch
import torch.distributed as dist

N_STEPS, BATCH, DIM = 12, 8, 5


def model_and_data(seed=0):
    """The model (float64) and the full data set, the same in every process."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(DIM, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 1)).double()
    gen = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(512, DIM, generator=gen, dtype=torch.float64)
    y = (X @ torch.linspace(-1, 1, DIM, dtype=torch.float64)).unsqueeze(1)
    y = y + 0.5 * torch.randn(y.shape, generator=gen, dtype=torch.float64)
    return model, X, y


def batch(X, y, step, k):
    """Rows of gradient sample ``k`` at ``step`` (a fixed pseudo-random plan)."""
    gen = torch.Generator().manual_seed(1000 * step + k)
    rows = torch.randint(0, X.shape[0], (BATCH,), generator=gen)
    return X[rows], y[rows]


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9,
                           weight_decay=1e-3)


def main(scenario, rank, world, port, out, accum):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world,
                            timeout=timedelta(seconds=20))
    from blitzlearn.torch import AdaScale

    model, X, y = model_and_data()
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    # "train" carries the statistics in DDP's all-reduce (a communication
    # hook); the other scenarios use AdaScale's own all-reduce
    opt = AdaScale(make_optimizer(model), num_gradients_to_accumulate=accum,
                   ddp_model=ddp if scenario == "train" else None,
                   timeout=timedelta(seconds=20))
    for step in range(N_STEPS):
        for m in range(accum):
            xb, yb = batch(X, y, step, rank * accum + m)
            if scenario == "die-before-backward" and rank == 1 and step == 3:
                os._exit(3)
            loss = torch.nn.functional.mse_loss(ddp(xb), yb) / accum
            if m < accum - 1:
                with ddp.no_sync():
                    loss.backward()
            else:
                loss.backward()
        if scenario == "die-before-step" and rank == 1 and step == 3:
            os._exit(3)
        opt.step()
        opt.zero_grad()
    torch.save({"gains": opt.gain_history, "tau": opt.tau,
                "weights": [p.detach().clone() for p in model.parameters()]},
               f"{out}.rank{rank}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    scenario, rank, world, port, out, accum = sys.argv[1:]
    main(scenario, int(rank), int(world), int(port), out, int(accum))
