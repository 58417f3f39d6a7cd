# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""One worker of the torch.distributed tests (run as a script, one per rank).

``python _torch_worker.py NAME:ACCUM,... RANK WORLD PORT OUT`` runs the named
scenarios one after the other in one gloo group on 127.0.0.1 (most train a
small float64 MLP with DDP and :class:`blitzlearn.torch.AdaScale` on seeded
synthetic data) and writes what each saw to ``OUT.NAME-ACCUM.rankN.pt``.  Step
``t`` uses the gradient samples ``k = 0 .. K - 1`` of :func:`batch`; rank
``r`` takes samples ``r * ACCUM ... r * ACCUM + ACCUM - 1``.
"""

import contextlib
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


class TwoParts(torch.nn.Module):
    """The MLP of :func:`model_and_data` plus a linear part and a bias."""

    def __init__(self):
        super().__init__()
        self.trunk = model_and_data()[0]
        torch.manual_seed(7)
        self.aux = torch.nn.Linear(DIM, 1).double()
        self.extra = torch.nn.Parameter(torch.full((1,), 0.3, dtype=torch.float64))

    def forward(self, x):
        return self.trunk(x) + self.aux(x) + self.extra


def loops(rank, accum, out):
    """The training loop of a fine-tuning user, at lr = 0 (the gains are exact).

    AdaScale wraps an SGD of the trunk only (the aux part has its own SGD),
    the statistics ride DDP's all-reduce, every pass is preceded by a
    ``torch.autograd.grad`` call, the gradients are clipped before every
    step, step 2's first cycle is discarded with
    ``zero_grad(set_to_none=False)``, and ``extra`` joins at step 3 through
    ``add_param_group``.
    """
    from blitzlearn.torch import AdaScale

    model = TwoParts()
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    X, y = model_and_data()[1:]
    sgd = torch.optim.SGD(model.trunk.parameters(), lr=0.0, momentum=0.9)
    other = torch.optim.SGD(model.aux.parameters(), lr=0.0)
    opt = AdaScale(sgd, num_gradients_to_accumulate=accum, ddp_model=ddp)
    for step in range(N_STEPS):
        if step == 3:
            opt.add_param_group({"params": [model.extra]})
        for cycle in range(2 if step == 2 else 1):
            if cycle == 1:  # the first cycle of step 2 is thrown away
                model.zero_grad(set_to_none=False)
            for m in range(accum):
                xb, yb = batch(X, y, step, rank * accum + m)
                with ddp.no_sync() if m < accum - 1 else contextlib.nullcontext():
                    loss = torch.nn.functional.mse_loss(ddp(xb), yb) / accum
                    torch.autograd.grad(loss, list(model.trunk.parameters()),
                                        retain_graph=True)
                    loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.05)
        opt.step()
        other.step()
        model.zero_grad()
    torch.save({"gains": opt.gain_history}, out)


def sharded(out):
    """FSDP 1 and 2 are refused at construction, with a clear error."""
    from torch.distributed.fsdp import FullyShardedDataParallel, fully_shard

    from blitzlearn.torch import AdaScale

    errors = []
    for wrap in ("fsdp1", "fsdp1-orig", "fsdp2"):
        model = model_and_data()[0]
        if wrap == "fsdp2":
            fully_shard(model)
        else:
            model = FullyShardedDataParallel(model, device_id=torch.device("cpu"),
                                             use_orig_params=wrap == "fsdp1-orig")
        try:
            AdaScale(torch.optim.SGD(model.parameters(), lr=0.1))
        except NotImplementedError as exc:
            errors.append(str(exc))
    torch.save({"errors": errors}, out)


def train(scenario, rank, accum, out):
    """Train the MLP with DDP and AdaScale (``train`` with the DDP hook)."""
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
            # DDP decides at the forward whether the backward all-reduces
            with ddp.no_sync() if m < accum - 1 else contextlib.nullcontext():
                (torch.nn.functional.mse_loss(ddp(xb), yb) / accum).backward()
        if scenario == "die-before-step" and rank == 1 and step == 3:
            os._exit(3)
        opt.step()
        opt.zero_grad()
    torch.save({"gains": opt.gain_history, "tau": opt.tau,
                "weights": [p.detach().clone() for p in model.parameters()]},
               out)


def main(scenarios, rank, world, port, out):
    """Run the scenarios ``NAME:ACCUM,...`` one after the other in one group."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world,
                            timeout=timedelta(seconds=20))
    for item in scenarios.split(","):
        scenario, accum = item.split(":")
        path = f"{out}.{scenario}-{accum}.rank{rank}.pt"
        if scenario == "loops":
            loops(rank, int(accum), path)
        elif scenario == "sharded":
            sharded(path)
        else:
            train(scenario, rank, int(accum), path)
    dist.destroy_process_group()


if __name__ == "__main__":
    scenarios, rank, world, port, out = sys.argv[1:]
    main(scenarios, int(rank), int(world), int(port), out)
